// Owns unpacking one package tarball into its node_modules folder, refusing anything publishing would refuse.
import { linkSync, mkdirSync, symlinkSync, writeFile as writeFileCallback } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { pipeline } from 'node:stream/promises';
import * as tar from 'tar';
import { Parser, type ReadEntry } from 'tar';
import { DEFAULT_LIMITS, type Limits } from '../../config/config';
import { ShelfError } from '../../errors';
import { inspectTarball } from '../packer/inspect-tarball';

const gunzipAsync = promisify(gunzip);

export async function extractPackage(bytes: Buffer, dest: string, label: string, limits: Limits = DEFAULT_LIMITS): Promise<void> {
  // Same rules as publish: no absolute paths, no "..", no links leaving the package, no devices, bounded size.
  try {
    await inspectTarball(bytes, limits);
  } catch (error) {
    throw new ShelfError('invalid_request', `refusing to unpack ${label}: ${(error as Error).message}`, { cause: error });
  }
  mkdirSync(dest, { recursive: true });
  await pipeline(
    Readable.from([bytes]),
    tar.x({
      cwd: dest,
      strip: 1,
      preserveOwner: false,
      noMtime: true,
      strict: true,
      filter: (_path, entry) => {
        const type = (entry as { type?: string }).type;
        return (
          type === 'File' ||
          type === 'OldFile' ||
          type === 'ContiguousFile' ||
          type === 'Directory' ||
          type === 'SymbolicLink' ||
          type === 'Link'
        );
      },
    }),
  );
}

/** One entry of an unpacked package: a regular file, or a symbolic link with its target. Paths use forward slashes. */
export interface UnpackedFile {
  p: string;
  k: 'f' | 'l';
  t?: string;
}

/**
 * Unpacks an inspected tarball into `root` in one pass and lists what it wrote: files are created read-only with their
 * final mode (so no stat and chmod per file afterwards) and written on libuv's thread pool while this thread goes on
 * gunzipping and parsing; folders are made once each, in order, as the first path under them arrives. Entries tar.x would
 * also drop (at the archive root, devices) are skipped; `root` is left for the caller to discard if anything fails.
 */
export async function unpackInspected(
  bytes: Buffer,
  root: string,
  label: string,
  limits: Limits = DEFAULT_LIMITS,
): Promise<UnpackedFile[]> {
  // The inspection and a gunzip for the writer run together on libuv's thread pool; tar's own gunzip would run on this thread.
  const [, tarBytes] = await Promise.all([
    inspectTarball(bytes, limits).catch((error: unknown) => {
      throw new ShelfError('invalid_request', `refusing to unpack ${label}: ${(error as Error).message}`, { cause: error });
    }),
    // Bounded like the inspection, so a gzip bomb is not inflated here while the inspection refuses it.
    // Its own failure waits for the inspection's, which says what is wrong in words.
    gunzipAsync(bytes, { maxOutputLength: limits.maxUnpackedBytes }).catch((error: Error) => error),
  ]);
  if (tarBytes instanceof Error)
    throw new ShelfError('invalid_request', `refusing to unpack ${label}: ${tarBytes.message}`, { cause: tarBytes });
  mkdirSync(root, { recursive: true });
  const made = new Set<string>(['']);
  const ensureDir = (rel: string): void => {
    if (made.has(rel)) return;
    const slash = rel.lastIndexOf('/');
    ensureDir(slash < 0 ? '' : rel.slice(0, slash));
    try {
      mkdirSync(join(root, rel));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    made.add(rel);
  };
  const files = new Map<string, UnpackedFile>();
  /** The last write per path: a path that appears twice is written again once the first write is done (the later wins, as in tar.x). */
  const writes = new Map<string, Promise<void>>();
  const hardLinks: { path: string; target: string }[] = [];
  let failure: unknown;
  const parser = new Parser({ strict: true });
  // Errors are kept and thrown once the parser is done: thrown from inside its event they would escape the pipeline.
  parser.on('entry', (entry: ReadEntry) => {
    try {
      onEntry(entry);
    } catch (error) {
      failure ??= error;
      entry.resume();
    }
  });
  const onEntry = (entry: ReadEntry): void => {
    if (failure) return entry.resume();
    const path = stripTop(entry.path);
    if (path === undefined) return entry.resume();
    const slash = path.lastIndexOf('/');
    const parent = slash < 0 ? '' : path.slice(0, slash);
    if (entry.type === 'Directory') {
      ensureDir(path);
      return entry.resume();
    }
    if (entry.type === 'SymbolicLink') {
      ensureDir(parent);
      symlinkSync(entry.linkpath ?? '', join(root, path));
      files.set(path, { p: path, k: 'l', t: entry.linkpath ?? '' });
      return entry.resume();
    }
    if (entry.type === 'Link') {
      const target = stripTop(entry.linkpath ?? '');
      if (target !== undefined) hardLinks.push({ path, target });
      return entry.resume();
    }
    if (entry.type !== 'File' && entry.type !== 'OldFile' && entry.type !== 'ContiguousFile') return entry.resume();
    ensureDir(parent);
    // Read-only from the start, execute bits kept: the store's files are never edited in place (see unpacked-store.ts).
    const mode = ((entry.mode ?? 0) & 0o7777 || 0o644) & 0o555;
    const chunks: Buffer[] = [];
    entry.on('data', (chunk: Buffer) => chunks.push(chunk));
    entry.on('end', () => {
      const target = join(root, path);
      const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
      const previous = writes.get(path);
      const write = previous
        ? previous.then(() => rm(target, { force: true })).then(() => writeOnPool(target, body, mode))
        : writeOnPool(target, body, mode);
      // Awaited below; a failure is reported there, not as an unhandled rejection in between.
      write.catch(() => undefined);
      writes.set(path, write);
      files.set(path, { p: path, k: 'f' });
    });
  };
  await pipeline(Readable.from([tarBytes]), parser);
  await Promise.all(writes.values());
  if (failure) throw failure;
  for (const link of hardLinks) {
    linkSync(join(root, link.target), join(root, link.path));
    files.set(link.path, { p: link.path, k: 'f' });
  }
  return [...files.values()];
}

/** fs.writeFile with a callback: the promise API's FileHandle per file measured as a tenth of a cold install's main thread. */
function writeOnPool(path: string, body: Buffer, mode: number): Promise<void> {
  return new Promise((resolve, reject) => writeFileCallback(path, body, { mode }, (error) => (error ? reject(error) : resolve())));
}

/**
 * The path inside the package (the top folder stripped, as npm installs it), or undefined for an entry npm drops. The
 * inspection already refused absolute paths and ".." segments; they are refused again here because this writes files.
 */
function stripTop(raw: string): string | undefined {
  // Forward slashes only, as tar.x on Linux reads them (a backslash is part of a name there).
  const segments = raw.split('/').filter((s) => s !== '' && s !== '.');
  if (raw.startsWith('/') || /^[a-zA-Z]:/.test(raw) || segments.includes('..'))
    throw new ShelfError('invalid_request', `refusing to unpack the entry ${JSON.stringify(raw)}: its path leaves the package folder`);
  return segments.length < 2 ? undefined : segments.slice(1).join('/');
}
