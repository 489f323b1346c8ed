// The unpacked store's one-pass writer against tar.x (the extractor it replaced), and what a refused or mismatching tarball leaves behind: nothing.
import { existsSync, lstatSync, readFileSync, readdirSync, readlinkSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import ssri from 'ssri';
import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from '../../../src/main/config/config';
import { extractPackage, parseInspected } from '../../../src/main/services/resolver/extract';
import { TarballCache } from '../../../src/main/services/resolver/tarball-cache';
import { UnpackedStore } from '../../../src/main/services/resolver/unpacked-store';
import { tempDir } from '../../helpers/clients';
import { manifestEntry, rawTarball } from '../../helpers/tar-fixtures';

const integrityOf = (bytes: Buffer): string => ssri.fromData(bytes, { algorithms: ['sha512'] }).toString();

/** Every path under `root` with what it is: a file's bytes and mode, a link's target, a folder. */
function tree(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      const rel = relative(root, path);
      const stat = lstatSync(path);
      if (stat.isSymbolicLink()) out[rel] = `link -> ${readlinkSync(path)}`;
      else if (stat.isDirectory()) {
        out[`${rel}/`] = 'folder';
        walk(path);
      } else out[rel] = `file ${(stat.mode & 0o777).toString(8)} ${readFileSync(path).toString('base64')}`;
    }
  };
  walk(root);
  return out;
}

/** All files and folders under a store, for before/after comparisons. */
function listing(root: string): string[] {
  return existsSync(root) ? Object.keys(tree(root)).sort() : [];
}

// Shapes that trip a writer: nested folders with no folder entries, a file and a folder sharing a prefix ("lib.js",
// "lib/", "lib-extra/"), execute bits, a symbolic link and a hard link inside the package, a path written twice (the
// later wins), an empty folder, and an entry at the archive root (npm drops it on install).
const tricky = rawTarball([
  manifestEntry(),
  { path: 'package/lib.js', body: 'top' },
  { path: 'package/lib/index.js', body: 'index' },
  { path: 'package/lib/deep/er/still.js', body: 'deep' },
  { path: 'package/lib-extra/x.js', body: 'extra' },
  { path: 'package/bin/cli.js', body: '#!/usr/bin/env node\n', mode: 0o755 },
  { path: 'package/alias.js', type: '2', linkpath: 'lib/index.js' },
  { path: 'package/same.js', type: '1', linkpath: 'package/lib.js' },
  { path: 'package/twice.js', body: 'first' },
  { path: 'package/twice.js', body: 'second' },
  { path: 'package/empty/', type: '5' },
  { path: 'package/zero.txt', body: '' },
  { path: 'root-file.txt', body: 'dropped' },
]);

describe('the unpacked store', () => {
  it.each([
    ['on link threads', 2],
    ['on the main thread', 0],
  ])('stores and links the same files, bytes and modes as tar.x extracts, read-only (%s)', async (_, linkThreads) => {
    const work = tempDir();
    const viaTar = join(work, 'tar');
    await extractPackage(tricky, viaTar, 'demo@1.0.0');
    const store = new UnpackedStore(join(work, 'cache'), { linkThreads });
    const dest = join(work, 'project', 'node_modules', 'demo');
    await store.add(tricky, integrityOf(tricky), dest, 'demo@1.0.0');

    const hex = Buffer.from(ssri.parse(integrityOf(tricky)).sha512![0]!.digest, 'base64').toString('hex');
    const stored = join(work, 'cache', 'unpacked', hex.slice(0, 2), hex, 'package');
    const expected = tree(viaTar);
    // The store holds what tar.x wrote, made read-only (execute bits kept).
    const readOnly = Object.fromEntries(
      Object.entries(expected).map(([k, v]) => [
        k,
        v.replace(/^file (\d+)/, (_, m: string) => `file ${(parseInt(m, 8) & 0o555).toString(8)}`),
      ]),
    );
    expect(tree(stored)).toEqual(readOnly);
    expect(readFileSync(join(stored, 'twice.js'), 'utf8')).toBe('second');
    expect(statSync(join(stored, 'bin', 'cli.js')).mode & 0o777).toBe(0o555);
    expect(existsSync(join(stored, '..', '..', 'root-file.txt'))).toBe(false);

    // node_modules gets every file (hard links to the store) and the symbolic link; empty folders are not listed.
    const { 'empty/': emptyFolder, ...withoutEmpty } = readOnly;
    expect(emptyFolder).toBe('folder');
    expect(tree(dest)).toEqual(withoutEmpty);
    expect(statSync(join(dest, 'lib', 'deep', 'er', 'still.js')).ino).toBe(statSync(join(stored, 'lib', 'deep', 'er', 'still.js')).ino);
    expect(readlinkSync(join(dest, 'alias.js'))).toBe('lib/index.js');
    expect(store.filesLinked).toBe(9);

    // Warm: a second project gets the same tree from the list alone.
    const again = join(work, 'other', 'node_modules', 'demo');
    expect(await store.copyTo(integrityOf(tricky), again)).toBe(true);
    expect(tree(again)).toEqual(withoutEmpty);
    // A file already in the way is an error, not a silent skip.
    await expect(store.copyTo(integrityOf(tricky), again)).rejects.toMatchObject({ code: 'EEXIST' });
    await store.close();
  });

  it('refuses a hostile tarball and leaves no store entry, temporary folder or node_modules folder behind', async () => {
    const work = tempDir();
    const hostile = rawTarball([manifestEntry(), { path: 'package/ok.js', body: 'x' }, { path: 'package/../../escape.js', body: 'x' }]);
    const store = new UnpackedStore(join(work, 'cache'));
    const dest = join(work, 'project', 'node_modules', 'demo');
    const before = listing(join(work, 'cache'));
    await expect(store.add(hostile, integrityOf(hostile), dest, 'demo@1.0.0')).rejects.toThrow(
      /refusing to unpack demo@1\.0\.0: .*"\.\." path segment/,
    );
    expect(listing(join(work, 'cache')).filter((p) => !p.endsWith('/'))).toEqual(before);
    expect(existsSync(dest)).toBe(false);
    expect(existsSync(join(work, 'escape.js'))).toBe(false);
    expect(await store.copyTo(integrityOf(hostile), dest)).toBe(false);
  });

  it('refuses a tarball that does not match its integrity before writing anything, in the tarball cache or the store', async () => {
    const work = tempDir();
    const good = rawTarball([manifestEntry(), { path: 'package/a.js', body: 'good' }]);
    const evil = rawTarball([manifestEntry(), { path: 'package/a.js', body: 'evil' }]);
    const cache = new TarballCache(join(work, 'cache'));
    await expect(cache.get('demo@1.0.0', integrityOf(good), async () => evil)).rejects.toMatchObject({
      code: 'conflict',
      message: expect.stringMatching(/the tarball of demo@1\.0\.0 does not match its integrity \(expected sha512-/),
    });
    expect(listing(join(work, 'cache'))).toEqual([]);
    // The good bytes are then stored under their own hash, once.
    const { bytes } = await cache.get('demo@1.0.0', integrityOf(good), async () => good);
    expect(bytes.equals(good)).toBe(true);
    expect(listing(join(work, 'cache')).filter((p) => !p.endsWith('/'))).toHaveLength(1);
  });

  it.each([
    ['on link threads', 2],
    ['on the main thread', 0],
  ])('places a whole lockfile in batches and says which packages it did not have (%s)', async (_, linkThreads) => {
    const work = tempDir();
    const store = new UnpackedStore(join(work, 'cache'), { linkThreads });
    // More packages than one batch holds, so several messages go to the threads and come back in order.
    const packages = Array.from({ length: 40 }, (_, i) =>
      rawTarball([manifestEntry(`p${i}`), { path: `package/lib/p${i}.js`, body: `module.exports = ${i};` }]),
    );
    for (const [i, bytes] of packages.entries()) await store.add(bytes, integrityOf(bytes), join(work, 'seed', `p${i}`), `p${i}@1.0.0`);
    const unknown = rawTarball([manifestEntry('unknown'), { path: 'package/x.js', body: 'x' }]);
    const project = join(work, 'project', 'node_modules');
    const wanted = [
      ...packages.map((bytes, i) => ({ integrity: integrityOf(bytes), dest: join(project, `p${i}`) })),
      { integrity: integrityOf(unknown), dest: join(project, 'unknown') },
      { integrity: 'sha1-2jmj7l5rSw0yVb/vlWAYkK/YBwk=', dest: join(project, 'sha1-only') },
    ];
    const before = { linked: store.filesLinked, hits: store.hits };
    let told = 0;
    const placed = await store.placeAll(wanted, () => told++);
    expect(placed).toEqual([...packages.map(() => true), false, false]);
    expect(told).toBe(40);
    expect(store.hits - before.hits).toBe(40);
    expect(store.filesLinked - before.linked).toBe(80);
    for (let i = 0; i < 40; i++) {
      expect(readFileSync(join(project, `p${i}`, 'lib', `p${i}.js`), 'utf8')).toBe(`module.exports = ${i};`);
      expect(JSON.parse(readFileSync(join(project, `p${i}`, 'package.json'), 'utf8')).name).toBe(`p${i}`);
    }
    // Nothing was made for the packages it did not have; the caller fetches those.
    expect(existsSync(join(project, 'unknown'))).toBe(false);
    expect(existsSync(join(project, 'sha1-only'))).toBe(false);
    await store.close();
  });

  it('parses an inspected tarball without writing anything, each file body in a buffer of its own (handed to a link thread without a copy)', async () => {
    const work = tempDir();
    const plan = await parseInspected(tricky, 'demo@1.0.0');
    expect(readdirSync(work)).toEqual([]);
    const files = plan.ops.filter((op) => op.k === 'f');
    expect(files.map((op) => op.p)).toEqual([
      'package.json',
      'lib.js',
      'lib/index.js',
      'lib/deep/er/still.js',
      'lib-extra/x.js',
      'bin/cli.js',
      'twice.js',
      'zero.txt',
    ]);
    for (const op of files) {
      expect(op.b.byteOffset).toBe(0);
      expect(op.b.buffer.byteLength).toBe(op.b.length);
    }
    expect(Buffer.from(files.find((op) => op.p === 'twice.js')!.b).toString()).toBe('second');
    expect(plan.hardLinks).toEqual([{ path: 'same.js', target: 'lib.js' }]);
    // The unpacked size is bounded here as in the inspection: a tarball over the limit is refused, in words.
    await expect(parseInspected(tricky, 'demo@1.0.0', { ...DEFAULT_LIMITS, maxUnpackedBytes: 1024 })).rejects.toThrow(
      /refusing to unpack demo@1\.0\.0: tarball unpacks to more than/,
    );
  });
});
