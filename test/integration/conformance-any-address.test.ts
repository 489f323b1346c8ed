// Tarball links name the address the client used, from a template stored once: Verdaccio's conformance suite against a
// server on 0.0.0.0 reached by this machine's own name (listed in --allowed-hosts), the links per Host and per trusted
// proxy, --public-url winning, and a restart on another port that re-renders nothing.
import Database from 'better-sqlite3';
import { get as httpGet, type IncomingHttpHeaders } from 'node:http';
import { hostname } from 'node:os';
import { lookup } from 'node:dns/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startShelf, type RunningShelf } from '../helpers/shelf-process';
import { ensurePnpm11 } from '../helpers/tool-pnpm11';
import { EXPECTED_SKIPS, clients, failures, report, runConformance, skipsOf } from './conformance-suite';

const NAME = hostname().toLowerCase();

/** A GET with exactly these headers (fetch would replace Host and undo the gzip). */
function raw(url: string, headers: Record<string, string>): Promise<{ status: number; body: Buffer; headers: IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const request = httpGet(url, { headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (c: Buffer) => chunks.push(c));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks), headers: response.headers }));
      response.on('error', reject);
    });
    request.on('error', reject);
  });
}

/** A package published through npm's PUT, as the CLI sends it. */
async function publish(registry: string, token: string, name: string, version: string): Promise<Response> {
  const { buildPackageTarball } = (await import(
    join(__dirname, '..', '..', 'node_modules', '@verdaccio', 'e2e-cli', 'build', 'esm', 'utils', 'publish.js')
  )) as { buildPackageTarball: (name: string, version: string) => Buffer };
  const tgz = buildPackageTarball(name, version);
  const { createHash } = await import('node:crypto');
  const integrity = `sha512-${createHash('sha512').update(tgz).digest('base64')}`;
  const body = {
    _id: name,
    name,
    'dist-tags': { latest: version },
    versions: { [version]: { name, version, dist: { integrity, shasum: createHash('sha1').update(tgz).digest('hex'), tarball: 'x' } } },
    _attachments: {
      [`${name}-${version}.tgz`]: { content_type: 'application/octet-stream', data: tgz.toString('base64'), length: tgz.length },
    },
  };
  const response = await fetch(`${registry}${name}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  expect(response.status, await response.clone().text()).toBe(201);
  return response;
}

async function signUp(registry: string, user: string): Promise<string> {
  const response = await fetch(`${registry}-/user/org.couchdb.user:${user}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: user, password: 'a-long-enough-password', email: `${user}@example.org` }),
  });
  expect(response.status).toBe(201);
  return ((await response.json()) as { token: string }).token;
}

function tarballs(doc: Buffer): string[] {
  const parsed = JSON.parse(doc.toString()) as { versions: Record<string, { dist: { tarball: string } }> };
  return Object.values(parsed.versions).map((v) => v.dist.tarball);
}

describe('tarball links name the address the client used', () => {
  let shelf: RunningShelf;

  beforeAll(async () => {
    shelf = await startShelf(['--trust-proxy', '127.0.0.1', '--allowed-hosts', `${NAME},registry.example.org`]);
  });
  afterAll(async () => {
    await shelf?.stop();
  });

  it('per Host, per trusted proxy (allowed names only), gzip or not, full, abbreviated and one version', async () => {
    const token = await signUp(shelf.registry, 'addr-user');
    await publish(shelf.registry, token, 'addr-pkg', '1.0.0');
    const port = new URL(shelf.url).port;
    const at = (headers: Record<string, string>) => raw(`${shelf.url}/addr-pkg`, { 'accept-encoding': 'identity', ...headers });

    expect(tarballs((await at({})).body)).toEqual([`http://127.0.0.1:${port}/addr-pkg/-/addr-pkg-1.0.0.tgz`]);
    expect(tarballs((await at({ host: `localhost:${port}` })).body)).toEqual([`http://localhost:${port}/addr-pkg/-/addr-pkg-1.0.0.tgz`]);
    const gz = await raw(`${shelf.url}/addr-pkg`, {
      host: `localhost:${port}`,
      'accept-encoding': 'gzip',
      accept: 'application/vnd.npm.install-v1+json',
    });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(tarballs(gunzipSync(gz.body))).toEqual([`http://localhost:${port}/addr-pkg/-/addr-pkg-1.0.0.tgz`]);
    // A trusted proxy's names: echoed when Shelf answers to the name, with the proxy's scheme.
    const proxied = await at({ 'x-forwarded-host': 'registry.example.org', 'x-forwarded-proto': 'https' });
    expect(tarballs(proxied.body)).toEqual(['https://registry.example.org/addr-pkg/-/addr-pkg-1.0.0.tgz']);
    const forged = await at({ 'x-forwarded-host': 'evil.example.com', 'x-forwarded-proto': 'https' });
    expect(tarballs(forged.body)).toEqual([`http://127.0.0.1:${port}/addr-pkg/-/addr-pkg-1.0.0.tgz`]);
    // Each address has its own ETag: its bytes differ.
    expect(proxied.headers.etag).not.toBe((await at({})).headers.etag);
    const version = await raw(`${shelf.url}/addr-pkg/1.0.0`, { host: `${NAME}:${port}` });
    expect((JSON.parse(version.body.toString()) as { dist: { tarball: string } }).dist.tarball).toBe(
      `http://${NAME}:${port}/addr-pkg/-/addr-pkg-1.0.0.tgz`,
    );
    // A Host that is not just a name and a port (here with a path) is never echoed: the server's own address is used.
    expect(tarballs((await at({ host: `localhost:${port}/evil` })).body)).toEqual([
      `http://127.0.0.1:${port}/addr-pkg/-/addr-pkg-1.0.0.tgz`,
    ]);
    // A name Shelf does not answer to is refused before any document is read.
    expect((await at({ host: `evil.example.com:${port}` })).status).toBe(403);
  });

  it('publishes an old-style name (capital letters) with a warning, and serves it', async () => {
    const token = await signUp(shelf.registry, 'old-style-user');
    const response = await publish(shelf.registry, token, 'JSONStream-old', '1.0.0');
    expect(response.headers.get('npm-notice')).toBe(
      'JSONStream-old was published with an old-style name: name can no longer contain capital letters',
    );
    expect(((await response.json()) as { warnings: string[] }).warnings).toEqual(['name can no longer contain capital letters']);
    const doc = await raw(`${shelf.url}/JSONStream-old`, { 'accept-encoding': 'identity' });
    expect(doc.status).toBe(200);
    const [tarball] = tarballs(doc.body);
    expect((await fetch(tarball!)).status).toBe(200);
  });

  it('a restart on another port changes no stored byte, and links follow the new port', async () => {
    const db = () => new Database(join(shelf.dataDir, 'shelf.db'), { readonly: true });
    const read = () => {
      const conn = db();
      try {
        return conn.prepare('SELECT base_url, full_json, abbrev_json, full_etag FROM packuments').all();
      } finally {
        conn.close();
      }
    };
    const before = read();
    expect(before.length).toBeGreaterThan(0);
    const dataDir = shelf.dataDir;
    await shelf.kill('SIGTERM');
    shelf = await startShelf([], { dataDir });
    const port = new URL(shelf.url).port;
    const doc = await raw(`${shelf.url}/addr-pkg`, { 'accept-encoding': 'gzip' });
    expect(tarballs(gunzipSync(doc.body))).toEqual([`http://127.0.0.1:${port}/addr-pkg/-/addr-pkg-1.0.0.tgz`]);
    expect(read()).toEqual(before);
  });
});

describe('conformance suite (@verdaccio/e2e-cli) on 0.0.0.0, reached by this machine’s name', () => {
  let shelf: RunningShelf;
  let resolves = false;

  beforeAll(async () => {
    // The name must lead back to this machine (it does when it resolves to loopback or to one of its own addresses).
    resolves = (await lookup(NAME).catch(() => undefined)) !== undefined;
    // pnpm 11 and its Node 22, installed on first use (the only network access, before the server starts).
    ensurePnpm11();
    shelf = await startShelf(['--host', '0.0.0.0', '--allowed-hosts', NAME, '--signup', 'open', '--max-tarball-size', '100mb']);
  }, 600_000);
  afterAll(async () => {
    await shelf?.stop();
  });

  it('passes every test for npm, pnpm, yarn 4 and bun through a non-loopback name', async () => {
    expect(resolves, `this machine's name '${NAME}' does not resolve`).toBe(true);
    const registry = `http://${NAME}:${new URL(shelf.url).port}`;
    // yarn refuses plain http to names other than its whitelist; the suite writes 'localhost' there, the environment adds this one.
    const { suites } = await runConformance(registry, clients(), { YARN_UNSAFE_HTTP_WHITELIST: NAME }, 840_000);
    console.log(report(suites));
    expect(suites.map((s) => [s.type, s.unavailable])).toEqual([
      ['npm', undefined],
      ['pnpm', undefined],
      ['yarn-modern', undefined],
      ['bun', undefined],
    ]);
    expect(failures(suites)).toEqual([]);
    // As on loopback, except the scenarios that need the mock uplink, which this server does not have.
    expect(skipsOf(suites)).toEqual({
      ...EXPECTED_SKIPS,
      npm: [...EXPECTED_SKIPS.npm!, 'scenario:reserved-names', 'scenario:uplink-failure'].sort(),
    });
    expect(suites[1]!.tests.map((t) => t.name)).toContain('scenario:minimum-release-age');
  }, 900_000);
});
