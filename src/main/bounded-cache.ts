// A map bounded by the bytes of its values, the oldest not read lately out first: the one home for the main process's
// small in-memory caches of rendered bytes (tarballs sent lately, documents spliced for another address, offline
// renderings), which the storage, service and HTTP layers each keep. Map order is insertion order; a read sets a flag
// that spares the entry once when eviction reaches it (second chance, CLOCK), as HotDocuments does: a delete and a
// re-insert on every hit cost a hot GET a visible share of its time.
interface Entry<V> {
  value: V;
  bytes: number;
  /** Read since it was stored or last spared. */
  used: boolean;
}

export class BoundedCache<K, V> {
  private readonly entries = new Map<K, Entry<V>>();
  private total = 0;

  constructor(readonly maxBytes: number) {}

  /** The value, marked as read. */
  get(key: K): V | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    entry.used = true;
    return entry.value;
  }

  /** Replaces any value under `key`; one larger than the whole bound is not kept. Evicts the oldest entries not read lately. */
  set(key: K, value: V, bytes: number): void {
    this.delete(key);
    if (bytes > this.maxBytes) return;
    const added: Entry<V> = { value, bytes, used: false };
    this.entries.set(key, added);
    this.total += bytes;
    // Oldest first; one read since the last pass (and the one just added) goes to the end with its flag cleared, so
    // this ends within two rounds of the entries. The one just added fits alone (checked above).
    while (this.total > this.maxBytes && this.entries.size > 1) {
      const [oldest, entry] = this.entries.entries().next().value as [K, Entry<V>];
      this.entries.delete(oldest);
      if (entry.used || entry === added) {
        entry.used = false;
        this.entries.set(oldest, entry);
      } else {
        this.total -= entry.bytes;
      }
    }
  }

  delete(key: K): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    this.total -= entry.bytes;
  }

  /** Drops every entry. */
  clear(): void {
    this.entries.clear();
    this.total = 0;
  }

  /** Bytes held now. */
  get bytes(): number {
    return this.total;
  }

  /** Entries held now. */
  get size(): number {
    return this.entries.size;
  }
}
