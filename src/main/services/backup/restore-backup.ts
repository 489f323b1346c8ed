// Restores a backup archive into a data folder: every checksum is verified before anything is written, the files are
// unpacked into a temporary folder beside the target, checked again, and only then renamed into place.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, open, readFile, rename, rm, rmdir } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import * as tar from 'tar';
import { badRequest, conflict, notFound } from '../../errors';
import { integrityOfRelativePath } from '../../storage/blobs/blob-store';
import { openBlobStore, type S3Location } from '../../storage/blobs/open-blob-store';
import { MIGRATIONS } from '../../storage/db/migrations';
import {
  BACKUP_FORMAT,
  BACKUP_FORMAT_VERSION,
  BLOB_PATH,
  BackupManifest,
  DATABASE_NAME,
  MANIFEST_NAME,
  checksumFile,
  isAllowedPath,
  type BackupContents,
  type ManifestFile,
} from './manifest';
import { checkDatabase } from './snapshot-file';

export interface RestoreProgress {
  phase: 'verify' | 'unpack' | 'check' | 'upload';
  done: number;
  total: number;
}

export interface RestoreOptions {
  file: string;
  /** The data folder to create; refused when it holds anything unless `force`. */
  dataDir: string;
  /** Moves what the target folder holds aside (to <dir>.before-restore-<time>) instead of refusing. */
  force?: boolean;
  sqliteBinding?: string;
  now?: () => Date;
  onProgress?: (progress: RestoreProgress) => void;
  /**
   * Tarballs go into this S3 bucket (--blobs) instead of the data folder: each verified blob is put there (conditional
   * writes: one already there is kept), and the restored folder holds no blobs/.
   */
  blobs?: S3Location;
}

export interface RestoreSummary {
  dataDir: string;
  createdAt: string;
  shelfVersion: string;
  schemaVersion: number;
  contents: BackupContents;
  files: number;
  bytes: number;
  /** Where the target folder's previous contents went (with --force on a non-empty folder). */
  movedAside: string | null;
}

/** The manifest is read into memory; even 100,000 tarballs make a manifest of about 40 MB. */
const MAX_MANIFEST_BYTES = 256 * 1024 * 1024;

export async function restoreBackup(options: RestoreOptions): Promise<RestoreSummary> {
  const file = resolve(options.file);
  const target = resolve(options.dataDir);
  const report = options.onProgress ?? (() => undefined);
  if (!existsSync(file) || !statSync(file).isFile()) throw notFound(`there is no backup file at ${file}`);
  const occupied = targetHoldsFiles(target);
  if (occupied && !options.force)
    throw conflict(
      `${target} is not empty; restore into a new folder, or pass --force to move what it holds aside (to ${basename(target)}.before-restore-<time>) first. ` +
        'Stop any Shelf running on that folder before restoring into it',
    );

  const manifest = await verifyArchive(file, report);

  const parent = dirname(target);
  await mkdir(parent, { recursive: true });
  const temp = await mkdtemp(join(parent, `.${basename(target)}.restoring-`));
  let movedAside: string | null = null;
  try {
    let unpacked = 0;
    await tar.x({
      file,
      cwd: temp,
      strict: true,
      // Only the files the manifest lists (verified above); never links, devices or the manifest itself.
      filter: (path, entry) => {
        const name = normalise(path);
        const keep = name !== MANIFEST_NAME && isAllowedPath(name) && 'type' in entry && isRegularFile(entry.type);
        if (keep) report({ phase: 'unpack', done: ++unpacked, total: manifest.files.length });
        return keep;
      },
    });
    // Checked again on disk: the archive could have changed between the two reads, and a disk can fail a write.
    let checked = 0;
    for (const expected of manifest.files) {
      const path = join(temp, expected.path);
      const actual = existsSync(path) ? await checksumFile(path) : undefined;
      if (!actual || actual.size !== expected.size || actual.sha256 !== expected.sha256 || actual.sha512 !== expected.sha512)
        throw badRequest(
          `${expected.path} did not unpack to the bytes the manifest lists (was ${file} changed while restoring?); nothing was restored`,
        );
      report({ phase: 'check', done: ++checked, total: manifest.files.length });
    }
    const problem = checkDatabase(join(temp, DATABASE_NAME), options.sqliteBinding);
    if (problem) throw badRequest(`the database in ${file} fails SQLite's integrity check (${problem}); nothing was restored`);
    if (options.blobs) await uploadBlobs(temp, target, manifest.files, options.blobs, report);
    await syncFolder(temp);

    if (existsSync(target)) {
      if (occupied) {
        const stamp = (options.now ?? (() => new Date()))().toISOString().replace(/[:.]/g, '-');
        movedAside = `${target}.before-restore-${stamp}`;
        await rename(target, movedAside);
      } else {
        await rmdir(target);
      }
    }
    await rename(temp, target);
    await syncFolder(parent);
  } catch (error) {
    await rm(temp, { recursive: true, force: true });
    throw error;
  }
  return {
    dataDir: target,
    createdAt: manifest.createdAt,
    shelfVersion: manifest.shelfVersion,
    schemaVersion: manifest.schemaVersion,
    contents: manifest.contents,
    files: manifest.files.length,
    bytes: manifest.files.reduce((sum, f) => sum + f.size, 0),
    movedAside,
  };
}

/**
 * Puts every verified blob into the bucket, then drops the folder copies. Objects put before a failure stay in the
 * bucket unreferenced; they are content-addressed, so a second restore reuses them and the collector takes the rest.
 */
async function uploadBlobs(
  temp: string,
  dataDir: string,
  files: readonly ManifestFile[],
  location: S3Location,
  report: (progress: RestoreProgress) => void,
): Promise<void> {
  const bucket = openBlobStore(dataDir, location);
  try {
    await bucket.check();
    const blobs = files.filter((f) => BLOB_PATH.test(f.path));
    let done = 0;
    for (const blob of blobs) {
      await bucket.put(integrityOfRelativePath(blob.path)!, await readFile(join(temp, blob.path)));
      report({ phase: 'upload', done: ++done, total: blobs.length });
    }
  } finally {
    await bucket.close();
  }
  await rm(join(temp, 'blobs'), { recursive: true, force: true });
}

function targetHoldsFiles(target: string): boolean {
  if (!existsSync(target)) return false;
  if (!statSync(target).isDirectory()) throw badRequest(`${target} is a file; give --data-dir a folder that does not exist yet`);
  return readdirSync(target).length > 0;
}

const normalise = (path: string) => path.replace(/^(\.\/)+/, '');
const isRegularFile = (type: string) => type === 'File' || type === 'OldFile' || type === 'ContiguousFile';

/**
 * Reads the whole archive once without writing anything: every entry is hashed and compared with the manifest, which
 * must list exactly the entries present. Returns the manifest; throws a 400 naming the first problems otherwise.
 */
async function verifyArchive(file: string, report: (progress: RestoreProgress) => void): Promise<BackupManifest> {
  const seen = new Map<string, Omit<ManifestFile, 'path'>>();
  const problems: string[] = [];
  let manifestText: string | undefined;
  let expectedFiles = 0;
  const refuse = (detail: string) => badRequest(`${file} is not a Shelf backup this version can restore: ${detail}; nothing was written`);
  try {
    await tar.t({
      file,
      strict: true,
      onReadEntry: (entry) => {
        const path = normalise(entry.path);
        if (entry.type === 'Directory') return;
        if (!isRegularFile(entry.type)) {
          problems.push(`${path} is a ${entry.type} entry, which a backup never holds`);
          return;
        }
        if (path !== MANIFEST_NAME && !isAllowedPath(path)) {
          problems.push(`${path} is not a file a Shelf backup holds`);
          return;
        }
        if (seen.has(path) || (path === MANIFEST_NAME && manifestText !== undefined)) {
          problems.push(`${path} appears twice`);
          return;
        }
        if (path === MANIFEST_NAME) {
          const chunks: Buffer[] = [];
          let size = 0;
          entry.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size <= MAX_MANIFEST_BYTES) chunks.push(chunk);
          });
          entry.on('end', () => {
            if (size > MAX_MANIFEST_BYTES) problems.push(`${MANIFEST_NAME} is over ${MAX_MANIFEST_BYTES} bytes`);
            else manifestText = Buffer.concat(chunks).toString('utf8');
            try {
              expectedFiles = (JSON.parse(manifestText ?? '{}') as { files?: unknown[] }).files?.length ?? 0;
            } catch {
              /* judged below */
            }
          });
          return;
        }
        const sha256 = createHash('sha256');
        const sha512 = createHash('sha512');
        let size = 0;
        entry.on('data', (chunk: Buffer) => {
          sha256.update(chunk);
          sha512.update(chunk);
          size += chunk.length;
        });
        entry.on('end', () => {
          seen.set(path, { size, sha256: sha256.digest('hex'), sha512: sha512.digest('hex') });
          report({ phase: 'verify', done: seen.size, total: expectedFiles });
        });
      },
    });
  } catch (error) {
    throw refuse(`the archive cannot be read (${(error as Error).message}); it is damaged or not a backup`);
  }
  if (manifestText === undefined) throw refuse(`it has no ${MANIFEST_NAME}${problems.length ? ` (${problems[0]})` : ''}`);
  let raw: unknown;
  try {
    raw = JSON.parse(manifestText);
  } catch {
    throw refuse(`${MANIFEST_NAME} is not JSON`);
  }
  const header = raw as { format?: unknown; formatVersion?: unknown; shelfVersion?: unknown };
  if (header.format !== BACKUP_FORMAT) throw refuse(`${MANIFEST_NAME} does not describe a Shelf backup`);
  if (typeof header.formatVersion === 'number' && header.formatVersion > BACKUP_FORMAT_VERSION)
    throw refuse(
      `it was made by a newer Shelf (${String(header.shelfVersion)}, backup format ${header.formatVersion}); upgrade Shelf to restore it`,
    );
  const parsed = BackupManifest.safeParse(raw);
  if (!parsed.success)
    throw refuse(
      `${MANIFEST_NAME} is malformed (${parsed.error.issues
        .slice(0, 3)
        .map((i) => `${i.path.join('.')}: ${i.message}`)
        .join('; ')})`,
    );
  const manifest = parsed.data;
  // A database from a newer Shelf has tables this one does not know; it would refuse to start on it.
  const newestSchema = Math.max(...MIGRATIONS.map((m) => m.version));
  if (manifest.schemaVersion > newestSchema)
    throw refuse(
      `it was made by a newer Shelf (${manifest.shelfVersion}, database schema ${manifest.schemaVersion}; this one knows up to ${newestSchema}); upgrade Shelf to restore it`,
    );

  const listed = new Set<string>();
  for (const expected of manifest.files) {
    if (listed.has(expected.path)) problems.push(`${expected.path} is listed twice in ${MANIFEST_NAME}`);
    listed.add(expected.path);
    const actual = seen.get(expected.path);
    if (!actual) problems.push(`${expected.path} is missing from the archive`);
    else if (actual.size !== expected.size) problems.push(`${expected.path} is ${actual.size} bytes, the manifest says ${expected.size}`);
    else if (actual.sha256 !== expected.sha256 || actual.sha512 !== expected.sha512)
      problems.push(`${expected.path} does not match its checksums (damaged)`);
    const blob = BLOB_PATH.exec(expected.path);
    if (blob && blob[3] !== expected.sha512) problems.push(`${expected.path} is stored under a name that is not its sha512`);
  }
  for (const path of seen.keys()) if (!listed.has(path)) problems.push(`${path} is in the archive but not in ${MANIFEST_NAME}`);
  if (!listed.has(DATABASE_NAME)) problems.push(`it holds no ${DATABASE_NAME}`);
  if (problems.length > 0)
    throw badRequest(
      `${file} failed verification, so nothing was written: ${problems.slice(0, 5).join('; ')}` +
        `${problems.length > 5 ? ` (and ${problems.length - 5} more problems)` : ''}. Restore from another copy of the backup`,
    );
  return manifest;
}

async function syncFolder(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
