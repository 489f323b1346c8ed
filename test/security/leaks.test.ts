// Leaks (issue 11 item 12): a restricted package is invisible to those who may not read it — not counted in
// dependents, registry totals, the UI's list or status, not told apart from a missing name when a mirror is in front,
// and anonymous search shows no emails; the data folder is for admins.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream';
import { makeTarball, publishBody, startAttacked, type Attacked } from './support';

let t: Attacked;
let upstream: FakeUpstream;
let alice: string;

beforeAll(async () => {
  // The stand-in upstream knows no package at all: every name it is asked for is a 404.
  upstream = await startFakeUpstream();
  t = await startAttacked(['--upstream', upstream.url]);
  alice = (await t.couchLogin('alice', 'alice-password-123')).body.token;
  expect((await t.publish(alice, 'public-base', '1.0.0')).status).toBe(201);
  // A private package that depends on the public one.
  const manifest = { name: '@alice/secret', version: '1.0.0', dependencies: { 'public-base': '^1.0.0' } };
  const tarball = await makeTarball({ 'package.json': JSON.stringify(manifest) });
  const body = { ...publishBody('@alice/secret', '1.0.0', tarball, { manifest }), access: 'restricted' };
  const published = await t.request('PUT', '/@alice%2fsecret', { token: alice, body });
  expect(published.status, published.text).toBe(201);
  expect((await t.request('GET', '/@alice%2fsecret')).status).toBe(404);
}, 60_000);
afterAll(async () => {
  await t?.close();
  await upstream?.close();
});

describe('restricted packages are not counted for outsiders', () => {
  it('dependents_count', async () => {
    expect((await t.request('GET', '/api/v1/packages/public-base/stats')).body.dependents_count).toBe(0);
    expect((await t.request('GET', '/api/v1/packages/public-base/stats', { token: t.user.token })).body.dependents_count).toBe(0);
    expect((await t.request('GET', '/api/v1/packages/public-base/stats', { token: alice })).body.dependents_count).toBe(1);
    const details = await t.rpc('package.details', { name: 'public-base' }, 'user');
    expect(details.body.dependentsCount).toBe(0);
  });

  it('/api/v1/stats totals', async () => {
    const outsider = (await t.request('GET', '/api/v1/stats', { token: t.user.token })).body.packages;
    expect(outsider).toMatchObject({ total: 1, versions: 1 });
    expect((await t.request('GET', '/api/v1/stats')).body.packages).toMatchObject({ total: 1, versions: 1 });
    expect((await t.request('GET', '/api/v1/stats', { token: alice })).body.packages).toMatchObject({ total: 2, versions: 2 });
  });

  it('/api/v1/categories counts', async () => {
    const tarball = await makeTarball({ 'package.json': JSON.stringify({ name: '@alice/tagged', version: '1.0.0' }) });
    const body = { name: '@alice/tagged', version: '1.0.0', categories: ['secret-stuff'], tarball: tarball.toString('base64') };
    expect((await t.request('POST', '/api/v1/packages', { token: alice, body })).status).toBe(201);
    const restricted = await t.request('POST', '/-/package/@alice%2ftagged/access', { token: alice, body: { access: 'restricted' } });
    expect(restricted.status, restricted.text).toBe(200);
    const categories = (await t.request('GET', '/api/v1/categories')).body.categories as { name: string }[];
    expect(categories.map((c) => c.name)).not.toContain('secret-stuff');
    // The totals above were taken before this package; a second look counts it for alice only.
    expect((await t.request('GET', '/api/v1/stats', { token: t.user.token })).body.packages.total).toBe(1);
  });

  it("the UI's packages.list and registry.status", async () => {
    const anonymous = await t.rpc('packages.list', { offset: 0, limit: 100 });
    expect(anonymous.body.total).toBe(1);
    expect(anonymous.body.packages.map((p: { name: string }) => p.name)).toEqual(['public-base']);
    expect((await t.rpc('packages.list', { offset: 0, limit: 100 }, 'user')).body.total).toBe(1);
    // The admin sees public-base, @alice/secret and @alice/tagged (restricted in the test above).
    expect((await t.rpc('packages.list', { offset: 0, limit: 100 }, 'admin')).body.total).toBe(3);

    const status = await t.rpc('registry.status', {});
    expect(status.status).toBe(200);
    expect(status.body.packageCount).toBe(1);
    expect(status.body.dataDir).toBe('');
    expect((await t.rpc('registry.status', {}, 'user')).body.dataDir).toBe('');
    expect((await t.rpc('registry.status', {}, 'admin')).body).toMatchObject({ packageCount: 3, dataDir: t.shelf.dataDir });
  });
});

describe('a restricted name answers as a missing one, with a mirror in front', () => {
  it('packument, version and tarball: same status and message, and the private name never goes upstream', async () => {
    const paths = (name: string) => [`/${name}`, `/${name}/1.0.0`, `/${name}/-/${name.split('%2f')[1]}-1.0.0.tgz`];
    const secret = paths('@alice%2fsecret');
    const missing = paths('@alice%2fabsent');
    for (let i = 0; i < secret.length; i++) {
      for (const token of [undefined, t.user.token]) {
        const a = await t.request('GET', secret[i]!, { token });
        const b = await t.request('GET', missing[i]!, { token });
        expect(a.status, `${secret[i]}: ${a.text}`).toBe(b.status);
        expect(a.text.replaceAll('@alice/secret', '@alice/X')).toBe(b.text.replaceAll('@alice/absent', '@alice/X'));
        expect(a.headers.get('cache-control')).toBe(b.headers.get('cache-control'));
      }
    }
    for (const token of [undefined, t.user.token]) {
      const a = await t.request('GET', '/api/v1/packages/@alice%2fsecret', { token });
      const b = await t.request('GET', '/api/v1/packages/@alice%2fabsent', { token });
      expect(a.status).toBe(404);
      expect(a.text.replaceAll('@alice/secret', '@alice/X')).toBe(b.text.replaceAll('@alice/absent', '@alice/X'));
    }
    expect(upstream.requests.some((r) => r.includes('secret'))).toBe(false);
    expect(upstream.requests.some((r) => r.includes('absent'))).toBe(true);
  });
});

describe('search', () => {
  it('shows no emails to anonymous callers', async () => {
    const anonymous = (await t.request('GET', '/-/v1/search?text=public-base')).body.objects[0].package;
    expect(anonymous.name).toBe('public-base');
    expect(anonymous.publisher).toEqual({ username: 'alice', email: '' });
    expect(anonymous.maintainers).toEqual([{ username: 'alice', email: '' }]);
    expect(JSON.stringify((await t.request('GET', '/-/v1/search?text=public-base')).body)).not.toContain('@example.test');
    const signedIn = (await t.request('GET', '/-/v1/search?text=public-base', { token: t.user.token })).body.objects[0].package;
    expect(signedIn.maintainers).toEqual([{ username: 'alice', email: 'alice@example.test' }]);
  });
});
