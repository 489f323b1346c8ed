// Owns checking an uploaded package archive (size, gzip, tar structure, entry paths and types, its manifest) before it is
// stored: npm tarballs (package/package.json), and for the REST API also the seed registries' formats, whose manifest
// (synapse.json, vais.toml) sits at the archive root beside the sources (ecosystems/seed-manifests.ts).
import { posix } from 'node:path';
import { createGunzip } from 'node:zlib';
import { Parser, type ReadEntry } from 'tar';
import { formatBytes } from '../../../shared/format-bytes';
import type { Limits } from '../../config/config';
import { badRequest, type ShelfError, tooLarge } from '../../errors';
import { readSeedManifest, SEED_MANIFESTS, type Ecosystem, type SeedEcosystem } from './ecosystems/seed-manifests';

export interface TarballFile {
  /** Path inside the package: for npm with the top-level folder stripped (as npm installs it), for a seed archive as it is. */
  path: string;
  size: number;
  mode: number;
}

export interface TarballInspection {
  /** The parsed package.json, or a seed manifest read as one (name, version, dependencies, descriptive fields). */
  manifest: Record<string, unknown>;
  /** First path component of the package.json used, usually 'package'; '' for a seed archive (its root is the package). */
  topFolder: string;
  /** Which format the archive is: npm's, or a seed registry's. */
  ecosystem: Ecosystem;
  /** The manifest read, as a path in the archive: 'package/package.json', 'synapse.json' or 'vais.toml'. */
  manifestFile: string;
  /** Regular files only. */
  files: TarballFile[];
  /** Sum of the regular files' sizes. */
  unpackedSize: number;
}

export interface InspectOptions {
  /** The formats accepted; npm's alone unless said otherwise (only the REST API's publish takes the seed formats). */
  ecosystems?: readonly Ecosystem[];
}

/** Every format Shelf stores: for reading back an archive that was accepted when it was published. */
export const ALL_ECOSYSTEMS: readonly Ecosystem[] = ['npm', 'synapse', 'vais'];

const BLOCK = 512;
const REPACK = 'pack it again with `npm pack`';
const REGULAR_TYPES = new Set(['File', 'OldFile', 'ContiguousFile']);
const LINK_TYPES = new Set(['Link', 'SymbolicLink']);
const TYPE_NAMES: Record<string, string> = {
  CharacterDevice: 'a character device',
  BlockDevice: 'a block device',
  FIFO: 'a FIFO (named pipe)',
};

export async function inspectTarball(bytes: Buffer, limits: Limits, options: InspectOptions = {}): Promise<TarballInspection> {
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
  const ecosystems = new Set<Ecosystem>(options.ecosystems ?? ['npm']);
  return new Promise((resolve, reject) => new Inspector(limits, ecosystems, resolve, reject).run(bytes));
}

/** One inspection: streams the gunzipped bytes into tar's parser and judges each entry as it is announced. */
class Inspector {
  // 256 KB output chunks, not zlib's 16 KB: a sixteenth of the callbacks and copies on the event loop (it was the main
  // thread's largest item in a cold `shelf install`, which inspects every tarball). The bomb guard still stops at the
  // first chunk past the limit.
  private readonly gunzip = createGunzip({ chunkSize: 256 * 1024 });
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
  /** Seed archives: every regular file with its whole path, and the manifests found at the root. */
  private readonly rootFiles: TarballFile[] = [];
  private readonly seedManifests = new Map<SeedEcosystem, Buffer>();
  /** Links, judged against their top-level folder once the archive turns out to be npm's (seed archives: the root). */
  private readonly links: { path: string; type: string; target: string }[] = [];

  constructor(
    private readonly limits: Limits,
    private readonly ecosystems: ReadonlySet<Ecosystem>,
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
      if (this.ecosystems.size === 1 && this.ecosystems.has('npm')) {
        checkLink(entry.path, entry.type, entry.linkpath ?? '', top);
      } else {
        // Where the package root is is known only at the end; a link may never leave the archive, whatever it is.
        checkLink(entry.path, entry.type, entry.linkpath ?? '', undefined);
        this.links.push({ path: entry.path, type: entry.type, target: entry.linkpath ?? '' });
      }
    } else if (REGULAR_TYPES.has(entry.type)) {
      if (this.ecosystems.size > 1 || !this.ecosystems.has('npm')) {
        const whole = entry.path.replace(/^(?:\.\/)+/, '');
        this.rootFiles.push({ path: whole, size: entry.size, mode: entry.mode ?? 0 });
        const seed = (Object.keys(SEED_MANIFESTS) as SeedEcosystem[]).find((e) => this.ecosystems.has(e) && SEED_MANIFESTS[e] === whole);
        if (seed) {
          this.collectBody(entry, (body) => this.seedManifests.set(seed, body));
          return;
        }
      }
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
    this.collectBody(entry, (body) => this.manifests.set(top, body));
  }

  private collectBody(entry: ReadEntry, done: (body: Buffer) => void): void {
    const chunks: Buffer[] = [];
    entry.on('data', (chunk: Buffer) => chunks.push(chunk));
    entry.on('end', () => done(Buffer.concat(chunks)));
  }

  private result(): TarballInspection {
    const topFolder = this.manifests.has('package') ? 'package' : this.manifests.keys().next().value;
    const body = topFolder === undefined ? undefined : this.manifests.get(topFolder);
    if ((topFolder === undefined || body === undefined || !this.ecosystems.has('npm')) && this.seedManifests.size > 0) {
      return this.seedResult();
    }
    if (topFolder === undefined || body === undefined || !this.ecosystems.has('npm')) {
      if (this.ecosystems.size > 1 || !this.ecosystems.has('npm')) {
        const seeds = [...this.ecosystems].filter((e): e is SeedEcosystem => e !== 'npm');
        throw badRequest(
          `the archive holds no manifest Shelf knows: ${[
            ...(this.ecosystems.has('npm') ? ['an npm package has package/package.json'] : []),
            ...seeds.map((e) => `a ${e === 'synapse' ? 'Synapse' : 'Vais'} package has ${SEED_MANIFESTS[e]} at the archive root`),
          ].join(', ')}; build the archive with your package tool and upload what it makes`,
        );
      }
      throw badRequest(
        'tarball has no package.json in its top-level folder (npm expects package/package.json, a regular file); run `npm pack` in the folder that holds package.json and upload what it makes',
      );
    }
    for (const link of this.links) checkLink(link.path, link.type, link.target, link.path.split('/')[0] ?? '');
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
    return {
      manifest: manifest as Record<string, unknown>,
      topFolder,
      files: this.files,
      unpackedSize,
      ecosystem: 'npm',
      manifestFile: where,
    };
  }

  /** A seed archive: its root is the package, every file is kept with its whole path, links already kept inside it. */
  private seedResult(): TarballInspection {
    if (this.seedManifests.size > 1) {
      throw badRequest(
        `the archive has both ${[...this.seedManifests.keys()].map((e) => SEED_MANIFESTS[e]).join(' and ')} at its root, so which package it is cannot be told; keep the one of your package tool and build the archive again`,
      );
    }
    const [ecosystem, body] = [...this.seedManifests.entries()][0]!;
    const manifest = readSeedManifest(ecosystem, body);
    const unpackedSize = this.rootFiles.reduce((sum, file) => sum + file.size, 0);
    return { manifest, topFolder: '', files: this.rootFiles, unpackedSize, ecosystem, manifestFile: SEED_MANIFESTS[ecosystem] };
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

/** Links may point anywhere inside the entry's own top-level folder (or, with no folder given, the archive), and nowhere else. */
function checkLink(path: string, type: string, target: string, top: string | undefined): void {
  const kind = type === 'Link' ? 'hard link' : 'symbolic link';
  const problem = `tarball entry ${JSON.stringify(path)} is a ${kind} to ${JSON.stringify(target)}`;
  if (target.includes('\0')) throw badRequest(`${problem}, a name with a NUL byte; ${REPACK}`);
  if (isAbsolute(target)) throw badRequest(`${problem}, an absolute path; make the link relative and inside the package, or leave it out`);
  const slashed = (p: string): string => p.replaceAll('\\', '/');
  // A hard link's target is a path in the archive; a symbolic link's is relative to the link's own folder.
  const resolved =
    type === 'Link' ? posix.normalize(slashed(target)) : posix.normalize(posix.join(posix.dirname(slashed(path)), slashed(target)));
  if (top === undefined) {
    if (resolved === '..' || resolved.startsWith('../')) {
      throw badRequest(`${problem}, which points outside the archive; make the link point inside the package, or leave it out`);
    }
    return;
  }
  const inside = type === 'Link' ? resolved.startsWith(`${top}/`) : resolved === top || resolved.startsWith(`${top}/`);
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
