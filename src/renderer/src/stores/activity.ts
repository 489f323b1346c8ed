// Registry activity: totals, top packages, recent publishes, downloads per day.
import { create } from 'zustand';
import type { ActivitySummary } from '../../../shared/contract';
import { call } from '../client';
import { track } from './async-state';

interface ActivityState {
  summary?: ActivitySummary;
  loading: boolean;
  error?: string;
  load(): Promise<void>;
}

export const useActivityStore = create<ActivityState>()((set) => ({
  loading: false,
  async load() {
    await track<ActivityState>(set, async () => ({ summary: await call('activity.summary', {}) }));
  },
}));
