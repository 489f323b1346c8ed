// Read-only queries the REST API needs across tables: users by email, registry totals, dependents, recent packages.
import type { SqlExecutor as Db } from '../sql/port';
import { visibleCondition, type PackageRow, type Viewer } from './packages';
import type { UserRow } from './users';

export async function findUserByEmail(db: Db, email: string): Promise<UserRow | undefined> {
  const sql =
    db.dialect === 'postgres' ? 'SELECT * FROM users WHERE lower(email) = lower(?)' : 'SELECT * FROM users WHERE email = ? COLLATE NOCASE';
  return (await db.get(sql, [email])) as UserRow | undefined;
}

/** The latest manifest `v.manifest` lists the package named by the placeholder among its dependencies (JSON, per dialect). */
const dependsOn = (db: Db, name: string): string =>
  db.dialect === 'postgres'
    ? `(v.manifest::jsonb -> 'dependencies' -> (${name})::text) IS NOT NULL`
    : `json_type(v.manifest, '$.dependencies."' || ${name} || '"') IS NOT NULL`;

/** The range the latest manifest asks for that dependency (text). */
const dependencyRange = (db: Db, name: string): string =>
  db.dialect === 'postgres'
    ? `(v.manifest::jsonb -> 'dependencies' ->> (${name})::text)`
    : `json_extract(v.manifest, '$.dependencies."' || ${name} || '"')`;

export async function countVersions(db: Db): Promise<number> {
  return ((await db.get('SELECT count(*) AS n FROM versions')) as { n: number }).n;
}

export async function countVersionsOf(db: Db, packageId: number): Promise<number> {
  return ((await db.get('SELECT count(*) AS n FROM versions WHERE package_id = ?', [packageId])) as { n: number }).n;
}

/** Packages whose latest version lists the named package among its dependencies. */
export async function countDependents(db: Db, name: string): Promise<number> {
  return (
    (await db.get(
      `SELECT count(*) AS n FROM dist_tags t JOIN versions v ON v.package_id = t.package_id AND v.version = t.version
         WHERE t.tag = 'latest' AND ${dependsOn(db, '?')}`,
      [name],
    )) as { n: number }
  ).n;
}

/** The packages `countDependents` counts, by name, with their latest version and the range it asks for (at most `limit`). */
export async function listDependents(
  db: Db,
  name: string,
  limit: number,
): Promise<{ name: string; version: string; range: string; packageId: number }[]> {
  return (
    await db.all(
      `SELECT p.name AS name, v.version AS version, p.id AS packageId,
              ${dependencyRange(db, '@name')} AS range
       FROM dist_tags t JOIN versions v ON v.package_id = t.package_id AND v.version = t.version JOIN packages p ON p.id = t.package_id
       WHERE t.tag = 'latest' AND ${dependsOn(db, '@name')}
       ORDER BY p.name LIMIT @limit`,
      { name, limit },
    )
  ).map((row) => {
    const r = row as { name: string; version: string; packageId: number; range: unknown };
    return { name: r.name, version: r.version, packageId: r.packageId, range: typeof r.range === 'string' ? r.range : String(r.range) };
  });
}

export async function recentPackages(db: Db, limit: number): Promise<PackageRow[]> {
  return (await db.all(
    'SELECT * FROM packages WHERE id NOT IN (SELECT package_id FROM unlisted_packages) ORDER BY modified_at DESC, id DESC LIMIT ?',
    [limit],
  )) as PackageRow[];
}

export async function findPackageById(db: Db, id: number): Promise<PackageRow | undefined> {
  return (await db.get('SELECT * FROM packages WHERE id = ?', [id])) as PackageRow | undefined;
}

export async function packageIdsInCategory(db: Db, category: string): Promise<number[]> {
  return (
    (await db.all('SELECT package_id FROM package_categories WHERE category = ? ORDER BY package_id', [category])) as {
      package_id: number;
    }[]
  ).map((r) => r.package_id);
}

/** Listed packages whose names start with a prefix, most downloaded first (the name index answers the range). */
export async function packagesByNamePrefix(db: Db, prefix: string, limit: number): Promise<(PackageRow & { downloads: number })[]> {
  return (await db.all(
    `SELECT p.*, coalesce(d.total, 0) AS downloads FROM packages p LEFT JOIN package_downloads d ON d.package_id = p.id
       WHERE p.name >= @lo AND p.name < @hi AND p.id NOT IN (SELECT package_id FROM unlisted_packages)
       ORDER BY downloads DESC, p.name LIMIT @limit`,
    { lo: prefix, hi: `${prefix}\uffff`, limit },
  )) as (PackageRow & { downloads: number })[];
}

/** Registry totals over the packages a viewer may see: restricted packages are not counted for those who cannot see them. */
export async function visibleTotals(db: Db, viewer: Viewer): Promise<{ packages: number; versions: number; downloads: number }> {
  const where = visibleCondition(viewer);
  return (await db.get(
    `SELECT count(*) AS packages,
              coalesce(sum((SELECT count(*) FROM versions v WHERE v.package_id = p.id)), 0) AS versions,
              coalesce(sum((SELECT total FROM package_downloads d WHERE d.package_id = p.id)), 0) AS downloads
       FROM packages p WHERE ${where.sql}`,
    where.params,
  )) as { packages: number; versions: number; downloads: number };
}

/** `countDependents`, counting only dependents the viewer may see. */
export async function countVisibleDependents(db: Db, name: string, viewer: Viewer): Promise<number> {
  const where = visibleCondition(viewer);
  return (
    (await db.get(
      `SELECT count(*) AS n FROM dist_tags t JOIN versions v ON v.package_id = t.package_id AND v.version = t.version
         JOIN packages p ON p.id = t.package_id
         WHERE t.tag = 'latest' AND ${dependsOn(db, '?')} AND ${where.sql}`,
      [name, ...where.params],
    )) as { n: number }
  ).n;
}

/** Packages per category, counting only those the viewer may see (a restricted package is no one else's business). */
export async function visibleCategoryCounts(db: Db, viewer: Viewer): Promise<{ category: string; count: number }[]> {
  const where = visibleCondition(viewer);
  return (await db.all(
    `SELECT c.category AS category, count(*) AS count FROM package_categories c JOIN packages p ON p.id = c.package_id
       WHERE ${where.sql} GROUP BY c.category ORDER BY c.category`,
    where.params,
  )) as { category: string; count: number }[];
}
