// The metadata cache file: a stored document reads back the same before and after it is written, its manifests are
// read one by one from the file, an older layout is dropped, and a document replaced by another process while a run
// reads it is refused in words instead of mixing two versions of it.
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fromCacheRows, packRows, toCacheRows } from '../../../src/main/services/resolver/cached-packument';
import { MetadataCacheDb, type DocumentToStore } from '../../../src/main/storage/metadata-cache-db';
import { packumentsOf } from '../resolver/fake-registry';
import { tempDir } from '../../helpers/clients';

const REGISTRY = 'http://127.0.0.1:1/';

function documentOf(versions: Record<string, Record<string, unknown>>, latest: string): DocumentToStore {
  const doc = packumentsOf({ lib: { versions, tags: { latest } } }).get('lib')!;
  return { etag: '"e1"', accept: 'application/json', fetchedAt: 1, maxAge: 0, complete: true, ...toCacheRows(doc) };
}

describe('the metadata cache file', () => {
  it('reads a stored document back the same before and after the batch is written, manifest by manifest', () => {
    const path = join(tempDir(), 'metadata-cache.db');
    const db = MetadataCacheDb.open(path);
    const stored = documentOf({ '1.0.0': { license: 'MIT' }, '1.1.0': { dependencies: { a: '^1.0.0' } }, 'not-semver': {} }, '1.1.0');
    db.store(REGISTRY, 'lib', stored);
    const before = fromCacheRows(db.document(REGISTRY, 'lib')!);
    expect(before.versions['1.1.0']).toMatchObject({ version: '1.1.0', dependencies: { a: '^1.0.0' } });
    db.flush();
    // After the write the text is let go: a read goes to the file.
    expect(stored.manifests).toEqual([]);
    expect(before.versions['1.0.0']).toMatchObject({ version: '1.0.0', license: 'MIT' });
    db.close();

    const again = MetadataCacheDb.open(path);
    const entry = again.document(REGISTRY, 'lib')!;
    expect(entry).toMatchObject({ etag: '"e1"', accept: 'application/json', complete: true });
    expect(again.holds(REGISTRY)).toBe(true);
    expect(again.holds('http://127.0.0.1:2/')).toBe(false);
    const p = fromCacheRows(entry);
    expect(Object.keys(p.versions)).toEqual(['1.1.0', '1.0.0', 'not-semver']);
    expect(p.versions['not-semver']).toMatchObject({ version: 'not-semver' });
    expect(p.versions['1.0.0']).toMatchObject({ license: 'MIT' });
    again.close();
    const raw = new Database(path, { readonly: true });
    expect(raw.prepare('SELECT count(*) FROM manifests').pluck().get()).toBe(3);
    raw.close();
  });

  it('writes on a writer thread: readable at once from memory, on disk after closeAsync, and no thread for a run that writes nothing', async () => {
    const path = join(tempDir(), 'metadata-cache.db');
    const db = MetadataCacheDb.open(path, undefined, { writer: 'thread' });
    const stored = documentOf({ '1.0.0': { license: 'MIT' }, '1.1.0': { dependencies: { a: '^1.0.0' } } }, '1.1.0');
    db.store(REGISTRY, 'lib', stored);
    db.flush();
    // Sent to the thread, not yet written: still read from memory, never missing.
    const p = fromCacheRows(db.document(REGISTRY, 'lib')!);
    expect(p.versions['1.1.0']).toMatchObject({ version: '1.1.0', dependencies: { a: '^1.0.0' } });
    expect(() => db.close()).toThrow('closes with closeAsync');
    await db.closeAsync();
    // Written by the thread, then let go here.
    expect(stored.manifests).toEqual([]);

    const again = MetadataCacheDb.open(path, undefined, { writer: 'thread' });
    const back = fromCacheRows(again.document(REGISTRY, 'lib')!);
    expect(Object.keys(back.versions)).toEqual(['1.1.0', '1.0.0']);
    again.confirm(REGISTRY, 'lib', 5, 60);
    again.flush();
    // Confirmations alone are written on this thread: a warm run never pays for starting one (its memory).
    expect((again as unknown as { writer?: unknown }).writer).toBeUndefined();
    await again.closeAsync();
    const raw = new Database(path, { readonly: true });
    expect(raw.prepare('SELECT count(*) FROM manifests').pluck().get()).toBe(2);
    expect(raw.prepare('SELECT fetched_at, max_age FROM documents').get()).toEqual({ fetched_at: 5, max_age: 60 });
    raw.close();
  });

  it('refuses, in words, a document another process replaced while this run was reading it', () => {
    const path = join(tempDir(), 'metadata-cache.db');
    const reader = MetadataCacheDb.open(path);
    const writer = MetadataCacheDb.open(path);
    writer.store(REGISTRY, 'lib', documentOf({ '1.0.0': {} }, '1.0.0'));
    writer.flush();
    const p = fromCacheRows(reader.document(REGISTRY, 'lib')!);
    writer.store(REGISTRY, 'lib', documentOf({ '1.0.0': {}, '2.0.0': {} }, '2.0.0'));
    writer.flush();
    expect(() => p.versions['1.0.0']).toThrow(
      'another Shelf process replaced lib in the metadata cache while this run was reading it; run the command again',
    );
    // The replacement is whole: its own manifests, none of the old document's left behind.
    const fresh = fromCacheRows(reader.document(REGISTRY, 'lib')!);
    expect(fresh.versions['2.0.0']).toMatchObject({ version: '2.0.0' });
    const raw = new Database(path, { readonly: true });
    expect(raw.prepare('SELECT count(*) FROM manifests').pluck().get()).toBe(2);
    raw.close();
    reader.close();
    writer.close();
  });

  it("stores packed manifests (a document worker's shared bytes) and more than one INSERT's worth, on either writer, byte for byte", async () => {
    // 150 versions: two full multi-row INSERTs of 64 and 22 single ones; licenses of one- to four-byte UTF-8 characters,
    // so that an offset counted in characters instead of bytes would cut every later manifest wrongly.
    const versions: Record<string, Record<string, unknown>> = {};
    for (let i = 0; i < 150; i++) versions[`1.${i}.0`] = { license: `Ünï-${i}-€-𝄞${'é'.repeat(i % 5)}` };
    versions['not-semver'] = { license: 'MIT' };
    const plain = documentOf(versions, '1.149.0');
    const expected = (plain.manifests as string[]).slice();
    for (const writer of [undefined, 'thread'] as const) {
      const path = join(tempDir(), 'metadata-cache.db');
      const db = MetadataCacheDb.open(path, undefined, { writer });
      const packed = { ...plain, ...packRows(plain) };
      expect(packed.manifests.bytes.buffer).toBeInstanceOf(SharedArrayBuffer);
      db.store(REGISTRY, 'packed', packed);
      db.store(REGISTRY, 'plain', { ...plain, manifests: expected.slice() });
      // From memory, before the write: the same text as the manifests it was packed from.
      const before = db.document(REGISTRY, 'packed')!;
      expect(expected.map((_m, i) => before.manifest(i))).toEqual(expected);
      expect(before.manifest(expected.length)).toBeUndefined();
      await (writer ? db.closeAsync() : Promise.resolve(db.close()));
      const again = MetadataCacheDb.open(path);
      for (const name of ['packed', 'plain']) {
        const entry = again.document(REGISTRY, name)!;
        expect(expected.map((_m, i) => entry.manifest(i))).toEqual(expected);
        expect(fromCacheRows(entry).versions['1.77.0']).toMatchObject({ version: '1.77.0', license: 'Ünï-77-€-𝄞éé' });
      }
      again.close();
      const raw = new Database(path, { readonly: true });
      expect(raw.prepare('SELECT count(*) FROM manifests').pluck().get()).toBe(2 * 151);
      raw.close();
    }
  });

  it('drops a cache file of an older layout and starts empty', () => {
    const path = join(tempDir(), 'metadata-cache.db');
    const old = new Database(path);
    old.exec(
      "CREATE TABLE documents (registry TEXT, name TEXT, manifests TEXT); INSERT INTO documents VALUES ('r', 'n', 'x'); PRAGMA user_version = 2;",
    );
    old.close();
    const db = MetadataCacheDb.open(path);
    expect(db.document('r', 'n')).toBeUndefined();
    expect(db.holds('r')).toBe(false);
    db.close();
  });
});
