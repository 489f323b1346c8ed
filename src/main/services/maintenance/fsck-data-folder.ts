// `shelf fsck` on a data folder: the store alone, not the whole app — fsck must see the store as it is (the app would
// clear dead writers' temp files as it opens), and needs no server. On a full disk it opens read-only, as `shelf serve`
// does, and only reports.
import { join } from 'node:path';
import { listenUrl, type Config } from '../../config/config';
import { freeBytesAt } from '../../errors';
import { openBlobStore } from '../../storage/blobs/open-blob-store';
import { openSqliteMetadata } from '../../storage/sql/sqlite';
import { FULL_DISK_BYTES } from './disk-space';
import { runFsck, type FsckReport } from './fsck';
import { DEFAULT_GC_GRACE_MS } from './maintenance';

export async function fsckDataFolder(
  config: Config,
  options: { repair: boolean; progress?: (phase: string) => void },
): Promise<FsckReport> {
  const free = freeBytesAt(config.dataDir);
  const readOnly = free !== undefined && free < FULL_DISK_BYTES;
  const db = openSqliteMetadata(join(config.dataDir, 'shelf.db'), { readOnly });
  const blobs = openBlobStore(config.dataDir, config.blobs, { readOnly, keepTempFiles: true });
  const ctx = {
    db,
    blobs,
    limits: config.limits,
    now: () => new Date(),
    // Only for a package that has no stored packument at all; a server re-renders for its own address on first read.
    baseUrl: () => config.publicUrl ?? listenUrl(config.host, config.port),
  };
  try {
    return await runFsck(ctx, config.dataDir, {
      repair: options.repair && !readOnly,
      graceMs: config.gcGraceMs ?? DEFAULT_GC_GRACE_MS,
      progress: options.progress,
    });
  } finally {
    await db.close();
    await blobs.close();
  }
}
