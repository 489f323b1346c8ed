// Settings: the server's address, port and data folder (read-only here), and the theme (kept in this browser/window).
import { create } from 'zustand';
import type { AppSettings } from '../../../shared/contract';
import { call } from '../client';
import { track } from './async-state';

export type Theme = 'system' | 'light' | 'dark';
const THEME_KEY = 'shelf.theme';

/** The page's storage and document, typed structurally: absent when the store runs in Node (the store tests). */
const page = globalThis as {
  localStorage?: { getItem(key: string): string | null; setItem(key: string, value: string): void };
  document?: { documentElement: { dataset: Record<string, string | undefined> } };
};

function storedTheme(): Theme {
  try {
    const value = page.localStorage?.getItem(THEME_KEY);
    return value === 'light' || value === 'dark' ? value : 'system';
  } catch {
    return 'system';
  }
}

/** Applies the theme to the document: `data-theme` on <html> overrides the system preference. */
export function applyTheme(theme: Theme): void {
  const root = page.document?.documentElement;
  if (!root) return;
  if (theme === 'system') delete root.dataset.theme;
  else root.dataset.theme = theme;
}

interface SettingsState {
  settings?: AppSettings;
  theme: Theme;
  loading: boolean;
  error?: string;
  load(): Promise<void>;
  setTheme(theme: Theme): void;
}

export const useSettingsStore = create<SettingsState>()((set) => ({
  theme: storedTheme(),
  loading: false,
  async load() {
    await track<SettingsState>(set, async () => ({ settings: await call('settings.get', {}) }));
  },
  setTheme(theme) {
    try {
      page.localStorage?.setItem(THEME_KEY, theme);
    } catch {
      /* storage unavailable: the choice lasts for this page only */
    }
    applyTheme(theme);
    set({ theme });
  },
}));
