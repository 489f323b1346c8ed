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
