// The yanked_versions and unlisted_packages tables: versions withdrawn from resolution, and packages with nothing left to list.
import type { Db } from './connection';

export interface YankRow {
  version: string;
  yanked_at: string;
}

export function listYanked(db: Db, packageId: number): YankRow[] {
  return db.prepare('SELECT version, yanked_at FROM yanked_versions WHERE package_id = ?').all(packageId) as YankRow[];
}

export function findYank(db: Db, packageId: number, version: string): YankRow | undefined {
  return db.prepare('SELECT version, yanked_at FROM yanked_versions WHERE package_id = ? AND version = ?').get(packageId, version) as
    YankRow | undefined;
}

export function insertYank(db: Db, packageId: number, version: string, at: string, userId: number): void {
  db.prepare('INSERT OR IGNORE INTO yanked_versions (package_id, version, yanked_at, yanked_by) VALUES (?, ?, ?, ?)').run(
    packageId,
    version,
    at,
    userId,
  );
}

export function deleteYank(db: Db, packageId: number, version: string): void {
  db.prepare('DELETE FROM yanked_versions WHERE package_id = ? AND version = ?').run(packageId, version);
}

/** Marks whether a package appears in search listings (it does not once every version is yanked). */
export function setListed(db: Db, packageId: number, listed: boolean): void {
  if (listed) db.prepare('DELETE FROM unlisted_packages WHERE package_id = ?').run(packageId);
  else db.prepare('INSERT OR IGNORE INTO unlisted_packages (package_id) VALUES (?)').run(packageId);
}
