// /api/v1 package reads and management over a real server: details, tarballs and their counts, yanking, owners, statistics.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTarball, packageTarball } from '../../helpers/app-harness';
import { expectRefusal, startApi, type ApiHarness } from './api-client';

let a: ApiHarness;
let alice: string;
let bob: string;
let carol: string;
let aliceRead: string;
let aliceYank: string;
let admin: string;

async function publish(token: string, name: string, version: string, extra: Record<string, unknown> = {}) {
  // Dependencies are install fields: they come from the archive's package.json, and metadata naming them must agree.
  const inArchive = extra.dependencies ? { dependencies: extra.dependencies } : {};
  const tarball = await makeTarball({
    'package.json': JSON.stringify({ name, version, ...inArchive }),
    'index.js': 'module.exports = 1;\n',
  });
  const response = await a.api('POST', '/packages', {
    token,
    body: {
      name,
      version,
      description: `${name} for tests`,
      keywords: ['demo'],
      tarball: tarball.toString('base64'),
      ...extra,
    },
  });
  expect(response.status, JSON.stringify(response.body)).toBe(201);
}

beforeAll(async () => {
  a = await startApi();
  alice = await a.register('alice');
  bob = await a.register('bob');
  carol = await a.register('carol');
  await a.h.app.services.auth.createAdmin({
    isLocalOwner: true,
    username: 'root',
    password: 'admin-password-1',
    email: 'root@example.test',
  });
  admin = (await a.api('POST', '/auth/login', { body: { username: 'root', password: 'admin-password-1' } })).body.token;
  aliceRead = (await a.api('POST', '/users/me/tokens', { token: alice, body: { name: 'ro', scopes: ['read'] } })).body.token;
  aliceYank = (await a.api('POST', '/users/me/tokens', { token: alice, body: { name: 'yank-only', scopes: ['read', 'yank'] } })).body.token;
  for (const version of ['1.0.0', '1.2.0', '1.10.0', '2.0.0-beta.1']) await publish(alice, 'lib', version, { categories: ['utilities'] });
  await publish(alice, 'app', '1.0.0', { dependencies: { lib: '^1.0.0' } });
  await publish(bob, 'other', '0.1.0');
});
afterAll(async () => a.close());

describe('reading packages', () => {
  it('describes a package with its versions, owners and downloads', async () => {
    const response = await a.api('GET', '/packages/lib');
    expect(response.body.latest_version).toBe('1.10.0');
    expect(response.body.versions.map((v: { version: string }) => v.version)).toEqual(['2.0.0-beta.1', '1.10.0', '1.2.0', '1.0.0']);
    expect(response.body.owners).toEqual(['alice']);
    await expectRefusal(a, () => a.api('GET', '/packages/missing'), 404, 'not_found');
  });

  it('lists versions in semver order', async () => {
    expect((await a.api('GET', '/packages/lib/versions')).body).toEqual({
      name: 'lib',
      versions: ['1.0.0', '1.2.0', '1.10.0', '2.0.0-beta.1'],
    });
  });

  it('describes one version with its dependencies and checksum', async () => {
    const response = await a.api('GET', '/packages/app/1.0.0');
    expect(response.body).toMatchObject({
      name: 'app',
      version: '1.0.0',
      dependencies: { lib: '^1.0.0' },
      yanked: false,
      keywords: ['demo'],
    });
    expect(response.body.checksum).toMatch(/^[0-9a-f]{64}$/);
    await expectRefusal(a, () => a.api('GET', '/packages/app/9.9.9'), 404, 'not_found');
  });

  it('serves the tarball at three addresses as gzip attachments and counts each download', async () => {
    const tgz = await packageTarball('lib', '1.2.0');
    for (const path of ['/packages/lib/1.2.0/tarball', '/packages/lib/1.2.0/download', '/packages/lib/1.2.0.tar.gz']) {
      const response = await a.api('GET', path);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('application/gzip');
      expect(response.headers.get('content-disposition')).toBe('attachment; filename="lib-1.2.0.tar.gz"');
      expect(response.bytes.equals(tgz)).toBe(true);
    }
    // npm's tarball URL counts too.
    expect((await a.h.call('GET', '/lib/-/lib-1.2.0.tgz')).status).toBe(200);
    const detail = await a.api('GET', '/packages/lib');
    expect(detail.body.downloads.total).toBe(4);
    expect(detail.body.versions.find((v: { version: string }) => v.version === '1.2.0').downloads).toBe(4);
    await expectRefusal(a, () => a.api('GET', '/packages/lib/7.0.0/tarball'), 404, 'not_found');
  });

  it('reports per-package statistics with dependents', async () => {
    const response = await a.api('GET', '/packages/lib/stats');
    expect(response.body).toMatchObject({
      name: 'lib',
      versions_count: 4,
      dependents_count: 1,
      downloads: { total: 4, last_week: 4, last_month: 4, last_year: 4 },
    });
    expect(response.body.downloads.daily).toEqual([{ date: new Date().toISOString().slice(0, 10), count: 4 }]);
  });

  it('reports registry statistics, trending, popular, recent and categories', async () => {
    const stats = await a.api('GET', '/stats');
    expect(stats.body).toMatchObject({
      packages: { total: 3, versions: 6, downloads: 4 },
      users: 4,
      top_packages: [{ name: 'lib', downloads: 4 }],
    });
    expect((await a.api('GET', '/packages/trending?period=week')).body.packages[0].name).toBe('lib');
    expect((await a.api('GET', '/popular')).body.packages.map((p: { name: string }) => p.name)).toEqual(['lib']);
    expect((await a.api('GET', '/recent?limit=2')).body.packages.map((p: { name: string }) => p.name)).toEqual(['other', 'app']);
    expect((await a.api('GET', '/categories')).body.categories).toEqual([{ name: 'utilities', count: 1 }]);
    expect((await a.api('GET', '/categories/utilities')).body.packages.map((p: { name: string }) => p.name)).toEqual(['lib']);
    await expectRefusal(a, () => a.api('GET', '/packages/trending?period=decade'), 400, 'invalid_request');
  });

  it('shows a user with their packages and downloads', async () => {
    const response = await a.api('GET', '/users/alice');
    expect(response.body.packages.map((p: { name: string }) => p.name)).toEqual(['app', 'lib']);
    expect(response.body.total_downloads).toBe(4);
  });

  it('answers health without credentials, and 404s unknown endpoints in the API shape', async () => {
    expect((await a.api('GET', '/health')).body).toMatchObject({ status: 'ok' });
    const unknown = await fetch(`${a.h.url}/api/v1/nope/nothing`);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: 'not_found', status: 404 });
  });
});

describe('yanking', () => {
  it('hides a yanked version from installers and search but keeps its tarball downloadable', async () => {
    await publish(alice, 'solo', '1.0.0');
    await publish(alice, 'solo', '1.1.0');
    const yanked = await a.api('POST', '/packages/solo/1.1.0/yank', { token: alice });
    expect(yanked.body).toMatchObject({ name: 'solo', version: '1.1.0', yanked: true });
    const abbreviated = await a.h.call('GET', '/solo', { headers: { accept: 'application/vnd.npm.install-v1+json' } });
    expect(Object.keys(abbreviated.body.versions)).toEqual(['1.0.0']);
    expect(abbreviated.body['dist-tags'].latest).toBe('1.0.0');
    expect((await a.api('GET', '/packages/solo')).body.latest_version).toBe('1.0.0');
    expect((await a.api('GET', '/packages/solo/1.1.0/tarball')).status).toBe(200);
    expect((await a.h.call('GET', '/solo/-/solo-1.1.0.tgz')).status).toBe(200);
    expect((await a.api('GET', '/search?q=solo')).body.results[0].version).toBe('1.0.0');

    // Yanking the last one takes the package out of search entirely.
    expect((await a.api('DELETE', '/packages/solo/1.0.0', { token: alice })).body.yanked).toBe(true);
    expect((await a.api('GET', '/search?q=solo')).body.total).toBe(0);
    expect((await a.h.call('GET', '/-/v1/search?text=solo')).body.total).toBe(0);
    expect((await a.api('GET', '/packages/solo/1.0.0.tar.gz')).status).toBe(200);

    const unyanked = await a.api('POST', '/packages/solo/1.1.0/unyank', { token: alice });
    expect(unyanked.body).toEqual({ name: 'solo', version: '1.1.0', yanked: false, yanked_at: null });
    expect((await a.api('GET', '/search?q=solo')).body.results[0].version).toBe('1.1.0');
  });

  it('refuses a read-only token, a stranger and an unknown version; a yank-scoped token may yank', async () => {
    await expectRefusal(a, () => a.api('POST', '/packages/lib/1.0.0/yank', { token: aliceRead }), 403, 'permission_denied');
    await expectRefusal(a, () => a.api('DELETE', '/packages/lib/1.0.0', { token: aliceRead }), 403, 'permission_denied');
    await expectRefusal(a, () => a.api('POST', '/packages/lib/1.0.0/yank'), 401, 'authentication_required');
    await expectRefusal(a, () => a.api('POST', '/packages/lib/1.0.0/yank', { token: bob }), 403, 'permission_denied');
    await expectRefusal(a, () => a.api('POST', '/packages/lib/8.0.0/yank', { token: alice }), 404, 'not_found');
    expect((await a.api('POST', '/packages/lib/1.0.0/yank', { token: aliceYank })).body.yanked).toBe(true);
    await expectRefusal(
      a,
      () => a.api('POST', '/packages', { token: aliceYank, body: { name: 'lib', version: '3.0.0', tarball: 'AA==' } }),
      403,
      'permission_denied',
    );
  });

  it('deletes outright only for an owner or admin who confirms (the rights table: unpublish a version)', async () => {
    await expectRefusal(
      a,
      () => a.api('DELETE', '/packages/lib/1.2.0?hard=true&confirm=lib@1.2.0', { token: bob }),
      403,
      'permission_denied',
    );
    await expectRefusal(a, () => a.api('DELETE', '/packages/lib/1.2.0?hard=true', { token: admin }), 400, 'invalid_request');
    const deleted = await a.api('DELETE', '/packages/lib/1.2.0?hard=true&confirm=lib@1.2.0', { token: admin });
    expect(deleted.body).toEqual({ name: 'lib', version: '1.2.0', deleted: true });
    expect((await a.api('GET', '/packages/lib/versions')).body.versions).not.toContain('1.2.0');
  });
});

describe('owners', () => {
  it('lists, adds with a role and removes owners', async () => {
    expect((await a.api('GET', '/packages/app/owners')).body.owners).toEqual([
      { username: 'alice', user_id: expect.any(Number), role: 'owner' },
    ]);
    const added = await a.api('PUT', '/packages/app/owners', { token: alice, body: { username: 'bob', role: 'maintainer' } });
    expect(added.status).toBe(201);
    expect((await a.api('POST', '/packages/app/owners', { token: alice, body: { username: 'carol' } })).status).toBe(201);
    const owners = (await a.api('GET', '/packages/app/owners')).body.owners;
    expect(owners.map((o: { username: string; role: string }) => `${o.username}:${o.role}`)).toEqual([
      'alice:owner',
      'bob:maintainer',
      'carol:owner',
    ]);
    expect((await a.api('DELETE', '/packages/app/owners/carol', { token: alice })).status).toBe(200);
  });

  it('refuses an existing owner, the last owner, a maintainer, a stranger and an unknown user', async () => {
    await expectRefusal(a, () => a.api('PUT', '/packages/app/owners', { token: alice, body: { username: 'bob' } }), 400, 'invalid_request');
    await expectRefusal(a, () => a.api('DELETE', '/packages/app/owners/alice', { token: alice }), 400, 'invalid_request');
    await expectRefusal(
      a,
      () => a.api('PUT', '/packages/app/owners', { token: bob, body: { username: 'carol' } }),
      403,
      'permission_denied',
    );
    await expectRefusal(
      a,
      () => a.api('PUT', '/packages/app/owners', { token: carol, body: { username: 'carol' } }),
      403,
      'permission_denied',
    );
    await expectRefusal(a, () => a.api('PUT', '/packages/app/owners', { token: alice, body: { username: 'nobody' } }), 404, 'not_found');
    await expectRefusal(
      a,
      () => a.api('PUT', '/packages/app/owners', { token: alice, body: { username: 'carol', role: 'king' } }),
      400,
      'invalid_request',
    );
    await expectRefusal(
      a,
      () => a.api('PUT', '/packages/app/owners', { token: aliceRead, body: { username: 'carol' } }),
      403,
      'permission_denied',
    );
  });

  it('lets a maintainer publish', async () => {
    await publish(bob, 'app', '1.1.0');
  });
});
