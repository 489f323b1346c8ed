// What inspectTarball accepts from an npm publish, and every way it refuses a tarball, with the status and message a publisher sees.
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { Limits } from '../../../src/main/config/config';
import { ShelfError } from '../../../src/main/errors';
import { inspectTarball } from '../../../src/main/services/packer/inspect-tarball';
import { manifestEntry, packFiles, paxEntry, rawEntry, rawTar, rawTarball, type RawEntry } from '../../helpers/tar-fixtures';

const LIMITS: Limits = { maxTarballBytes: 50 * 1024 * 1024, maxUnpackedBytes: 250 * 1024 * 1024, maxTarballEntries: 20_000 };
const MANIFEST = JSON.stringify({ name: 'demo', version: '1.0.0' });

async function refusal(bytes: Buffer, limits: Limits = LIMITS): Promise<ShelfError> {
  const error: unknown = await inspectTarball(bytes, limits).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ShelfError);
  return error as ShelfError;
}

async function expectRefused(bytes: Buffer, status: number, message: string | RegExp, limits: Limits = LIMITS): Promise<void> {
  const error = await refusal(bytes, limits);
  const matcher = typeof message === 'string' ? expect.stringContaining(message) : expect.stringMatching(message);
  expect({ status: error.status, message: error.message }).toEqual({ status, message: matcher });
}

/** A hand-written package with a valid package.json plus the entries under test. */
const hostile = (...entries: RawEntry[]): Buffer => rawTarball([manifestEntry(), ...entries]);

describe('inspectTarball accepts', () => {
  it('lists the files, sizes, modes and manifest of a normal package in a package/ folder', async () => {
    const bytes = await packFiles({
      'package/package.json': MANIFEST,
      'package/index.js': 'module.exports = 1;\n',
      'package/lib/util.js': 'x',
    });
    const inspection = await inspectTarball(bytes, LIMITS);
    expect(inspection.topFolder).toBe('package');
    expect(inspection.manifest).toEqual({ name: 'demo', version: '1.0.0' });
    expect([...inspection.files].sort((a, b) => a.path.localeCompare(b.path))).toEqual([
      { path: 'index.js', size: 20, mode: expect.any(Number) },
      { path: 'lib/util.js', size: 1, mode: expect.any(Number) },
      { path: 'package.json', size: MANIFEST.length, mode: expect.any(Number) },
    ]);
    expect(inspection.files.every((file) => (file.mode & 0o644) === 0o644)).toBe(true);
    expect(inspection.unpackedSize).toBe(20 + 1 + MANIFEST.length);
  });

  it('accepts a package whose top-level folder is not called package', async () => {
    const inspection = await inspectTarball(await packFiles({ 'node/package.json': MANIFEST, 'node/a.js': 'a' }), LIMITS);
    expect(inspection.topFolder).toBe('node');
    expect(inspection.manifest.name).toBe('demo');
    expect(inspection.files.map((file) => file.path).sort()).toEqual(['a.js', 'package.json']);
  });

  it('prefers package/package.json when several top-level folders have one', async () => {
    const bytes = rawTarball([
      { path: 'aaa/package.json', body: JSON.stringify({ name: 'other' }) },
      { path: 'package/package.json', body: MANIFEST },
    ]);
    const inspection = await inspectTarball(bytes, LIMITS);
    expect(inspection.topFolder).toBe('package');
    expect(inspection.manifest.name).toBe('demo');
  });

  it('uses the first top-level folder with a package.json when there is no package folder', async () => {
    const bytes = rawTarball([
      { path: 'zzz/readme.md', body: 'no manifest here' },
      { path: 'second/package.json', body: JSON.stringify({ name: 'second' }) },
      { path: 'third/package.json', body: JSON.stringify({ name: 'third' }) },
    ]);
    const inspection = await inspectTarball(bytes, LIMITS);
    expect(inspection.topFolder).toBe('second');
    expect(inspection.manifest.name).toBe('second');
  });

  it('does not count files at the root, outside any folder, since npm drops them on install', async () => {
    const inspection = await inspectTarball(rawTarball([{ path: 'stray.txt', body: 'abc' }, manifestEntry()]), LIMITS);
    expect(inspection.files.map((file) => file.path)).toEqual(['package.json']);
  });

  it('accepts symbolic and hard links that stay inside the package, without listing them as files', async () => {
    const bytes = hostile(
      { path: 'package/lib/', type: '5' },
      { path: 'package/lib/a.js', body: 'a' },
      { path: 'package/lib/b.js', type: '2', linkpath: 'a.js' },
      { path: 'package/up.js', type: '2', linkpath: './lib/../lib/a.js' },
      { path: 'package/root', type: '2', linkpath: '.' },
      { path: 'package/c.js', type: '1', linkpath: 'package/lib/a.js' },
    );
    const inspection = await inspectTarball(bytes, LIMITS);
    expect(inspection.files.map((file) => file.path)).toEqual(['package.json', 'lib/a.js']);
  });

  it('accepts long paths that tar.create carries in pax headers', async () => {
    const long = `package/${'deep/'.repeat(30)}file.js`;
    const inspection = await inspectTarball(await packFiles({ 'package/package.json': MANIFEST, [long]: 'x' }), LIMITS);
    expect(inspection.files.map((file) => file.path)).toContain(long.slice('package/'.length));
  });

  it('ignores bytes after the end-of-archive marker, as tar does when installing', async () => {
    const bytes = gzipSync(Buffer.concat([rawTar([manifestEntry()]), rawEntry({ path: '/etc/passwd', body: 'x' })]));
    expect((await inspectTarball(bytes, LIMITS)).files).toHaveLength(1);
  });

  it('strips a byte-order mark from package.json, as npm does', async () => {
    const inspection = await inspectTarball(rawTarball([{ path: 'package/package.json', body: `\uFEFF${MANIFEST}` }]), LIMITS);
    expect(inspection.manifest.name).toBe('demo');
  });
});

describe('inspectTarball refuses, by size', () => {
  it('refuses a tarball over the compressed size limit before reading any of it', async () => {
    // Not even gzip: only a size check made before any other work can give 413 here.
    const bytes = Buffer.alloc(Math.round(61.2 * 1024 * 1024));
    await expectRefused(bytes, 413, "tarball is 61.2 MB, over this registry's 50 MB limit (--max-tarball-size)");
  });

  it('refuses a gzip bomb whose unpacked size passes the limit', async () => {
    const bytes = hostile({ path: 'package/zeros.bin', body: Buffer.alloc(4 * 1024 * 1024) });
    expect(bytes.length).toBeLessThan(64 * 1024);
    await expectRefused(bytes, 413, /unpacks to more than 1 MB.*--max-unpacked-size/, { ...LIMITS, maxUnpackedBytes: 1024 * 1024 });
  });

  it('stops inflating at the unpacked limit instead of inflating the whole stream first', async () => {
    // The stream is cut off near its end: inflating all of it would hit that damage and give a 400, stopping at the limit gives 413.
    const bomb = hostile({ path: 'package/zeros.bin', body: Buffer.alloc(4 * 1024 * 1024) });
    const cut = bomb.subarray(0, bomb.length - 16);
    await expectRefused(cut, 400, 'not valid gzip');
    await expectRefused(cut, 413, '--max-unpacked-size', { ...LIMITS, maxUnpackedBytes: 1024 * 1024 });
  });

  it('refuses a tarball with more entries than the limit', async () => {
    const files = Array.from({ length: 10 }, (_, i): RawEntry => ({ path: `package/f${i}.js`, body: 'x' }));
    await expectRefused(hostile(...files), 413, 'more than 5 entries', { ...LIMITS, maxTarballEntries: 5 });
  });
});

describe('inspectTarball refuses, as damaged', () => {
  it('refuses bytes that are not gzip-compressed', async () => {
    await expectRefused(rawTar([manifestEntry()]), 400, 'tarball is not gzip-compressed');
  });

  it('refuses a truncated gzip stream', async () => {
    const bytes = await packFiles({ 'package/package.json': MANIFEST });
    await expectRefused(bytes.subarray(0, bytes.length - 10), 400, /tarball is not valid gzip .*npm pack/);
  });

  it('refuses gzip that does not hold a tar archive', async () => {
    await expectRefused(gzipSync(Buffer.from('just some text, not a tar archive\n'.repeat(40))), 400, 'not a valid tar archive');
  });

  it('refuses a tar header with a wrong checksum', async () => {
    const tar = rawTar([manifestEntry(), { path: 'package/a.js', body: 'a' }]);
    tar[512 * 2 + 10] = 0x41; // scribble on the second header's name without fixing its checksum
    await expectRefused(gzipSync(tar), 400, /not a valid tar archive.*checksum/);
  });

  it('refuses a tar whose last file is cut short', async () => {
    const tar = rawTar([manifestEntry(), { path: 'package/big.js', body: 'x'.repeat(5000) }]);
    await expectRefused(gzipSync(tar.subarray(0, 512 * 4)), 400, /not a valid tar archive.*Truncated/);
  });

  it('refuses a tarball gzip-compressed twice, whose inner layer would escape the size guard', async () => {
    await expectRefused(gzipSync(hostile()), 400, 'gzip-compressed twice');
  });
});

describe('inspectTarball refuses, as unsafe', () => {
  it.each(['/etc/passwd', 'C:\\evil.js', 'C:/evil.js', '\\\\server\\share\\evil.js'])('refuses the absolute path %j', async (path) => {
    await expectRefused(hostile({ path, body: 'x' }), 400, `${JSON.stringify(path)} has an absolute path`);
  });

  it.each(['package/../../evil.js', '../evil.js', 'package\\..\\..\\evil.js', 'package/lib/..'])(
    'refuses the ".." segment in %j',
    async (path) => {
      await expectRefused(hostile({ path, body: 'x' }), 400, `${JSON.stringify(path)} has a ".." path segment`);
    },
  );

  it('refuses a NUL byte inside a name in a ustar header', async () => {
    await expectRefused(hostile({ path: 'package/evil.js\0.png', body: 'x' }), 400, /"package\/evil.js\\u0000.png".*NUL byte/);
  });

  it('refuses a NUL byte inside a name in a pax header', async () => {
    await expectRefused(
      hostile(paxEntry({ path: 'package/evil.js\0.png' }), { path: 'package/evil.js', body: 'x' }),
      400,
      'NUL byte in an entry name',
    );
  });

  it.each([
    ['a relative target that climbs out', '../../etc/passwd', 'which points outside the package folder "package"'],
    ['a relative target into a sibling top-level folder', '../other/x', 'which points outside the package folder "package"'],
    ['an absolute target', '/etc/passwd', 'an absolute path'],
    ['a Windows absolute target', 'C:\\Windows\\win.ini', 'an absolute path'],
    ['a backslashed target that climbs out', '..\\..\\x', 'which points outside the package folder'],
  ])('refuses a symbolic link with %s', async (_, linkpath, message) => {
    await expectRefused(
      hostile({ path: 'package/link', type: '2', linkpath }),
      400,
      `"package/link" is a symbolic link to ${JSON.stringify(linkpath)}, ${message}`,
    );
  });

  it.each([
    ['a target in another top-level folder', 'other/x', 'which points outside the package folder "package"'],
    ['a target that climbs out', 'package/../../etc/passwd', 'which points outside the package folder "package"'],
    ['the top-level folder itself', 'package', 'which points outside the package folder "package"'],
    ['an absolute target', '/etc/passwd', 'an absolute path'],
  ])('refuses a hard link with %s', async (_, linkpath, message) => {
    await expectRefused(
      hostile({ path: 'package/link', type: '1', linkpath }),
      400,
      `"package/link" is a hard link to ${JSON.stringify(linkpath)}, ${message}`,
    );
  });

  it.each([
    ['3', 'a character device'],
    ['4', 'a block device'],
    ['6', 'a FIFO'],
  ])('refuses an entry of type %s as %s', async (type, what) => {
    await expectRefused(hostile({ path: 'package/dev', type }), 400, `"package/dev" is ${what}`);
  });

  it.each(['S', 'V', 'Z'])('refuses an entry of unsupported type %s that tar would skip silently', async (type) => {
    await expectRefused(
      hostile({ path: 'package/odd', type, body: 'x' }),
      400,
      /"package\/odd" is an entry of unsupported type.*only contain files, folders and links/,
    );
  });
});

describe('inspectTarball refuses, for its package.json', () => {
  it('refuses a tarball with no package.json at all', async () => {
    await expectRefused(rawTarball([{ path: 'package/index.js', body: 'x' }]), 400, 'tarball has no package.json in its top-level folder');
  });

  it('refuses a package.json at the root, outside any top-level folder', async () => {
    await expectRefused(
      rawTarball([
        { path: 'package.json', body: MANIFEST },
        { path: 'package/index.js', body: 'x' },
      ]),
      400,
      'tarball has no package.json in its top-level folder',
    );
  });

  it('refuses a package.json that is only deeper inside the package', async () => {
    await expectRefused(
      rawTarball([{ path: 'package/lib/package.json', body: MANIFEST }]),
      400,
      'tarball has no package.json in its top-level folder',
    );
  });

  it('refuses a package.json that is a link rather than a file', async () => {
    await expectRefused(
      rawTarball([
        { path: 'package/real.json', body: MANIFEST },
        { path: 'package/package.json', type: '2', linkpath: 'real.json' },
      ]),
      400,
      'tarball has no package.json in its top-level folder',
    );
  });

  it('refuses a package.json that is not valid JSON', async () => {
    await expectRefused(
      rawTarball([{ path: 'package/package.json', body: '{ "name": "demo", ' }]),
      400,
      'package/package.json in the tarball is not valid JSON',
    );
  });

  it.each([
    ['an array', '[1, 2]'],
    ['a string', '"demo"'],
    ['null', 'null'],
  ])('refuses a package.json that holds %s instead of an object', async (_, body) => {
    await expectRefused(
      rawTarball([{ path: 'package/package.json', body }]),
      400,
      'package/package.json in the tarball must hold a JSON object',
    );
  });
});
