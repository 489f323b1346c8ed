// Owns keeping hot served documents in memory: bounded by bytes (the oldest not read lately out first), and valid only while the
// database is unchanged (MetadataDb.generation(), storage/sql/port.ts), so a copy never outlives a write it did not see.
//
// A packument GET otherwise costs a package lookup, an ecosystem check and a rendering read (its buffers copied out of
// SQLite) before a byte is sent; on a small document that was a fifth of the server's CPU time under load.
import type { MetadataDb } from '../../storage/sql/port';

interface Entry<T> {
  generation: string;
  value: T;
  bytes: number;
  /** Read since it was stored or last spared: the next eviction pass spares it once (second chance, CLOCK). */
  used: boolean;
}

export class HotDocuments<T> {
  private readonly entries = new Map<string, Entry<T>>();
  private bytes = 0;
  private generation = '';

  /** `maxEntryBytes`: larger documents are not kept (they would push out many small hot ones). */
  constructor(
    private readonly maxBytes: number,
    private readonly maxEntryBytes: number = maxBytes / 16,
  ) {}

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
      this.bytes = 0;
      this.generation = generation;
    }
    return generation;
  }

  get(key: string, generation: string): T | undefined {
    const hit = this.entries.get(key);
    if (!hit || hit.generation !== generation) return undefined;
    // A flag, not a move to the Map's end: a delete and a re-insert on every hot GET was a visible share of its time.
    hit.used = true;
    return hit.value;
  }

  set(key: string, generation: string, value: T, bytes: number): void {
    if (generation !== this.generation || bytes > this.maxEntryBytes) return;
    const old = this.entries.get(key);
    if (old) {
      this.bytes -= old.bytes;
      this.entries.delete(key);
    }
    const added: Entry<T> = { generation, value, bytes, used: false };
    this.entries.set(key, added);
    this.bytes += bytes;
    // Oldest first (a Map iterates in insertion order); an entry read since the last pass, and the one just added, go
    // to the end instead. A pass clears the flags it meets, so this ends within two rounds of the entries.
    while (this.bytes > this.maxBytes && this.entries.size > 1) {
      const [oldest, entry] = this.entries.entries().next().value as [string, Entry<T>];
      this.entries.delete(oldest);
      if (entry.used || entry === added) {
        entry.used = false;
        this.entries.set(oldest, entry);
      } else {
        this.bytes -= entry.bytes;
      }
    }
    if (this.bytes > this.maxBytes) {
      this.entries.delete(key);
      this.bytes -= bytes;
    }
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
