// The download_counts and package_downloads tables: daily counts per version, and a running total per package.
import type { SqlExecutor as Db } from '../sql/port';

/** Adds `count` downloads of a version on a day (YYYY-MM-DD) to the daily and the running counts. */
export async function addDownloads(db: Db, packageId: number, version: string, day: string, count: number): Promise<void> {
  await db.run(
    `INSERT INTO download_counts (package_id, version, day, count) VALUES (?, ?, ?, ?)
     ON CONFLICT (package_id, version, day) DO UPDATE SET count = download_counts.count + excluded.count`,
    [packageId, version, day, count],
  );
  // Popularity is stored already on a log scale, so ranking reads one column instead of computing per row.
  await db.run(
    `INSERT INTO package_downloads (package_id, total, popularity) VALUES (?, ?, ln(CAST(? AS DOUBLE PRECISION) + 1))
     ON CONFLICT (package_id) DO UPDATE SET total = package_downloads.total + excluded.total, popularity = ln(package_downloads.total + excluded.total + 1)`,
    [packageId, count, count],
  );
}

export async function totalDownloads(db: Db, packageId: number): Promise<number> {
  return (
    ((await db.get('SELECT total FROM package_downloads WHERE package_id = ?', [packageId])) as { total: number } | undefined)?.total ?? 0
  );
}

/** Downloads of a package on or after a day (YYYY-MM-DD). */
export async function downloadsSince(db: Db, packageId: number, day: string): Promise<number> {
  return (
    (await db.get('SELECT coalesce(sum(count), 0) AS n FROM download_counts WHERE package_id = ? AND day >= ?', [packageId, day])) as {
      n: number;
    }
  ).n;
}

export async function downloadsByVersion(db: Db, packageId: number): Promise<Map<string, number>> {
  const rows = (await db.all('SELECT version, sum(count) AS n FROM download_counts WHERE package_id = ? GROUP BY version', [
    packageId,
  ])) as {
    version: string;
    n: number;
  }[];
  return new Map(rows.map((r) => [r.version, r.n]));
}

export async function dailyDownloads(db: Db, packageId: number, fromDay: string): Promise<{ day: string; count: number }[]> {
  return (await db.all('SELECT day, sum(count) AS count FROM download_counts WHERE package_id = ? AND day >= ? GROUP BY day ORDER BY day', [
    packageId,
    fromDay,
  ])) as { day: string; count: number }[];
}

export async function allDownloads(db: Db): Promise<number> {
  return ((await db.get('SELECT coalesce(sum(total), 0) AS n FROM package_downloads')) as { n: number }).n;
}

/** Packages by downloads on or after a day (all time when day is undefined), most first. */
export async function topPackageIds(db: Db, limit: number, sinceDay?: string): Promise<{ package_id: number; downloads: number }[]> {
  if (sinceDay === undefined) {
    return (await db.all(
      'SELECT package_id, total AS downloads FROM package_downloads WHERE total > 0 ORDER BY total DESC, package_id DESC LIMIT ?',
      [limit],
    )) as {
      package_id: number;
      downloads: number;
    }[];
  }
  return (await db.all(
    'SELECT package_id, sum(count) AS downloads FROM download_counts WHERE day >= ? GROUP BY package_id ORDER BY downloads DESC, package_id DESC LIMIT ?',
    [sinceDay, limit],
  )) as { package_id: number; downloads: number }[];
}
