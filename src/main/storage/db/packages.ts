// The package tables: packages, versions, dist-tags, maintainers, retired versions and rendered packuments.
import type { Db } from './connection';

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

export function findPackage(db: Db, name: string): PackageRow | undefined {
  return db.prepare('SELECT * FROM packages WHERE name = ?').get(name) as PackageRow | undefined;
}

export function insertPackage(db: Db, row: Omit<PackageRow, 'id'>): PackageRow {
  const info = db
    .prepare(
      'INSERT INTO packages (name, access, rev, created_at, modified_at, readme) VALUES (@name, @access, @rev, @created_at, @modified_at, @readme)',
    )
    .run(row);
  return { ...row, id: Number(info.lastInsertRowid) };
}

export function updatePackage(db: Db, id: number, fields: Partial<Pick<PackageRow, 'access' | 'rev' | 'modified_at' | 'readme'>>): void {
  const keys = Object.keys(fields) as (keyof typeof fields)[];
  if (keys.length === 0) return;
  db.prepare(`UPDATE packages SET ${keys.map((k) => `${k} = @${k}`).join(', ')} WHERE id = @id`).run({ ...fields, id });
}

export function deletePackage(db: Db, id: number): void {
  db.prepare('DELETE FROM search_index WHERE rowid = ?').run(id);
  db.prepare('DELETE FROM packages WHERE id = ?').run(id);
}

export function listPackages(db: Db, offset: number, limit: number): PackageRow[] {
  return db.prepare('SELECT * FROM packages ORDER BY name LIMIT ? OFFSET ?').all(limit, offset) as PackageRow[];
}

export function countPackages(db: Db): number {
  return (db.prepare('SELECT count(*) AS n FROM packages').get() as { n: number }).n;
}

export function listVersions(db: Db, packageId: number): VersionRow[] {
  return db.prepare('SELECT * FROM versions WHERE package_id = ?').all(packageId) as VersionRow[];
}

export function findVersion(db: Db, packageId: number, version: string): VersionRow | undefined {
  return db.prepare('SELECT * FROM versions WHERE package_id = ? AND version = ?').get(packageId, version) as VersionRow | undefined;
}

export function insertVersion(db: Db, row: Omit<VersionRow, 'id'>): void {
  db.prepare(
    `INSERT INTO versions (package_id, version, manifest, integrity, shasum, tarball_size, deprecated, published_at, published_by)
     VALUES (@package_id, @version, @manifest, @integrity, @shasum, @tarball_size, @deprecated, @published_at, @published_by)`,
  ).run(row);
}

export function deleteVersion(db: Db, packageId: number, version: string): void {
  db.prepare('DELETE FROM versions WHERE package_id = ? AND version = ?').run(packageId, version);
}

export function setDeprecated(db: Db, packageId: number, version: string, message: string | null): void {
  db.prepare('UPDATE versions SET deprecated = ? WHERE package_id = ? AND version = ?').run(message, packageId, version);
}

/** True while a local version or a cached upstream tarball still points at the blob (blobs are shared by content). */
export function isIntegrityReferenced(db: Db, integrity: string): boolean {
  return (
    db
      .prepare('SELECT 1 FROM versions WHERE integrity = ? UNION ALL SELECT 1 FROM cached_tarballs WHERE integrity = ? LIMIT 1')
      .get(integrity, integrity) !== undefined
  );
}

export function packageExists(db: Db, name: string): boolean {
  return db.prepare('SELECT 1 FROM packages WHERE name = ?').get(name) !== undefined;
}

/** A name published here at any time, even if every version was unpublished since. */
export function isLocalName(db: Db, name: string): boolean {
  return packageExists(db, name) || db.prepare('SELECT 1 FROM retired_versions WHERE package_name = ? LIMIT 1').get(name) !== undefined;
}

export function getDistTags(db: Db, packageId: number): Record<string, string> {
  const rows = db.prepare('SELECT tag, version FROM dist_tags WHERE package_id = ? ORDER BY tag').all(packageId) as {
    tag: string;
    version: string;
  }[];
  return Object.fromEntries(rows.map((r) => [r.tag, r.version]));
}

export function setDistTag(db: Db, packageId: number, tag: string, version: string): void {
  db.prepare(
    'INSERT INTO dist_tags (package_id, tag, version) VALUES (?, ?, ?) ON CONFLICT (package_id, tag) DO UPDATE SET version = excluded.version',
  ).run(packageId, tag, version);
}

export function deleteDistTag(db: Db, packageId: number, tag: string): void {
  db.prepare('DELETE FROM dist_tags WHERE package_id = ? AND tag = ?').run(packageId, tag);
}

export function listMaintainers(db: Db, packageId: number): MaintainerRow[] {
  return db
    .prepare('SELECT u.id, u.name, u.email FROM maintainers m JOIN users u ON u.id = m.user_id WHERE m.package_id = ? ORDER BY u.name')
    .all(packageId) as MaintainerRow[];
}

export function addMaintainer(db: Db, packageId: number, userId: number): void {
  db.prepare('INSERT OR IGNORE INTO maintainers (package_id, user_id) VALUES (?, ?)').run(packageId, userId);
}

export function removeMaintainer(db: Db, packageId: number, userId: number): void {
  db.prepare('DELETE FROM maintainers WHERE package_id = ? AND user_id = ?').run(packageId, userId);
}

export function isMaintainer(db: Db, packageId: number, userId: number): boolean {
  return db.prepare('SELECT 1 FROM maintainers WHERE package_id = ? AND user_id = ?').get(packageId, userId) !== undefined;
}

export function packagesMaintainedBy(db: Db, userId: number): PackageRow[] {
  return db
    .prepare('SELECT p.* FROM packages p JOIN maintainers m ON m.package_id = p.id WHERE m.user_id = ? ORDER BY p.name')
    .all(userId) as PackageRow[];
}

export function packagesInScope(db: Db, scope: string): PackageRow[] {
  return db
    .prepare("SELECT * FROM packages WHERE name LIKE ? ESCAPE '\\' ORDER BY name")
    .all(`${scope.replace(/[%_\\]/g, '\\$&')}/%`) as PackageRow[];
}

export function retireVersion(db: Db, packageName: string, version: string, at: string): void {
  db.prepare('INSERT OR IGNORE INTO retired_versions (package_name, version, retired_at) VALUES (?, ?, ?)').run(packageName, version, at);
}

export function isRetired(db: Db, packageName: string, version: string): boolean {
  return db.prepare('SELECT 1 FROM retired_versions WHERE package_name = ? AND version = ?').get(packageName, version) !== undefined;
}

/** One representation of a stored packument (full or abbreviated): half the bytes of reading the whole row. */
export function getPackumentRendering(
  db: Db,
  packageId: number,
  abbreviated: boolean,
): { base_url: string; json: Buffer; gzip: Buffer; etag: string } | undefined {
  const columns = abbreviated
    ? 'abbrev_json AS json, abbrev_gzip AS gzip, abbrev_etag AS etag'
    : 'full_json AS json, full_gzip AS gzip, full_etag AS etag';
  return db.prepare(`SELECT base_url, ${columns} FROM packuments WHERE package_id = ?`).get(packageId) as
    { base_url: string; json: Buffer; gzip: Buffer; etag: string } | undefined;
}

export function getPackument(db: Db, packageId: number): PackumentRow | undefined {
  return db.prepare('SELECT * FROM packuments WHERE package_id = ?').get(packageId) as PackumentRow | undefined;
}

export function putPackument(db: Db, row: PackumentRow): void {
  db.prepare(
    `INSERT INTO packuments (package_id, base_url, full_json, full_gzip, full_etag, abbrev_json, abbrev_gzip, abbrev_etag)
     VALUES (@package_id, @base_url, @full_json, @full_gzip, @full_etag, @abbrev_json, @abbrev_gzip, @abbrev_etag)
     ON CONFLICT (package_id) DO UPDATE SET base_url = excluded.base_url, full_json = excluded.full_json,
       full_gzip = excluded.full_gzip, full_etag = excluded.full_etag, abbrev_json = excluded.abbrev_json,
       abbrev_gzip = excluded.abbrev_gzip, abbrev_etag = excluded.abbrev_etag`,
  ).run(row);
}

export interface SearchDocument {
  name: string;
  description: string;
  keywords: string;
  author: string;
  maintainers: string;
  readme: string;
}

export function putSearchDocument(db: Db, packageId: number, doc: SearchDocument): void {
  db.prepare('DELETE FROM search_index WHERE rowid = ?').run(packageId);
  db.prepare(
    'INSERT INTO search_index (rowid, name, description, keywords, author, maintainers, readme) VALUES (@rowid, @name, @description, @keywords, @author, @maintainers, @readme)',
  ).run({ rowid: packageId, ...doc });
}

// ── namespaces: scope owners and names reserved after an unpublish (migration 6) ──

export interface ScopeOwnerRow {
  scope: string;
  user_id: number;
  name: string;
  granted_at: string;
  granted_by: number | null;
}

export function scopeOwners(db: Db, scope: string): ScopeOwnerRow[] {
  return db
    .prepare(
      `SELECT s.scope, s.user_id, u.name, s.granted_at, s.granted_by FROM scope_owners s JOIN users u ON u.id = s.user_id
       WHERE s.scope = ? ORDER BY s.granted_at, u.name`,
    )
    .all(scope) as ScopeOwnerRow[];
}

export function addScopeOwner(db: Db, scope: string, userId: number, at: string, grantedBy: number | null): boolean {
  return (
    db
      .prepare('INSERT OR IGNORE INTO scope_owners (scope, user_id, granted_at, granted_by) VALUES (?, ?, ?, ?)')
      .run(scope, userId, at, grantedBy).changes > 0
  );
}

export function removeScopeOwner(db: Db, scope: string, userId: number): boolean {
  return db.prepare('DELETE FROM scope_owners WHERE scope = ? AND user_id = ?').run(scope, userId).changes > 0;
}

/** Records who owned a wholly unpublished name, and when, replacing an older record of the same name. */
export function reserveUnpublishedName(db: Db, name: string, userIds: readonly number[], at: string): void {
  db.prepare('DELETE FROM unpublished_names WHERE name = ?').run(name);
  const insert = db.prepare('INSERT OR IGNORE INTO unpublished_names (name, user_id, unpublished_at) VALUES (?, ?, ?)');
  for (const id of userIds) insert.run(name, id, at);
}

/** The former owners of a name unpublished at or after `since` (ISO time), with the time. */
export function reservationsOf(db: Db, name: string, since: string): { user_id: number; unpublished_at: string }[] {
  return db.prepare('SELECT user_id, unpublished_at FROM unpublished_names WHERE name = ? AND unpublished_at >= ?').all(name, since) as {
    user_id: number;
    unpublished_at: string;
  }[];
}

export function clearUnpublishedName(db: Db, name: string): void {
  db.prepare('DELETE FROM unpublished_names WHERE name = ?').run(name);
}

// ── visibility: what a caller may see of restricted packages (the SQL form of services' canRead) ──

/** Who is looking: every package (admins), public ones only (anonymous), or public ones plus those a user maintains. */
export type Viewer = 'all' | 'public' | { userId: number };

/** A WHERE condition on the packages alias `p` that keeps what the viewer may see. */
export function visibleCondition(viewer: Viewer): { sql: string; params: unknown[] } {
  if (viewer === 'all') return { sql: '1', params: [] };
  if (viewer === 'public') return { sql: "p.access = 'public'", params: [] };
  return {
    sql: "(p.access = 'public' OR p.id IN (SELECT package_id FROM maintainers WHERE user_id = ?))",
    params: [viewer.userId],
  };
}

export function listVisiblePackages(db: Db, viewer: Viewer, offset: number, limit: number): PackageRow[] {
  const where = visibleCondition(viewer);
  return db
    .prepare(`SELECT p.* FROM packages p WHERE ${where.sql} ORDER BY p.name LIMIT ? OFFSET ?`)
    .all(...where.params, limit, offset) as PackageRow[];
}

export function countVisiblePackages(db: Db, viewer: Viewer): number {
  const where = visibleCondition(viewer);
  return (db.prepare(`SELECT count(*) AS n FROM packages p WHERE ${where.sql}`).get(...where.params) as { n: number }).n;
}
