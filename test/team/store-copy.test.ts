// `shelf store copy` (issue 17, "moving in and out"): a data folder filled through a real `shelf serve` is copied into
// PostgreSQL + the run's Ceph RGW, served from there (npm install, search, the token, dist-tag and deprecation), copied
// back into a new data folder and served again; a copy killed half-way is resumed; a foreign non-empty target is
// refused with nothing written. Every table of the source is compared by row count, read independently of the copier.
import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTarball, publishBody } from '../helpers/app-harness';
import { startFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream';
import { NpmUser, makePackage } from '../helpers/clients';
import { ROOT, cleanEnv, startShelf, type RunningShelf } from '../helpers/shelf-process';
import { storeSnapshot } from '../helpers/store-snapshot';
import { dropDatabase, freshDatabaseUrl } from './pg';
import { awsEnv, freshPrefix, s3Server } from './s3';

const cleanup: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const step of cleanup.reverse()) await step();
});

const tempDir = (label: string) => {
  const dir = mkdtempSync(join(tmpdir(), `shelf-sc-${label}-`));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
};

interface CopyRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `shelf store copy`; `stallAfter` makes it stop after that many tables, and it is then killed (SIGKILL). */
function storeCopy(args: string[], stallAfter?: number): Promise<CopyRun> {
  const server = s3Server();
  const child = spawn(
    process.execPath,
    [
      join(ROOT, 'bin', 'shelf.js'),
      'store',
      'copy',
      ...args,
      '--s3-endpoint',
      server.endpoint,
      '--s3-path-style',
      '--s3-region',
      'us-east-1',
    ],
    {
      env: {
        ...cleanEnv(),
        ...awsEnv(),
        ...(stallAfter ? { SHELF_TEST_STORE_COPY_STALL_AFTER_TABLES: String(stallAfter) } : {}),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => {
    stderr += c.toString();
    if (stallAfter && stderr.includes('stalled after table')) child.kill('SIGKILL');
  });
  // Bounded: no copy of this small store takes minutes.
  const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
  return new Promise((resolve) =>
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    }),
  );
}

/** Every ordinary table of a SQLite store and its row count (FTS5 tables are the search index's, rebuilt by triggers). */
function sqliteCounts(dataDir: string): Record<string, number> {
  const db = new Database(join(dataDir, 'shelf.db'), { readonly: true, fileMustExist: true });
  try {
    const tables = db
      .prepare("SELECT name FROM pragma_table_list WHERE schema = 'main' AND type = 'table' AND name NOT LIKE 'sqlite_%'")
      .all() as { name: string }[];
    const counts: Record<string, number> = {};
    for (const { name } of tables)
      if (name !== 'shelf_store_copy') counts[name] = (db.prepare(`SELECT count(*) AS n FROM "${name}"`).get() as { n: number }).n;
    return counts;
  } finally {
    db.close();
  }
}

async function pgCounts(url: string, tables: string[]): Promise<Record<string, number>> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const counts: Record<string, number> = {};
    for (const table of tables) counts[table] = Number((await client.query(`SELECT count(*) AS n FROM "${table}"`)).rows[0].n);
    return counts;
  } finally {
    await client.end();
  }
}

interface Report {
  ok: boolean;
  problems: string[];
  tables: { table: string; source: number; target: number; resumed: boolean }[];
  blobs: { referenced: number; copied: number; alreadyThere: number; verified: number };
}

let source: string;
let sourceCounts: Record<string, number>;
let token: string;
const prefix = freshPrefix('storecopy');
let blobsUrl: string;
let teamDb: string;
let upstreamTarball: Buffer;

async function publish(shelf: RunningShelf, name: string, version: string, manifest: Record<string, unknown> = {}): Promise<void> {
  const full = { name, version, ...manifest };
  const tarball = await makeTarball({ 'package.json': JSON.stringify(full), 'index.js': `module.exports = ${JSON.stringify(name)};\n` });
  const put = await fetch(`${shelf.url}/${name.replace('/', '%2f')}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(publishBody(name, version, tarball, { manifest: full })),
  });
  expect(put.status, await put.text()).toBe(201);
}

async function installWorks(shelf: RunningShelf): Promise<void> {
  const user = new NpmUser(shelf.registry);
  const project = makePackage(tempDir('project'), { name: 'consumer', version: '1.0.0', dependencies: { '@team/c': '^1.0.0' } });
  const install = await user.npm(['install'], project);
  expect(install.code, install.stderr).toBe(0);
  expect(existsSync(join(project, 'node_modules', '@team', 'c', 'package.json'))).toBe(true);
  expect(existsSync(join(project, 'node_modules', 'pkg-a', 'package.json'))).toBe(true);
}

/** What the populated store must still say when served from a copy. */
async function servesTheSameRegistry(shelf: RunningShelf): Promise<void> {
  await installWorks(shelf);
  // The mirrored tarball came along: served from the copy with no upstream configured.
  const mirrored = await fetch(`${shelf.url}/from-upstream/-/from-upstream-2.0.0.tgz`);
  expect(mirrored.status).toBe(200);
  expect(Buffer.from(await mirrored.arrayBuffer())).toEqual(upstreamTarball);
  const a = (await (await fetch(`${shelf.url}/pkg-a`)).json()) as { 'dist-tags': Record<string, string> };
  expect(a['dist-tags']).toEqual({ latest: '1.1.0', beta: '1.0.0' });
  const b = (await (await fetch(`${shelf.url}/pkg-b`)).json()) as { versions: Record<string, { deprecated?: string }> };
  expect(b.versions['1.0.0']!.deprecated).toBe('use pkg-a');
  const whoami = await fetch(`${shelf.url}/-/whoami`, { headers: { authorization: `Bearer ${token}` } });
  expect(await whoami.json()).toEqual({ username: 'alice' });
  const search = (await (await fetch(`${shelf.url}/-/v1/search?text=pkg`)).json()) as { objects: { package: { name: string } }[] };
  expect(search.objects.map((o) => o.package.name).sort()).toEqual(['pkg-a', 'pkg-b']);
  // New rows get ids after the copied ones (PostgreSQL identities were moved past them): a publish of a new package works.
  await publish(shelf, `later-${Date.now()}`, '1.0.0');
}

beforeAll(async () => {
  blobsUrl = `s3://${s3Server().bucket}/${prefix}`;
  source = tempDir('source');
  // A loopback upstream, so that the store also holds a mirrored package (upstream rows and a cached tarball).
  const upstream: FakeUpstream = await startFakeUpstream();
  cleanup.push(() => upstream.close());
  upstreamTarball = await makeTarball({ 'package.json': JSON.stringify({ name: 'from-upstream', version: '2.0.0' }) });
  const upstreamIntegrity = `sha512-${createHash('sha512').update(upstreamTarball).digest('base64')}`;
  upstream.route('/from-upstream', (_req, res) =>
    res.writeHead(200, { 'content-type': 'application/json' }).end(
      JSON.stringify({
        name: 'from-upstream',
        'dist-tags': { latest: '2.0.0' },
        versions: {
          '2.0.0': {
            name: 'from-upstream',
            version: '2.0.0',
            dist: { tarball: `${upstream.url}from-upstream/-/from-upstream-2.0.0.tgz`, integrity: upstreamIntegrity },
          },
        },
        time: { modified: '2026-01-01T00:00:00.000Z' },
      }),
    ),
  );
  upstream.route('/from-upstream/-/from-upstream-2.0.0.tgz', (_req, res) =>
    res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(upstreamTarball),
  );
  const shelf = await startShelf(['--upstream', upstream.url], { dataDir: source });
  try {
    const login = await fetch(`${shelf.url}/-/user/org.couchdb.user:alice`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'alice', password: 'correct-horse-battery', email: 'alice@example.test' }),
    });
    expect(login.status).toBe(201);
    token = ((await login.json()) as { token: string }).token;
    await publish(shelf, 'pkg-a', '1.0.0', { description: 'first package' });
    await publish(shelf, 'pkg-a', '1.1.0', { description: 'first package' });
    await publish(shelf, 'pkg-b', '1.0.0');
    await publish(shelf, '@team/c', '1.0.0', { dependencies: { 'pkg-a': '^1.0.0' } });
    const user = new NpmUser(shelf.registry);
    user.setToken(token);
    const work = tempDir('npm');
    const tag = await user.npm(['dist-tag', 'add', 'pkg-a@1.0.0', 'beta'], work);
    expect(tag.code, tag.stderr).toBe(0);
    const deprecate = await user.npm(['deprecate', 'pkg-b@1.0.0', 'use pkg-a'], work);
    expect(deprecate.code, deprecate.stderr).toBe(0);
    expect((await fetch(`${shelf.url}/from-upstream`)).status).toBe(200);
    const mirrored = await fetch(`${shelf.url}/from-upstream/-/from-upstream-2.0.0.tgz`);
    expect(Buffer.from(await mirrored.arrayBuffer())).toEqual(upstreamTarball);
  } finally {
    // Stopped before copying: the copy is then exact (a copy of a served store is one as of its start).
    await shelf.stop();
  }
  sourceCounts = sqliteCounts(source);
  expect(sourceCounts.cached_tarballs).toBe(1);
  teamDb = await freshDatabaseUrl('storecopy');
  cleanup.push(() => dropDatabase(teamDb));
}, 180_000);

describe('shelf store copy', () => {
  it('copies a data folder into PostgreSQL + S3, verified; the copy serves npm install, search, tags, deprecations and tokens', async () => {
    const run = await storeCopy(['--from', source, '--to', teamDb, '--blobs', blobsUrl, '--json']);
    expect(run.code, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout) as Report;
    expect(report.ok).toBe(true);
    expect(report.problems).toEqual([]);
    // Every table of the source, as listed here independently of the copier, was copied with all its rows.
    expect(report.tables.map((t) => t.table).sort()).toEqual(Object.keys(sourceCounts).sort());
    expect(await pgCounts(teamDb, Object.keys(sourceCounts))).toEqual(sourceCounts);
    expect(sourceCounts.versions).toBe(4);
    expect(report.blobs).toEqual({ referenced: 5, copied: 5, alreadyThere: 0, verified: 5 });
    // BLOB → bytea byte for byte (the stored packuments, gzip included), ids kept.
    const sqlite = new Database(join(source, 'shelf.db'), { readonly: true });
    const stored = sqlite.prepare('SELECT package_id, full_json, full_gzip FROM packuments ORDER BY package_id').all();
    sqlite.close();
    const client = new pg.Client({ connectionString: teamDb });
    await client.connect();
    const copied = (await client.query('SELECT package_id, full_json, full_gzip FROM packuments ORDER BY package_id')).rows.map((r) => ({
      ...r,
      package_id: Number(r.package_id),
    }));
    await client.end();
    expect(stored).toHaveLength(3);
    expect(copied).toEqual(stored);

    const team = await startShelf(['--database', teamDb, '--blobs', blobsUrl, '--s3-endpoint', s3Server().endpoint, '--s3-path-style'], {
      dataDir: tempDir('teamnode'),
      env: awsEnv(),
    });
    try {
      await servesTheSameRegistry(team);
    } finally {
      await team.stop();
    }
  }, 240_000);

  it('copies PostgreSQL + S3 back into a new data folder that serves the same registry', async () => {
    const back = join(tempDir('back'), 'data');
    const before = await pgCounts(teamDb, Object.keys(sourceCounts));
    const run = await storeCopy(['--from', teamDb, '--from-blobs', blobsUrl, '--to', back, '--json']);
    expect(run.code, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout) as Report;
    expect(report.ok).toBe(true);
    expect(sqliteCounts(back)).toEqual(before);
    // The first test published one more package on the team store: 6 tarballs, all copied into the folder.
    expect(report.blobs).toEqual({ referenced: 6, copied: 6, alreadyThere: 0, verified: 6 });
    const single = await startShelf([], { dataDir: back });
    try {
      await servesTheSameRegistry(single);
    } finally {
      await single.stop();
    }
  }, 240_000);

  it('resumes a copy killed half-way: no duplicate, every table complete', async () => {
    const target = await freshDatabaseUrl('storecopyresume');
    cleanup.push(() => dropDatabase(target));
    const resumePrefix = `s3://${s3Server().bucket}/${freshPrefix('storecopyresume')}`;
    const killed = await storeCopy(['--from', source, '--to', target, '--blobs', resumePrefix, '--json'], 5);
    expect(killed.stderr).toContain('stalled after table');
    expect(killed.code).toBeNull(); // killed by the signal, not finished
    const partial = await pgCounts(target, Object.keys(sourceCounts));
    expect(partial).not.toEqual(sourceCounts);

    const rerun = await storeCopy(['--from', source, '--to', target, '--blobs', resumePrefix, '--json']);
    expect(rerun.code, rerun.stderr).toBe(0);
    const report = JSON.parse(rerun.stdout) as Report;
    expect(report.ok).toBe(true);
    expect(report.tables.filter((t) => t.resumed)).toHaveLength(5);
    expect(await pgCounts(target, Object.keys(sourceCounts))).toEqual(sourceCounts);
    // Run once more: nothing left to do, still verified, nothing doubled.
    const again = await storeCopy(['--from', source, '--to', target, '--blobs', resumePrefix, '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect((JSON.parse(again.stdout) as Report).blobs.alreadyThere).toBe(5);
    expect(await pgCounts(target, Object.keys(sourceCounts))).toEqual(sourceCounts);
  }, 240_000);

  it('refuses a non-empty target that is not a copy of this source in progress, writing nothing', async () => {
    // The original data folder is full and was never a copy of the team database.
    const before = storeSnapshot(source);
    const run = await storeCopy(['--from', teamDb, '--from-blobs', blobsUrl, '--to', source]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /is not empty \(table \w+ has \d+ row\(s\)\) and is not a copy of .* in progress; copy into a new, empty database/,
    );
    expect(run.stderr).toContain('Nothing was written.');
    expect(storeSnapshot(source)).toEqual(before);
  }, 120_000);
});
