// Creates a backup archive of a data folder while Shelf may be running on it: a database snapshot, the tarballs that
// snapshot references, the settings files, and a manifest with every file's size, sha256 and sha512.
import { constants, createWriteStream, existsSync, statSync } from 'node:fs';
import { copyFile, link, mkdir, mkdtemp, open, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import * as tar from 'tar';
import type { BlobStore } from '../../storage/blobs/blob-store';
import { openBlobStore, type S3Location } from '../../storage/blobs/open-blob-store';
import { ShelfError, badRequest, conflict, notFound } from '../../errors';
import { snapshotDatabase } from './database-snapshot';
import {
  BACKUP_FORMAT,
  BACKUP_FORMAT_VERSION,
  DATABASE_NAME,
  MANIFEST_NAME,
  SETTINGS_FILES,
  blobArchivePath,
  checksumFile,
  type BackupContents,
  type BackupManifest,
  type ManifestFile,
} from './manifest';
import { dropCachedTarballs, readSnapshot, type BlobReference, type SnapshotFacts } from './snapshot-file';

export interface BackupProgress {
  phase: 'database' | 'tarballs' | 'archive';
  done: number;
  total: number;
}

export interface CreateBackupOptions {
  dataDir: string;
  /** The archive to write (a gzipped tar); refused when it exists unless `force`. */
  file: string;
  force?: boolean;
  shelfVersion: string;
  /** The Electron-ABI better-sqlite3 build, in the desktop app. */
  sqliteBinding?: string;
  now?: () => Date;
  onProgress?: (progress: BackupProgress) => void;
  /** Called after each database snapshot, before its tarballs are copied (tests make an unpublish land there). */
  afterSnapshot?: (attempt: number) => Promise<void>;
  /**
   * Tarballs in an S3 bucket (--blobs): each referenced object is downloaded into the archive, so the archive is the
   * same whichever store the tarballs came from, and restores into a folder or a bucket alike.
   */
  blobs?: S3Location;
}

export interface BackupSummary {
  file: string;
  /** Size of the archive. */
  bytes: number;
  createdAt: string;
  shelfVersion: string;
  schemaVersion: number;
  contents: BackupContents;
  /** Settings files of the data folder that were included (config.json, registries.json). */
  settingsFiles: string[];
  /** Mirror cache entries left out because the cache evicted their tarball while the backup ran. */
  droppedCacheEntries: number;
  /** Database snapshots taken: more than one when a version was unpublished between a snapshot and its copy. */
  snapshots: number;
}

/** Snapshots taken before giving up on a version whose tarball keeps disappearing: unpublishes are rare, so 3 is plenty. */
const MAX_SNAPSHOTS = 3;

export async function createBackup(options: CreateBackupOptions): Promise<BackupSummary> {
  const dataDir = resolve(options.dataDir);
  const file = resolve(options.file);
  const source = join(dataDir, DATABASE_NAME);
  if (!existsSync(source))
    throw notFound(`there is no Shelf database in ${dataDir} (no ${DATABASE_NAME}); pass the --data-dir Shelf runs with`);
  if (!existsSync(dirname(file)))
    throw badRequest(`the folder ${dirname(file)} does not exist; create it first or choose another place for the backup`);
  if (existsSync(file)) {
    if (statSync(file).isDirectory()) throw badRequest(`${file} is a folder; give the backup a file name such as shelf-backup.tar.gz`);
    if (!options.force) throw conflict(`${file} already exists; choose another file name, or pass --force to replace it`);
  }
  const report = options.onProgress ?? (() => undefined);
  const createdAt = (options.now ?? (() => new Date()))().toISOString();

  // Staged next to the archive, so hard links work when both are on the data folder's disk, and a failure leaves
  // nothing but this one folder, removed below.
  const staging = await mkdtemp(join(dirname(file), `.${basename(file)}.staging-`));
  const bucket = options.blobs ? openBlobStore(dataDir, options.blobs) : undefined;
  // Inside the staging folder, so a failure anywhere leaves no partial archive behind.
  const partial = join(staging, 'archive.partial');
  try {
    const staged = new Map<string, ManifestFile>();
    let facts: SnapshotFacts;
    let snapshots = 0;
    let dropped: BlobReference[] = [];
    // Each round takes a fresh snapshot and copies what it references. A tarball is written before the row that
    // points at it, so every blob a snapshot references exists, unless an unpublish or eviction removed it after the
    // snapshot: a local version's then means another snapshot (which no longer has that version); a mirror-cache
    // tarball's just drops the cache row.
    for (;;) {
      snapshots += 1;
      report({ phase: 'database', done: 0, total: 1 });
      await rm(join(staging, DATABASE_NAME), { force: true });
      await snapshotDatabase(source, join(staging, DATABASE_NAME), options.sqliteBinding).catch((error: Error) => {
        const locked = /locked|busy/i.test(error.message);
        throw new ShelfError(
          locked ? 'unavailable' : 'internal',
          `could not copy the database ${source}: ${error.message}` +
            (locked
              ? ' (a Shelf running read-only on a full disk holds it exclusively: free some space, or stop Shelf, then back up again)'
              : ''),
          { cause: error },
        );
      });
      report({ phase: 'database', done: 1, total: 1 });
      await options.afterSnapshot?.(snapshots);
      facts = readSnapshot(join(staging, DATABASE_NAME), options.sqliteBinding);
      const missing: BlobReference[] = [];
      let done = 0;
      for (const reference of facts.blobs) {
        const path = blobArchivePath(reference.integrity);
        if (!staged.has(path)) {
          const entry = await stageBlob(dataDir, staging, path, reference, bucket);
          if (entry) staged.set(path, entry);
          else missing.push(reference);
        }
        report({ phase: 'tarballs', done: ++done, total: facts.blobs.length });
      }
      const lostLocal = missing.filter((r) => r.local);
      if (lostLocal.length === 0) {
        dropped = missing;
        break;
      }
      if (snapshots >= MAX_SNAPSHOTS) {
        const names = lostLocal
          .slice(0, 5)
          .map((r) => `${r.example} (${bucket ? bucket.where(r.integrity) : join(dataDir, blobArchivePath(r.integrity))})`);
        throw new ShelfError(
          'internal',
          `the tarball of ${lostLocal.length} published version${lostLocal.length === 1 ? '' : 's'} is missing from ${dataDir}: ` +
            `${names.join(', ')}${lostLocal.length > 5 ? ', …' : ''}. The data folder is damaged (the database lists versions ` +
            `whose files are gone); repair it (shelf fsck) or unpublish those versions, then back up again`,
        );
      }
    }
    if (dropped.length > 0) {
      dropCachedTarballs(
        join(staging, DATABASE_NAME),
        dropped.map((r) => r.integrity),
        options.sqliteBinding,
      );
      facts = readSnapshot(join(staging, DATABASE_NAME), options.sqliteBinding);
    }

    const settingsFiles: string[] = [];
    for (const name of SETTINGS_FILES) {
      if (!existsSync(join(dataDir, name))) continue;
      await copyFile(join(dataDir, name), join(staging, name));
      settingsFiles.push(name);
    }

    const blobFiles = facts.blobs.map((r) => staged.get(blobArchivePath(r.integrity))!).sort((a, b) => a.path.localeCompare(b.path));
    const files: ManifestFile[] = [];
    for (const name of [DATABASE_NAME, ...settingsFiles]) files.push({ path: name, ...(await checksumFile(join(staging, name))) });
    files.push(...blobFiles);
    const manifest: BackupManifest = {
      format: BACKUP_FORMAT,
      formatVersion: BACKUP_FORMAT_VERSION,
      shelfVersion: options.shelfVersion,
      createdAt,
      schemaVersion: facts.schemaVersion,
      contents: {
        ...facts.counts,
        blobs: blobFiles.length,
        blobBytes: blobFiles.reduce((sum, f) => sum + f.size, 0),
      },
      files,
    };
    await writeFile(join(staging, MANIFEST_NAME), `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600 });

    // The archive holds password and token hashes: readable by its owner only, created so before any byte is written.
    await writeFile(partial, '', { mode: 0o600 });
    const entries = [MANIFEST_NAME, ...files.map((f) => f.path)];
    let written = 0;
    report({ phase: 'archive', done: 0, total: entries.length });
    await tar.c(
      {
        file: partial,
        cwd: staging,
        gzip: true,
        portable: true,
        strict: true,
        onWriteEntry: () => report({ phase: 'archive', done: ++written, total: entries.length }),
      },
      entries,
    );
    await syncFile(partial);
    await rename(partial, file);
    await syncFile(dirname(file));
    return {
      file,
      bytes: statSync(file).size,
      createdAt,
      shelfVersion: options.shelfVersion,
      schemaVersion: facts.schemaVersion,
      contents: manifest.contents,
      settingsFiles,
      droppedCacheEntries: dropped.length,
      snapshots,
    };
  } finally {
    await rm(staging, { recursive: true, force: true });
    await bucket?.close();
  }
}

/**
 * Puts one blob into the staging folder (a hard link when on the same disk: blobs are immutable, and a link keeps the
 * bytes even if the server deletes its name a moment later; from a bucket, a download) and checks its bytes against its
 * name. Undefined when the blob is gone from the store.
 */
async function stageBlob(
  dataDir: string,
  staging: string,
  path: string,
  reference: BlobReference,
  bucket: BlobStore | undefined,
): Promise<ManifestFile | undefined> {
  const from = bucket ? bucket.where(reference.integrity) : join(dataDir, path);
  const to = join(staging, path);
  await mkdir(dirname(to), { recursive: true });
  if (!(await (bucket ? downloadBlob(bucket, reference.integrity, to) : linkOrCopy(from, to)))) return undefined;
  const sums = await checksumFile(to);
  if (sums.sha512 !== basename(path)) {
    throw new ShelfError(
      'internal',
      `the tarball of ${reference.example} in ${from} is damaged (its bytes no longer match its sha512); the backup stops ` +
        `rather than carry a damaged copy. Repair the data folder (shelf fsck), then back up again`,
    );
  }
  return { path, ...sums };
}

/** A hard link (or a copy across disks) of a folder blob; false when it is gone. */
async function linkOrCopy(from: string, to: string): Promise<boolean> {
  try {
    await link(from, to);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return false;
    if (code !== 'EXDEV' && code !== 'EPERM' && code !== 'ENOTSUP') throw error;
  }
  try {
    await copyFile(from, to, constants.COPYFILE_EXCL);
    return true;
  } catch (copyError) {
    if ((copyError as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw copyError;
  }
}

/** An object of the bucket streamed to a file (a large tarball never sits in memory); false when it is gone. */
async function downloadBlob(bucket: BlobStore, integrity: string, to: string): Promise<boolean> {
  const stream = await bucket.stream(integrity).catch((error: unknown) => {
    if ((error as { code?: string }).code === 'not_found') return undefined;
    throw error;
  });
  if (!stream) return false;
  await pipeline(stream, createWriteStream(to, { flags: 'wx', mode: 0o600 }));
  return true;
}

async function syncFile(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
