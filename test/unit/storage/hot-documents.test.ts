// HotDocuments (services/packages/hot-documents.ts): bounded by bytes, the oldest entry not read lately evicted first
// (a read spares an entry once), a new generation drops everything, and an entry of an old generation is never served.
import { describe, expect, it } from 'vitest';
import { HotDocuments } from '../../../src/main/services/packages/hot-documents';

describe('HotDocuments', () => {
  it('keeps at most its byte cap, sparing what was read since and never the entry just added', () => {
    const hot = new HotDocuments<string>(300, 300);
    const g = hot.checkAt('g1');
    hot.set('a', g, 'A', 100);
    hot.set('b', g, 'B', 100);
    hot.set('c', g, 'C', 100);
    expect(hot.get('a', g)).toBe('A'); // read: spared by the next eviction
    hot.set('d', g, 'D', 100); // over 300: 'b', the oldest not read, goes
    expect(hot.get('b', g)).toBeUndefined();
    expect(['a', 'c', 'd'].map((k) => hot.get(k, g))).toEqual(['A', 'C', 'D']);
    // Every entry read since the last pass: one round clears the flags, then the oldest goes; 'e' itself stays.
    hot.set('e', g, 'E', 100);
    expect(hot.size).toBe(3);
    expect(hot.get('e', g)).toBe('E');
  });

  it('does not keep an entry over its per-entry bound, nor one of another generation', () => {
    const hot = new HotDocuments<string>(1000, 100);
    const g = hot.checkAt('g1');
    hot.set('big', g, 'BIG', 101);
    expect(hot.get('big', g)).toBeUndefined();
    hot.set('stale', 'g0', 'S', 10);
    expect(hot.get('stale', 'g0')).toBeUndefined();
  });

  it('drops everything when the generation moves', () => {
    const hot = new HotDocuments<string>(1000);
    const g1 = hot.checkAt('g1');
    hot.set('a', g1, 'A', 10);
    expect(hot.get('a', g1)).toBe('A');
    const g2 = hot.checkAt('g2');
    expect(hot.size).toBe(0);
    expect(hot.get('a', g2)).toBeUndefined();
    expect(hot.get('a', g1)).toBeUndefined();
  });

  it('replaces an entry under the same key without counting it twice', () => {
    const hot = new HotDocuments<string>(200, 200);
    const g = hot.checkAt('g1');
    hot.set('a', g, 'A1', 150);
    hot.set('a', g, 'A2', 150);
    expect(hot.get('a', g)).toBe('A2');
    hot.set('b', g, 'B', 50);
    expect(hot.get('a', g)).toBe('A2');
    expect(hot.get('b', g)).toBe('B');
  });
});
