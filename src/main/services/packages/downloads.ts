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
import type { MetadataDb } from '../../storage/sql/port';
import type { PackageContext } from './context';
import { isForeignKeyViolation } from '../../storage/sql/errors';

const DAY_MS = 24 * 60 * 60 * 1000;
/** How long counted downloads may wait in memory before they are written. */
export const DOWNLOAD_FLUSH_MS = 1000;
/** After a failed write, counts wait this long before the next try, doubling up to DOWNLOAD_RETRY_MAX_MS. */
const DOWNLOAD_RETRY_MIN_MS = 2000;
const DOWNLOAD_RETRY_MAX_MS = 60_000;
/**
 * Counts (package, version, day) kept for a retry at most; past it, the newest failed ones are dropped. A full or
 * read-only disk can last for hours, and memory must stay bounded meanwhile: counts are statistics, not data.
 */
export const DOWNLOAD_PENDING_MAX = 10_000;

export interface DownloadSummary {
  total: number;
  last_week: number;
  last_month: number;
  last_year: number;
  daily: { date: string; count: number }[];
}

interface PendingCount {
  packageId: number;
  version: string;
  day: string;
  count: number;
}

export class DownloadStats {
  /** Counts not yet written, by package id, version and day. */
  private pending = new Map<string, PendingCount>();
  private flushTimer: NodeJS.Timeout | undefined;
  /** Failed writes in a row; the retry delay grows with it and a failure is logged once per streak. */
  private failures = 0;
  /** The last flush's write; never rejects (write() catches everything). */
  private flushed: Promise<void> = Promise.resolve();

  /**
   * @param counterDb a connection for writing counts, opened with synchronous=NORMAL: counting a download must not
   *   cost an fsync on every tarball request (a power cut may lose the last second of counts, never a publish).
   * @param warn where a failed write of counts is reported (it never fails a request nor stops the server).
   */
  constructor(
    private readonly ctx: PackageContext,
    private readonly counterDb: MetadataDb = ctx.db,
    private readonly warn: (message: string) => void = () => undefined,
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
    this.flushTimer ??= setTimeout(() => void this.flush(), DOWNLOAD_FLUSH_MS).unref();
  }

  /**
   * Writes the counts kept in memory, in one transaction. Never throws: it runs from a timer (where a throw would end
   * the process) and before reads (which must not fail because counts could not be written). Counts of a package
   * unpublished meanwhile are dropped (its rows are gone, so the foreign key refuses them); counts that failed for
   * another reason (a full or read-only disk, a busy database) are kept and retried later, up to DOWNLOAD_PENDING_MAX.
   */
  flush(): Promise<void> {
    // One write at a time, in order: a read that flushes must also wait for a write already under way, or it could
    // miss the counts that write took out of memory.
    const next = this.flushed.then(() => this.write());
    this.flushed = next;
    return next;
  }

  private async write(): Promise<void> {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    if (this.pending.size === 0) return;
    const entries = [...this.pending.values()];
    this.pending = new Map();
    try {
      await this.counterDb.transaction(async () => {
        for (const e of entries) await addDownloads(this.counterDb, e.packageId, e.version, e.day, e.count);
      });
      if (this.failures > 0) this.warn(`download counts: written again after ${this.failures} failed attempt(s)`);
      this.failures = 0;
    } catch (error) {
      await this.recover(entries, error);
    }
  }

  /** After a failed batch: writes what can be written one by one, drops the unpublished, keeps the rest for a retry. */
  private async recover(entries: PendingCount[], batchError: unknown): Promise<void> {
    let dropped = 0;
    const failed: PendingCount[] = [];
    let lastError = batchError;
    for (const e of entries) {
      try {
        await addDownloads(this.counterDb, e.packageId, e.version, e.day, e.count);
      } catch (error) {
        if (isForeignKeyViolation(error)) dropped++;
        else {
          failed.push(e);
          lastError = error;
        }
      }
    }
    if (dropped > 0) this.warn(`download counts: dropped ${dropped} count(s) of packages unpublished before they were written`);
    if (failed.length === 0) return;
    let overflow = 0;
    for (const e of failed) {
      const key = `${e.packageId}\0${e.version}\0${e.day}`;
      const entry = this.pending.get(key);
      if (entry) entry.count += e.count;
      else if (this.pending.size < DOWNLOAD_PENDING_MAX) this.pending.set(key, e);
      else overflow++;
    }
    this.failures++;
    const delay = Math.min(DOWNLOAD_RETRY_MIN_MS * 2 ** (this.failures - 1), DOWNLOAD_RETRY_MAX_MS);
    if (this.failures === 1 || overflow > 0) {
      this.warn(
        `download counts: could not write ${failed.length} count(s) (${(lastError as Error)?.message ?? String(lastError)}); ` +
          `keeping them in memory and retrying every ${delay / 1000} s or so` +
          (overflow > 0 ? `; dropped ${overflow} beyond the ${DOWNLOAD_PENDING_MAX} kept` : ''),
      );
    }
    clearTimeout(this.flushTimer);
    this.flushTimer = setTimeout(() => void this.flush(), delay).unref();
  }

  async summary(packageId: number): Promise<DownloadSummary> {
    await this.flush();
    const db = this.ctx.db;
    return {
      total: await totalDownloads(db, packageId),
      last_week: await downloadsSince(db, packageId, this.dayAgo(6)),
      last_month: await downloadsSince(db, packageId, this.dayAgo(29)),
      last_year: await downloadsSince(db, packageId, this.dayAgo(364)),
      daily: (await dailyDownloads(db, packageId, this.dayAgo(29))).map((d) => ({ date: d.day, count: d.count })),
    };
  }

  /** Downloads of each version of a package, all time. */
  async byVersion(packageId: number): Promise<Map<string, number>> {
    await this.flush();
    return downloadsByVersion(this.ctx.db, packageId);
  }

  /** Packages by downloads on or after a day (all time when undefined), most first. */
  async top(limit: number, sinceDay?: string): Promise<{ package_id: number; downloads: number }[]> {
    await this.flush();
    return topPackageIds(this.ctx.db, limit, sinceDay);
  }

  /** Downloads of every package, all time. */
  async total(): Promise<number> {
    await this.flush();
    return allDownloads(this.ctx.db);
  }
}
