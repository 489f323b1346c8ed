// The dependency graph: what to resolve (a package range or a project folder), the resolver's answer, the selection.
import { create } from 'zustand';
import type { CallArgs, GraphResult } from '../../../shared/contract';
import { call } from '../client';
import { track } from './async-state';

interface GraphState {
  graph?: GraphResult;
  selected?: string;
  loading: boolean;
  error?: string;
  resolve(target: CallArgs<'graph.resolve'>): Promise<void>;
  select(id: string | undefined): void;
}

export const useGraphStore = create<GraphState>()((set) => ({
  loading: false,
  async resolve(target) {
    await track<GraphState>(set, async () => ({ graph: await call('graph.resolve', target), selected: undefined }));
  },
  select(selected) {
    set({ selected });
  },
}));
