// DownloadStats: counts tarball downloads per version and day, and answers the questions asked of those counts.
import {
  addDownloads,
  allDownloads,
  dailyDownloads,
  downloadsByVersion,
  downloadsSince,
  topPackageIds,
  totalDownloads,
} from '../../storage/db/downloads';
import type { Db } from '../../storage/db/connection';
import type { PackageContext } from './context';

const DAY_MS = 24 * 60 * 60 * 1000;
/** How long counted downloads may wait in memory before they are written. */
export const DOWNLOAD_FLUSH_MS = 1000;

export interface DownloadSummary {
  total: number;
  last_week: number;
  last_month: number;
  last_year: number;
  daily: { date: string; count: number }[];
}

export class DownloadStats {
  /** Counts not yet written, by package id, version and day. */
  private pending = new Map<string, { packageId: number; version: string; day: string; count: number }>();
  private flushTimer: NodeJS.Timeout | undefined;

  /**
   * @param counterDb a connection for writing counts, opened with synchronous=NORMAL: counting a download must not
   *   cost an fsync on every tarball request (a power cut may lose the last second of counts, never a publish).
   */
  constructor(
    private readonly ctx: PackageContext,
    private readonly counterDb: Db = ctx.db,
  ) {}

  /** The UTC day (YYYY-MM-DD) `days` days before today. */
  dayAgo(days: number): string {
    return new Date(this.ctx.now().getTime() - days * DAY_MS).toISOString().slice(0, 10);
  }

  /**
   * Counts one download of a version the caller has already found (and is serving). Counts are kept in memory and
   * written together at most DOWNLOAD_FLUSH_MS later: a write transaction per tarball request cost a quarter of the
   * tarball throughput (bench/03-tarball.mjs). Every read below writes them first, so answers are never stale.
   */
  countDownload(packageId: number, version: string): void {
    const day = this.dayAgo(0);
    const key = `${packageId}\0${version}\0${day}`;
    const entry = this.pending.get(key);
    if (entry) entry.count++;
    else this.pending.set(key, { packageId, version, day, count: 1 });
    this.flushTimer ??= setTimeout(() => this.flush(), DOWNLOAD_FLUSH_MS).unref();
  }

  /** Writes the counts kept in memory, in one transaction. */
  flush(): void {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    if (this.pending.size === 0) return;
    const entries = [...this.pending.values()];
    this.pending = new Map();
    this.counterDb.transaction(() => {
      for (const e of entries) addDownloads(this.counterDb, e.packageId, e.version, e.day, e.count);
    })();
  }

  summary(packageId: number): DownloadSummary {
    this.flush();
    const db = this.ctx.db;
    return {
      total: totalDownloads(db, packageId),
      last_week: downloadsSince(db, packageId, this.dayAgo(6)),
      last_month: downloadsSince(db, packageId, this.dayAgo(29)),
      last_year: downloadsSince(db, packageId, this.dayAgo(364)),
      daily: dailyDownloads(db, packageId, this.dayAgo(29)).map((d) => ({ date: d.day, count: d.count })),
    };
  }

  /** Downloads of each version of a package, all time. */
  byVersion(packageId: number): Map<string, number> {
    this.flush();
    return downloadsByVersion(this.ctx.db, packageId);
  }

  /** Packages by downloads on or after a day (all time when undefined), most first. */
  top(limit: number, sinceDay?: string): { package_id: number; downloads: number }[] {
    this.flush();
    return topPackageIds(this.ctx.db, limit, sinceDay);
  }

  /** Downloads of every package, all time. */
  total(): number {
    this.flush();
    return allDownloads(this.ctx.db);
  }
}
