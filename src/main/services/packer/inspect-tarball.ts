// Owns checking an uploaded npm package tarball (size, gzip, tar structure, entry paths and types, package.json) before it is stored.
import { posix } from 'node:path';
import { createGunzip } from 'node:zlib';
import { Parser, type ReadEntry } from 'tar';
import { formatBytes } from '../../../shared/format-bytes';
import type { Limits } from '../../config/config';
import { badRequest, type ShelfError, tooLarge } from '../../errors';

export interface TarballFile {
  /** Path inside the package, with the top-level folder stripped (as npm installs it). */
  path: string;
  size: number;
  mode: number;
}

export interface TarballInspection {
  /** The parsed package.json. */
  manifest: Record<string, unknown>;
  /** First path component of the package.json used, usually 'package'. */
  topFolder: string;
  /** Regular files only. */
  files: TarballFile[];
  /** Sum of the regular files' sizes. */
  unpackedSize: number;
}

const BLOCK = 512;
const REPACK = 'pack it again with `npm pack`';
const REGULAR_TYPES = new Set(['File', 'OldFile', 'ContiguousFile']);
const LINK_TYPES = new Set(['Link', 'SymbolicLink']);
const TYPE_NAMES: Record<string, string> = {
  CharacterDevice: 'a character device',
  BlockDevice: 'a block device',
  FIFO: 'a FIFO (named pipe)',
};

export async function inspectTarball(bytes: Buffer, limits: Limits): Promise<TarballInspection> {
  // Cheap refusals first, so nothing is inflated for a doomed upload.
  if (bytes.length > limits.maxTarballBytes) {
    throw tooLarge(
      `tarball is ${formatBytes(bytes.length)}, over this registry's ${formatBytes(limits.maxTarballBytes)} limit (--max-tarball-size); leave large files out of the package ("files" in package.json or .npmignore) or raise the limit`,
    );
  }
  if (bytes.length < 2 || bytes[0] !== 0x1f || bytes[1] !== 0x8b) {
    throw badRequest(
      'tarball is not gzip-compressed (it does not start with the gzip bytes 1f 8b); upload the .tgz file that `npm pack` produces',
    );
  }
  return new Promise((resolve, reject) => new Inspector(limits, resolve, reject).run(bytes));
}

/** One inspection: streams the gunzipped bytes into tar's parser and judges each entry as it is announced. */
class Inspector {
  private readonly gunzip = createGunzip();
  // Strict turns every tar warning (bad checksum, truncation, not a tar at all) into an error we refuse on.
  // zstd: false stops the parser sniffing for a second compression layer we have not size-limited.
  private readonly parser = new Parser({ strict: true, zstd: false });
  private failed = false;
  /** Set once the first gunzipped bytes have been looked at. */
  private sniffed = false;
  /** Set when tar reads the end-of-archive marker; it ignores whatever follows, and so do we. */
  private atEnd = false;
  private unpackedBytes = 0;
  private entryCount = 0;
  /** Gunzipped bytes not yet given to the parser. */
  private pending: Buffer = Buffer.alloc(0);
  /** Bytes known to be entry bodies, which can go to the parser in bulk. */
  private bodyBytesLeft = 0;
  /** The raw 512-byte block being parsed when it may be a header; tar decodes names only up to the first NUL. */
  private rawHeader: Buffer | undefined;
  private readonly files: TarballFile[] = [];
  /** package.json bodies by top-level folder, in order of first appearance; a later duplicate wins, as on unpack. */
  private readonly manifests = new Map<string, Buffer>();

  constructor(
    private readonly limits: Limits,
    private readonly resolve: (inspection: TarballInspection) => void,
    private readonly reject: (error: unknown) => void,
  ) {}

  run(bytes: Buffer): void {
    this.gunzip.on('data', (chunk: Buffer) => this.onInflated(chunk));
    this.gunzip.on('end', () => this.guard(() => this.finishParsing()));
    this.gunzip.on('error', (error: Error) =>
      this.fail(badRequest(`tarball is not valid gzip (${error.message}); it may be truncated or damaged, so ${REPACK}`)),
    );
    this.parser.on('entry', (entry: ReadEntry) => this.onEntry(entry));
    this.parser.on('ignoredEntry', (entry: ReadEntry) => this.onIgnoredEntry(entry));
    this.parser.on('meta', (meta: string) => this.onMeta(meta));
    this.parser.on('eof', () => (this.atEnd = true));
    this.parser.on('error', (error: Error) => this.fail(badRequest(`tarball is not a valid tar archive (${error.message}); ${REPACK}`)));
    this.parser.on('end', () => this.guard(() => this.resolve(this.result())));
    this.gunzip.end(bytes);
  }

  private onInflated(chunk: Buffer): void {
    if (this.failed) return;
    this.unpackedBytes += chunk.length;
    // The gzip-bomb guard: stop inflating the moment the limit is passed, whatever the rest holds.
    if (this.unpackedBytes > this.limits.maxUnpackedBytes) {
      this.fail(
        tooLarge(
          `tarball unpacks to more than ${formatBytes(this.limits.maxUnpackedBytes)}, this registry's limit (--max-unpacked-size); leave large files out of the package ("files" in package.json or .npmignore) or raise the limit`,
        ),
      );
      return;
    }
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    this.guard(() => this.feed());
  }

  /**
   * Hands gunzipped bytes to the parser: entry bodies in bulk, everything else one block at a time, so that
   * when the parser announces an entry (it does so synchronously) `rawHeader` is the block it came from.
   */
  private feed(): void {
    if (!this.sniffed && this.pending.length >= 2) {
      this.sniffed = true;
      if (this.pending[0] === 0x1f && this.pending[1] === 0x8b) {
        // tar would silently inflate a second layer, outside the size guard above.
        throw badRequest('tarball is gzip-compressed twice; upload the .tgz file that `npm pack` produces as it is');
      }
    }
    while (!this.failed) {
      if (this.atEnd) {
        // Still inflated (and counted) to the end, but never handed on: tar would only pile it up in a buffer.
        this.pending = Buffer.alloc(0);
        return;
      } else if (this.bodyBytesLeft > 0 && this.pending.length > 0) {
        const n = Math.min(this.bodyBytesLeft, this.pending.length);
        this.bodyBytesLeft -= n;
        this.write(n);
      } else if (this.bodyBytesLeft === 0 && this.pending.length >= BLOCK) {
        this.rawHeader = this.pending.subarray(0, BLOCK);
        this.write(BLOCK);
        this.rawHeader = undefined;
      } else {
        return;
      }
    }
  }

  private write(n: number): void {
    const chunk = this.pending.subarray(0, n);
    this.pending = this.pending.subarray(n);
    this.parser.write(chunk);
  }

  private finishParsing(): void {
    // A partial block left over means the tar is truncated; the parser reports that once it has it.
    if (this.pending.length && !this.atEnd) this.parser.write(this.pending);
    this.pending = Buffer.alloc(0);
    this.parser.end();
  }

  private onEntry(entry: ReadEntry): void {
    this.countEntry();
    const raw = this.rawHeader;
    if (!raw) throw new Error(`tar announced entry ${entry.path} away from its header block`);
    // The entry's body follows its header directly, so it can be passed through without block-by-block care.
    this.bodyBytesLeft = entry.startBlockSize;
    checkRawNames(raw, entry.path);
    checkPath(entry.path);

    const parts = entry.path.split('/');
    const top = parts[0] ?? '';
    if (LINK_TYPES.has(entry.type)) {
      checkLink(entry, top);
    } else if (REGULAR_TYPES.has(entry.type)) {
      // Entries at the root have no folder for npm to strip, so npm drops them on install; so do we.
      if (parts.length > 1) {
        this.files.push({ path: parts.slice(1).join('/'), size: entry.size, mode: entry.mode ?? 0 });
        if (parts.length === 2 && parts[1] === 'package.json') {
          this.collectManifest(entry, top);
          return;
        }
      }
    } else if (entry.type !== 'Directory') {
      throw unsupported(entry);
    }
    // Unread bodies must still be drained, or the parser waits on this entry forever.
    entry.resume();
  }

  /** Entries tar skips itself: unknown types, and metadata headers too large for it to apply. */
  private onIgnoredEntry(entry: ReadEntry): void {
    this.countEntry();
    if (entry.meta) {
      throw badRequest(`tarball has a metadata header (${entry.type}) of ${formatBytes(entry.size)}, too large to read safely; ${REPACK}`);
    }
    throw unsupported(entry);
  }

  /** Bodies of pax and GNU long-name headers: a NUL inside would be cut off by tar, hiding part of a name. */
  private onMeta(meta: string): void {
    if (meta.replace(/\0+$/, '').includes('\0')) {
      const shown = JSON.stringify(meta.slice(0, 200));
      throw badRequest(
        `tarball has an extended header with a NUL byte in an entry name (${shown}); names must not contain NUL, so ${REPACK}`,
      );
    }
  }

  private countEntry(): void {
    this.entryCount += 1;
    if (this.entryCount > this.limits.maxTarballEntries) {
      throw tooLarge(
        `tarball has more than ${this.limits.maxTarballEntries} entries, this registry's limit; leave generated files and dependencies out of the package ("files" in package.json or .npmignore)`,
      );
    }
  }

  private collectManifest(entry: ReadEntry, top: string): void {
    const chunks: Buffer[] = [];
    entry.on('data', (chunk: Buffer) => chunks.push(chunk));
    entry.on('end', () => this.manifests.set(top, Buffer.concat(chunks)));
  }

  private result(): TarballInspection {
    const topFolder = this.manifests.has('package') ? 'package' : this.manifests.keys().next().value;
    const body = topFolder === undefined ? undefined : this.manifests.get(topFolder);
    if (topFolder === undefined || body === undefined) {
      throw badRequest(
        'tarball has no package.json in its top-level folder (npm expects package/package.json, a regular file); run `npm pack` in the folder that holds package.json and upload what it makes',
      );
    }
    const where = `${topFolder}/package.json`;
    let manifest: unknown;
    try {
      // npm tolerates a byte-order mark, so a package saved with one must not be refused.
      manifest = JSON.parse(body.toString('utf8').replace(/^\uFEFF/, ''));
    } catch (error) {
      throw badRequest(`${where} in the tarball is not valid JSON (${(error as Error).message}); fix it and ${REPACK}`);
    }
    if (typeof manifest !== 'object' || manifest === null || Array.isArray(manifest)) {
      throw badRequest(
        `${where} in the tarball must hold a JSON object, not ${Array.isArray(manifest) ? 'an array' : String(manifest)}; fix it and ${REPACK}`,
      );
    }
    const unpackedSize = this.files.reduce((sum, file) => sum + file.size, 0);
    return { manifest: manifest as Record<string, unknown>, topFolder, files: this.files, unpackedSize };
  }

  /** Runs a step whose refusals are thrown, turning them into the inspection's one rejection. */
  private guard(step: () => void): void {
    if (this.failed) return;
    try {
      step();
    } catch (error) {
      this.fail(error);
    }
  }

  private fail(error: unknown): void {
    if (this.failed) return;
    this.failed = true;
    // Stop inflating and parsing: nothing after the first refusal matters.
    this.gunzip.destroy();
    this.bodyBytesLeft = 0;
    this.pending = Buffer.alloc(0);
    this.reject(error);
  }
}

/**
 * In a raw ustar header a name ends at its first NUL and the rest of the field must be NUL padding;
 * anything after it is a name other tools may read differently from tar.
 */
function checkRawNames(raw: Buffer, path: string): void {
  const fields: [number, number][] = [
    [0, 100], // name
    [157, 100], // linkname
  ];
  // The prefix field exists only in POSIX ustar headers; tar reads 155 bytes of it, or 130 when times follow.
  if (raw.subarray(257, 265).toString('latin1') === 'ustar\u000000') fields.push([345, raw[475] !== 0 ? 155 : 130]);
  for (const [offset, length] of fields) {
    const field = raw.subarray(offset, offset + length);
    const nul = field.indexOf(0);
    if (nul !== -1 && field.subarray(nul).some((byte) => byte !== 0)) {
      const name = JSON.stringify(field.toString('utf8').replace(/\0+$/, ''));
      throw badRequest(
        `tarball entry ${name} (read by tar as ${JSON.stringify(path)}) has a NUL byte in its name; names must not contain NUL, so ${REPACK}`,
      );
    }
  }
}

/** Refuses names that could land outside the install folder on any platform, so backslashes count as separators. */
function checkPath(path: string): void {
  const shown = JSON.stringify(path);
  if (path.includes('\0')) throw badRequest(`tarball entry ${shown} has a NUL byte in its name; names must not contain NUL, so ${REPACK}`);
  if (isAbsolute(path)) {
    throw badRequest(`tarball entry ${shown} has an absolute path; entries must be relative to the package folder, so ${REPACK}`);
  }
  if (path.split(/[\\/]/).includes('..')) {
    throw badRequest(`tarball entry ${shown} has a ".." path segment, which could write outside the package folder; ${REPACK}`);
  }
}

/** Links may point anywhere inside the entry's own top-level folder, and nowhere else. */
function checkLink(entry: ReadEntry, top: string): void {
  const kind = entry.type === 'Link' ? 'hard link' : 'symbolic link';
  const target = entry.linkpath ?? '';
  const problem = `tarball entry ${JSON.stringify(entry.path)} is a ${kind} to ${JSON.stringify(target)}`;
  if (target.includes('\0')) throw badRequest(`${problem}, a name with a NUL byte; ${REPACK}`);
  if (isAbsolute(target)) throw badRequest(`${problem}, an absolute path; make the link relative and inside the package, or leave it out`);
  const slashed = (p: string): string => p.replaceAll('\\', '/');
  // A hard link's target is a path in the archive; a symbolic link's is relative to the link's own folder.
  const resolved =
    entry.type === 'Link'
      ? posix.normalize(slashed(target))
      : posix.normalize(posix.join(posix.dirname(slashed(entry.path)), slashed(target)));
  const inside = entry.type === 'Link' ? resolved.startsWith(`${top}/`) : resolved === top || resolved.startsWith(`${top}/`);
  if (!inside) {
    throw badRequest(
      `${problem}, which points outside the package folder "${top}"; make the link point inside the package, or leave it out`,
    );
  }
}

/** POSIX absolute, Windows drive (C:\x, C:/x, even drive-relative C:x) and UNC or root-relative (\\server\x, \x) forms. */
function isAbsolute(path: string): boolean {
  return path.startsWith('/') || path.startsWith('\\') || /^[a-zA-Z]:/.test(path);
}

function unsupported(entry: ReadEntry): ShelfError {
  const what = TYPE_NAMES[entry.type] ?? `an entry of unsupported type ${entry.type} ('${entry.header.typeKey}')`;
  return badRequest(
    `tarball entry ${JSON.stringify(entry.path)} is ${what}; packages may only contain files, folders and links, so leave it out and ${REPACK}`,
  );
}
