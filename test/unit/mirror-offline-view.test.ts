// The offline view: dist-tags moved onto cached versions, and the bounded memory of offline renderings.
import { describe, expect, it } from 'vitest';
import { OfflineViewCache, offlineDistTags } from '../../src/main/services/mirror/offline-view';

const doc = (bytes: number) => {
  const part = {
    json: Buffer.alloc(bytes / 4),
    gzip: Buffer.alloc(bytes / 4),
    gzipBase: 'http://127.0.0.1:4873/',
    etag: '"e"',
    lastModified: '',
    isPublic: true,
  };
  return { full: part, abbrev: part };
};

describe('offlineDistTags', () => {
  it('moves a tag to the highest cached version below it, keeping releases off prereleases', () => {
    expect(offlineDistTags({ latest: '2.0.0', next: '3.0.0-beta.1' }, ['1.0.0', '1.5.0', '3.0.0-alpha.1'])).toEqual({
      latest: '1.5.0',
      next: '3.0.0-alpha.1',
    });
  });
});

describe('OfflineViewCache', () => {
  it('answers only for the key the renderings were made for', () => {
    const cache = new OfflineViewCache(1000);
    const d = doc(100);
    cache.set('a', 'k1', d);
    expect(cache.get('a', 'k1')).toBe(d);
    expect(cache.get('a', 'k2')).toBeUndefined();
  });

  it('stays within its byte cap by dropping the least recently used', () => {
    const cache = new OfflineViewCache(1000);
    cache.set('a', 'k', doc(400));
    cache.set('b', 'k', doc(400));
    expect(cache.get('a', 'k')).toBeDefined(); // a is now the most recently used
    cache.set('c', 'k', doc(400));
    expect(cache.bytes).toBe(800);
    expect(cache.get('b', 'k')).toBeUndefined();
    expect(cache.get('a', 'k')).toBeDefined();
    expect(cache.get('c', 'k')).toBeDefined();
  });

  it('replaces an entry in place, forgets on delete, and never keeps one larger than the cap', () => {
    const cache = new OfflineViewCache(1000);
    cache.set('a', 'k1', doc(400));
    cache.set('a', 'k2', doc(200));
    expect(cache.bytes).toBe(200);
    cache.delete('a');
    expect(cache.bytes).toBe(0);
    cache.set('huge', 'k', doc(2000));
    expect(cache.bytes).toBe(0);
    expect(cache.get('huge', 'k')).toBeUndefined();
  });
});
