// Three `shelf serve` nodes on one PostgreSQL database and one S3 prefix, behind HAProxy (Debian's), behave as one
// registry: a publish through one node installs at once through another, concurrent publishes of one version have one
// winner and leave no orphan blob, changes made on one node take effect on the others within a second, a node killed
// during `npm ci` costs the client nothing, and a node joining later runs no migration again.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTarball, publishBody } from '../helpers/app-harness';
import { NpmUser, PNPM, makePackage, run, tempDir } from '../helpers/clients';
import type { RunningShelf } from '../helpers/shelf-process';
import { PROPAGATION_BOUND_MS, signUp, startCluster, within, type Cluster, type Proxy } from './cluster';
import { blobKey } from './s3';
import { listKeys } from './s3-bucket';

let cluster: Cluster;
let nodes: RunningShelf[];
let proxy: Proxy;
let admin: pg.Client;
let prefix: string;
let token: string;

async function call(base: string, method: string, path: string, body?: unknown, bearer = token) {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${bearer}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let parsed: any = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    /* not JSON */
  }
  return { status: response.status, body: parsed };
}

const schemaRows = async () =>
  (await admin.query<{ version: number; applied_at: Date }>('SELECT version, applied_at FROM shelf_schema ORDER BY version')).rows;

beforeAll(async () => {
  cluster = await startCluster('multi', { proxy: true });
  ({ nodes, admin, prefix } = cluster);
  proxy = cluster.proxy!;
  token = await signUp(nodes[0]!, 'alice', 'correct-horse-battery');
}, 120_000);

afterAll(async () => cluster?.stop());

describe('three nodes on one PostgreSQL and one S3 bucket, behind HAProxy', () => {
  it('started together, they applied each migration once and say which stores they use', async () => {
    const rows = await schemaRows();
    expect(rows.map((r) => r.version)).toEqual([...new Set(rows.map((r) => r.version))]);
    expect(rows.length).toBeGreaterThan(0);
    for (const node of nodes) expect(node.output()).toMatch(/postgres/i);
  });

  it('a package published through node A installs at once through node B, with npm and with pnpm', async () => {
    const publisher = new NpmUser(nodes[0]!.registry);
    publisher.setToken(token);
    const pkgDir = makePackage(join(tempDir(), 'hello-team'), { name: 'hello-team', version: '1.0.0' });
    const published = await publisher.npm(['publish'], pkgDir);
    expect(published.code, published.stderr).toBe(0);

    const npmUser = new NpmUser(nodes[1]!.registry);
    const app = makePackage(join(tempDir(), 'app'), {
      name: 'app',
      version: '0.0.0',
      private: true,
      dependencies: { 'hello-team': '1.0.0' },
    });
    const installed = await npmUser.npm(['install'], app);
    expect(installed.code, installed.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(app, 'node_modules', 'hello-team', 'package.json'), 'utf8')).version).toBe('1.0.0');

    const pnpmApp = makePackage(join(tempDir(), 'pnpm-app'), {
      name: 'pnpm-app',
      version: '0.0.0',
      private: true,
      dependencies: { 'hello-team': '1.0.0' },
    });
    const home = tempDir('shelf-pnpm-home-');
    const pnpmInstall = await run(PNPM, ['install', '--registry', nodes[2]!.registry, '--store-dir', join(home, 'store')], {
      cwd: pnpmApp,
      env: { ...npmUser.env(), HOME: home },
    });
    expect(pnpmInstall.code, pnpmInstall.stderr + pnpmInstall.stdout).toBe(0);
    expect(existsSync(join(pnpmApp, 'node_modules', 'hello-team', 'package.json'))).toBe(true);
  });

  it('20 concurrent publishes of one version over the three nodes: one winner, 409 for the rest, one blob stored', async () => {
    const name = 'contested';
    const attempts = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        // Different bytes per attempt: a loser's tarball left in the bucket would be an orphan under its own key.
        const tarball = await makeTarball({
          'package.json': JSON.stringify({ name, version: '1.0.0', description: `attempt ${i}` }),
          'index.js': `module.exports = ${i};\n`,
        });
        const body = publishBody(name, '1.0.0', tarball);
        const reply = await call(nodes[i % 3]!.url, 'PUT', `/${name}`, body);
        return { i, status: reply.status, body: reply.body, integrity: (body.versions as any)['1.0.0'].dist.integrity as string };
      }),
    );
    const winners = attempts.filter((a) => a.status >= 200 && a.status < 300);
    expect(winners, JSON.stringify(attempts.map((a) => [a.status, a.body]))).toHaveLength(1);
    expect(attempts.filter((a) => a.status === 409)).toHaveLength(19);
    // The bucket holds the winner's tarball and no loser's: exactly the tarballs the database refers to.
    const winner = winners[0]!;
    const keys = (await listKeys(prefix)).filter((key) => key.includes('/blobs/'));
    for (const loser of attempts.filter((a) => a !== winner)) expect(keys).not.toContain(blobKey(prefix, loser.integrity));
    const referenced = await admin.query<{ integrity: string }>('SELECT DISTINCT integrity FROM versions');
    expect(keys).toEqual(referenced.rows.map((r) => blobKey(prefix, r.integrity)).sort());
    const stored = await admin.query<{ integrity: string }>(
      "SELECT v.integrity FROM versions v JOIN packages p ON p.id = v.package_id WHERE p.name = 'contested'",
    );
    expect(stored.rows.map((r) => r.integrity)).toEqual([winner.integrity]);
  });

  it('dist-tags, deprecations, yanks and token revocations made on one node take effect on the others within a second', async () => {
    const name = 'hello-team';
    const others = [nodes[1]!, nodes[2]!];
    // Each node has served the document once, so each holds it in memory: what follows must invalidate those copies.
    for (const node of nodes) expect((await call(node.url, 'GET', `/${name}`)).status).toBe(200);

    expect((await call(nodes[0]!.url, 'PUT', `/-/package/${name}/dist-tags/beta`, '1.0.0')).status).toBeLessThan(300);
    for (const node of others) {
      const seen = await within(
        PROPAGATION_BOUND_MS,
        async () => (await call(node.url, 'GET', `/${name}`)).body['dist-tags']?.beta === '1.0.0',
      );
      expect(seen, `dist-tag on ${node.url}`).toBe(true);
    }

    const deprecator = new NpmUser(nodes[0]!.registry);
    deprecator.setToken(token);
    const deprecated = await deprecator.npm(['deprecate', `${name}@1.0.0`, 'use hello-team 2'], tempDir());
    expect(deprecated.code, deprecated.stderr).toBe(0);
    for (const node of others) {
      const seen = await within(
        PROPAGATION_BOUND_MS,
        async () => (await call(node.url, 'GET', `/${name}`)).body.versions?.['1.0.0']?.deprecated === 'use hello-team 2',
      );
      expect(seen, `deprecation on ${node.url}`).toBe(true);
    }

    expect((await call(nodes[1]!.url, 'POST', `/api/v1/packages/${name}/1.0.0/yank`)).status).toBeLessThan(300);
    for (const node of [nodes[0]!, nodes[2]!]) {
      const seen = await within(
        PROPAGATION_BOUND_MS,
        async () => (await call(node.url, 'GET', `/api/v1/packages/${name}/1.0.0`)).body?.yanked === true,
      );
      expect(seen, `yank on ${node.url}`).toBe(true);
    }

    // A second token, used on every node (so each may hold it in a cache), then revoked on node C.
    const second = await call(nodes[0]!.url, 'POST', '/-/npm/v1/tokens', { password: 'correct-horse-battery', readonly: false });
    expect(second.status, JSON.stringify(second.body)).toBeLessThan(300);
    for (const node of nodes) expect((await call(node.url, 'GET', '/-/whoami', undefined, second.body.token)).status).toBe(200);
    expect((await call(nodes[2]!.url, 'DELETE', `/-/npm/v1/tokens/token/${second.body.key}`)).status).toBeLessThan(300);
    for (const node of [nodes[0]!, nodes[1]!]) {
      const refused = await within(
        PROPAGATION_BOUND_MS,
        async () => (await call(node.url, 'GET', '/-/whoami', undefined, second.body.token)).status === 401,
      );
      expect(refused, `revocation on ${node.url}`).toBe(true);
    }
  });

  it('a node killed during `npm ci` through HAProxy: npm finishes through the others, every integrity checks, nothing is lost', async () => {
    // Enough packages that the install is still fetching when the node dies.
    const names = Array.from({ length: 24 }, (_, i) => `ci-dep-${i}`);
    for (const name of names) {
      // Incompressible content, so the tarballs take a moment to move.
      const tarball = await makeTarball({
        'package.json': JSON.stringify({ name, version: '1.0.0' }),
        'data.txt': randomBytes(96 * 1024).toString('base64'),
      });
      const published = await call(nodes[0]!.url, 'PUT', `/${name}`, publishBody(name, '1.0.0', tarball));
      expect(published.status, JSON.stringify(published.body)).toBeLessThan(300);
    }
    const app = makePackage(join(tempDir(), 'ci-app'), {
      name: 'ci-app',
      version: '0.0.0',
      private: true,
      dependencies: Object.fromEntries(names.map((n) => [n, '1.0.0'])),
    });
    const locker = new NpmUser(`${proxy.url}/`);
    const locked = await locker.npm(['install', '--package-lock-only'], app);
    expect(locked.code, locked.stderr).toBe(0);

    const client = new NpmUser(`${proxy.url}/`);
    const ci = client.npm(['ci', '--fetch-retries=4', '--fetch-retry-mintimeout=200'], app);
    // The kill lands once npm has begun fetching (its cache gets its first entries); bounded wait.
    const started = await within(
      60_000,
      async () => existsSync(join(client.cache, '_cacache')) && readdirSync(join(client.cache, '_cacache')).length > 0,
    );
    expect(started).toBe(true);
    const victim = nodes[1]!;
    let finished = false;
    void ci.then(() => (finished = true));
    await victim.kill('SIGKILL');
    // The node died while npm was still at work: the install below succeeded in spite of it, not before it.
    expect(finished).toBe(false);
    const result = await ci;
    expect(result.code, result.stderr).toBe(0);
    for (const name of names) expect(existsSync(join(app, 'node_modules', name, 'data.txt')), name).toBe(true);
    // Lockfile integrity held (npm ci refuses a mismatch), and every version is still there through the proxy.
    for (const name of names) expect((await call(proxy.url, 'GET', `/${name}`)).body.versions['1.0.0'].dist.integrity).toBeTruthy();
  });

  it('a node started while the others serve runs no migration again', async () => {
    const before = await schemaRows();
    const serving = fetch(`${nodes[0]!.url}/hello-team`);
    const joined = await cluster.startNode();
    nodes.push(joined);
    expect((await serving).status).toBe(200);
    expect(await schemaRows()).toEqual(before);
    expect(joined.output()).not.toMatch(/error/i);
    expect((await call(joined.url, 'GET', '/hello-team')).body['dist-tags'].beta).toBe('1.0.0');
  });
});
