// The mirror's tables: cached upstream packuments and their versions, cached tarballs, and pins.
import type { MetadataDb, SqlExecutor as Db } from '../sql/port';
import type { Db as RawSqlite } from './connection';

export interface UpstreamPackumentRow {
  name: string;
  upstream_url: string;
  etag: string | null;
  last_modified: string | null;
  fetched_at: string;
  modified: string;
  /** The upstream's dist-tags, JSON. */
  dist_tags: string;
  raw_gzip: Buffer;
  base_url: string;
  full_json: Buffer;
  full_gzip: Buffer;
  full_etag: string;
  abbrev_json: Buffer;
  abbrev_gzip: Buffer;
  abbrev_etag: string;
}

export interface UpstreamVersionRow {
  name: string;
  version: string;
  integrity: string | null;
  shasum: string | null;
  tarball_url: string;
}

export interface CachedTarballRow {
  name: string;
  version: string;
  integrity: string;
  size: number;
  fetched_at: string;
  last_used_at: string;
}

export async function getUpstreamPackument(db: Db, name: string): Promise<UpstreamPackumentRow | undefined> {
  return (await db.get(PACKUMENT_WRITE_SQL.readRow, [name])) as UpstreamPackumentRow | undefined;
}

/**
 * The bytes a cached packument's documents take (undefined when none is cached): read from the record's header alone,
 * so it costs nothing however large they are, where reading the row itself walks every overflow page.
 */
export async function upstreamPackumentSize(db: Db, name: string): Promise<number | undefined> {
  const row = (await db.get(
    `SELECT length(raw_gzip) + length(full_json) + length(full_gzip) + length(abbrev_json) + length(abbrev_gzip) AS bytes
       FROM upstream_packuments WHERE name = ?`,
    [name],
  )) as { bytes: number } | undefined;
  return row?.bytes;
}

/** The statements that store (and read) a packument: one place, run by the main connection and by the mirror's worker alike. */
export const PACKUMENT_WRITE_SQL = {
  readRow: 'SELECT * FROM upstream_packuments WHERE name = ?',
  put: `INSERT INTO upstream_packuments (name, upstream_url, etag, last_modified, fetched_at, modified, dist_tags, raw_gzip, base_url,
         full_json, full_gzip, full_etag, abbrev_json, abbrev_gzip, abbrev_etag)
       VALUES (@name, @upstream_url, @etag, @last_modified, @fetched_at, @modified, @dist_tags, @raw_gzip, @base_url,
         @full_json, @full_gzip, @full_etag, @abbrev_json, @abbrev_gzip, @abbrev_etag)
       ON CONFLICT (name) DO UPDATE SET upstream_url = excluded.upstream_url, etag = excluded.etag,
         last_modified = excluded.last_modified, fetched_at = excluded.fetched_at, modified = excluded.modified, dist_tags = excluded.dist_tags,
         raw_gzip = excluded.raw_gzip, base_url = excluded.base_url, full_json = excluded.full_json,
         full_gzip = excluded.full_gzip, full_etag = excluded.full_etag, abbrev_json = excluded.abbrev_json,
         abbrev_gzip = excluded.abbrev_gzip, abbrev_etag = excluded.abbrev_etag`,
  deleteVersions: 'DELETE FROM upstream_versions WHERE name = ?',
  insertVersion: 'INSERT INTO upstream_versions (name, version, integrity, shasum, tarball_url) VALUES (?, ?, ?, ?, ?)',
  rendering: `UPDATE upstream_packuments SET base_url = @base_url, full_json = @full_json, full_gzip = @full_gzip, full_etag = @full_etag,
       abbrev_json = @abbrev_json, abbrev_gzip = @abbrev_gzip, abbrev_etag = @abbrev_etag WHERE name = @name`,
};

export type PackumentRendering = Pick<
  UpstreamPackumentRow,
  'name' | 'base_url' | 'full_json' | 'full_gzip' | 'full_etag' | 'abbrev_json' | 'abbrev_gzip' | 'abbrev_etag'
>;

/** A packument write: a whole fetched document with its versions, or new renderings of the stored one. */
export type PackumentWrite =
  { kind: 'put'; row: UpstreamPackumentRow; versions: Omit<UpstreamVersionRow, 'name'>[] } | { kind: 'rendering'; row: PackumentRendering };

/**
 * Runs one packument write in one transaction. Self-contained on purpose (its source text is what the mirror's worker
 * runs, services/mirror/transform-worker.ts), so it uses nothing but its parameters.
 */
export function writePackument(db: RawSqlite, sql: typeof PACKUMENT_WRITE_SQL, write: PackumentWrite): void {
  db.transaction(() => {
    if (write.kind === 'rendering') {
      db.prepare(sql.rendering).run(write.row);
      return;
    }
    db.prepare(sql.put).run(write.row);
    db.prepare(sql.deleteVersions).run(write.row.name);
    const insert = db.prepare(sql.insertVersion);
    for (const v of write.versions) insert.run(write.row.name, v.version, v.integrity, v.shasum, v.tarball_url);
  })();
}

/** The same write through the metadata port (either dialect), on the main thread. */
export async function writePackumentAsync(db: MetadataDb, write: PackumentWrite): Promise<void> {
  const sql = PACKUMENT_WRITE_SQL;
  await db.transaction(async () => {
    if (write.kind === 'rendering') {
      await db.run(sql.rendering, write.row);
      return;
    }
    await db.run(sql.put, { ...write.row });
    await db.run(sql.deleteVersions, [write.row.name]);
    for (const v of write.versions) await db.run(sql.insertVersion, [write.row.name, v.version, v.integrity, v.shasum, v.tarball_url]);
  });
}

/** Stores a fetched packument and its version list in one transaction. */
export async function putUpstreamPackument(
  db: MetadataDb,
  row: UpstreamPackumentRow,
  versions: Omit<UpstreamVersionRow, 'name'>[],
): Promise<void> {
  await writePackumentAsync(db, { kind: 'put', row, versions });
}

/** Renderings only (another base URL); the upstream bytes and validators stay. */
export async function updateUpstreamRendering(db: MetadataDb, row: PackumentRendering): Promise<void> {
  await writePackumentAsync(db, { kind: 'rendering', row });
}

export async function markRevalidated(db: Db, name: string, fetchedAt: string): Promise<void> {
  await db.run('UPDATE upstream_packuments SET fetched_at = ? WHERE name = ?', [fetchedAt, name]);
}

export async function findUpstreamVersion(db: Db, name: string, version: string): Promise<UpstreamVersionRow | undefined> {
  return (await db.get('SELECT * FROM upstream_versions WHERE name = ? AND version = ?', [name, version])) as
    UpstreamVersionRow | undefined;
}

/**
 * The integrities Shelf knows for a package's versions, by version: those recorded from the upstream's documents (or
 * pinned on a first download, when the upstream gave none), else those of the tarballs it holds.
 */
export async function knownIntegrities(db: Db, name: string): Promise<Record<string, string>> {
  const rows = (await db.all(
    `SELECT version, integrity FROM cached_tarballs WHERE name = ?
       UNION ALL SELECT version, integrity FROM upstream_versions WHERE name = ? AND integrity IS NOT NULL`,
    [name, name],
  )) as { version: string; integrity: string }[];
  // Later rows (the upstream's records) win over the cached tarballs' own sha512.
  return Object.fromEntries(rows.map((r) => [r.version, r.integrity]));
}

/** Records the sha512 computed on a version's first download when the upstream published no integrity for it. */
export async function pinUpstreamIntegrity(db: Db, name: string, version: string, integrity: string): Promise<void> {
  await db.run('UPDATE upstream_versions SET integrity = ? WHERE name = ? AND version = ? AND integrity IS NULL', [
    integrity,
    name,
    version,
  ]);
}

export async function listUpstreamVersions(db: Db, name: string): Promise<UpstreamVersionRow[]> {
  return (await db.all('SELECT * FROM upstream_versions WHERE name = ?', [name])) as UpstreamVersionRow[];
}

export async function findCachedTarball(db: Db, name: string, version: string): Promise<CachedTarballRow | undefined> {
  return (await db.get('SELECT * FROM cached_tarballs WHERE name = ? AND version = ?', [name, version])) as CachedTarballRow | undefined;
}

export async function cachedVersionsOf(db: Db, name: string): Promise<string[]> {
  return ((await db.all('SELECT version FROM cached_tarballs WHERE name = ?', [name])) as { version: string }[]).map((r) => r.version);
}

export async function putCachedTarball(db: Db, row: CachedTarballRow): Promise<void> {
  await db.run(
    `INSERT INTO cached_tarballs (name, version, integrity, size, fetched_at, last_used_at)
     VALUES (@name, @version, @integrity, @size, @fetched_at, @last_used_at)
     ON CONFLICT (name, version) DO UPDATE SET integrity = excluded.integrity, size = excluded.size,
       fetched_at = excluded.fetched_at, last_used_at = excluded.last_used_at`,
    { ...row },
  );
}

export async function touchCachedTarball(db: Db, name: string, version: string, at: string): Promise<void> {
  await db.run('UPDATE cached_tarballs SET last_used_at = ? WHERE name = ? AND version = ?', [at, name, version]);
}

export async function deleteCachedTarball(db: Db, name: string, version: string): Promise<void> {
  await db.run('DELETE FROM cached_tarballs WHERE name = ? AND version = ?', [name, version]);
}

export async function listCachedTarballs(db: Db): Promise<CachedTarballRow[]> {
  return (await db.all('SELECT * FROM cached_tarballs ORDER BY name, version')) as CachedTarballRow[];
}

/** Eviction candidates: least recently used first, never pinned packages. */
export async function evictionCandidates(db: Db): Promise<CachedTarballRow[]> {
  return (await db.all(
    'SELECT t.* FROM cached_tarballs t WHERE t.name NOT IN (SELECT name FROM cache_pins) ORDER BY t.last_used_at ASC',
  )) as CachedTarballRow[];
}

export async function cachedBytes(db: Db): Promise<number> {
  return ((await db.get('SELECT coalesce(sum(size), 0) AS n FROM cached_tarballs')) as { n: number }).n;
}

export async function pinPackage(db: Db, name: string, at: string): Promise<void> {
  await db.run('INSERT INTO cache_pins (name, pinned_at) VALUES (?, ?) ON CONFLICT DO NOTHING', [name, at]);
}

export async function unpinPackage(db: Db, name: string): Promise<void> {
  await db.run('DELETE FROM cache_pins WHERE name = ?', [name]);
}

export async function isPinned(db: Db, name: string): Promise<boolean> {
  return (await db.get('SELECT 1 FROM cache_pins WHERE name = ?', [name])) !== undefined;
}

export async function deleteUpstreamPackument(db: Db, name: string): Promise<void> {
  await db.run('DELETE FROM upstream_packuments WHERE name = ?', [name]);
}

/** Cached upstream documents whose name contains `text` (case-insensitive), by name: search's "cached from upstream" group. */
export async function searchUpstreamPackuments(
  db: Db,
  text: string,
  limit: number,
): Promise<Pick<UpstreamPackumentRow, 'name' | 'upstream_url' | 'dist_tags'>[]> {
  const pattern = `%${text
    .trim()
    .toLowerCase()
    .replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  return (await db.all(
    "SELECT name, upstream_url, dist_tags FROM upstream_packuments WHERE lower(name) LIKE ? ESCAPE '\\' ORDER BY name LIMIT ?",
    [pattern, limit],
  )) as Pick<UpstreamPackumentRow, 'name' | 'upstream_url' | 'dist_tags'>[];
}
