// An in-process Shelf on a temp data folder and a free loopback port, with helpers to call it and to see what it stored.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import * as tar from 'tar';
import ssri from 'ssri';
import { createApp, type ShelfApp } from '../../src/main/app';
import { resolveConfig } from '../../src/main/config/load';
import type { Config } from '../../src/main/config/config';
import { awsEnv, freshPrefix, s3Location } from '../team/s3';
import { dropDatabase, freshDatabaseUrl } from '../team/pg';

export interface Harness {
  app: ShelfApp;
  url: string;
  dataDir: string;
  call(
    method: string,
    path: string,
    options?: { body?: unknown; rawBody?: string | Buffer; token?: string; headers?: Record<string, string> },
  ): Promise<{ status: number; headers: Headers; body: any }>;
  /** Row counts and stored blobs: compare before and after a refused request to prove nothing was written. */
  snapshot(): Promise<Record<string, unknown>>;
  /** Creates a user through couch login and returns their token. */
  login(name: string, password?: string): Promise<string>;
  close(): Promise<void>;
}

export async function startHarness(
  overrides: Partial<Config> = {},
  options: { now?: () => Date; fetch?: typeof fetch } = {},
): Promise<Harness> {
  const dataDir = mkdtempSync(join(tmpdir(), 'shelf-unit-'));
  // SHELF_TEST_DB=postgres: a database of its own on the run's PostgreSQL, through config.json as a user would set it.
  const database = process.env.SHELF_TEST_DB === 'postgres' ? await freshDatabaseUrl('unit') : undefined;
  if (database) writeFileSync(join(dataDir, 'config.json'), JSON.stringify({ database }));
  const config: Config = { ...resolveConfig({ dataDir, env: {} }), port: 0, ...overrides };
  // SHELF_TEST_BLOBS=s3: the in-process app keeps its tarballs in the run's S3 server too.
  if (process.env.SHELF_TEST_BLOBS === 's3' && !overrides.blobs) {
    awsEnv();
    config.blobs = s3Location(freshPrefix('unit'));
  }
  const app = await createApp(config, { mode: 'browser', now: options.now, fetch: options.fetch, writeLog: () => undefined });
  const url = (await app.listen()).replace(/\/$/, '');
  const harness: Harness = {
    app,
    url,
    dataDir,
    async call(method, path, opts = {}) {
      const headers: Record<string, string> = { ...opts.headers };
      if (opts.token) headers.authorization = `Bearer ${opts.token}`;
      let body: string | Buffer | undefined = opts.rawBody;
      if (opts.body !== undefined) {
        body = JSON.stringify(opts.body);
        headers['content-type'] ??= 'application/json';
      }
      const response = await fetch(`${url}${path}`, { method, headers, body });
      const text = await response.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        /* not JSON: keep the text */
      }
      return { status: response.status, headers: response.headers, body: parsed };
    },
    async snapshot() {
      const db = app.services.packages.ctx.db;
      const count = async (table: string) => ((await db.get(`SELECT count(*) AS n FROM ${table}`)) as { n: number }).n;
      const blobs: string[] = [];
      const walk = (dir: string) => {
        for (const entry of readdirSync(dir)) {
          const path = join(dir, entry);
          if (statSync(path).isDirectory()) walk(path);
          else blobs.push(entry);
        }
      };
      // The data folder's blobs (every file, temp files too); on S3 (SHELF_TEST_BLOBS=s3) there is no folder: the
      // store's own listing, by the same last path part (the sha512 hex).
      if (existsSync(join(dataDir, 'blobs'))) walk(join(dataDir, 'blobs'));
      else for await (const entry of app.services.packages.ctx.blobs.entries()) blobs.push(entry.path.split('/').pop()!);
      return {
        users: await count('users'),
        tokens: await count('tokens'),
        packages: await count('packages'),
        versions: await count('versions'),
        dist_tags: await count('dist_tags'),
        maintainers: await count('maintainers'),
        retired: await count('retired_versions'),
        packuments: await db.all('SELECT package_id, full_etag FROM packuments ORDER BY package_id'),
        blobs: blobs.sort(),
      };
    },
    async login(name, password = 'correct-horse-battery') {
      const response = await harness.call('PUT', `/-/user/org.couchdb.user:${name}`, {
        body: couchUserDocument(name, password),
      });
      if (response.status !== 201) throw new Error(`login failed: ${response.status} ${JSON.stringify(response.body)}`);
      return response.body.token as string;
    },
    async close() {
      await app.close();
      rmSync(dataDir, { recursive: true, force: true });
      if (database) await dropDatabase(database);
    },
  };
  return harness;
}

/** A real npm-style tarball: files under package/, gzipped. */
export async function makeTarball(files: Record<string, string>): Promise<Buffer> {
  const dir = mkdtempSync(join(tmpdir(), 'shelf-tgz-'));
  try {
    for (const [path, content] of Object.entries(files)) {
      const full = join(dir, 'package', path);
      mkdirSync(join(full, '..'), { recursive: true });
      writeFileSync(full, content);
    }
    const chunks: Buffer[] = [];
    // A fixed mtime makes the bytes depend on the content only, so a test can build the same tarball twice.
    const stream = tar.create({ gzip: true, cwd: dir, portable: true, mtime: new Date('2020-01-01T00:00:00Z') }, ['package']);
    for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(chunk);
    return Buffer.concat(chunks);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The body `npm publish` sends for one version, with the right digests unless the caller overrides them. */
export function publishBody(
  name: string,
  version: string,
  tarball: Buffer,
  overrides: { manifest?: Record<string, unknown>; body?: Record<string, unknown> } = {},
): Record<string, unknown> {
  const integrity = ssri.fromData(tarball, { algorithms: ['sha512'] }).toString();
  const shasum = createHash('sha1').update(tarball).digest('hex');
  const fileName = `${name}-${version}.tgz`;
  return {
    _id: name,
    name,
    description: 'a test package',
    'dist-tags': { latest: version },
    versions: {
      [version]: {
        name,
        version,
        description: 'a test package',
        _id: `${name}@${version}`,
        dist: { integrity, shasum, tarball: `http://localhost/${name}/-/${fileName}` },
        ...overrides.manifest,
      },
    },
    access: null,
    _attachments: { [fileName]: { content_type: 'application/octet-stream', data: tarball.toString('base64'), length: tarball.length } },
    ...overrides.body,
  };
}

export async function packageTarball(name: string, version: string, extra: Record<string, string> = {}): Promise<Buffer> {
  return makeTarball({ 'package.json': JSON.stringify({ name, version }), 'index.js': 'module.exports = 1;\n', ...extra });
}

/** The document npm's adduser/login PUTs to /-/user/org.couchdb.user:<name>. */
export function couchUserDocument(name: string, password: string): Record<string, unknown> {
  return {
    _id: `org.couchdb.user:${name}`,
    name,
    password,
    email: `${name}@example.test`,
    type: 'user',
    roles: [],
    date: new Date().toISOString(),
  };
}
