// Reading and changing packages over HTTP: negotiation, caching headers, tags, owners and unpublish rules.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTarball, publishBody, startHarness, type Harness } from '../../helpers/app-harness';

let h: Harness;
let alice: string;
let bob: string;

beforeAll(async () => {
  h = await startHarness();
  alice = await h.login('alice');
  bob = await h.login('bob');
  for (const version of ['1.0.0', '1.1.0', '2.0.0-rc.1']) {
    // The install fields are the tarball's package.json's; the manifest beside it must say the same.
    const manifest = { name: 'pkg', version, dependencies: { left: '^1.0.0' }, scripts: { test: 'x' } };
    const tarball = await makeTarball({ 'package.json': JSON.stringify(manifest), 'index.js': 'module.exports = 1;\n' });
    const body = publishBody('pkg', version, tarball, {
      body: { 'dist-tags': version.includes('rc') ? { next: version } : { latest: version } },
      manifest,
    });
    expect((await h.call('PUT', '/pkg', { token: alice, body })).status).toBe(201);
  }
});
afterAll(async () => h.close());

async function refused(run: () => Promise<{ status: number; body: any }>, status: number, message: RegExp) {
  const before = await h.snapshot();
  const response = await run();
  expect(response.status).toBe(status);
  expect(response.body.error).toMatch(message);
  expect(await h.snapshot()).toEqual(before);
}

describe('packuments', () => {
  it('serves the abbreviated document when the client prefers it, with its own content type', async () => {
    const response = await h.call('GET', '/pkg', {
      headers: { accept: 'application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*' },
    });
    expect(response.headers.get('content-type')).toBe('application/vnd.npm.install-v1+json');
    expect(response.body.modified).toBeTruthy();
    expect(response.body.versions['1.0.0'].dependencies).toEqual({ left: '^1.0.0' });
    expect(response.body.versions['1.0.0'].scripts).toBeUndefined();
    expect(response.body._rev).toBeUndefined();
    expect(response.headers.get('vary')).toMatch(/Accept/);
  });

  it('serves the full document for application/json and for ?write=true', async () => {
    const plain = await h.call('GET', '/pkg', { headers: { accept: 'application/json' } });
    expect(plain.body._rev).toBeTruthy();
    expect(plain.body.versions['1.0.0'].scripts).toEqual({ test: 'x' });
    const write = await h.call('GET', '/pkg?write=true', { headers: { accept: 'application/vnd.npm.install-v1+json' } });
    expect(write.body._rev).toBeTruthy();
    expect(write.body.time.created).toBeTruthy();
  });

  it('answers If-None-Match with 304 and a changed document with a new ETag', async () => {
    const first = await h.call('GET', '/pkg');
    const etag = first.headers.get('etag')!;
    expect((await h.call('GET', '/pkg', { headers: { 'if-none-match': etag } })).status).toBe(304);
    expect((await h.call('GET', '/pkg', { headers: { 'if-modified-since': first.headers.get('last-modified')! } })).status).toBe(304);
    expect((await h.call('PUT', '/-/package/pkg/dist-tags/stable', { token: alice, body: '1.0.0' })).status).toBe(201);
    const after = await h.call('GET', '/pkg', { headers: { 'if-none-match': etag } });
    expect(after.status).toBe(200);
    expect(after.headers.get('etag')).not.toBe(etag);
    expect(after.body['dist-tags'].stable).toBe('1.0.0');
  });

  it('serves one version by number or by tag', async () => {
    expect((await h.call('GET', '/pkg/1.0.0')).body.version).toBe('1.0.0');
    expect((await h.call('GET', '/pkg/next')).body.version).toBe('2.0.0-rc.1');
    expect((await h.call('GET', '/pkg/9.9.9')).status).toBe(404);
  });

  it('serves tarballs as octet-stream without content-encoding, matching their integrity', async () => {
    const doc = (await h.call('GET', '/pkg')).body;
    const response = await fetch(doc.versions['1.0.0'].dist.tarball, { headers: { 'accept-encoding': 'gzip' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/octet-stream');
    expect(response.headers.get('content-encoding')).toBeNull();
    const bytes = Buffer.from(await response.arrayBuffer());
    const { default: ssri } = await import('ssri');
    expect(ssri.checkData(bytes, doc.versions['1.0.0'].dist.integrity)).toBeTruthy();
  });

  it("answers 404 with npm's error shape for unknown packages", async () => {
    const response = await h.call('GET', '/no-such-package');
    expect(response.status).toBe(404);
    expect(response.body).toEqual({ error: "package 'no-such-package' is not in this registry" });
  });
});

describe('changes and their refusals', () => {
  it('refuses to remove the latest tag', async () => {
    await refused(() => h.call('DELETE', '/-/package/pkg/dist-tags/latest', { token: alice }), 400, /'latest' tag cannot be removed/);
  });

  it('refuses dist-tag changes from a non-maintainer', async () => {
    await refused(() => h.call('PUT', '/-/package/pkg/dist-tags/mine', { token: bob, body: '1.0.0' }), 403, /not a maintainer/);
  });

  it('refuses a dist-tag pointing at a version that does not exist', async () => {
    await refused(
      () => h.call('PUT', '/-/package/pkg/dist-tags/ghost', { token: alice, body: '3.0.0' }),
      404,
      /pkg@3\.0\.0 does not exist/,
    );
  });

  it('refuses an unpublish with a stale _rev with 409', async () => {
    await refused(() => h.call('DELETE', '/pkg/-rev/1-stale', { token: alice }), 409, /changed since you read it/);
  });

  it('refuses removing the last owner, and adding an unknown user', async () => {
    await refused(() => h.call('DELETE', '/-/package/pkg/owners/alice', { token: alice }), 400, /last owner/);
    await refused(
      () => h.call('PUT', '/-/package/pkg/owners', { token: alice, body: { user: 'nobody-here' } }),
      404,
      /no user 'nobody-here'/,
    );
  });

  it("adds and removes owners in pnpm's form", async () => {
    expect((await h.call('PUT', '/-/package/pkg/owners', { token: alice, body: { user: 'bob' } })).status).toBe(201);
    expect((await h.call('GET', '/-/package/pkg/owners')).body.map((o: any) => o.username)).toEqual(['alice', 'bob']);
    expect((await h.call('DELETE', '/-/package/pkg/owners/bob', { token: alice })).status).toBe(200);
    expect((await h.call('GET', '/-/package/pkg/owners')).body.map((o: any) => o.username)).toEqual(['alice']);
  });

  it("reports access in npm's and pnpm's forms", async () => {
    expect((await h.call('GET', '/-/package/pkg/visibility')).body).toEqual({ public: true });
    expect((await h.call('GET', '/-/package/pkg/access')).body).toEqual({ access: 'public' });
    expect((await h.call('GET', '/-/package/pkg/collaborators?format=cli')).body).toEqual([
      { user: 'alice', email: 'alice@example.test', permissions: 'read-write' },
    ]);
  });

  it('answers all three audit endpoints, including a gzipped body', async () => {
    const { gzipSync } = await import('node:zlib');
    const bulk = await fetch(`${h.url}/-/npm/v1/security/advisories/bulk`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body: gzipSync(JSON.stringify({ pkg: ['1.0.0'] })),
    });
    expect(bulk.status).toBe(200);
    expect(await bulk.json()).toEqual({});
    expect((await h.call('POST', '/-/npm/v1/security/audits/quick', { body: {} })).body.metadata.vulnerabilities.critical).toBe(0);
    expect((await h.call('POST', '/-/npm/v1/security/audits', { body: {} })).status).toBe(200);
  });

  it("answers ping in npm's and pnpm's forms", async () => {
    expect((await h.call('GET', '/-/ping')).body).toEqual({});
    expect((await h.call('GET', '/-/ping?write=true')).body).toEqual({});
  });

  it('refuses web login with 404 so that clients fall back to couch login', async () => {
    expect((await h.call('POST', '/-/v1/login', { body: {} })).status).toBe(404);
  });
});
