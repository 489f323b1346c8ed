// Keeps cached upstream tarballs under the size cap: least recently used first, never pinned packages, never local ones.
import type { BlobStore } from '../../storage/blobs/blob-store';
import type { MetadataDb } from '../../storage/sql/port';
import { cachedBytes, deleteCachedTarball, evictionCandidates } from '../../storage/db/mirror';
import { isIntegrityReferenced } from '../../storage/db/packages';

export class CacheEviction {
  constructor(
    private readonly db: MetadataDb,
    private readonly blobs: BlobStore,
    private readonly capBytes: () => number | null,
  ) {}

  /** Evicts until the cache fits its cap; `keep` (the tarball just fetched) is never the one evicted. Returns what went. */
  async enforceCap(options: { keep?: { name: string; version: string } } = {}): Promise<{ name: string; version: string; size: number }[]> {
    const cap = this.capBytes();
    if (cap === null) return [];
    let total = await cachedBytes(this.db);
    const evicted: { name: string; version: string; size: number }[] = [];
    for (const row of await evictionCandidates(this.db)) {
      if (total <= cap) break;
      if (options.keep && row.name === options.keep.name && row.version === options.keep.version) continue;
      await deleteCachedTarball(this.db, row.name, row.version);
      // Local packages keep their blobs: a blob is removed only when nothing else points at it.
      if (!(await isIntegrityReferenced(this.db, row.integrity))) await this.blobs.remove(row.integrity);
      total -= row.size;
      evicted.push({ name: row.name, version: row.version, size: row.size });
    }
    return evicted;
  }
}
