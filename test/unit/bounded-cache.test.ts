// BoundedCache (src/main/bounded-cache.ts): bounded by the bytes of its values; eviction takes the oldest entry not read
// since it was stored or last spared (second chance), never the one just stored.
import { describe, expect, it } from 'vitest';
import { BoundedCache } from '../../src/main/bounded-cache';

describe('BoundedCache', () => {
  it('keeps its bytes within the bound, oldest unread out first', () => {
    const cache = new BoundedCache<string, string>(30);
    cache.set('a', 'A', 10);
    cache.set('b', 'B', 10);
    cache.set('c', 'C', 10);
    expect(cache.bytes).toBe(30);
    cache.set('d', 'D', 10);
    expect(cache.bytes).toBe(30);
    expect(cache.get('a')).toBeUndefined();
    expect([cache.get('b'), cache.get('c'), cache.get('d')]).toEqual(['B', 'C', 'D']);
  });

  it('spares an entry read since it was stored, once', () => {
    const cache = new BoundedCache<string, string>(30);
    cache.set('a', 'A', 10);
    cache.set('b', 'B', 10);
    cache.set('c', 'C', 10);
    expect(cache.get('a')).toBe('A');
    cache.set('d', 'D', 10);
    // 'a' was read, so the unread 'b' goes in its place.
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toBe('A');
    expect(cache.bytes).toBe(30);
    // Now 'c' is the oldest and unread: it goes, and 'a', read again, stays with 'd' and the new 'e'.
    cache.set('e', 'E', 10);
    expect(cache.bytes).toBe(30);
    expect(cache.get('c')).toBeUndefined();
    expect([cache.get('a'), cache.get('d'), cache.get('e')]).toEqual(['A', 'D', 'E']);
  });

  it('evicts several to fit a large value, keeps the new one, and refuses one larger than the bound', () => {
    const cache = new BoundedCache<string, string>(30);
    for (const key of ['a', 'b', 'c']) cache.set(key, key, 10);
    for (const key of ['a', 'b', 'c']) cache.get(key);
    cache.set('big', 'BIG', 25);
    expect(cache.get('big')).toBe('BIG');
    expect(cache.bytes).toBeLessThanOrEqual(30);
    expect(cache.bytes).toBe(25);
    cache.set('huge', 'HUGE', 31);
    expect(cache.get('huge')).toBeUndefined();
    expect(cache.get('big')).toBe('BIG');
  });

  it('replacing a value counts its bytes once, and delete gives them back', () => {
    const cache = new BoundedCache<string, string>(100);
    cache.set('a', 'A', 40);
    cache.set('a', 'A2', 60);
    expect(cache.bytes).toBe(60);
    expect(cache.get('a')).toBe('A2');
    cache.delete('a');
    expect(cache.bytes).toBe(0);
    expect(cache.get('a')).toBeUndefined();
  });
});
