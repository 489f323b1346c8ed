// Long-running jobs (prefetch) and their progress, kept current from the event stream.
import { create } from 'zustand';
import type { JobState } from '../../../shared/contract';
import { call, subscribeEvents } from '../client';
import { usePackagesStore } from './packages';
import { policyToast } from './policy-toast';
import { useToastStore } from './toasts';

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
      else if (event.type === 'policy') policyToast(event);
    });
    set({ listening: true });
  },
  stop() {
    unsubscribe?.();
    unsubscribe = undefined;
    set({ listening: false });
  },
  track(job) {
    const before = get().jobs[job.id];
    set((s) => ({ jobs: { ...s.jobs, [job.id]: job } }));
    // A job seen running that has now ended gets a toast, wherever the user is (the event and a poll may both report it).
    if (before?.state === 'running' && job.state !== 'running') {
      const tone = job.state === 'succeeded' ? 'ok' : job.state === 'partial' || job.state === 'cancelled' ? 'warn' : 'error';
      const how = job.state === 'partial' ? 'finished with problems' : job.state;
      useToastStore.getState().push(tone, `${job.title}: ${how}${job.error ? ` (${job.error})` : ''}`);
    }
  },
  async cancel(id) {
    get().track(await call('jobs.cancel', { id }));
  },
  async refresh(id) {
    get().track(await call('jobs.get', { id }));
  },
}));
