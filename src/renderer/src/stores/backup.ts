// Backup and restore from Settings: make an archive (a chosen path in the desktop app, a download in browser mode) and,
// in the desktop app, restore one into a new data folder.
import { create } from 'zustand';
import { BACKUP_DOWNLOAD_PATH, type CallResult } from '../../../shared/contract';
import { call } from '../client';

interface BackupState {
  creating: boolean;
  restoring: boolean;
  created?: CallResult<'backup.create'>;
  restored?: CallResult<'backup.restore'>;
  createError?: string;
  restoreError?: string;
  /** An empty path means <data-dir>/backups/ (the only choice in browser mode). */
  create(path: string): Promise<void>;
  restore(file: string, dataDir: string): Promise<void>;
}

/** Where the page downloads a backup made in browser mode (same origin, so the session cookie goes along). */
export const downloadHref = (name: string) => `${BACKUP_DOWNLOAD_PATH}/${encodeURIComponent(name)}`;

export const useBackupStore = create<BackupState>()((set) => ({
  creating: false,
  restoring: false,
  async create(path) {
    set({ creating: true, createError: undefined, created: undefined });
    try {
      const created = await call('backup.create', path ? { path } : {});
      set({ creating: false, created });
    } catch (error) {
      set({ creating: false, createError: (error as Error).message });
    }
  },
  async restore(file, dataDir) {
    set({ restoring: true, restoreError: undefined, restored: undefined });
    try {
      const restored = await call('backup.restore', { file, dataDir });
      set({ restoring: false, restored });
    } catch (error) {
      set({ restoring: false, restoreError: (error as Error).message });
    }
  },
}));
