// The yanked_versions and unlisted_packages tables: versions withdrawn from resolution, and packages with nothing left to list.
import type { SqlExecutor as Db } from '../sql/port';

export interface YankRow {
  version: string;
  yanked_at: string;
}

export async function listYanked(db: Db, packageId: number): Promise<YankRow[]> {
  return (await db.all('SELECT version, yanked_at FROM yanked_versions WHERE package_id = ?', [packageId])) as YankRow[];
}

export async function findYank(db: Db, packageId: number, version: string): Promise<YankRow | undefined> {
  return (await db.get('SELECT version, yanked_at FROM yanked_versions WHERE package_id = ? AND version = ?', [packageId, version])) as
    YankRow | undefined;
}

export async function insertYank(db: Db, packageId: number, version: string, at: string, userId: number): Promise<void> {
  await db.run('INSERT INTO yanked_versions (package_id, version, yanked_at, yanked_by) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING', [
    packageId,
    version,
    at,
    userId,
  ]);
}

export async function deleteYank(db: Db, packageId: number, version: string): Promise<void> {
  await db.run('DELETE FROM yanked_versions WHERE package_id = ? AND version = ?', [packageId, version]);
}

/** Marks whether a package appears in search listings (it does not once every version is yanked). */
export async function setListed(db: Db, packageId: number, listed: boolean): Promise<void> {
  if (listed) await db.run('DELETE FROM unlisted_packages WHERE package_id = ?', [packageId]);
  else await db.run('INSERT INTO unlisted_packages (package_id) VALUES (?) ON CONFLICT DO NOTHING', [packageId]);
}
