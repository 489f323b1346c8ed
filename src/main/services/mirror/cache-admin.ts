// Cache management: what is cached, pins, purges, and re-verifying every cached tarball against its hash.
import ssri from 'ssri';
import type { BlobStore } from '../../storage/blobs/blob-store';
import type { MetadataDb } from '../../storage/sql/port';
import {
  cachedBytes,
  deleteCachedTarball,
  deleteUpstreamPackument,
  isPinned,
  listCachedTarballs,
  pinPackage,
  unpinPackage,
} from '../../storage/db/mirror';
import { isIntegrityReferenced } from '../../storage/db/packages';
import { notFound } from '../../errors';

export interface CachedPackageStatus {
  name: string;
  versions: string[];
  bytes: number;
  lastUsed: string;
  pinned: boolean;
}

export interface CacheStatus {
  totalBytes: number;
  capBytes: number | null;
  packages: CachedPackageStatus[];
}

export interface VerifyReport {
  checked: number;
  ok: number;
  /** Tarballs whose bytes no longer match their hash (or are gone); moved to blobs/quarantine and dropped from the cache. */
  quarantined: { name: string; version: string; problem: string }[];
}

export class CacheAdmin {
  constructor(
    private readonly db: MetadataDb,
    private readonly blobs: BlobStore,
    private readonly dataDir: string,
    private readonly capBytes: () => number | null,
    private readonly now: () => Date,
  ) {}

  async status(): Promise<CacheStatus> {
    const byName = new Map<string, CachedPackageStatus>();
    for (const row of await listCachedTarballs(this.db)) {
      const entry = byName.get(row.name) ?? {
        name: row.name,
        versions: [],
        bytes: 0,
        lastUsed: row.last_used_at,
        pinned: await isPinned(this.db, row.name),
      };
      entry.versions.push(row.version);
      entry.bytes += row.size;
      if (row.last_used_at > entry.lastUsed) entry.lastUsed = row.last_used_at;
      byName.set(row.name, entry);
    }
    return { totalBytes: await cachedBytes(this.db), capBytes: this.capBytes(), packages: [...byName.values()] };
  }

  async pin(name: string): Promise<void> {
    await pinPackage(this.db, name, this.now().toISOString());
  }

  async unpin(name: string): Promise<void> {
    await unpinPackage(this.db, name);
  }

  /**
   * What `purge(name)` would remove, without removing it: the cached versions and the bytes freed (a tarball this registry
   * also holds as a published version stays on disk, so it frees nothing).
   */
  async purgePlan(name: string): Promise<{ name: string; versions: string[]; bytes: number }> {
    const rows = (await listCachedTarballs(this.db)).filter((r) => r.name === name);
    if (rows.length === 0) throw notFound(`nothing of '${name}' is cached`);
    // The purge's own deletes, run in a transaction that is always rolled back: what is left unreferenced is what it frees.
    const rollback = new Error('dry run');
    const freed = new Map<string, number>();
    try {
      await this.db.transaction(async () => {
        for (const row of rows) await deleteCachedTarball(this.db, row.name, row.version);
        for (const row of rows) if (!(await isIntegrityReferenced(this.db, row.integrity))) freed.set(row.integrity, row.size);
        throw rollback;
      });
    } catch (error) {
      if (error !== rollback) throw error;
    }
    return { name, versions: rows.map((r) => r.version), bytes: [...freed.values()].reduce((n, b) => n + b, 0) };
  }

  /** Drops a package's cached tarballs and packument (or everything's); returns how many tarballs went. */
  async purge(name?: string): Promise<number> {
    const rows = (await listCachedTarballs(this.db)).filter((r) => name === undefined || r.name === name);
    if (name !== undefined && rows.length === 0) throw notFound(`nothing of '${name}' is cached`);
    for (const row of rows) {
      await deleteCachedTarball(this.db, row.name, row.version);
      if (!(await isIntegrityReferenced(this.db, row.integrity))) await this.blobs.remove(row.integrity);
    }
    for (const n of new Set(rows.map((r) => r.name))) await deleteUpstreamPackument(this.db, n);
    return rows.length;
  }

  async verify(onProgress?: (done: number, total: number) => void): Promise<VerifyReport> {
    const rows = await listCachedTarballs(this.db);
    const report: VerifyReport = { checked: 0, ok: 0, quarantined: [] };
    for (const row of rows) {
      report.checked++;
      let problem: string | undefined;
      try {
        const ok =
          (await this.blobs.has(row.integrity)) &&
          (await ssri.checkStream(await this.blobs.stream(row.integrity), row.integrity).then(
            () => true,
            () => false,
          ));
        if (!ok) problem = (await this.blobs.has(row.integrity)) ? 'its bytes do not match its sha512' : 'the file is missing';
      } catch (error) {
        problem = (error as Error).message;
      }
      if (problem) {
        // Kept for inspection in the store's quarantine (blobs/quarantine/ of the folder or the bucket's prefix).
        if (problem !== 'the file is missing') await this.blobs.quarantine(row.integrity).catch(() => undefined);
        await deleteCachedTarball(this.db, row.name, row.version);
        report.quarantined.push({ name: row.name, version: row.version, problem });
      } else report.ok++;
      onProgress?.(report.checked, rows.length);
    }
    return report;
  }
}
