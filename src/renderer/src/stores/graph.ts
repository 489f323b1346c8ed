// The dependency graph: the source drawn (a package range, a folder, an uploaded project, a lockfile, or two lockfiles
// compared), the answer, and the loading state. A slower answer to an older request never replaces a newer one.
import { create } from 'zustand';
import type { CallArgs, GraphComparison, GraphResult } from '../../../shared/contract';
import { call } from '../client';

export interface Picked {
  name: string;
  text: string;
}

interface GraphState {
  /** The source as written into the URL (pkg:…, lock:…, cmp:…, folder:…), or undefined for an upload. */
  source?: string;
  graph?: GraphResult;
  comparison?: GraphComparison;
  loading: boolean;
  error?: string;
  resolve(target: CallArgs<'graph.resolve'>, source?: string): Promise<void>;
  compare(before: Picked, after: Picked, source?: string): Promise<void>;
}

let latest = 0;

export const useGraphStore = create<GraphState>()((set) => {
  const run = async (source: string | undefined, work: () => Promise<Partial<GraphState>>) => {
    const mine = ++latest;
    set({ loading: true, error: undefined, source });
    try {
      const result = await work();
      if (mine === latest) set({ ...result, loading: false });
    } catch (error) {
      if (mine === latest) set({ loading: false, error: (error as Error).message });
    }
  };
  return {
    loading: false,
    resolve: (target, source) => run(source, async () => ({ graph: await call('graph.resolve', target), comparison: undefined })),
    compare: (before, after, source) =>
      run(source, async () => {
        const comparison = await call('graph.compare', { before, after });
        return { comparison, graph: comparison.graph };
      }),
  };
});
