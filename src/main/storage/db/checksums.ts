// The version_checksums table: the sha256 of each version's tarball, as the REST API reports it.
import type { Db } from './connection';

export function findChecksum(db: Db, packageId: number, version: string): string | undefined {
  return (
    db.prepare('SELECT sha256 FROM version_checksums WHERE package_id = ? AND version = ?').get(packageId, version) as
      { sha256: string } | undefined
  )?.sha256;
}

export function putChecksum(db: Db, packageId: number, version: string, sha256: string): void {
  db.prepare('INSERT OR REPLACE INTO version_checksums (package_id, version, sha256) VALUES (?, ?, ?)').run(packageId, version, sha256);
}
