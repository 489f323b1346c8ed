// Small tarballs sent lately are kept in memory by the folder store (storage/blobs/hot-blobs.ts), and forgotten when the
// store itself deletes or quarantines the blob; large ones are always streamed from disk.
import { mkdtempSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import ssri from 'ssri';
import { afterEach, describe, expect, it } from 'vitest';
import { HotBlobs } from '../../../src/main/storage/blobs/hot-blobs';
import { TarballStore } from '../../../src/main/storage/blobs/tarball-store';

const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'shelf-hot-blobs-'));
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const integrityOf = (bytes: Buffer) => ssri.fromData(bytes, { algorithms: ['sha512'] }).toString();

describe('the folder store keeps small tarballs it sent in memory', () => {
  it('answers a second open from memory, the same bytes, without the file', async () => {
    const store = new TarballStore(tempDir());
    const bytes = Buffer.from('a small tarball');
    const integrity = integrityOf(bytes);
    await store.put(integrity, bytes);
    const first = await store.open(integrity);
    expect(first?.body).toEqual(bytes);
    // Gone behind the store's back (another process): the copy in memory still answers, and it is the right bytes.
    unlinkSync(store.pathFor(integrity));
    const second = await store.open(integrity);
    expect(second).toEqual({ body: bytes, size: bytes.length });
  });

  it('forgets its copy when it removes, collects or quarantines the blob', async () => {
    const store = new TarballStore(tempDir());
    const blobs = ['removed', 'collected', 'quarantined'].map((word) => Buffer.from(`tarball to be ${word}`));
    for (const bytes of blobs) {
      await store.put(integrityOf(bytes), bytes);
      expect((await store.open(integrityOf(bytes)))?.body).toEqual(bytes);
    }
    await store.remove(integrityOf(blobs[0]!));
    expect(await store.collect(integrityOf(blobs[1]!), Date.now() + 60_000, () => false)).toBe(blobs[1]!.length);
    await store.quarantine(integrityOf(blobs[2]!));
    for (const bytes of blobs) expect(await store.open(integrityOf(bytes))).toBeUndefined();
  });

  it('streams a tarball over 2 MB from disk every time, keeping nothing', async () => {
    const store = new TarballStore(tempDir());
    const bytes = Buffer.alloc(3 * 1024 * 1024, 7);
    const integrity = integrityOf(bytes);
    await store.put(integrity, bytes);
    const opened = await store.open(integrity);
    expect(Buffer.isBuffer(opened?.body)).toBe(false);
    const chunks: Buffer[] = [];
    for await (const chunk of opened!.body as Readable) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).equals(bytes)).toBe(true);
    unlinkSync(store.pathFor(integrity));
    expect(await store.open(integrity)).toBeUndefined();
  });

  it('keeps nothing with a cap of 0', async () => {
    const dir = tempDir();
    const store = new TarballStore(dir, { hotCacheBytes: 0 });
    const bytes = Buffer.from('not kept');
    const integrity = integrityOf(bytes);
    await store.put(integrity, bytes);
    expect((await store.open(integrity))?.body).toEqual(bytes);
    unlinkSync(store.pathFor(integrity));
    expect(await store.open(integrity)).toBeUndefined();
  });
});

describe('HotBlobs', () => {
  it('holds at most its cap, least recently sent out first, and no blob over a quarter of the cap', () => {
    const hot = new HotBlobs(400);
    const blob = (fill: number) => Buffer.alloc(100, fill);
    hot.keep('a', blob(1));
    hot.keep('b', blob(2));
    hot.keep('c', blob(3));
    hot.keep('d', blob(4));
    expect(hot.get('a')).toBeDefined(); // now the most recent
    hot.keep('e', blob(5)); // over 400: 'b', the least recently sent, goes
    expect(hot.get('b')).toBeUndefined();
    for (const key of ['a', 'c', 'd', 'e']) expect(hot.get(key)).toBeDefined();
    hot.keep('big', Buffer.alloc(101));
    expect(hot.get('big')).toBeUndefined();
  });
});
