// Read-only queries the REST API needs across tables: users by email, registry totals, dependents, recent packages.
import type { Db } from './connection';
import { visibleCondition, type PackageRow, type Viewer } from './packages';
import type { UserRow } from './users';

export function findUserByEmail(db: Db, email: string): UserRow | undefined {
  return db.prepare('SELECT * FROM users WHERE email = ? COLLATE NOCASE').get(email) as UserRow | undefined;
}

export function countVersions(db: Db): number {
  return (db.prepare('SELECT count(*) AS n FROM versions').get() as { n: number }).n;
}

export function countVersionsOf(db: Db, packageId: number): number {
  return (db.prepare('SELECT count(*) AS n FROM versions WHERE package_id = ?').get(packageId) as { n: number }).n;
}

/** Packages whose latest version lists the named package among its dependencies. */
export function countDependents(db: Db, name: string): number {
  return (
    db
      .prepare(
        `SELECT count(*) AS n FROM dist_tags t JOIN versions v ON v.package_id = t.package_id AND v.version = t.version
         WHERE t.tag = 'latest' AND json_type(v.manifest, '$.dependencies."' || ? || '"') IS NOT NULL`,
      )
      .get(name) as { n: number }
  ).n;
}

/** The packages `countDependents` counts, by name, with their latest version and the range it asks for (at most `limit`). */
export function listDependents(db: Db, name: string, limit: number): { name: string; version: string; range: string; packageId: number }[] {
  return db
    .prepare(
      `SELECT p.name AS name, v.version AS version, p.id AS packageId,
              json_extract(v.manifest, '$.dependencies."' || @name || '"') AS range
       FROM dist_tags t JOIN versions v ON v.package_id = t.package_id AND v.version = t.version JOIN packages p ON p.id = t.package_id
       WHERE t.tag = 'latest' AND json_type(v.manifest, '$.dependencies."' || @name || '"') IS NOT NULL
       ORDER BY p.name LIMIT @limit`,
    )
    .all({ name, limit })
    .map((row) => {
      const r = row as { name: string; version: string; packageId: number; range: unknown };
      return { name: r.name, version: r.version, packageId: r.packageId, range: typeof r.range === 'string' ? r.range : String(r.range) };
    });
}

export function recentPackages(db: Db, limit: number): PackageRow[] {
  return db
    .prepare('SELECT * FROM packages WHERE id NOT IN (SELECT package_id FROM unlisted_packages) ORDER BY modified_at DESC, id DESC LIMIT ?')
    .all(limit) as PackageRow[];
}

export function findPackageById(db: Db, id: number): PackageRow | undefined {
  return db.prepare('SELECT * FROM packages WHERE id = ?').get(id) as PackageRow | undefined;
}

export function packageIdsInCategory(db: Db, category: string): number[] {
  return (
    db.prepare('SELECT package_id FROM package_categories WHERE category = ? ORDER BY package_id').all(category) as { package_id: number }[]
  ).map((r) => r.package_id);
}

/** Listed packages whose names start with a prefix, most downloaded first (the name index answers the range). */
export function packagesByNamePrefix(db: Db, prefix: string, limit: number): (PackageRow & { downloads: number })[] {
  return db
    .prepare(
      `SELECT p.*, coalesce(d.total, 0) AS downloads FROM packages p LEFT JOIN package_downloads d ON d.package_id = p.id
       WHERE p.name >= @lo AND p.name < @hi AND p.id NOT IN (SELECT package_id FROM unlisted_packages)
       ORDER BY downloads DESC, p.name LIMIT @limit`,
    )
    .all({ lo: prefix, hi: `${prefix}\uffff`, limit }) as (PackageRow & { downloads: number })[];
}

/** Registry totals over the packages a viewer may see: restricted packages are not counted for those who cannot see them. */
export function visibleTotals(db: Db, viewer: Viewer): { packages: number; versions: number; downloads: number } {
  const where = visibleCondition(viewer);
  return db
    .prepare(
      `SELECT count(*) AS packages,
              coalesce(sum((SELECT count(*) FROM versions v WHERE v.package_id = p.id)), 0) AS versions,
              coalesce(sum((SELECT total FROM package_downloads d WHERE d.package_id = p.id)), 0) AS downloads
       FROM packages p WHERE ${where.sql}`,
    )
    .get(...where.params) as { packages: number; versions: number; downloads: number };
}

/** `countDependents`, counting only dependents the viewer may see. */
export function countVisibleDependents(db: Db, name: string, viewer: Viewer): number {
  const where = visibleCondition(viewer);
  return (
    db
      .prepare(
        `SELECT count(*) AS n FROM dist_tags t JOIN versions v ON v.package_id = t.package_id AND v.version = t.version
         JOIN packages p ON p.id = t.package_id
         WHERE t.tag = 'latest' AND json_type(v.manifest, '$.dependencies."' || ? || '"') IS NOT NULL AND ${where.sql}`,
      )
      .get(name, ...where.params) as { n: number }
  ).n;
}

/** Packages per category, counting only those the viewer may see (a restricted package is no one else's business). */
export function visibleCategoryCounts(db: Db, viewer: Viewer): { category: string; count: number }[] {
  const where = visibleCondition(viewer);
  return db
    .prepare(
      `SELECT c.category AS category, count(*) AS count FROM package_categories c JOIN packages p ON p.id = c.package_id
       WHERE ${where.sql} GROUP BY c.category ORDER BY c.category`,
    )
    .all(...where.params) as { category: string; count: number }[];
}
