// The package tables: packages, versions, dist-tags, maintainers, retired versions and rendered packuments.
import type { SqlExecutor as Db } from '../sql/port';

export interface PackageRow {
  id: number;
  name: string;
  access: 'public' | 'restricted';
  rev: string;
  created_at: string;
  modified_at: string;
  readme: string;
}

export interface VersionRow {
  id: number;
  package_id: number;
  version: string;
  manifest: string;
  integrity: string;
  shasum: string;
  tarball_size: number;
  deprecated: string | null;
  published_at: string;
  published_by: number | null;
}

export interface MaintainerRow {
  id: number;
  name: string;
  email: string | null;
}

export interface PackumentRow {
  package_id: number;
  base_url: string;
  full_json: Buffer;
  full_gzip: Buffer;
  full_etag: string;
  abbrev_json: Buffer;
  abbrev_gzip: Buffer;
  abbrev_etag: string;
}

export async function findPackage(db: Db, name: string): Promise<PackageRow | undefined> {
  return (await db.get('SELECT * FROM packages WHERE name = ?', [name])) as PackageRow | undefined;
}

export async function insertPackage(db: Db, row: Omit<PackageRow, 'id'>): Promise<PackageRow> {
  const inserted = (await db.get(
    'INSERT INTO packages (name, access, rev, created_at, modified_at, readme) VALUES (@name, @access, @rev, @created_at, @modified_at, @readme) RETURNING id',
    row,
  )) as { id: number };
  return { ...row, id: inserted.id };
}

export async function updatePackage(
  db: Db,
  id: number,
  fields: Partial<Pick<PackageRow, 'access' | 'rev' | 'modified_at' | 'readme'>>,
): Promise<void> {
  const keys = Object.keys(fields) as (keyof typeof fields)[];
  if (keys.length === 0) return;
  await db.run(`UPDATE packages SET ${keys.map((k) => `${k} = @${k}`).join(', ')} WHERE id = @id`, { ...fields, id });
}

export async function deletePackage(db: Db, id: number): Promise<void> {
  await db.run('DELETE FROM search_index WHERE package_id = ?', [id]);
  await db.run('DELETE FROM packages WHERE id = ?', [id]);
}

export async function listPackages(db: Db, offset: number, limit: number): Promise<PackageRow[]> {
  return (await db.all('SELECT * FROM packages ORDER BY name LIMIT ? OFFSET ?', [limit, offset])) as PackageRow[];
}

export async function countPackages(db: Db): Promise<number> {
  return ((await db.get('SELECT count(*) AS n FROM packages')) as { n: number }).n;
}

export async function listVersions(db: Db, packageId: number): Promise<VersionRow[]> {
  return (await db.all('SELECT * FROM versions WHERE package_id = ?', [packageId])) as VersionRow[];
}

export async function findVersion(db: Db, packageId: number, version: string): Promise<VersionRow | undefined> {
  return (await db.get('SELECT * FROM versions WHERE package_id = ? AND version = ?', [packageId, version])) as VersionRow | undefined;
}

export async function insertVersion(db: Db, row: Omit<VersionRow, 'id'>): Promise<void> {
  await db.run(
    `INSERT INTO versions (package_id, version, manifest, integrity, shasum, tarball_size, deprecated, published_at, published_by)
     VALUES (@package_id, @version, @manifest, @integrity, @shasum, @tarball_size, @deprecated, @published_at, @published_by)`,
    row,
  );
}

export async function deleteVersion(db: Db, packageId: number, version: string): Promise<void> {
  await db.run('DELETE FROM versions WHERE package_id = ? AND version = ?', [packageId, version]);
}

export async function setDeprecated(db: Db, packageId: number, version: string, message: string | null): Promise<void> {
  await db.run('UPDATE versions SET deprecated = ? WHERE package_id = ? AND version = ?', [message, packageId, version]);
}

/** True while a local version or a cached upstream tarball still points at the blob (blobs are shared by content). */
export async function isIntegrityReferenced(db: Db, integrity: string): Promise<boolean> {
  return (
    (await db.get('SELECT 1 FROM versions WHERE integrity = ? UNION ALL SELECT 1 FROM cached_tarballs WHERE integrity = ? LIMIT 1', [
      integrity,
      integrity,
    ])) !== undefined
  );
}

export async function packageExists(db: Db, name: string): Promise<boolean> {
  return (await db.get('SELECT 1 FROM packages WHERE name = ?', [name])) !== undefined;
}

/** A name published here at any time, even if every version was unpublished since. */
export async function isLocalName(db: Db, name: string): Promise<boolean> {
  return (
    (await packageExists(db, name)) || (await db.get('SELECT 1 FROM retired_versions WHERE package_name = ? LIMIT 1', [name])) !== undefined
  );
}

export async function getDistTags(db: Db, packageId: number): Promise<Record<string, string>> {
  const rows = (await db.all('SELECT tag, version FROM dist_tags WHERE package_id = ? ORDER BY tag', [packageId])) as {
    tag: string;
    version: string;
  }[];
  return Object.fromEntries(rows.map((r) => [r.tag, r.version]));
}

export async function setDistTag(db: Db, packageId: number, tag: string, version: string): Promise<void> {
  await db.run(
    'INSERT INTO dist_tags (package_id, tag, version) VALUES (?, ?, ?) ON CONFLICT (package_id, tag) DO UPDATE SET version = excluded.version',
    [packageId, tag, version],
  );
}

export async function deleteDistTag(db: Db, packageId: number, tag: string): Promise<void> {
  await db.run('DELETE FROM dist_tags WHERE package_id = ? AND tag = ?', [packageId, tag]);
}

export async function listMaintainers(db: Db, packageId: number): Promise<MaintainerRow[]> {
  return (await db.all(
    'SELECT u.id, u.name, u.email FROM maintainers m JOIN users u ON u.id = m.user_id WHERE m.package_id = ? ORDER BY u.name',
    [packageId],
  )) as MaintainerRow[];
}

export async function addMaintainer(db: Db, packageId: number, userId: number): Promise<void> {
  await db.run('INSERT INTO maintainers (package_id, user_id) VALUES (?, ?) ON CONFLICT DO NOTHING', [packageId, userId]);
}

export async function removeMaintainer(db: Db, packageId: number, userId: number): Promise<void> {
  await db.run('DELETE FROM maintainers WHERE package_id = ? AND user_id = ?', [packageId, userId]);
}

export async function isMaintainer(db: Db, packageId: number, userId: number): Promise<boolean> {
  return (await db.get('SELECT 1 FROM maintainers WHERE package_id = ? AND user_id = ?', [packageId, userId])) !== undefined;
}

export async function packagesMaintainedBy(db: Db, userId: number): Promise<PackageRow[]> {
  return (await db.all('SELECT p.* FROM packages p JOIN maintainers m ON m.package_id = p.id WHERE m.user_id = ? ORDER BY p.name', [
    userId,
  ])) as PackageRow[];
}

export async function packagesInScope(db: Db, scope: string): Promise<PackageRow[]> {
  return (await db.all("SELECT * FROM packages WHERE name LIKE ? ESCAPE '\\' ORDER BY name", [
    `${scope.replace(/[%_\\]/g, '\\$&')}/%`,
  ])) as PackageRow[];
}

export async function retireVersion(db: Db, packageName: string, version: string, at: string): Promise<void> {
  await db.run('INSERT INTO retired_versions (package_name, version, retired_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING', [
    packageName,
    version,
    at,
  ]);
}

export async function isRetired(db: Db, packageName: string, version: string): Promise<boolean> {
  return (await db.get('SELECT 1 FROM retired_versions WHERE package_name = ? AND version = ?', [packageName, version])) !== undefined;
}

/** One representation of a stored packument (full or abbreviated): half the bytes of reading the whole row. */
export async function getPackumentRendering(
  db: Db,
  packageId: number,
  abbreviated: boolean,
): Promise<{ base_url: string; json: Buffer; gzip: Buffer; etag: string } | undefined> {
  const columns = abbreviated
    ? 'abbrev_json AS json, abbrev_gzip AS gzip, abbrev_etag AS etag'
    : 'full_json AS json, full_gzip AS gzip, full_etag AS etag';
  return (await db.get(`SELECT base_url, ${columns} FROM packuments WHERE package_id = ?`, [packageId])) as
    { base_url: string; json: Buffer; gzip: Buffer; etag: string } | undefined;
}

export async function getPackument(db: Db, packageId: number): Promise<PackumentRow | undefined> {
  return (await db.get('SELECT * FROM packuments WHERE package_id = ?', [packageId])) as PackumentRow | undefined;
}

export async function putPackument(db: Db, row: PackumentRow): Promise<void> {
  await db.run(
    `INSERT INTO packuments (package_id, base_url, full_json, full_gzip, full_etag, abbrev_json, abbrev_gzip, abbrev_etag)
     VALUES (@package_id, @base_url, @full_json, @full_gzip, @full_etag, @abbrev_json, @abbrev_gzip, @abbrev_etag)
     ON CONFLICT (package_id) DO UPDATE SET base_url = excluded.base_url, full_json = excluded.full_json,
       full_gzip = excluded.full_gzip, full_etag = excluded.full_etag, abbrev_json = excluded.abbrev_json,
       abbrev_gzip = excluded.abbrev_gzip, abbrev_etag = excluded.abbrev_etag`,
    { ...row },
  );
}

export interface SearchDocument {
  name: string;
  description: string;
  keywords: string;
  author: string;
  maintainers: string;
  readme: string;
}

export async function putSearchDocument(db: Db, packageId: number, doc: SearchDocument): Promise<void> {
  await db.run('DELETE FROM search_index WHERE package_id = ?', [packageId]);
  await db.run(
    'INSERT INTO search_index (package_id, name, description, keywords, author, maintainers, readme) VALUES (@package_id, @name, @description, @keywords, @author, @maintainers, @readme)',
    { package_id: packageId, ...doc },
  );
}

// ── namespaces: scope owners and names reserved after an unpublish (migration 6) ──

export interface ScopeOwnerRow {
  scope: string;
  user_id: number;
  name: string;
  granted_at: string;
  granted_by: number | null;
}

export async function scopeOwners(db: Db, scope: string): Promise<ScopeOwnerRow[]> {
  return (await db.all(
    `SELECT s.scope, s.user_id, u.name, s.granted_at, s.granted_by FROM scope_owners s JOIN users u ON u.id = s.user_id
       WHERE s.scope = ? ORDER BY s.granted_at, u.name`,
    [scope],
  )) as ScopeOwnerRow[];
}

export async function addScopeOwner(db: Db, scope: string, userId: number, at: string, grantedBy: number | null): Promise<boolean> {
  return (
    (
      await db.run('INSERT INTO scope_owners (scope, user_id, granted_at, granted_by) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING', [
        scope,
        userId,
        at,
        grantedBy,
      ])
    ).changes > 0
  );
}

export async function removeScopeOwner(db: Db, scope: string, userId: number): Promise<boolean> {
  return (await db.run('DELETE FROM scope_owners WHERE scope = ? AND user_id = ?', [scope, userId])).changes > 0;
}

/** Records who owned a wholly unpublished name, and when, replacing an older record of the same name. */
export async function reserveUnpublishedName(db: Db, name: string, userIds: readonly number[], at: string): Promise<void> {
  await db.run('DELETE FROM unpublished_names WHERE name = ?', [name]);
  for (const id of userIds) {
    await db.run('INSERT INTO unpublished_names (name, user_id, unpublished_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING', [name, id, at]);
  }
}

/** The former owners of a name unpublished at or after `since` (ISO time), with the time. */
export async function reservationsOf(db: Db, name: string, since: string): Promise<{ user_id: number; unpublished_at: string }[]> {
  return (await db.all('SELECT user_id, unpublished_at FROM unpublished_names WHERE name = ? AND unpublished_at >= ?', [name, since])) as {
    user_id: number;
    unpublished_at: string;
  }[];
}

export async function clearUnpublishedName(db: Db, name: string): Promise<void> {
  await db.run('DELETE FROM unpublished_names WHERE name = ?', [name]);
}

// ── visibility: what a caller may see of restricted packages (the SQL form of services' canRead) ──

/** Who is looking: every package (admins), public ones only (anonymous), or public ones plus those a user maintains. */
export type Viewer = 'all' | 'public' | { userId: number };

/** A WHERE condition on the packages alias `p` that keeps what the viewer may see. */
export function visibleCondition(viewer: Viewer): { sql: string; params: unknown[] } {
  if (viewer === 'all') return { sql: '1 = 1', params: [] };
  if (viewer === 'public') return { sql: "p.access = 'public'", params: [] };
  return {
    sql: "(p.access = 'public' OR p.id IN (SELECT package_id FROM maintainers WHERE user_id = ?))",
    params: [viewer.userId],
  };
}

export async function listVisiblePackages(db: Db, viewer: Viewer, offset: number, limit: number): Promise<PackageRow[]> {
  const where = visibleCondition(viewer);
  return (await db.all(`SELECT p.* FROM packages p WHERE ${where.sql} ORDER BY p.name LIMIT ? OFFSET ?`, [
    ...where.params,
    limit,
    offset,
  ])) as PackageRow[];
}

export async function countVisiblePackages(db: Db, viewer: Viewer): Promise<number> {
  const where = visibleCondition(viewer);
  return ((await db.get(`SELECT count(*) AS n FROM packages p WHERE ${where.sql}`, where.params)) as { n: number }).n;
}
