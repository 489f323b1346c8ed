// RavensOne's registry (REGISTRY_API_SPEC.md, the Axum server's 25 endpoints, `raven pkg login/publish/install`) against a
// real `shelf serve`: register and login by email with JWT-style Bearer tokens, refresh, publish to /packages/publish,
// details, download, DELETE as a yank, owners (list, PUT, DELETE), search, trending, categories, users and their tokens,
// global and per-package statistics, health. Rate limits off, as its test configuration has them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTarball } from '../helpers/app-harness';
import { expectRefused, sha256, startSeedServer, type SeedServer } from './support';

let s: SeedServer;
let alice: string;
let bob: string;

const ravenPackage = (name: string, version: string) =>
  makeTarball({
    'package.json': JSON.stringify({ name, version, description: `${name} components for RavensOne`, main: 'index.raven' }),
    'index.raven': `component Button() { <button>${version}</button> }\n`,
  });

/** `raven pkg publish`: POST /api/v1/packages/publish, multipart metadata + tarball, Bearer token. */
async function publish(token: string, name: string, version: string, metadata: Record<string, unknown> = {}, archive?: Buffer) {
  const tarball = archive ?? (await ravenPackage(name, version));
  return s.call('POST', '/api/v1/packages/publish', {
    token,
    parts: [
      {
        name: 'metadata',
        body: JSON.stringify({
          name,
          version,
          description: `${name} components for RavensOne`,
          keywords: ['ui'],
          categories: ['ui'],
          ...metadata,
        }),
      },
      { name: 'tarball', filename: `${name}-${version}.tgz`, contentType: 'application/gzip', body: tarball },
    ],
  });
}

beforeAll(async () => {
  s = await startSeedServer();
  const registered = await s.call('POST', '/api/v1/auth/register', {
    json: { username: 'alice', email: 'alice@example.com', password: 'securepass123' },
  });
  expect(registered.status).toBe(201);
  alice = registered.body.token;
  bob = (await s.call('POST', '/api/v1/auth/register', { json: { username: 'bob', email: 'bob@example.com', password: 'bobspass1234' } }))
    .body.token;
}, 60_000);
afterAll(async () => s?.close());

describe('authentication', () => {
  it('registers with a token in the reply, and logs in by email with token, expiry and user', async () => {
    const reply = await s.call('POST', '/api/v1/auth/login', { json: { email: 'alice@example.com', password: 'securepass123' } });
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ token: expect.any(String), user: { username: 'alice', email: 'alice@example.com' } });
    expect(Date.parse(reply.body.expires_at) - Date.now()).toBeGreaterThan(29 * 24 * 3600 * 1000);
    expect((await s.call('GET', '/api/v1/users/me', { token: reply.body.token })).body.username).toBe('alice');
  });

  it('refuses a duplicate email (409), a wrong password (401), nothing written', async () => {
    await expectRefused(
      s,
      () =>
        s.call('POST', '/api/v1/auth/register', { json: { username: 'alice2', email: 'alice@example.com', password: 'securepass123' } }),
      409,
      /alice@example\.com/,
    );
    await expectRefused(
      s,
      () => s.call('POST', '/api/v1/auth/login', { json: { email: 'alice@example.com', password: 'nope-nope-nope' } }),
      401,
      /.+/,
    );
  });

  it('refreshes a token: the new one works, the old one stops', async () => {
    const login = await s.call('POST', '/api/v1/auth/login', { json: { email: 'bob@example.com', password: 'bobspass1234' } });
    const refreshed = await s.call('POST', '/api/v1/auth/refresh', { token: login.body.token });
    expect(refreshed.status).toBe(200);
    expect((await s.call('GET', '/api/v1/users/me', { token: refreshed.body.token })).status).toBe(200);
    expect((await s.call('GET', '/api/v1/users/me', { token: login.body.token })).status).toBe(401);
  });
});

describe('packages', () => {
  it('publishes to /packages/publish and reads it back: details, version, download byte for byte', async () => {
    const archive = await ravenPackage('raven-ui', '1.2.3');
    const reply = await publish(alice, 'raven-ui', '1.2.3', {}, archive);
    expect(reply.status).toBe(201);
    expect(reply.body.checksum).toBe(sha256(archive));
    expect((await publish(alice, 'raven-ui', '1.3.0')).status).toBe(201);
    const detail = await s.call('GET', '/api/v1/packages/raven-ui');
    expect(detail.body).toMatchObject({
      name: 'raven-ui',
      ecosystem: 'npm',
      latest_version: '1.3.0',
      owners: ['alice'],
      categories: ['ui'],
    });
    const version = await s.call('GET', '/api/v1/packages/raven-ui/1.2.3');
    expect(version.body).toMatchObject({ name: 'raven-ui', version: '1.2.3', checksum: sha256(archive), published_by: 'alice' });
    const download = await s.call('GET', '/api/v1/packages/raven-ui/1.2.3/download');
    expect(download.status).toBe(200);
    expect(download.bytes.equals(archive)).toBe(true);
  });

  it('refuses: no token 401, a bad name 400, a duplicate version 409, a tarball that names another version 400 — nothing written', async () => {
    await expectRefused(
      s,
      () => s.call('POST', '/api/v1/packages/publish', { parts: [{ name: 'metadata', body: '{}' }] }),
      401,
      /logged in/,
    );
    await expectRefused(s, () => publish(alice, 'Raven_UI!', '1.0.0'), 400, /name/);
    await expectRefused(s, () => publish(alice, 'raven-ui', '1.2.3'), 409, /1\.2\.3/);
    await expectRefused(
      s,
      async () => publish(alice, 'raven-ui', '2.0.0', {}, await ravenPackage('raven-ui', '2.0.1')),
      400,
      /package\.json in the archive names raven-ui@2\.0\.1, but the metadata says raven-ui@2\.0\.0/,
    );
    await expectRefused(s, () => publish(bob, 'raven-ui', '2.0.0'), 403, /raven-ui/);
  });

  it('yanks with DELETE (owners only), keeps the tarball downloadable, and unyanks', async () => {
    await expectRefused(s, () => s.call('DELETE', '/api/v1/packages/raven-ui/1.2.3', { token: bob }), 403, /raven-ui/);
    const yank = await s.call('DELETE', '/api/v1/packages/raven-ui/1.2.3', { token: alice });
    expect(yank.body).toMatchObject({ name: 'raven-ui', version: '1.2.3', yanked: true });
    expect((await s.call('GET', '/api/v1/packages/raven-ui/1.2.3')).body).toMatchObject({ yanked: true, yanked_at: expect.any(String) });
    expect((await s.call('GET', '/api/v1/packages/raven-ui/1.2.3/download')).status).toBe(200);
    expect((await s.call('POST', '/api/v1/packages/raven-ui/1.2.3/unyank', { token: alice })).body.yanked).toBe(false);
  });

  it('lists, adds (PUT) and removes owners; refuses outsiders, unknown users and removing the last owner', async () => {
    const owners = await s.call('GET', '/api/v1/packages/raven-ui/owners');
    expect(owners.body.owners).toEqual([expect.objectContaining({ username: 'alice', role: 'owner' })]);
    await expectRefused(
      s,
      () => s.call('PUT', '/api/v1/packages/raven-ui/owners', { token: bob, json: { username: 'bob' } }),
      403,
      /raven-ui/,
    );
    await expectRefused(
      s,
      () => s.call('PUT', '/api/v1/packages/raven-ui/owners', { token: alice, json: { username: 'nobody' } }),
      404,
      /nobody/,
    );
    await expectRefused(s, () => s.call('DELETE', '/api/v1/packages/raven-ui/owners/alice', { token: alice }), 400, /last owner/);
    const added = await s.call('PUT', '/api/v1/packages/raven-ui/owners', { token: alice, json: { username: 'bob' } });
    expect(added.status).toBe(201);
    expect(added.body).toMatchObject({ success: true, name: 'raven-ui', username: 'bob' });
    expect((await publish(bob, 'raven-ui', '1.4.0')).status).toBe(201);
    expect((await s.call('DELETE', '/api/v1/packages/raven-ui/owners/bob', { token: alice })).status).toBe(200);
    expect((await s.call('GET', '/api/v1/packages/raven-ui/owners')).body.owners.map((o: { username: string }) => o.username)).toEqual([
      'alice',
    ]);
  });
});

describe('search and discovery', () => {
  it('searches, lists trending packages and packages by category', async () => {
    const search = await s.call('GET', '/api/v1/search?q=raven');
    expect(search.body.results.map((r: { name: string }) => r.name)).toEqual(['raven-ui']);
    expect(search.body.total).toBe(1);
    const trending = await s.call('GET', '/api/v1/packages/trending');
    expect(trending.body.packages.map((p: { name: string }) => p.name)).toContain('raven-ui');
    const category = await s.call('GET', '/api/v1/packages/categories/ui');
    expect(category.status).toBe(200);
    expect(category.body).toMatchObject({ category: 'ui', packages: [expect.objectContaining({ name: 'raven-ui' })] });
  });
});

describe('users and tokens', () => {
  it('shows a user profile with their packages', async () => {
    const reply = await s.call('GET', '/api/v1/users/alice');
    expect(reply.body).toMatchObject({ username: 'alice', packages: [expect.objectContaining({ name: 'raven-ui' })] });
  });

  it('creates a read-only token that cannot publish (403, nothing written) and revokes it (401 after)', async () => {
    const created = await s.call('POST', '/api/v1/users/me/tokens', { token: alice, json: { name: 'ci', scopes: ['read'] } });
    expect(created.status).toBe(201);
    await expectRefused(s, () => publish(created.body.token, 'raven-ui', '5.0.0'), 403, /.+/);
    expect((await s.call('DELETE', `/api/v1/users/me/tokens/${created.body.id}`, { token: alice })).status).toBe(200);
    expect((await s.call('GET', '/api/v1/users/me', { token: created.body.token })).status).toBe(401);
  });
});

describe('statistics and health', () => {
  it('reports global and per-package statistics', async () => {
    const global = await s.call('GET', '/api/v1/stats');
    expect(global.body).toMatchObject({ packages: { total: 1, versions: 3 }, users: 2 });
    const pkg = await s.call('GET', '/api/v1/packages/raven-ui/stats');
    expect(pkg.body).toMatchObject({ name: 'raven-ui', versions_count: 3, dependents_count: 0 });
    expect(pkg.body.downloads.total).toBeGreaterThanOrEqual(2);
    expect(pkg.body.downloads).toMatchObject({
      last_week: expect.any(Number),
      last_month: expect.any(Number),
      last_year: expect.any(Number),
    });
  });

  it('answers the health check at /health and /api/v1/health', async () => {
    expect((await s.call('GET', '/health')).status).toBe(200);
    expect((await s.call('GET', '/api/v1/health')).body.status).toBe('ok');
  });
});
