// Benchmark 17 (query layer): what a typed query layer costs on the metadata store's hot queries, measured before team
// mode's metadata port picks one (issue 17: "one typed query layer for both SQL dialects … choose by measuring the hot
// paths"). Per query: the time per call for raw better-sqlite3 (sync, as Shelf does today), the same statement behind an
// await (the price of any asynchronous port), Kysely and Drizzle on SQLite; raw node-postgres, Kysely and Drizzle on a
// real PostgreSQL (Debian's, started on loopback by ../shared/services/postgres). The schema is the three tables the hot
// paths read (packages, versions, tokens), shaped as Shelf's; the figures are per call, sequential, median of interleaved runs.
// Run alone: node bench/17-query-layer.mjs [--quick] [--runs N]
import Database from 'better-sqlite3';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { join, resolve } from 'node:path';
import { and, eq, sql } from 'drizzle-orm';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { integer as pgInteger, pgTable, serial, text as pgText } from 'drizzle-orm/pg-core';
import { drizzle as drizzleSqlite } from 'drizzle-orm/better-sqlite3';
import { integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import { ROOT, cleanup, freePort, log, newResult, parseArgs, ratio, round, summarize, tempDir, writeResult } from './lib/common.mjs';

const ID = '17-query-layer';
const args = parseArgs();
const result = newResult(ID, 'Query layers on the metadata hot paths: raw, Kysely, Drizzle; SQLite and PostgreSQL', args);
const CALLS = args.quick ? 2_000 : 20_000;
const PACKAGES = 2_000;
const VERSIONS_EACH = 20;
const SERVICES = resolve(ROOT, '..', 'shared', 'services', 'postgres');

const DDL = [
  'CREATE TABLE packages (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, access TEXT NOT NULL, rev TEXT NOT NULL, modified_at TEXT NOT NULL)',
  'CREATE TABLE versions (id INTEGER PRIMARY KEY, package_id INTEGER NOT NULL REFERENCES packages(id), version TEXT NOT NULL, integrity TEXT NOT NULL, manifest TEXT NOT NULL, UNIQUE (package_id, version))',
  'CREATE TABLE tokens (id INTEGER PRIMARY KEY, token_hash TEXT NOT NULL UNIQUE, user_id INTEGER NOT NULL, readonly INTEGER NOT NULL, expires_at TEXT)',
];
const PG_DDL = DDL.map((d) => d.replace(/id INTEGER PRIMARY KEY/g, 'id SERIAL PRIMARY KEY'));

const hash = (i) => createHash('sha256').update(`token-${i}`).digest('hex');
const manifest = (name, v) => JSON.stringify({ name, version: v, description: 'x'.repeat(200), dependencies: { a: '^1.0.0' } });

function seedRows() {
  const packages = [];
  const versions = [];
  const tokens = [];
  for (let p = 1; p <= PACKAGES; p++) {
    const name = `pkg-${p}`;
    packages.push([p, name, 'public', `1-${p}`, '2026-01-01T00:00:00.000Z']);
    for (let v = 0; v < VERSIONS_EACH; v++) versions.push([p, `1.${v}.0`, `sha512-${p}-${v}`, manifest(name, `1.${v}.0`)]);
    tokens.push([hash(p), p, 0, null]);
  }
  return { packages, versions, tokens };
}

// ── the queries, in each layer ───────────────────────────────────────────────
// 1. a package by name (every read and publish); 2. its versions (packument rendering, publish checks);
// 3. a token by hash (every authenticated request); 4. a publish-shaped write: one transaction inserting a version and
// bumping the package's rev (then deleted again, so the table stays the same size).

const sqliteTables = {
  packages: sqliteTable('packages', {
    id: integer('id').primaryKey(),
    name: text('name'),
    access: text('access'),
    rev: text('rev'),
    modified_at: text('modified_at'),
  }),
  versions: sqliteTable('versions', {
    id: integer('id').primaryKey(),
    package_id: integer('package_id'),
    version: text('version'),
    integrity: text('integrity'),
    manifest: text('manifest'),
  }),
  tokens: sqliteTable('tokens', {
    id: integer('id').primaryKey(),
    token_hash: text('token_hash'),
    user_id: integer('user_id'),
    readonly: integer('readonly'),
    expires_at: text('expires_at'),
  }),
};
const pgTables = {
  packages: pgTable('packages', {
    id: serial('id').primaryKey(),
    name: pgText('name'),
    access: pgText('access'),
    rev: pgText('rev'),
    modified_at: pgText('modified_at'),
  }),
  versions: pgTable('versions', {
    id: serial('id').primaryKey(),
    package_id: pgInteger('package_id'),
    version: pgText('version'),
    integrity: pgText('integrity'),
    manifest: pgText('manifest'),
  }),
  tokens: pgTable('tokens', {
    id: serial('id').primaryKey(),
    token_hash: pgText('token_hash'),
    user_id: pgInteger('user_id'),
    readonly: pgInteger('readonly'),
    expires_at: pgText('expires_at'),
  }),
};

function sqliteLayers(file) {
  const raw = new Database(file);
  raw.pragma('journal_mode = WAL');
  raw.pragma('synchronous = FULL');
  const s = {
    pkg: raw.prepare('SELECT * FROM packages WHERE name = ?'),
    versions: raw.prepare('SELECT * FROM versions WHERE package_id = ?'),
    token: raw.prepare('SELECT * FROM tokens WHERE token_hash = ?'),
    insert: raw.prepare('INSERT INTO versions (package_id, version, integrity, manifest) VALUES (?, ?, ?, ?)'),
    bump: raw.prepare('UPDATE packages SET rev = ? WHERE id = ?'),
    del: raw.prepare('DELETE FROM versions WHERE package_id = ? AND version = ?'),
  };
  const write = raw.transaction((p, i) => {
    s.insert.run(p, `9.${i}.0`, 'sha512-x', manifest(`pkg-${p}`, `9.${i}.0`));
    s.bump.run(`2-${i}`, p);
  });
  const rawLayer = {
    pkg: (n) => s.pkg.get(n),
    versions: (id) => s.versions.all(id),
    token: (h) => s.token.get(h),
    write: (p, i) => write(p, i),
    cleanup: (p, i) => s.del.run(p, `9.${i}.0`),
  };
  const awaited = {
    pkg: async (n) => s.pkg.get(n),
    versions: async (id) => s.versions.all(id),
    token: async (h) => s.token.get(h),
    write: async (p, i) => write(p, i),
    cleanup: async (p, i) => s.del.run(p, `9.${i}.0`),
  };
  const k = new Kysely({ dialect: new SqliteDialect({ database: raw }) });
  const kysely = kyselyLayer(k);
  const d = drizzleSqlite(raw);
  const t = sqliteTables;
  const dPkg = d
    .select()
    .from(t.packages)
    .where(eq(t.packages.name, sql.placeholder('name')))
    .prepare();
  const dVersions = d
    .select()
    .from(t.versions)
    .where(eq(t.versions.package_id, sql.placeholder('id')))
    .prepare();
  const dToken = d
    .select()
    .from(t.tokens)
    .where(eq(t.tokens.token_hash, sql.placeholder('h')))
    .prepare();
  const drizzle = {
    pkg: async (n) => dPkg.get({ name: n }),
    versions: async (id) => dVersions.all({ id }),
    token: async (h) => dToken.get({ h }),
    write: async (p, i) =>
      d.transaction((tx) => {
        tx.insert(t.versions)
          .values({ package_id: p, version: `9.${i}.0`, integrity: 'sha512-x', manifest: manifest(`pkg-${p}`, `9.${i}.0`) })
          .run();
        tx.update(t.packages)
          .set({ rev: `2-${i}` })
          .where(eq(t.packages.id, p))
          .run();
      }),
    cleanup: async (p, i) =>
      d
        .delete(t.versions)
        .where(and(eq(t.versions.package_id, p), eq(t.versions.version, `9.${i}.0`)))
        .run(),
  };
  return {
    layers: {
      'better-sqlite3 (sync)': rawLayer,
      'better-sqlite3 behind await': awaited,
      'Kysely (SQLite)': kysely,
      'Drizzle (SQLite)': drizzle,
    },
    close: async () => {
      await k.destroy();
    },
  };
}

function kyselyLayer(k) {
  return {
    pkg: (n) => k.selectFrom('packages').selectAll().where('name', '=', n).executeTakeFirst(),
    versions: (id) => k.selectFrom('versions').selectAll().where('package_id', '=', id).execute(),
    token: (h) => k.selectFrom('tokens').selectAll().where('token_hash', '=', h).executeTakeFirst(),
    write: (p, i) =>
      k.transaction().execute(async (tx) => {
        await tx
          .insertInto('versions')
          .values({ package_id: p, version: `9.${i}.0`, integrity: 'sha512-x', manifest: manifest(`pkg-${p}`, `9.${i}.0`) })
          .execute();
        await tx
          .updateTable('packages')
          .set({ rev: `2-${i}` })
          .where('id', '=', p)
          .execute();
      }),
    cleanup: (p, i) => k.deleteFrom('versions').where('package_id', '=', p).where('version', '=', `9.${i}.0`).execute(),
  };
}

function pgLayers(url) {
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  const rawLayer = {
    pkg: async (n) => (await pool.query({ name: 'pkg', text: 'SELECT * FROM packages WHERE name = $1', values: [n] })).rows[0],
    versions: async (id) =>
      (await pool.query({ name: 'versions', text: 'SELECT * FROM versions WHERE package_id = $1', values: [id] })).rows,
    token: async (h) => (await pool.query({ name: 'token', text: 'SELECT * FROM tokens WHERE token_hash = $1', values: [h] })).rows[0],
    write: async (p, i) => {
      const c = await pool.connect();
      try {
        await c.query('BEGIN');
        await c.query({
          name: 'insert',
          text: 'INSERT INTO versions (package_id, version, integrity, manifest) VALUES ($1, $2, $3, $4)',
          values: [p, `9.${i}.0`, 'sha512-x', manifest(`pkg-${p}`, `9.${i}.0`)],
        });
        await c.query({ name: 'bump', text: 'UPDATE packages SET rev = $1 WHERE id = $2', values: [`2-${i}`, p] });
        await c.query('COMMIT');
      } catch (error) {
        await c.query('ROLLBACK');
        throw error;
      } finally {
        c.release();
      }
    },
    cleanup: (p, i) => pool.query('DELETE FROM versions WHERE package_id = $1 AND version = $2', [p, `9.${i}.0`]),
  };
  const k = new Kysely({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url, max: 10 }) }) });
  const dPool = new pg.Pool({ connectionString: url, max: 10 });
  const d = drizzlePg(dPool);
  const t = pgTables;
  const dPkg = d
    .select()
    .from(t.packages)
    .where(eq(t.packages.name, sql.placeholder('name')))
    .prepare('d_pkg');
  const dVersions = d
    .select()
    .from(t.versions)
    .where(eq(t.versions.package_id, sql.placeholder('id')))
    .prepare('d_versions');
  const dToken = d
    .select()
    .from(t.tokens)
    .where(eq(t.tokens.token_hash, sql.placeholder('h')))
    .prepare('d_token');
  const drizzle = {
    pkg: async (n) => (await dPkg.execute({ name: n }))[0],
    versions: (id) => dVersions.execute({ id }),
    token: async (h) => (await dToken.execute({ h }))[0],
    write: (p, i) =>
      d.transaction(async (tx) => {
        await tx
          .insert(t.versions)
          .values({ package_id: p, version: `9.${i}.0`, integrity: 'sha512-x', manifest: manifest(`pkg-${p}`, `9.${i}.0`) });
        await tx
          .update(t.packages)
          .set({ rev: `2-${i}` })
          .where(eq(t.packages.id, p));
      }),
    cleanup: (p, i) => d.delete(t.versions).where(and(eq(t.versions.package_id, p), eq(t.versions.version, `9.${i}.0`))),
  };
  return {
    layers: { 'node-postgres (raw, named statements)': rawLayer, 'Kysely (PostgreSQL)': kyselyLayer(k), 'Drizzle (PostgreSQL)': drizzle },
    close: async () => {
      await pool.end();
      await k.destroy();
      await dPool.end();
    },
  };
}

/** Microseconds per call of each query, `CALLS` sequential calls (writes: a tenth as many, each cleaned up after timing). */
async function measure(layer) {
  const out = {};
  const names = Array.from({ length: CALLS }, (_, i) => `pkg-${((i * 7919) % PACKAGES) + 1}`);
  const time = async (label, n, fn) => {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      const r = await fn(i);
      if (r === undefined && !label.includes('write')) throw new Error(`${label} found nothing`);
    }
    out[label] = ((performance.now() - t0) * 1000) / n;
  };
  await time('package by name', CALLS, (i) => layer.pkg(names[i]));
  await time('versions of a package', CALLS, (i) => layer.versions((i % PACKAGES) + 1));
  await time('token by hash', CALLS, (i) => layer.token(hash((i % PACKAGES) + 1)));
  const writes = Math.max(200, CALLS / 10);
  await time('publish-shaped write (transaction)', writes, (i) => layer.write((i % PACKAGES) + 1, i));
  for (let i = 0; i < writes; i++) await layer.cleanup((i % PACKAGES) + 1, i);
  return out;
}

async function runAll(kind, layers) {
  const figures = {};
  for (const name of Object.keys(layers)) figures[name] = {};
  // Warm-up (statement caches, JIT), then interleaved runs.
  for (const layer of Object.values(layers)) await measure(layer);
  for (let r = 0; r < args.runs; r++)
    for (const [name, layer] of Object.entries(layers)) {
      const m = await measure(layer);
      for (const [q, us] of Object.entries(m)) (figures[name][q] ??= []).push(round(us, 2));
      log(
        ID,
        kind,
        name,
        `run ${r + 1}:`,
        JSON.stringify(m, (_, v) => (typeof v === 'number' ? round(v, 1) : v)),
      );
    }
  return figures;
}

function table(kind, figures, baseline) {
  const queries = Object.keys(figures[baseline]);
  for (const q of queries) {
    const base = summarize(figures[baseline][q]);
    result.tables.push({
      title: `${kind}: ${q}`,
      short: `${kind}, ${q}`,
      measured: `µs per call, ${q.includes('write') ? Math.max(200, CALLS / 10) : CALLS} sequential calls; median of ${args.runs} interleaved runs (min–max)`,
      command: 'node bench/17-query-layer.mjs',
      peer: baseline,
      rows: Object.keys(figures)
        .filter((name) => name !== baseline)
        .map((name) => {
          const s = summarize(figures[name][q]);
          return {
            metric: name,
            unit: 'µs/call',
            shelf: s,
            peer: base,
            ratio: ratio(s.median, base.median),
            target: 'informs the choice',
            met: null,
          };
        }),
    });
  }
}

const dir = tempDir('shelf-bench-17q-');
let pgDir;
try {
  // SQLite: a real file in WAL mode with Shelf's durability settings.
  const file = join(dir, 'bench.db');
  const seed = new Database(file);
  seed.pragma('journal_mode = WAL');
  for (const d of DDL) seed.exec(d);
  const rows = seedRows();
  seed.transaction(() => {
    const p = seed.prepare('INSERT INTO packages (id, name, access, rev, modified_at) VALUES (?, ?, ?, ?, ?)');
    const v = seed.prepare('INSERT INTO versions (package_id, version, integrity, manifest) VALUES (?, ?, ?, ?)');
    const t = seed.prepare('INSERT INTO tokens (token_hash, user_id, readonly, expires_at) VALUES (?, ?, ?, ?)');
    for (const r of rows.packages) p.run(...r);
    for (const r of rows.versions) v.run(...r);
    for (const r of rows.tokens) t.run(...r);
  })();
  seed.close();
  const sqlite = sqliteLayers(file);
  const sqliteFigures = await runAll('SQLite', sqlite.layers);
  await sqlite.close();
  table('SQLite', sqliteFigures, 'better-sqlite3 (sync)');
  result.raw.sqlite = sqliteFigures;

  // PostgreSQL: Debian's, started on loopback for this run.
  pgDir = join(dir, 'pg');
  const port = await freePort();
  const out = execFileSync(join(SERVICES, 'start-postgres.sh'), [pgDir, String(port)], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = /DATABASE_URL=(\S+)/.exec(out)?.[1];
  if (!url || !/@127\.0\.0\.1:/.test(url)) throw new Error(`start-postgres.sh printed no loopback DATABASE_URL: ${out}`);
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  for (const d of PG_DDL) await admin.query(d);
  await admin.query('BEGIN');
  for (const r of rows.packages)
    await admin.query('INSERT INTO packages (id, name, access, rev, modified_at) VALUES ($1, $2, $3, $4, $5)', r);
  for (let i = 0; i < rows.versions.length; i += 500) {
    const chunk = rows.versions.slice(i, i + 500);
    const values = chunk.map((_, j) => `($${j * 4 + 1}, $${j * 4 + 2}, $${j * 4 + 3}, $${j * 4 + 4})`).join(', ');
    await admin.query(`INSERT INTO versions (package_id, version, integrity, manifest) VALUES ${values}`, chunk.flat());
  }
  for (const r of rows.tokens)
    await admin.query('INSERT INTO tokens (token_hash, user_id, readonly, expires_at) VALUES ($1, $2, $3, $4)', r);
  await admin.query('COMMIT');
  await admin.query('ANALYZE');
  await admin.end();
  const postgres = pgLayers(url);
  const pgFigures = await runAll('PostgreSQL', postgres.layers);
  await postgres.close();
  table('PostgreSQL', pgFigures, 'node-postgres (raw, named statements)');
  result.raw.postgres = pgFigures;
  result.notes.push(
    `${PACKAGES} packages × ${VERSIONS_EACH} versions and ${PACKAGES} tokens in the same schema on both engines; SQLite in WAL with synchronous=FULL (Shelf's setting); PostgreSQL 15 from Debian on loopback (fsync on), pools of 10.`,
  );
  result.notes.push('Sequential calls measure per-call overhead (what a request pays), not throughput under concurrency.');
} finally {
  if (pgDir) execFileSync(join(SERVICES, 'stop-postgres.sh'), [pgDir], { stdio: 'ignore' });
  cleanup(dir, args.keep);
}
writeResult(result);
