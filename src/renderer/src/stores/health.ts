// The app-wide status shown in the shell: Shelf reachable or not, offline mode, upstreams that do not answer.
import { create } from 'zustand';
import type { CallResult } from '../../../shared/contract';
import { call, CallError } from '../client';

export type Health =
  | { kind: 'unknown' }
  | { kind: 'online'; upstreams: number }
  | { kind: 'offline' }
  | { kind: 'upstream-unreachable'; urls: string[]; problem: string | null }
  | { kind: 'shelf-unreachable'; message: string };

interface HealthState {
  health: Health;
  check(): Promise<void>;
}

export function healthOf(answer: CallResult<'mirror.health'>): Health {
  if (answer.offline) return { kind: 'offline' };
  const down = answer.upstreams.filter((u) => !u.reachable);
  if (down.length > 0) return { kind: 'upstream-unreachable', urls: down.map((u) => u.url), problem: down[0]!.problem };
  return { kind: 'online', upstreams: answer.upstreams.length };
}

export const useHealthStore = create<HealthState>()((set) => ({
  health: { kind: 'unknown' },
  async check() {
    try {
      set({ health: healthOf(await call('mirror.health', {})) });
    } catch (error) {
      // Only a failed connection means Shelf is gone; other refusals (signed out) are for the screens to show.
      if (error instanceof CallError && error.code === 'unreachable')
        set({ health: { kind: 'shelf-unreachable', message: error.message } });
    }
  },
}));
