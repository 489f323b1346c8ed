// Builds tarballs for tests: honest ones with tar.create, hostile ones from hand-written ustar headers that tar.create would sanitise.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import * as tar from 'tar';

/** Packs files (keys are archive paths, top folder included, e.g. 'package/index.js') the way npm pack does. */
export async function packFiles(files: Record<string, string | Buffer>): Promise<Buffer> {
  const dir = mkdtempSync(join(tmpdir(), 'shelf-tar-fixture-'));
  try {
    for (const [path, content] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), content);
    }
    const tops = [...new Set(Object.keys(files).map((path) => path.split('/')[0] ?? path))];
    const chunks: Buffer[] = [];
    for await (const chunk of tar.create({ gzip: true, cwd: dir, portable: true }, tops) as AsyncIterable<Buffer>) chunks.push(chunk);
    return Buffer.concat(chunks);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface RawEntry {
  /** Written byte for byte into the 100-byte name field, so it may hold '/', '\\', '..' or '\0'. */
  path: string;
  /** ustar typeflag: '0' file, '1' hard link, '2' symlink, '3' char device, '4' block device, '5' dir, '6' FIFO, 'x' pax, ... */
  type?: string;
  body?: string | Buffer;
  linkpath?: string;
  mode?: number;
  /** Size written in the header; defaults to the body's length. */
  size?: number;
}

const octal = (value: number, width: number): string => value.toString(8).padStart(width - 1, '0') + '\0';

/** One 512-byte ustar header with a correct checksum. */
export function ustarHeader(entry: RawEntry): Buffer {
  const block = Buffer.alloc(512);
  const put = (offset: number, length: number, text: string | Buffer): void => {
    const bytes = Buffer.isBuffer(text) ? text : Buffer.from(text, 'utf8');
    if (bytes.length > length) throw new Error(`fixture field too long at offset ${offset}: ${JSON.stringify(text.toString())}`);
    bytes.copy(block, offset);
  };
  const body = entry.body === undefined ? Buffer.alloc(0) : Buffer.from(entry.body);
  put(0, 100, entry.path);
  put(100, 8, octal(entry.mode ?? 0o644, 8));
  put(108, 8, octal(0, 8));
  put(116, 8, octal(0, 8));
  put(124, 12, octal(entry.size ?? body.length, 12));
  put(136, 12, octal(0, 12));
  put(156, 1, entry.type ?? '0');
  put(157, 100, entry.linkpath ?? '');
  put(257, 8, 'ustar\u000000');
  // The checksum is computed with its own field read as eight spaces.
  put(148, 8, '        ');
  const sum = block.reduce((total, byte) => total + byte, 0);
  put(148, 8, sum.toString(8).padStart(6, '0') + '\0 ');
  return block;
}

/** Header plus body padded to whole blocks. */
export function rawEntry(entry: RawEntry): Buffer {
  const body = entry.body === undefined ? Buffer.alloc(0) : Buffer.from(entry.body);
  const padded = Buffer.alloc(Math.ceil(body.length / 512) * 512);
  body.copy(padded);
  return Buffer.concat([ustarHeader(entry), padded]);
}

/** A pax extended header ('x') whose records apply to the entry after it. */
export function paxEntry(records: Record<string, string>): RawEntry {
  const body = Object.entries(records)
    .map(([key, value]) => {
      const line = ` ${key}=${value}\n`;
      // The length prefix counts itself, so grow it until it is consistent.
      let length = Buffer.byteLength(line) + 1;
      while (String(length).length + Buffer.byteLength(line) !== length) length += 1;
      return length + line;
    })
    .join('');
  return { path: 'PaxHeader/entry', type: 'x', body };
}

/** An uncompressed tar of the entries, closed by the two-block end-of-archive marker. */
export function rawTar(entries: RawEntry[]): Buffer {
  return Buffer.concat([...entries.map(rawEntry), Buffer.alloc(1024)]);
}

/** A gzipped tar of hand-written entries. */
export function rawTarball(entries: RawEntry[]): Buffer {
  return gzipSync(rawTar(entries));
}

/** The package.json entry most hostile fixtures need so that only the thing under test is wrong. */
export const manifestEntry = (name = 'demo', version = '1.0.0'): RawEntry => ({
  path: 'package/package.json',
  body: JSON.stringify({ name, version }),
});
