// Owns keeping hot served documents in memory: bounded by bytes (the oldest not read lately out first), and valid only while the
// database is unchanged (MetadataDb.generation(), storage/sql/port.ts), so a copy never outlives a write it did not see.
//
// A packument GET otherwise costs a package lookup, an ecosystem check and a rendering read (its buffers copied out of
// SQLite) before a byte is sent; on a small document that was a fifth of the server's CPU time under load.
import { BoundedCache } from '../../bounded-cache';
import type { MetadataDb } from '../../storage/sql/port';

/**
 * Built on BoundedCache (src/main/bounded-cache.ts: bytes, second-chance eviction), adding what documents need: a
 * generation that drops every copy when it moves, and a size limit per entry.
 */
export class HotDocuments<T> {
  private readonly entries: BoundedCache<string, { generation: string; value: T }>;
  private generation = '';

  /** `maxEntryBytes`: larger documents are not kept (they would push out many small hot ones). */
  constructor(
    maxBytes: number,
    private readonly maxEntryBytes: number = maxBytes / 16,
  ) {
    this.entries = new BoundedCache(maxBytes);
  }

  /**
   * The database's current generation; call it before reading what will be stored, so a write that lands between the
   * check and the reads only makes the copy look older than it is (it is dropped on the next look), never newer.
   * A new generation drops every copy at once.
   */
  check(db: MetadataDb): string {
    return this.checkAt(db.generation());
  }

  /** check() with a generation already read (two caches checked together cost one read: on SQLite it runs two statements). */
  checkAt(generation: string): string {
    if (generation !== this.generation) {
      this.entries.clear();
      this.generation = generation;
    }
    return generation;
  }

  get(key: string, generation: string): T | undefined {
    const hit = this.entries.get(key);
    return hit && hit.generation === generation ? hit.value : undefined;
  }

  set(key: string, generation: string, value: T, bytes: number): void {
    if (generation !== this.generation || bytes > this.maxEntryBytes) return;
    this.entries.set(key, { generation, value }, bytes);
  }

  get size(): number {
    return this.entries.size;
  }
}

/** One cache per database connection (tests and the desktop app may hold several in one process). */
export function hotDocumentsOf<T>(
  caches: WeakMap<MetadataDb, HotDocuments<T>>,
  db: MetadataDb,
  make: () => HotDocuments<T>,
): HotDocuments<T> {
  let cache = caches.get(db);
  if (!cache) {
    cache = make();
    caches.set(db, cache);
  }
  return cache;
}
