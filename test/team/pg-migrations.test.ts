// PostgreSQL schema: a fresh database migrates to the same version as SQLite; nodes starting together apply each
// migration once (the advisory lock), and a later start changes nothing.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/main/storage/db/connection';
import { MIGRATIONS } from '../../src/main/storage/db/migrations';
import { PG_MIGRATIONS, migratePostgres } from '../../src/main/storage/postgres/migrations';
import { freshDatabase, type FreshDatabase } from './pg';

const pools: pg.Pool[] = [];
const databases: FreshDatabase[] = [];
afterEach(async () => {
  await Promise.all(pools.splice(0).map((pool) => pool.end()));
  await Promise.all(databases.splice(0).map((db) => db.drop()));
});

async function database(): Promise<FreshDatabase> {
  const db = await freshDatabase('mig');
  databases.push(db);
  return db;
}
function pool(url: string): pg.Pool {
  const p = new pg.Pool({ connectionString: url, max: 2 });
  pools.push(p);
  return p;
}

const versionTable = async (p: pg.Pool) =>
  (
    await p.query<{ version: number; name: string; applied_at: Date }>(
      'SELECT version, name, applied_at FROM shelf_schema ORDER BY version',
    )
  ).rows;
const tables = async (p: pg.Pool) =>
  (
    await p.query<{ table_name: string }>("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1")
  ).rows.map((r) => r.table_name);

describe('PostgreSQL migrations', () => {
  it('numbers every SQLite migration the same: each has its PostgreSQL twin', () => {
    expect(PG_MIGRATIONS.map((m) => [m.version, m.name])).toEqual(MIGRATIONS.map((m) => [m.version, m.name]));
  });

  it('migrates a fresh database to the latest version, with the tables SQLite has', async () => {
    const p = pool((await database()).url);
    await migratePostgres(p);
    expect((await versionTable(p)).map((r) => r.version)).toEqual(MIGRATIONS.map((m) => m.version));
    const names = await tables(p);
    for (const table of [
      'users',
      'tokens',
      'packages',
      'versions',
      'dist_tags',
      'packuments',
      'search_index',
      'download_counts',
      'package_downloads',
      'upstream_packuments',
      'cached_tarballs',
      'scope_owners',
      'policy_audit',
    ]) {
      expect(names).toContain(table);
    }
    // The schema works as SQLite's does: a package gets its downloads row and a search key from the triggers, user
    // names are unique whatever their case.
    await p.query("INSERT INTO users (name, password_hash, created_at) VALUES ('Ann', 'x', '2026-01-01T00:00:00.000Z')");
    await expect(
      p.query("INSERT INTO users (name, password_hash, created_at) VALUES ('ann', 'y', '2026-01-01T00:00:00.000Z')"),
    ).rejects.toThrow(/duplicate key/);
    const { rows } = await p.query<{ id: string }>(
      "INSERT INTO packages (name, rev, created_at, modified_at) VALUES ('left-pad', '1-a', '2026-01-01T00:00:00.000Z', '2026-01-02T00:00:00.000Z') RETURNING id",
    );
    await p.query("INSERT INTO search_index (package_id, name, description) VALUES ($1, 'left-pad', 'pads strings on the left')", [
      rows[0]!.id,
    ]);
    const key = await p.query<{ rank_key: string; total: string; hit: boolean }>(
      `SELECT s.rank_key::text AS rank_key, d.total::text AS total, s.document @@ to_tsquery('simple', 'pad:*') AS hit
       FROM search_index s JOIN package_downloads d USING (package_id)`,
    );
    expect(key.rows).toHaveLength(1);
    expect(String(key.rows[0]!.total)).toBe('0');
    expect(key.rows[0]!.hit).toBe(true);
    // Public, no downloads (bucket 0 → 1023 − 0), day 20455 (2026-01-02), id 1: SQLite's layout exactly.
    const expected = 1023n * 1125899906842624n + (65535n - 20455n) * 4294967296n + (4294967295n - BigInt(rows[0]!.id));
    expect(String(key.rows[0]!.rank_key)).toBe(expected.toString());
  });

  it('has every table and column of the final SQLite schema (the FTS5 internals aside)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shelf-schema-'));
    const lite = openDatabase(join(dir, 'shelf.db'));
    try {
      const p = pool((await database()).url);
      await migratePostgres(p);
      const liteTables = (
        lite
          .prepare(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'search_fts%' AND name <> 'search_vocab'",
          )
          .all() as { name: string }[]
      ).map((r) => r.name);
      expect(liteTables.length).toBeGreaterThan(20);
      for (const table of liteTables) {
        const liteColumns = (lite.prepare(`SELECT name FROM pragma_table_info(?)`).all(table) as { name: string }[])
          .map((r) => r.name)
          .sort();
        const pgColumns = (
          await p.query<{ column_name: string }>(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1",
            [table],
          )
        ).rows.map((r) => r.column_name);
        // PostgreSQL's search_index has its tsvectors besides SQLite's columns.
        expect(
          liteColumns.filter((c) => !pgColumns.includes(c)),
          `${table}: columns missing on PostgreSQL`,
        ).toEqual([]);
      }
    } finally {
      lite.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('three nodes migrating one database at once apply each migration exactly once, without error', async () => {
    const url = (await database()).url;
    const nodes = [pool(url), pool(url), pool(url)];
    const results = await Promise.allSettled(nodes.map((p) => migratePostgres(p)));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled']);
    const applied = await versionTable(nodes[0]!);
    expect(applied.map((r) => r.version)).toEqual(MIGRATIONS.map((m) => m.version));
    // One trigger of each name, not three: the migration bodies ran once.
    const triggers = await nodes[0]!.query<{ n: string }>(
      "SELECT count(*) AS n FROM information_schema.triggers WHERE trigger_name = 'package_downloads_row'",
    );
    expect(Number(triggers.rows[0]!.n)).toBe(1);
  });

  it('a second run is a no-op: the version table and the schema are unchanged', async () => {
    const p = pool((await database()).url);
    await migratePostgres(p);
    const before = { versions: await versionTable(p), tables: await tables(p) };
    await migratePostgres(p);
    expect({ versions: await versionTable(p), tables: await tables(p) }).toEqual(before);
  });

  it('refuses a database written by a newer Shelf, and changes nothing', async () => {
    const p = pool((await database()).url);
    await migratePostgres(p);
    await p.query("INSERT INTO shelf_schema (version, name) VALUES (9999, 'from the future')");
    const before = await versionTable(p);
    await expect(migratePostgres(p)).rejects.toThrow(/newer Shelf \(schema 9999.*upgrade Shelf or use another --database/);
    expect(await versionTable(p)).toEqual(before);
  });

  it('a failing migration leaves the database at the last whole version, and the lock free for the next node', async () => {
    const p = pool((await database()).url);
    const broken = [...PG_MIGRATIONS, { version: 1000, name: 'broken', sql: 'CREATE TABLE half_done (id int); SELECT no_such_function()' }];
    await expect(migratePostgres(p, broken)).rejects.toThrow(/migration 1000 \(broken\) failed: function no_such_function/);
    expect((await versionTable(p)).at(-1)!.version).toBe(PG_MIGRATIONS.at(-1)!.version);
    expect(await tables(p)).not.toContain('half_done');
    // The lock was released: a normal start does not wait forever.
    await migratePostgres(p);
  });
});
