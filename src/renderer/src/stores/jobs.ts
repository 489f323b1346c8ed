// Long-running jobs (prefetch) and their progress, kept current from the event stream.
import { create } from 'zustand';
import type { JobState } from '../../../shared/contract';
import { call, subscribeEvents } from '../client';
import { usePackagesStore } from './packages';

interface JobsState {
  jobs: Record<string, JobState>;
  listening: boolean;
  listen(): void;
  stop(): void;
  track(job: JobState): void;
  cancel(id: string): Promise<void>;
  refresh(id: string): Promise<void>;
}

let unsubscribe: (() => void) | undefined;

export const useJobsStore = create<JobsState>()((set, get) => ({
  jobs: {},
  listening: false,
  listen() {
    if (unsubscribe) return;
    unsubscribe = subscribeEvents((event) => {
      if (event.type === 'job') get().track(event.job);
      // A publish or change from anywhere (the npm CLI too): the package list refreshes if it has been shown.
      else if (event.type === 'packages') usePackagesStore.getState().changed();
    });
    set({ listening: true });
  },
  stop() {
    unsubscribe?.();
    unsubscribe = undefined;
    set({ listening: false });
  },
  track(job) {
    set((s) => ({ jobs: { ...s.jobs, [job.id]: job } }));
  },
  async cancel(id) {
    get().track(await call('jobs.cancel', { id }));
  },
  async refresh(id) {
    get().track(await call('jobs.get', { id }));
  },
}));
