// The local registry and remote ones (status, who is signed in), adding and removing remotes.
import { create } from 'zustand';
import type { CallArgs, RegistryEntry } from '../../../shared/contract';
import { call } from '../client';
import { track } from './async-state';

interface RegistriesState {
  registries: RegistryEntry[];
  activeId: string;
  loaded: boolean;
  loading: boolean;
  error?: string;
  addError?: string;
  adding: boolean;
  load(): Promise<void>;
  add(input: CallArgs<'registries.add'>): Promise<boolean>;
  remove(id: string): Promise<void>;
  setActive(id: string): void;
}

export const useRegistriesStore = create<RegistriesState>()((set, get) => ({
  registries: [],
  activeId: 'local',
  loaded: false,
  loading: false,
  adding: false,
  async load() {
    await track<RegistriesState>(set, async () => {
      const list = await call('registries.list', {});
      return { registries: list.registries, loaded: true };
    });
  },
  async add(input) {
    set({ adding: true, addError: undefined });
    try {
      await call('registries.add', input);
      set({ adding: false });
      await get().load();
      return true;
    } catch (error) {
      set({ adding: false, addError: (error as Error).message });
      return false;
    }
  },
  async remove(id) {
    await track<RegistriesState>(set, async () => {
      await call('registries.remove', { id });
      return {};
    });
    if (get().activeId === id) set({ activeId: 'local' });
    await get().load();
  },
  setActive(activeId) {
    set({ activeId });
  },
}));
