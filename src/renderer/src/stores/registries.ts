// The local registry and remote ones (status, who is signed in), adding and removing remotes, signing in to a remote
// Shelf with one's own account there, and which registry every screen acts on (the active one, kept by the main process).
import { create } from 'zustand';
import type { CallArgs, CallResult, RegistryEntry } from '../../../shared/contract';
import { call } from '../client';
import { track } from './async-state';

export type RemoteSession = CallResult<'registries.signIn'>;

interface RegistriesState {
  registries: RegistryEntry[];
  activeId: string;
  /** Sign-ins on remote Shelfs (the main process keeps their sessions; the password is never kept). */
  sessions: RemoteSession[];
  loaded: boolean;
  loading: boolean;
  error?: string;
  addError?: string;
  adding: boolean;
  /** The remote whose sign-in form is busy, and the last sign-in's refusal (by remote id). */
  signingIn?: string;
  signInError?: { id: string; message: string };
  /** A switch that was refused (for example "sign in to … again"). */
  switchError?: string;
  load(): Promise<void>;
  add(input: CallArgs<'registries.add'>): Promise<boolean>;
  remove(id: string): Promise<void>;
  signIn(id: string, username: string, password: string): Promise<boolean>;
  signOut(id: string): Promise<void>;
  /** Makes a registry the active one, then reloads the window so no screen keeps the other registry's data. */
  activate(id: string): Promise<boolean>;
}

/** Starts every screen afresh on the newly active registry (the route in the address survives). */
function reloadScreens(): void {
  // Through globalThis: the stores also run in Node (the store tests), where there is no window to reload.
  (globalThis as { location?: { reload(): void } }).location?.reload();
}

export const useRegistriesStore = create<RegistriesState>()((set, get) => ({
  registries: [],
  activeId: 'local',
  sessions: [],
  loaded: false,
  loading: false,
  adding: false,
  async load() {
    await track<RegistriesState>(set, async () => {
      const list = await call('registries.list', {});
      return { registries: list.registries, activeId: list.activeId, sessions: list.remoteSessions ?? [], loaded: true };
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
    const wasActive = get().activeId === id;
    await track<RegistriesState>(set, async () => {
      await call('registries.remove', { id });
      return {};
    });
    if (wasActive) reloadScreens();
    else await get().load();
  },
  async signIn(id, username, password) {
    set({ signingIn: id, signInError: undefined });
    try {
      await call('registries.signIn', { id, username, password });
      set({ signingIn: undefined });
      await get().load();
      return true;
    } catch (error) {
      set({ signingIn: undefined, signInError: { id, message: (error as Error).message } });
      return false;
    }
  },
  async signOut(id) {
    const wasActive = get().activeId === id;
    await track<RegistriesState>(set, async () => {
      await call('registries.signOut', { id });
      return {};
    });
    if (wasActive) reloadScreens();
    else await get().load();
  },
  async activate(id) {
    set({ switchError: undefined });
    try {
      await call('registries.activate', { id });
    } catch (error) {
      set({ switchError: (error as Error).message });
      return false;
    }
    reloadScreens();
    return true;
  },
}));

/** How a registry is named to people: "This Shelf", or a remote's host. */
export function registryLabel(entry: Pick<RegistryEntry, 'kind' | 'url'>): string {
  if (entry.kind === 'local') return 'This Shelf';
  try {
    return new URL(entry.url).host;
  } catch {
    return entry.url;
  }
}
