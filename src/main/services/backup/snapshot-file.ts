// Reads (and, for the mirror's cache rows, trims) a database snapshot file: what it holds and which blobs it needs.
// The queries live here rather than in storage/db because they run on a copy, never on the live database.
import Database from 'better-sqlite3';
import type { BackupContents } from './manifest';

export interface BlobReference {
  integrity: string;
  /** One package version that needs the blob, to name it in messages. */
  example: string;
  /** True when a local version needs it; false when only the mirror's cache of upstream tarballs does. */
  local: boolean;
}

export interface SnapshotFacts {
  schemaVersion: number;
  counts: Omit<BackupContents, 'blobs' | 'blobBytes'>;
  blobs: BlobReference[];
}

function open(path: string, nativeBinding: string | undefined, readonly: boolean): Database.Database {
  return new Database(path, { fileMustExist: true, readonly, ...(nativeBinding ? { nativeBinding } : {}) });
}

const countOf = (db: Database.Database, table: string): number => {
  const exists = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(table);
  return exists ? (db.prepare(`SELECT count(*) AS n FROM "${table}"`).get() as { n: number }).n : 0;
};

export function readSnapshot(path: string, nativeBinding?: string): SnapshotFacts {
  const db = open(path, nativeBinding, true);
  try {
    const local = db
      .prepare(
        `SELECT v.integrity AS integrity, min(p.name || '@' || v.version) AS example
         FROM versions v JOIN packages p ON p.id = v.package_id GROUP BY v.integrity`,
      )
      .all() as { integrity: string; example: string }[];
    const byIntegrity = new Map<string, BlobReference>(local.map((r) => [r.integrity, { ...r, local: true }]));
    if (countOf(db, 'cached_tarballs') > 0) {
      const cached = db
        .prepare(`SELECT integrity, min(name || '@' || version) AS example FROM cached_tarballs GROUP BY integrity`)
        .all() as { integrity: string; example: string }[];
      for (const r of cached) if (!byIntegrity.has(r.integrity)) byIntegrity.set(r.integrity, { ...r, local: false });
    }
    return {
      schemaVersion: db.pragma('user_version', { simple: true }) as number,
      counts: {
        packages: countOf(db, 'packages'),
        versions: countOf(db, 'versions'),
        users: countOf(db, 'users'),
        tokens: countOf(db, 'tokens'),
        cachedTarballs: countOf(db, 'cached_tarballs'),
      },
      blobs: [...byIntegrity.values()],
    };
  } finally {
    db.close();
  }
}

/**
 * Drops the mirror's cache rows whose tarball was evicted between the snapshot and the copy: the cache is allowed to
 * lose entries (the mirror fetches them again), so the backup stays consistent without them.
 */
export function dropCachedTarballs(path: string, integrities: readonly string[], nativeBinding?: string): void {
  const db = open(path, nativeBinding, false);
  try {
    const drop = db.prepare('DELETE FROM cached_tarballs WHERE integrity = ?');
    db.transaction(() => {
      for (const integrity of integrities) drop.run(integrity);
    })();
  } finally {
    db.close();
  }
}

/** SQLite's own check of every page and index; restore runs it before putting a database in place. */
export function checkDatabase(path: string, nativeBinding?: string): string | undefined {
  let db: Database.Database;
  try {
    db = open(path, nativeBinding, true);
  } catch (error) {
    return (error as Error).message;
  }
  try {
    const rows = db.pragma('integrity_check') as { integrity_check: string }[];
    const problems = rows.map((r) => r.integrity_check).filter((r) => r !== 'ok');
    return problems.length ? problems.slice(0, 5).join('; ') : undefined;
  } catch (error) {
    return (error as Error).message;
  } finally {
    db.close();
  }
}
