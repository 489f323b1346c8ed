// The package list shown on the overview, loaded from `packages.list`.
import { create } from 'zustand';
import type { PackageSummary } from '../../../shared/contract';
import { call } from '../client';

/** The contract's largest page; the overview shows one page and says how many there are in all. */
const PAGE_SIZE = 500;

interface PackagesState {
  packages: PackageSummary[];
  total: number;
  /** False until the first load has finished, so the empty state is never shown for a list not yet fetched. */
  loaded: boolean;
  loading: boolean;
  error?: string;
  load(): Promise<void>;
  /** The server said the packages changed: reload if the list was loaded, coalescing a burst into one more load. */
  changed(): void;
}

/** Set when a change arrives during a load, so one more load follows it (an import's thousand events make two loads). */
let stale = false;

export const usePackagesStore = create<PackagesState>()((set, get) => ({
  packages: [],
  total: 0,
  loaded: false,
  loading: false,
  error: undefined,
  async load() {
    set({ loading: true, error: undefined });
    try {
      const page = await call('packages.list', { offset: 0, limit: PAGE_SIZE });
      set({ packages: page.packages, total: page.total, loaded: true, loading: false });
    } catch (error) {
      set({ error: (error as Error).message, loading: false });
    }
    if (stale) {
      stale = false;
      await get().load();
    }
  },
  changed() {
    if (!get().loaded) return;
    if (get().loading) stale = true;
    else void get().load();
  },
}));
