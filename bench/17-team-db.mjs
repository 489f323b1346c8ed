// Benchmark 17 (team, database): PostgreSQL's own work per request and per publish on Shelf's PostgreSQL schema
// (src/main/storage/postgres/migrations.ts, its triggers and search vector included), for docs/SCALING.md: the server
// CPU (postmaster and backends, from /proc) and the client-side time of the statements a tarball GET reads (package,
// version, ecosystem probe), of a changed packument's re-read, and of a publish-shaped transaction (version, tags,
// maintainer, the four stored renderings, the search row), over 2,000 packages × 10 versions.
// Run alone: node bench/17-team-db.mjs [--quick] [--runs N]
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildSync } from 'esbuild';
import pg from 'pg';
import {
  ROOT,
  cleanup,
  freePort,
  log,
  newResult,
  parseArgs,
  percentile,
  round,
  summarize,
  tempDir,
  underLoad,
  writeResult,
} from './lib/common.mjs';

const ID = '17-team-db';
const args = parseArgs();
const result = newResult(ID, "PostgreSQL's work per tarball GET, packument re-read and publish on Shelf's schema", args);
const SECONDS = args.quick ? 2 : 6;
const CLIENTS = 8;
const PUBLISHES = args.quick ? 100 : 300;
const PACKAGES = 2000;
const VERSIONS = 10;
const SERVICES = join(ROOT, '..', 'shared', 'services');
const TICK_MS = 10; // /proc CPU times are in 1/100 s

function postgresCpuMs(postmasterPid) {
  let total = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const fields = readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1].split(' ');
      if (Number(entry) === postmasterPid || Number(fields[1]) === postmasterPid)
        total += (Number(fields[11]) + Number(fields[12])) * TICK_MS;
    } catch {
      /* ended meanwhile */
    }
  }
  return total;
}

const work = tempDir('shelf-bench-17tdb-');
const pgDir = join(work, 'pg');
let pool;
try {
  // The schema as Shelf applies it: the TypeScript module bundled for this script (pg stays external).
  const bundle = join(work, 'migrations.mjs');
  buildSync({
    entryPoints: [join(ROOT, 'src', 'main', 'storage', 'postgres', 'migrations.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    external: ['pg'],
    outfile: bundle,
    logLevel: 'error',
  });
  const { migratePostgres } = await import(pathToFileURL(bundle).href);

  log(ID, 'starting PostgreSQL');
  const started = execFileSync(join(SERVICES, 'postgres', 'start-postgres.sh'), [pgDir, String(await freePort())], {
    timeout: 180_000,
  }).toString();
  const url = /DATABASE_URL=(\S+)/.exec(started)[1];
  const postmasterPid = Number(readFileSync(join(pgDir, 'pg', 'postmaster.pid'), 'utf8').split('\n')[0]);
  pool = new pg.Pool({ connectionString: url, max: CLIENTS });
  await migratePostgres(pool);

  log(ID, `seeding ${PACKAGES} packages × ${VERSIONS} versions`);
  const now = new Date().toISOString();
  const blob = (n) => randomBytes(n);
  await pool.query("INSERT INTO users (id, name, password_hash, created_at) VALUES (1, 'bench', 'x', $1)", [now]);
  for (let i = 0; i < PACKAGES; i++) {
    const name = `bench-pkg-${i}`;
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      const { rows } = await client.query(
        "INSERT INTO packages (name, rev, created_at, modified_at, readme) VALUES ($1, '1-a', $2, $2, $3) RETURNING id",
        [name, now, `# ${name}\n`.repeat(20)],
      );
      const id = rows[0].id;
      for (let v = 0; v < VERSIONS; v++) {
        const manifest = JSON.stringify({
          name,
          version: `1.0.${v}`,
          description: `package ${i}`,
          dependencies: { a: '^1.0.0' },
          pad: 'x'.repeat(1500),
        });
        await client.query(
          'INSERT INTO versions (package_id, version, manifest, integrity, shasum, tarball_size, published_at, published_by) VALUES ($1, $2, $3, $4, $5, 2048, $6, 1)',
          [id, `1.0.${v}`, manifest, `sha512-${randomBytes(64).toString('base64')}`, randomBytes(20).toString('hex'), now],
        );
      }
      await client.query("INSERT INTO dist_tags (package_id, tag, version) VALUES ($1, 'latest', $2)", [id, `1.0.${VERSIONS - 1}`]);
      await client.query('INSERT INTO maintainers (package_id, user_id) VALUES ($1, 1)', [id]);
      await client.query(
        "INSERT INTO packuments (package_id, base_url, full_json, full_gzip, full_etag, abbrev_json, abbrev_gzip, abbrev_etag) VALUES ($1, '', $2, $3, 'e1', $4, $5, 'e2')",
        [id, blob(20_000), blob(5_000), blob(6_000), blob(2_000)],
      );
      await client.query(
        'INSERT INTO search_index (package_id, name, description, keywords, author, maintainers, readme) VALUES ($1, $2, $3, $4, $5, $6, $7)',
        [id, name, `package number ${i} for benchmarks`, 'bench test', 'bench', 'bench', `# ${name}\n`.repeat(20)],
      );
      await client.query('COMMIT');
    } finally {
      client.release();
    }
  }
  await pool.query('VACUUM ANALYZE');

  /** Runs `fn` in CLIENTS concurrent loops for SECONDS; returns operations, client-side times and server CPU per operation. */
  async function measure(label, fn) {
    const times = [];
    const cpu0 = postgresCpuMs(postmasterPid);
    const deadline = performance.now() + SECONDS * 1000;
    let counter = 0;
    await Promise.all(
      Array.from({ length: CLIENTS }, async () => {
        // Bounded by the deadline; each pass is one operation.
        while (performance.now() < deadline) {
          const t0 = performance.now();
          await fn(counter++);
          times.push(performance.now() - t0);
        }
      }),
    );
    const cpu = postgresCpuMs(postmasterPid) - cpu0;
    const r = {
      ops: times.length,
      perSecond: round(times.length / SECONDS, 0),
      p50: round(percentile(times, 50), 3),
      p99: round(percentile(times, 99), 3),
      serverCpuMsPerOp: round(cpu / times.length, 4),
    };
    log(ID, label, JSON.stringify(r));
    return r;
  }

  const pick = (n) => `bench-pkg-${(n * 7919) % PACKAGES}`;
  const tarballGet = async (n) => {
    const pkgRow = (await pool.query('SELECT * FROM packages WHERE name = $1', [pick(n)])).rows[0];
    await pool.query('SELECT * FROM versions WHERE package_id = $1 AND version = $2', [pkgRow.id, `1.0.${n % VERSIONS}`]);
    await pool.query("SELECT 1 FROM versions WHERE package_id = $1 AND ecosystem <> 'npm' LIMIT 1", [pkgRow.id]);
  };
  const packumentRead = async (n) => {
    await pool.query('SELECT k.full_json, k.full_etag FROM packuments k JOIN packages p ON p.id = k.package_id WHERE p.name = $1', [
      pick(n),
    ]);
  };
  let published = 0;
  const publishOnce = async () => {
    const name = `bench-pub-${published++}`;
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      const { rows } = await client.query(
        "INSERT INTO packages (name, rev, created_at, modified_at) VALUES ($1, '1-a', $2, $2) ON CONFLICT (name) DO UPDATE SET modified_at = excluded.modified_at RETURNING id",
        [name, new Date().toISOString()],
      );
      const id = rows[0].id;
      await client.query(
        'INSERT INTO versions (package_id, version, manifest, integrity, shasum, tarball_size, published_at, published_by) VALUES ($1, $2, $3, $4, $5, 2048, $6, 1)',
        [
          id,
          '1.0.0',
          JSON.stringify({ name, version: '1.0.0', pad: 'x'.repeat(1500) }),
          `sha512-${randomBytes(64).toString('base64')}`,
          'abc',
          new Date().toISOString(),
        ],
      );
      await client.query(
        "INSERT INTO dist_tags (package_id, tag, version) VALUES ($1, 'latest', '1.0.0') ON CONFLICT (package_id, tag) DO UPDATE SET version = excluded.version",
        [id],
      );
      await client.query('INSERT INTO maintainers (package_id, user_id) VALUES ($1, 1) ON CONFLICT DO NOTHING', [id]);
      await client.query(
        "INSERT INTO packuments (package_id, base_url, full_json, full_gzip, full_etag, abbrev_json, abbrev_gzip, abbrev_etag) VALUES ($1, '', $2, $3, 'e1', $4, $5, 'e2') ON CONFLICT (package_id) DO UPDATE SET full_json = excluded.full_json, full_gzip = excluded.full_gzip, abbrev_json = excluded.abbrev_json, abbrev_gzip = excluded.abbrev_gzip",
        [id, blob(4_000), blob(1_500), blob(1_500), blob(600)],
      );
      await client.query(
        "INSERT INTO search_index (package_id, name, description, keywords, author, maintainers, readme) VALUES ($1, $2, 'a published package', 'bench', 'bench', 'bench', '') ON CONFLICT (package_id) DO UPDATE SET description = excluded.description",
        [id, name],
      );
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK');
      throw error;
    } finally {
      client.release();
    }
  };

  const runs = { tarballGet: [], packumentRead: [], publish: [] };
  for (let run = 0; run < args.runs; run++) {
    runs.tarballGet.push(await measure(`tarball GET's 3 queries, run ${run + 1}`, tarballGet));
    runs.packumentRead.push(await measure(`packument re-read, run ${run + 1}`, packumentRead));
    // Publishes sequentially (one client), as one registry's publishes mostly are.
    const times = [];
    const cpu0 = postgresCpuMs(postmasterPid);
    for (let i = 0; i < PUBLISHES; i++) {
      const t0 = performance.now();
      await publishOnce();
      times.push(performance.now() - t0);
    }
    const r = {
      ops: PUBLISHES,
      p50: round(percentile(times, 50), 3),
      p99: round(percentile(times, 99), 3),
      serverCpuMsPerOp: round((postgresCpuMs(postmasterPid) - cpu0) / PUBLISHES, 4),
    };
    log(ID, `publish transaction, run ${run + 1}`, JSON.stringify(r));
    runs.publish.push(r);
  }
  result.raw = runs;
  const row = (metric, key, unit, list) => ({ metric, unit, shelf: summarize(list.map((r) => r[key])) });
  result.tables.push({
    title: "PostgreSQL's work on Shelf's schema (2,000 packages × 10 versions, PostgreSQL 15 on loopback, fsync on)",
    short: 'PostgreSQL per request and publish',
    measured: `${CLIENTS} concurrent clients × ${SECONDS} s for reads, ${PUBLISHES} sequential publish transactions; server CPU = postmaster and backends from /proc; median of ${args.runs} runs`,
    command: 'node bench/17-team-db.mjs',
    rows: [
      row("tarball GET's 3 queries: server CPU", 'serverCpuMsPerOp', 'ms', runs.tarballGet),
      row("tarball GET's 3 queries: time p50", 'p50', 'ms', runs.tarballGet),
      row("tarball GET's 3 queries: throughput", 'perSecond', '/s', runs.tarballGet),
      row('packument re-read (20 KB): server CPU', 'serverCpuMsPerOp', 'ms', runs.packumentRead),
      row('packument re-read: time p50', 'p50', 'ms', runs.packumentRead),
      row('publish transaction: server CPU', 'serverCpuMsPerOp', 'ms', runs.publish),
      row('publish transaction: time p50', 'p50', 'ms', runs.publish),
      row('publish transaction: time p99', 'p99', 'ms', runs.publish),
    ],
  });
  result.notes.push(
    'The statements are those of services/packages/read.ts (openTarball) and a publish of one version, written with node-postgres directly: the metadata port adds its own small cost on top (bench 17-query-layer).',
  );
  result.machine.loadavgAtEnd = os.loadavg().map((x) => round(x, 2));
  if (underLoad(result.machine) || result.machine.loadavgAtEnd[0] >= result.machine.cpuCount * 0.5)
    result.notes.push(
      `The machine was loaded during this run (1-minute load average ${result.machine.loadavgAtStart[0]} at the start, ${round(os.loadavg()[0], 2)} at the end, on ${result.machine.cpuCount} cores).`,
    );
} finally {
  await pool?.end().catch(() => undefined);
  try {
    execFileSync(join(SERVICES, 'postgres', 'stop-postgres.sh'), [pgDir, '--purge'], { timeout: 60_000 });
  } catch {
    /* best effort */
  }
  cleanup(work, args.keep);
}
writeResult(result);
