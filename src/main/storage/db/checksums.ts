// The version_checksums table: the sha256 of each version's tarball, as the REST API reports it.
import type { SqlExecutor as Db } from '../sql/port';

export async function findChecksum(db: Db, packageId: number, version: string): Promise<string | undefined> {
  return (
    (await db.get('SELECT sha256 FROM version_checksums WHERE package_id = ? AND version = ?', [packageId, version])) as
      { sha256: string } | undefined
  )?.sha256;
}

export async function putChecksum(db: Db, packageId: number, version: string, sha256: string): Promise<void> {
  await db.run(
    'INSERT INTO version_checksums (package_id, version, sha256) VALUES (?, ?, ?) ON CONFLICT (package_id, version) DO UPDATE SET sha256 = excluded.sha256',
    [packageId, version, sha256],
  );
}
