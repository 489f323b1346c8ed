// Importing a Verdaccio registry from Settings (desktop app): the paths typed, the run, and its summary.
import { create } from 'zustand';
import type { CallResult } from '../../../shared/contract';
import { call } from '../client';

export interface VerdaccioPaths {
  storageDir: string;
  htpasswd: string;
  config: string;
}

interface VerdaccioImportState {
  running: boolean;
  summary?: CallResult<'import.verdaccio'>;
  error?: string;
  run(paths: VerdaccioPaths): Promise<void>;
}

export const useVerdaccioImportStore = create<VerdaccioImportState>()((set) => ({
  running: false,
  async run({ storageDir, htpasswd, config }) {
    set({ running: true, error: undefined, summary: undefined });
    try {
      const summary = await call('import.verdaccio', {
        storageDir,
        ...(htpasswd ? { htpasswd } : {}),
        ...(config ? { config } : {}),
      });
      set({ running: false, summary });
    } catch (error) {
      set({ running: false, error: (error as Error).message });
    }
  },
}));
