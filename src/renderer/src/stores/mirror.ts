// The mirror: upstreams, offline switch, cache contents and cap, pin/unpin/purge, verification, and prefetch jobs.
import { create } from 'zustand';
import type { MirrorStatus, VerifyReport } from '../../../shared/contract';
import { call } from '../client';
import { track } from './async-state';
import { useHealthStore } from './health';
import { useJobsStore } from './jobs';

interface MirrorState {
  status?: MirrorStatus;
  loading: boolean;
  error?: string;
  actionError?: string;
  verify?: VerifyReport;
  verifying: boolean;
  prefetchJobId?: string;
  load(): Promise<void>;
  setOffline(offline: boolean): Promise<void>;
  pin(name: string, pinned: boolean): Promise<void>;
  purge(name: string): Promise<void>;
  /** What purging `name` would remove and free (a dry run on the server), for the confirmation. */
  purgePlan(name: string): Promise<{ name: string; versions: string[]; bytes: number } | undefined>;
  runVerify(): Promise<void>;
  prefetch(path: string): Promise<void>;
}

export const useMirrorStore = create<MirrorState>()((set, get) => {
  const action = async (work: () => Promise<unknown>) => {
    set({ actionError: undefined });
    try {
      await work();
      await get().load();
    } catch (error) {
      set({ actionError: (error as Error).message });
    }
  };
  return {
    loading: false,
    verifying: false,
    async load() {
      await track<MirrorState>(set, async () => ({ status: await call('mirror.status', {}) }));
    },
    setOffline: (offline) => action(() => call('mirror.setOffline', { offline })).then(() => useHealthStore.getState().check()),
    pin: (name, pinned) => action(() => call('mirror.pin', { name, pinned })),
    purge: (name) => action(() => call('mirror.purge', { name })),
    async purgePlan(name) {
      set({ actionError: undefined });
      try {
        return await call('mirror.purgePlan', { name });
      } catch (error) {
        set({ actionError: (error as Error).message });
        return undefined;
      }
    },
    async runVerify() {
      set({ verifying: true, actionError: undefined });
      try {
        set({ verify: await call('mirror.verify', {}), verifying: false });
      } catch (error) {
        set({ verifying: false, actionError: (error as Error).message });
      }
      await get().load();
    },
    async prefetch(path) {
      set({ actionError: undefined });
      try {
        const job = await call('mirror.prefetch', { path });
        const jobs = useJobsStore.getState();
        jobs.track(job);
        set({ prefetchJobId: job.id });
        // Events carry progress; a slow poll covers events missed while the stream was (re)connecting.
        const poll = setInterval(() => {
          const current = useJobsStore.getState().jobs[job.id];
          if (current && current.state !== 'running') clearInterval(poll);
          else
            void useJobsStore
              .getState()
              .refresh(job.id)
              .catch(() => clearInterval(poll));
        }, 1000);
      } catch (error) {
        set({ actionError: (error as Error).message });
      }
    },
  };
});
