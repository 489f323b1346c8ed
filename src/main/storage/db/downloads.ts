// The download_counts and package_downloads tables: daily counts per version, and a running total per package.
import type { Db } from './connection';

/** Adds `count` downloads of a version on a day (YYYY-MM-DD) to the daily and the running counts. */
export function addDownloads(db: Db, packageId: number, version: string, day: string, count: number): void {
  db.prepare(
    `INSERT INTO download_counts (package_id, version, day, count) VALUES (?, ?, ?, ?)
     ON CONFLICT (package_id, version, day) DO UPDATE SET count = count + excluded.count`,
  ).run(packageId, version, day, count);
  // Popularity is stored already on a log scale, so ranking reads one column instead of computing per row.
  db.prepare(
    `INSERT INTO package_downloads (package_id, total, popularity) VALUES (?, ?, ln(? + 1))
     ON CONFLICT (package_id) DO UPDATE SET total = total + excluded.total, popularity = ln(total + excluded.total + 1)`,
  ).run(packageId, count, count);
}

export function totalDownloads(db: Db, packageId: number): number {
  return (
    (db.prepare('SELECT total FROM package_downloads WHERE package_id = ?').get(packageId) as { total: number } | undefined)?.total ?? 0
  );
}

/** Downloads of a package on or after a day (YYYY-MM-DD). */
export function downloadsSince(db: Db, packageId: number, day: string): number {
  return (
    db.prepare('SELECT coalesce(sum(count), 0) AS n FROM download_counts WHERE package_id = ? AND day >= ?').get(packageId, day) as {
      n: number;
    }
  ).n;
}

export function downloadsByVersion(db: Db, packageId: number): Map<string, number> {
  const rows = db.prepare('SELECT version, sum(count) AS n FROM download_counts WHERE package_id = ? GROUP BY version').all(packageId) as {
    version: string;
    n: number;
  }[];
  return new Map(rows.map((r) => [r.version, r.n]));
}

export function dailyDownloads(db: Db, packageId: number, fromDay: string): { day: string; count: number }[] {
  return db
    .prepare('SELECT day, sum(count) AS count FROM download_counts WHERE package_id = ? AND day >= ? GROUP BY day ORDER BY day')
    .all(packageId, fromDay) as { day: string; count: number }[];
}

export function allDownloads(db: Db): number {
  return (db.prepare('SELECT coalesce(sum(total), 0) AS n FROM package_downloads').get() as { n: number }).n;
}

/** Packages by downloads on or after a day (all time when day is undefined), most first. */
export function topPackageIds(db: Db, limit: number, sinceDay?: string): { package_id: number; downloads: number }[] {
  if (sinceDay === undefined) {
    return db
      .prepare('SELECT package_id, total AS downloads FROM package_downloads WHERE total > 0 ORDER BY total DESC, package_id DESC LIMIT ?')
      .all(limit) as {
      package_id: number;
      downloads: number;
    }[];
  }
  return db
    .prepare(
      'SELECT package_id, sum(count) AS downloads FROM download_counts WHERE day >= ? GROUP BY package_id ORDER BY downloads DESC, package_id DESC LIMIT ?',
    )
    .all(sinceDay, limit) as { package_id: number; downloads: number }[];
}
