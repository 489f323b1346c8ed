// Owns unpacking one package tarball into its node_modules folder, refusing anything publishing would refuse.
import { mkdirSync } from 'node:fs';
import { Readable, Transform } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { pipeline } from 'node:stream/promises';
import * as tar from 'tar';
import { Parser, type ReadEntry } from 'tar';
import { DEFAULT_LIMITS, type Limits } from '../../config/config';
import { ShelfError } from '../../errors';
import { inspectTarball } from '../packer/inspect-tarball';

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

/** One thing to write into a store entry, in archive order: a folder, a regular file with its mode and bytes, or a symbolic link. */
export type UnpackOp = { p: string; k: 'd' } | { p: string; k: 'f'; m: number; b: Uint8Array } | { p: string; k: 'l'; t: string };

/** An inspected tarball, parsed and ready to write: the entries (the last one per path wins, as in tar.x), then the hard links. */
export interface UnpackPlan {
  ops: UnpackOp[];
  hardLinks: { path: string; target: string }[];
}

/** Output chunks of the unpacking gunzip: a sixteenth of the callbacks (and their buffers) of zlib's default 16 KB. */
const GUNZIP_CHUNK = 256 * 1024;

/**
 * Parses a tarball into what is to be written, without writing anything: the inspection publish applies runs alongside
 * (both gunzips on libuv's thread pool, the parses here) and must pass before the plan is returned, so no byte of a
 * refused tarball ever reaches the disk. The writing (a system call or three per file) is left to the caller's link
 * threads, which keeps this thread free for the network. Unpacked bytes are counted against the same limit as the
 * inspection's, so a gzip bomb is not inflated here while the inspection refuses it. Entries tar.x would also drop (at
 * the archive root, devices) are skipped.
 */
export async function parseInspected(bytes: Buffer, label: string, limits: Limits = DEFAULT_LIMITS): Promise<UnpackPlan> {
  const refuse = (error: unknown): ShelfError =>
    error instanceof ShelfError && error.message.startsWith('refusing')
      ? error
      : new ShelfError('invalid_request', `refusing to unpack ${label}: ${(error as Error).message}`, { cause: error });
  const [, parsed] = await Promise.all([
    inspectTarball(bytes, limits).catch((error: unknown) => {
      throw refuse(error);
    }),
    // Its own failure waits for the inspection's, which says what is wrong in words.
    parseTarball(bytes, limits).catch((error: unknown) => (error instanceof Error ? error : new Error(String(error)))),
  ]);
  if (parsed instanceof Error) throw refuse(parsed);
  return parsed;
}

function parseTarball(bytes: Buffer, limits: Limits): Promise<UnpackPlan> {
  const ops = new Map<string, UnpackOp>();
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
  /** A path seen again replaces its earlier entry (the later wins, as in tar.x); the list keeps the first position. */
  const put = (op: UnpackOp): void => {
    ops.set(op.p, op);
  };
  const onEntry = (entry: ReadEntry): void => {
    if (failure) return entry.resume();
    const path = stripTop(entry.path);
    if (path === undefined) return entry.resume();
    if (entry.type === 'Directory') {
      if (!ops.has(path)) put({ p: path, k: 'd' });
      return entry.resume();
    }
    if (entry.type === 'SymbolicLink') {
      put({ p: path, k: 'l', t: entry.linkpath ?? '' });
      return entry.resume();
    }
    if (entry.type === 'Link') {
      const target = stripTop(entry.linkpath ?? '');
      if (target !== undefined) hardLinks.push({ path, target });
      return entry.resume();
    }
    if (entry.type !== 'File' && entry.type !== 'OldFile' && entry.type !== 'ContiguousFile') return entry.resume();
    // Read-only from the start, execute bits kept: the store's files are never edited in place (see unpacked-store.ts).
    const mode = ((entry.mode ?? 0) & 0o7777 || 0o644) & 0o555;
    // Each body in a buffer of its own (not a view into the gunzip's chunks, nor Node's shared pool), so it can be
    // handed to a link thread without a copy, and the chunks are freed as soon as they are parsed.
    const body = Buffer.allocUnsafeSlow(entry.size ?? 0);
    let filled = 0;
    entry.on('data', (chunk: Buffer) => {
      filled += chunk.copy(body, filled);
    });
    entry.on('end', () => put({ p: path, k: 'f', m: mode, b: filled === body.length ? body : body.subarray(0, filled) }));
  };
  let inflated = 0;
  const gunzip = createGunzip({ chunkSize: GUNZIP_CHUNK });
  const bound = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      inflated += chunk.length;
      if (inflated > limits.maxUnpackedBytes) callback(new Error(`it unpacks to more than ${limits.maxUnpackedBytes} bytes`));
      else callback(null, chunk);
    },
  });
  return pipeline(Readable.from([bytes]), gunzip, bound, parser).then(() => {
    if (failure) throw failure;
    return { ops: [...ops.values()], hardLinks };
  });
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
