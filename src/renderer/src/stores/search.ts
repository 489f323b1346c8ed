// Search as you type: the query text, debounced calls to `search.query`, results and the highlighted row.
import { create } from 'zustand';
import type { CallResult, SearchResult } from '../../../shared/contract';
import { call } from '../client';

export interface SearchFilters {
  scope: string;
  keyword: string;
  author: string;
}

interface SearchState {
  text: string;
  filters: SearchFilters;
  results: SearchResult[];
  total: number;
  /** Mirrored packages whose name matches the text, shown apart ("Cached from upstream"); none while filters are set. */
  cached: CallResult<'mirror.searchCached'>['results'];
  loaded: boolean;
  loading: boolean;
  error?: string;
  setText(text: string): void;
  setFilter(key: keyof SearchFilters, value: string): void;
  run(): Promise<void>;
}

export const SEARCH_DEBOUNCE_MS = 200;
let timer: ReturnType<typeof setTimeout> | undefined;
let generation = 0;

/** npm's qualifiers, as Shelf's search understands them: `scope:`, `keywords:`, `author:`. */
export function queryText(text: string, filters: SearchFilters): string {
  const parts = [text.trim()];
  if (filters.scope.trim()) parts.push(`scope:${filters.scope.trim().replace(/^@/, '')}`);
  if (filters.keyword.trim()) parts.push(`keywords:${filters.keyword.trim()}`);
  if (filters.author.trim()) parts.push(`author:${filters.author.trim()}`);
  return parts.filter(Boolean).join(' ');
}

export const useSearchStore = create<SearchState>()((set, get) => ({
  text: '',
  filters: { scope: '', keyword: '', author: '' },
  results: [],
  total: 0,
  cached: [],
  loaded: false,
  loading: false,
  error: undefined,
  setText(text) {
    set({ text });
    clearTimeout(timer);
    timer = setTimeout(() => void get().run(), SEARCH_DEBOUNCE_MS);
  },
  setFilter(key, value) {
    set({ filters: { ...get().filters, [key]: value } });
    clearTimeout(timer);
    timer = setTimeout(() => void get().run(), SEARCH_DEBOUNCE_MS);
  },
  async run() {
    const mine = ++generation;
    set({ loading: true, error: undefined });
    try {
      const { text, filters } = get();
      const plain = text.trim() && !filters.scope.trim() && !filters.keyword.trim() && !filters.author.trim() && !text.includes(':');
      const [page, cached] = await Promise.all([
        call('search.query', { text: queryText(text, filters), limit: 50, offset: 0 }),
        // The mirror's cache is searched by name; a failure there (not signed in as may happen) leaves the group empty.
        plain
          ? call('mirror.searchCached', { text: text.trim(), limit: 20 }).then(
              (r) => r.results,
              () => [],
            )
          : Promise.resolve([]),
      ]);
      const own = new Set(page.results.map((r) => r.name));
      // An older, slower answer must not replace a newer one.
      if (mine === generation)
        set({ results: page.results, total: page.total, cached: cached.filter((c) => !own.has(c.name)), loaded: true, loading: false });
    } catch (error) {
      if (mine === generation) set({ loading: false, error: (error as Error).message });
    }
  },
}));
