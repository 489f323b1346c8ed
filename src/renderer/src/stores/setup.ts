// First-run setup: the one-time token (browser mode) and creating the admin account through `setup.createAdmin`.
import { create } from 'zustand';
import { call } from '../client';
import { useRegistryStore } from './registry';

export interface AdminForm {
  username: string;
  email: string;
  password: string;
}

interface SetupState {
  /** From the `#setup=<token>` link `shelf serve` printed; the desktop window needs none. */
  token?: string;
  submitting: boolean;
  error?: string;
  setToken(token: string | undefined): void;
  createAdmin(form: AdminForm): Promise<boolean>;
}

export const useSetupStore = create<SetupState>()((set, get) => ({
  token: undefined,
  submitting: false,
  error: undefined,
  setToken(token) {
    set({ token });
  },
  async createAdmin(form) {
    set({ submitting: true, error: undefined });
    try {
      await call('setup.createAdmin', { ...form, setupToken: get().token });
      // The token is spent either way once the account exists; forget it.
      set({ submitting: false, token: undefined });
      await useRegistryStore.getState().load();
      return true;
    } catch (error) {
      set({ submitting: false, error: (error as Error).message });
      return false;
    }
  },
}));
