// DownloadStats: counts tarball downloads per version and day, and answers the questions asked of those counts.
import { addDownload, dailyDownloads, downloadsSince, totalDownloads } from '../../storage/db/downloads';
import type { Db } from '../../storage/db/connection';
import type { PackageContext } from './context';

const DAY_MS = 24 * 60 * 60 * 1000;

export interface DownloadSummary {
  total: number;
  last_week: number;
  last_month: number;
  last_year: number;
  daily: { date: string; count: number }[];
}

export class DownloadStats {
  /**
   * @param counterDb a connection for writing counts, opened with synchronous=NORMAL: counting a download must not
   *   cost an fsync on every tarball request (a power cut may lose the last few counts, never a publish).
   */
  constructor(
    private readonly ctx: PackageContext,
    private readonly counterDb: Db = ctx.db,
  ) {}

  /** The UTC day (YYYY-MM-DD) `days` days before today. */
  dayAgo(days: number): string {
    return new Date(this.ctx.now().getTime() - days * DAY_MS).toISOString().slice(0, 10);
  }

  /** Counts one download of a version the caller has already found (and is serving). */
  countDownload(packageId: number, version: string): void {
    this.counterDb.transaction(() => addDownload(this.counterDb, packageId, version, this.dayAgo(0)))();
  }

  summary(packageId: number): DownloadSummary {
    const db = this.ctx.db;
    return {
      total: totalDownloads(db, packageId),
      last_week: downloadsSince(db, packageId, this.dayAgo(6)),
      last_month: downloadsSince(db, packageId, this.dayAgo(29)),
      last_year: downloadsSince(db, packageId, this.dayAgo(364)),
      daily: dailyDownloads(db, packageId, this.dayAgo(29)).map((d) => ({ date: d.day, count: d.count })),
    };
  }
}
