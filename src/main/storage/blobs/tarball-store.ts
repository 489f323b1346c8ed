// TarballStore: the blob store's folder adapter (the default): content-addressed tarballs in <data-dir>/blobs, keyed by
// their sha512; written atomically (temp file + fsync + rename + fsync of the folder), deduplicated.
import { createReadStream, mkdirSync, readdirSync, renameSync, rmSync, statSync, unlinkSync, type ReadStream } from 'node:fs';
import { mkdir, open, readFile, readdir, rename, stat, unlink, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { outOfSpace, readOnlyStorage, storageFailureOf } from '../../errors';
import {
  WHOLE_READ_MAX_BYTES,
  hexOf,
  integrityOfHex,
  type BlobBody,
  type BlobEntry,
  type BlobStore,
  type IsReferenced,
  type StrayFile,
} from './blob-store';
import { Claims } from './claims';
import { HOT_BLOB_BYTES, HotBlobs } from './hot-blobs';
import { RecycledFileStream } from './recycled-file-stream';

export { WHOLE_READ_MAX_BYTES } from './blob-store';
export type { BlobEntry, StrayFile } from './blob-store';

export interface TarballStoreOptions {
  /** Shelf started on a full disk: every write is refused with a 507 before it touches the disk. */
  readOnly?: boolean;
  /** Memory for recently sent small tarballs (HOT_BLOB_BYTES by default; 0 turns it off). */
  hotCacheBytes?: number;
  /** Leave temp files of dead writers for the caller to report (fsck); by default they are deleted at once. */
  keepTempFiles?: boolean;
}

/**
 * Read size of a streamed (large) tarball: fs's default 64 KB made a 20 MB GET 320 reads and 320 socket writes, each a
 * trip through libuv's thread pool and the event loop; 1 MB makes 20 (issue 16, bench/16-tarball-ceiling.mjs). Memory
 * per concurrent large download stays about two reads' worth (the stream's buffer and the socket's), reused from read to
 * read (recycled-file-stream.ts).
 */
const STREAM_READ_BYTES = 1024 * 1024;

export class TarballStore implements BlobStore {
  readonly kind = 'folder';
  readonly location: string;
  private readonly root: string;
  private readonly tmpDir: string;
  private tmpCounter = 0;
  private readonly claims = new Claims();
  /** Recently sent small tarballs (hot-blobs.ts). */
  private readonly hot: HotBlobs;
  readonly readOnly: boolean;

  constructor(
    private readonly dataDir: string,
    options: TarballStoreOptions = {},
  ) {
    this.location = join(dataDir, 'blobs');
    this.root = join(dataDir, 'blobs', 'sha512');
    this.tmpDir = join(dataDir, 'blobs', 'tmp');
    this.readOnly = options.readOnly ?? false;
    this.hot = new HotBlobs(options.hotCacheBytes ?? HOT_BLOB_BYTES);
    mkdirSync(this.root, { recursive: true });
    mkdirSync(this.tmpDir, { recursive: true });
    // A temp file here was a write interrupted by a crash; it was never committed, so it can go. Only files of processes
    // that are gone: another Shelf process (a CLI command next to `shelf serve`) may be writing one right now. A file
    // named after our own pid is from an earlier process that had it (pids are reused, in containers especially).
    for (const name of options.keepTempFiles ? [] : readdirSync(this.tmpDir)) {
      if (!isLiveWriter(name, false)) rmSync(join(this.tmpDir, name), { force: true });
    }
  }

  /** sha512 integrity string ("sha512-<base64>") → file path; fans out by the first bytes of the hex digest. */
  pathFor(integrity: string): string {
    const hex = hexOf(integrity);
    return join(this.root, hex.slice(0, 2), hex.slice(2, 4), hex);
  }

  where(integrity: string): string {
    return this.pathFor(integrity);
  }

  async has(integrity: string): Promise<boolean> {
    try {
      await stat(this.pathFor(integrity));
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Writes the bytes under their integrity: temp file, fsync, rename, fsync of the folder.
   * Writing what is already there is a no-op, so two packages with the same tarball share one file; the file's time is
   * refreshed then, so that a collector in another process counts its grace period from this write.
   * A full disk is a 507 naming the data folder, and the partial temp file is deleted at once.
   */
  async put(integrity: string, bytes: Buffer): Promise<void> {
    const target = this.pathFor(integrity);
    await this.claims.around(integrity, async () => {
      try {
        if (this.readOnly) throw readOnlyStorage(this.dataDir);
        if (await touch(target)) return;
        await this.write(target, bytes);
      } catch (error) {
        if (storageFailureOf(error) === 'full') throw outOfSpace(this.dataDir, bytes.length, error);
        throw error;
      }
    });
  }

  private async write(target: string, bytes: Buffer): Promise<void> {
    const dir = join(target, '..');
    await mkdir(dir, { recursive: true });
    const tmp = join(this.tmpDir, `${process.pid}-${Date.now()}-${this.tmpCounter++}`);
    const handle = await open(tmp, 'wx');
    try {
      try {
        await handle.writeFile(bytes);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(tmp, target);
    } catch (error) {
      // A failed write (a full disk, most often) leaves nothing behind in blobs/tmp.
      await unlink(tmp).catch(() => undefined);
      throw error;
    }
    const dirHandle = await open(dir, 'r');
    try {
      await dirHandle.sync();
    } finally {
      await dirHandle.close();
    }
  }

  /** Whether a write in this process is working with this blob now (see `claims`). */
  isClaimed(integrity: string): boolean {
    return this.claims.has(integrity);
  }

  /** Size in bytes, or undefined when the blob is missing. Synchronous: the folder's own (tests and fsck of a folder). */
  sizeOf(integrity: string): number | undefined {
    try {
      return statSync(this.pathFor(integrity)).size;
    } catch {
      return undefined;
    }
  }

  async size(integrity: string): Promise<number | undefined> {
    try {
      return (await stat(this.pathFor(integrity))).size;
    } catch {
      return undefined;
    }
  }

  async read(integrity: string): Promise<Buffer | undefined> {
    try {
      return await readFile(this.pathFor(integrity));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  async stream(integrity: string): Promise<ReadStream> {
    const path = this.pathFor(integrity);
    // Opened before it is handed out, so a missing blob rejects here rather than as a stream error mid-response.
    const handle = await open(path, 'r');
    return createReadStream(path, { fd: handle });
  }

  /**
   * A blob's bytes for sending: a buffer when it is at most WHOLE_READ_MAX_BYTES (one read and one socket write, where a
   * stream makes sixteen of each: 1.4× the throughput for a 1 MB tarball, bench/03-tarball.mjs), else a stream.
   */
  async open(integrity: string): Promise<BlobBody | undefined> {
    const kept = this.hot.get(integrity);
    if (kept) return { body: kept, size: kept.length };
    const size = this.sizeOf(integrity);
    if (size === undefined) return undefined;
    if (size > WHOLE_READ_MAX_BYTES) return { body: new RecycledFileStream(this.pathFor(integrity), STREAM_READ_BYTES), size };
    const body = await readFile(this.pathFor(integrity));
    this.hot.keep(integrity, body);
    return { body, size: body.length };
  }

  /**
   * Deletes a blob its caller found unreferenced. Synchronous, so that no write can interleave between the caller's check
   * and the unlink; a blob a write is working with right now is left for the collector instead.
   */
  async remove(integrity: string): Promise<void> {
    if (this.claims.has(integrity)) return;
    this.hot.forget(integrity);
    this.unlinkQuietly(this.pathFor(integrity));
  }

  /**
   * The collector's delete: removes the blob only if no write claims it, it is older than `olderThanMs` (epoch ms) and
   * `isReferenced` says no row points at it, all checked and done in one synchronous step when `isReferenced` answers
   * synchronously (SQLite). Returns the bytes freed, or undefined when the blob stays.
   */
  async collect(integrity: string, olderThanMs: number, isReferenced: IsReferenced): Promise<number | undefined> {
    if (this.claims.has(integrity)) return undefined;
    const path = this.pathFor(integrity);
    let size: number;
    try {
      const stats = statSync(path);
      if (stats.mtimeMs > olderThanMs) return undefined;
      size = stats.size;
    } catch {
      return undefined;
    }
    const referenced = isReferenced(integrity);
    if (typeof referenced === 'boolean' ? referenced : await referenced) return undefined;
    // An asynchronous answer let other work run: a write that started meanwhile claims the blob or refreshed its time.
    if (typeof referenced !== 'boolean' && (this.claims.has(integrity) || this.mtimeOf(path) > olderThanMs)) return undefined;
    this.hot.forget(integrity);
    this.unlinkQuietly(path);
    return size;
  }

  private mtimeOf(path: string): number {
    try {
      return statSync(path).mtimeMs;
    } catch {
      return Number.POSITIVE_INFINITY;
    }
  }

  /**
   * Deletes a temp file older than `olderThanMs` whose writer is gone (or older than a day whoever has its pid now: a
   * write takes seconds); returns the bytes freed, or undefined when the file stays.
   */
  async collectTemp(path: string, olderThanMs: number, nowMs: number): Promise<number | undefined> {
    const name = path.slice(this.tmpDir.length + 1);
    if (path !== join(this.tmpDir, name)) return undefined;
    try {
      const stats = statSync(path);
      if (stats.mtimeMs > olderThanMs) return undefined;
      if (isLiveWriter(name, true) && nowMs - stats.mtimeMs < TEMP_FILE_MAX_AGE_MS) return undefined;
      this.unlinkQuietly(path);
      return stats.size;
    } catch {
      return undefined;
    }
  }

  /** Moves a blob whose bytes do not match its name out of the store (to blobs/quarantine/), keeping it for inspection. */
  async quarantine(integrity: string): Promise<string> {
    this.hot.forget(integrity);
    const from = this.pathFor(integrity);
    const dir = join(this.dataDir, 'blobs', 'quarantine');
    mkdirSync(dir, { recursive: true });
    const to = join(dir, from.slice(from.lastIndexOf('/') + 1));
    rmSync(to, { force: true });
    renameSync(from, to);
    return to;
  }

  /** Every stored blob, one fan-out folder at a time (so a big store never blocks the event loop for long). */
  async *entries(onStray?: (file: StrayFile) => void): AsyncGenerator<BlobEntry> {
    for (const a of await listDir(this.root)) {
      for (const b of await listDir(join(this.root, a))) {
        const dir = join(this.root, a, b);
        for (const name of await listDir(dir)) {
          const path = join(dir, name);
          let stats;
          try {
            stats = await stat(path);
          } catch {
            continue; // removed meanwhile
          }
          if (!/^[0-9a-f]{128}$/.test(name) || name.slice(0, 2) !== a || name.slice(2, 4) !== b || !stats.isFile()) {
            onStray?.({ path, size: stats.size, mtimeMs: stats.mtimeMs });
            continue;
          }
          yield { integrity: integrityOfHex(name), path, size: stats.size, mtimeMs: stats.mtimeMs };
        }
      }
    }
  }

  /** Files in blobs/tmp: writes in progress, or left by a crash. */
  async tempFiles(): Promise<StrayFile[]> {
    const files: StrayFile[] = [];
    for (const name of await listDir(this.tmpDir)) {
      const path = join(this.tmpDir, name);
      try {
        const stats = await stat(path);
        files.push({ path, size: stats.size, mtimeMs: stats.mtimeMs });
      } catch {
        /* finished meanwhile */
      }
    }
    return files;
  }

  async check(): Promise<void> {
    // The folder was created (or found) by the constructor; a failure to write there is reported by the write.
  }

  async close(): Promise<void> {
    // Nothing held open: every read and write opens and closes its own file.
  }

  private unlinkQuietly(path: string): void {
    try {
      unlinkSync(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
}

/** Refreshes a stored blob's time; false when there is none. */
async function touch(path: string): Promise<boolean> {
  const now = new Date();
  try {
    await utimes(path, now, now);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return false;
    // An odd permission must not fail a write of what is already there.
    return stat(path).then(
      () => true,
      () => false,
    );
  }
}

async function listDir(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).sort();
  } catch {
    return [];
  }
}

/** A temp file older than this is garbage whoever has its writer's pid now. */
const TEMP_FILE_MAX_AGE_MS = 24 * 60 * 60 * 1000;

/** Temp files are named `<pid>-<time>-<n>`: whether the process that writes it may still be running. */
function isLiveWriter(tempName: string, ownPidIsLive: boolean): boolean {
  const pid = Number.parseInt(tempName, 10);
  if (!Number.isInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return ownPidIsLive;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: a process of another user has that pid; it cannot be writing into our folder, but be conservative.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
