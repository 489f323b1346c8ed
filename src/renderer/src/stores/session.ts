// Who is signed in: `session.whoami` on start, `session.signIn` / `signOut`; the event stream follows the session.
import { create } from 'zustand';
import type { SessionUser } from '../../../shared/contract';
import { call } from '../client';
import { useJobsStore } from './jobs';

interface SessionState {
  user: SessionUser | null;
  checked: boolean;
  loading: boolean;
  error?: string;
  check(): Promise<void>;
  signIn(username: string, password: string): Promise<boolean>;
  signOut(): Promise<void>;
  /** A call failed with authentication_required: the session ended on the server. */
  expired(): void;
}

export const useSessionStore = create<SessionState>()((set) => ({
  user: null,
  checked: false,
  loading: false,
  error: undefined,
  async check() {
    set({ loading: true, error: undefined });
    try {
      const { user } = await call('session.whoami', {});
      set({ user, checked: true, loading: false });
      if (user) useJobsStore.getState().listen();
    } catch (error) {
      set({ checked: true, loading: false, error: (error as Error).message });
    }
  },
  async signIn(username, password) {
    set({ loading: true, error: undefined });
    try {
      const user = await call('session.signIn', { username, password });
      set({ user, loading: false });
      useJobsStore.getState().listen();
      return true;
    } catch (error) {
      set({ loading: false, error: (error as Error).message });
      return false;
    }
  },
  async signOut() {
    await call('session.signOut', {}).catch(() => undefined);
    useJobsStore.getState().stop();
    set({ user: null, error: undefined });
  },
  expired() {
    useJobsStore.getState().stop();
    set({ user: null, error: 'Your session ended; sign in again.' });
  },
}));
