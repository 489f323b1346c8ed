// Backup and restore as the UI's Settings screen offers them: where the archive goes in each mode, and why browser mode
// restores only from a terminal.
import { existsSync, statSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { basename, isAbsolute, join, resolve } from 'node:path';
import { badRequest, notFound } from '../../errors';
import type { S3Location } from '../../storage/blobs/open-blob-store';
import { createBackup } from './create-backup';
import { restoreBackup } from './restore-backup';

/** <data-dir>/backups/: where the UI's backups go unless the desktop app's admin names a file. */
export const BACKUPS_FOLDER = 'backups';
/** The names the UI gives its archives; the download route serves nothing else. */
const DOWNLOAD_NAME = /^shelf-backup-\d{8}T\d{6}Z(-\d+)?\.tar\.gz$/;

export interface UiBackupOptions {
  mode: 'desktop' | 'browser';
  dataDir: string;
  /** Desktop only: an absolute path chosen by the admin. */
  path?: string;
  force: boolean;
  shelfVersion: string;
  sqliteBinding?: string;
  now: () => Date;
  /** The server's S3 bucket when its tarballs live there (--blobs): they are downloaded into the archive. */
  blobs?: S3Location;
}

const brief = (c: { packages: number; versions: number; users: number; tokens: number; blobs: number }) => ({
  packages: c.packages,
  versions: c.versions,
  users: c.users,
  tokens: c.tokens,
  blobs: c.blobs,
});

export async function backupFromUi(options: UiBackupOptions) {
  if (options.path !== undefined && options.mode === 'browser')
    throw badRequest(
      "in browser mode a backup is written into the data folder's backups/ folder on the server and downloaded from there; " +
        'leave the path empty (choosing a path is for the desktop app, or `shelf backup <file>` on the server)',
    );
  if (options.path !== undefined && !isAbsolute(options.path))
    throw badRequest(`give the backup's full path (such as /home/me/shelf-backup.tar.gz), not ${options.path}`);
  let file = options.path;
  if (file === undefined) {
    const folder = join(options.dataDir, BACKUPS_FOLDER);
    await mkdir(folder, { recursive: true, mode: 0o700 });
    const stamp = options
      .now()
      .toISOString()
      .replace(/[-:]/g, '')
      .replace(/\.\d+Z$/, 'Z');
    file = join(folder, `shelf-backup-${stamp}.tar.gz`);
    for (let n = 2; existsSync(file) && n < 100; n++) file = join(folder, `shelf-backup-${stamp}-${n}.tar.gz`);
  }
  const summary = await createBackup({
    dataDir: options.dataDir,
    file,
    force: options.force,
    shelfVersion: options.shelfVersion,
    sqliteBinding: options.sqliteBinding,
    now: options.now,
    blobs: options.blobs,
  });
  return {
    file: summary.file,
    bytes: summary.bytes,
    createdAt: summary.createdAt,
    contents: brief(summary.contents),
    downloadName: options.path === undefined ? basename(summary.file) : null,
  };
}

/** The archive a download link names, if it is one of the UI's backups in <data-dir>/backups/. */
export function backupDownload(dataDir: string, name: string): { path: string; size: number } {
  const path = join(dataDir, BACKUPS_FOLDER, name);
  if (!DOWNLOAD_NAME.test(name) || !existsSync(path))
    throw notFound(`there is no backup named ${name} in ${join(dataDir, BACKUPS_FOLDER)}; make one from Settings`);
  return { path, size: statSync(path).size };
}

export interface UiRestoreOptions {
  mode: 'desktop' | 'browser';
  /** The running Shelf's data folder, which a restore must never write into. */
  dataDir: string;
  file: string;
  target: string;
  sqliteBinding?: string;
}

export async function restoreFromUi(options: UiRestoreOptions) {
  if (options.mode === 'browser')
    throw badRequest(
      'restoring is done on the machine Shelf runs on, from a terminal: shelf restore <backup file> --data-dir <new folder>, ' +
        'then shelf serve --data-dir <new folder> (stop the old server first if it uses the same port)',
    );
  if (!isAbsolute(options.file) || !isAbsolute(options.target))
    throw badRequest('give full paths for both the backup file and the new data folder');
  if (resolve(options.target) === resolve(options.dataDir))
    throw badRequest(`${options.target} is the folder this Shelf is running on; restore into a new folder and switch to it after`);
  const summary = await restoreBackup({ file: options.file, dataDir: options.target, sqliteBinding: options.sqliteBinding });
  return {
    dataDir: summary.dataDir,
    createdAt: summary.createdAt,
    shelfVersion: summary.shelfVersion,
    contents: brief(summary.contents),
    next:
      `Quit Shelf and start it on the restored folder: set SHELF_DATA_DIR=${summary.dataDir} before starting the app, ` +
      `or run shelf serve --data-dir ${summary.dataDir}. This window keeps using ${options.dataDir} until then.`,
  };
}
