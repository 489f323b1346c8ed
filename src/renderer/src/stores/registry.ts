// The registry's status (address, mode, counts, whether setup is needed), loaded from `registry.status`.
import { create } from 'zustand';
import type { RegistryStatus } from '../../../shared/contract';
import { call } from '../client';

interface RegistryState {
  status?: RegistryStatus;
  /** True while a load is in flight (the first one, or a refresh that keeps the old status on screen). */
  loading: boolean;
  error?: string;
  load(): Promise<void>;
}

export const useRegistryStore = create<RegistryState>()((set) => ({
  status: undefined,
  loading: false,
  error: undefined,
  async load() {
    set({ loading: true, error: undefined });
    try {
      set({ status: await call('registry.status', {}), loading: false });
    } catch (error) {
      set({ error: (error as Error).message, loading: false });
    }
  },
}));
