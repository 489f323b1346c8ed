// Synapse's registry (Flask, `tests/test_registry_api.py`: authentication, publishing, discovery, downloads, statistics,
// health, the publish-discover-download workflow) ported against a real `shelf serve`, with the Synapse client's request
// shapes: JSON bodies, `Authorization: Bearer <token>`, packages as a gzipped tar with synapse.json at the archive root
// beside the *.syn sources, published as JSON {name, version, …, tarball: <base64>} or as multipart with a `package` part.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, cleanEnv } from '../helpers/shelf-process';
import { archiveEntries, craftedArchive, expectRefused, rootArchive, sha256, startSeedServer, type SeedServer } from './support';

let s: SeedServer;
let token: string;
let otherToken: string;

const synapseJson = (name: string, version: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ name, version, description: `${name} for Synapse`, author: 'myuser', license: 'MIT', ...extra }, null, 2);

async function synapsePackage(name: string, version: string, extra: Record<string, unknown> = {}): Promise<Buffer> {
  return rootArchive({
    'synapse.json': synapseJson(name, version, extra),
    'main.syn': `fn main() { print("${name} ${version}") }\n`,
    'lib/algorithms.syn': 'fn sort(xs) { xs }\n',
  });
}

/** The body the Synapse client sends to POST /api/v1/packages (its README's "Publish Package"). */
const publishBody = (name: string, version: string, archive: Buffer, extra: Record<string, unknown> = {}) => ({
  name,
  version,
  description: `${name} for Synapse`,
  author: 'myuser',
  license: 'MIT',
  homepage: 'https://example.com',
  repository: 'https://github.com/user/repo',
  keywords: ['utility', 'algorithm'],
  tarball: archive.toString('base64'),
  ...extra,
});

beforeAll(async () => {
  s = await startSeedServer(['--max-unpacked-size', '1mb']);
  const registered = await s.call('POST', '/api/v1/auth/register', {
    json: { username: 'myuser', password: 'MyPass123!', email: 'user@example.com' },
  });
  expect(registered.status).toBe(201);
  const login = await s.call('POST', '/api/v1/auth/login', { json: { username: 'myuser', password: 'MyPass123!' } });
  token = login.body.token;
  await s.call('POST', '/api/v1/auth/register', { json: { username: 'someone', password: 'Another123!', email: 'someone@example.com' } });
  otherToken = (await s.call('POST', '/api/v1/auth/login', { json: { username: 'someone', password: 'Another123!' } })).body.token;
}, 60_000);
afterAll(async () => s?.close());

describe('TestAuthentication', () => {
  it('registers a user: 201 with success and the user', async () => {
    const reply = await s.call('POST', '/api/v1/auth/register', {
      json: { username: 'newuser', password: 'SecurePassword123!', email: 'new@example.com' },
    });
    expect(reply.status).toBe(201);
    expect(reply.body).toMatchObject({ success: true, user: { username: 'newuser', email: 'new@example.com' } });
    expect(typeof reply.body.user.id).toBe('number');
  });

  it('refuses a registration with missing fields, and a duplicate username, writing nothing', async () => {
    await expectRefused(s, () => s.call('POST', '/api/v1/auth/register', { json: { username: 'nopass' } }), 400, /password is required/);
    await expectRefused(
      s,
      () => s.call('POST', '/api/v1/auth/register', { json: { username: 'myuser', password: 'SecurePassword123!' } }),
      409,
      /myuser/,
    );
  });

  it('logs in with a token the other endpoints take as a Bearer token, and refuses a wrong password', async () => {
    const reply = await s.call('POST', '/api/v1/auth/login', { json: { username: 'myuser', password: 'MyPass123!' } });
    expect(reply.status).toBe(200);
    expect(reply.body.success).toBe(true);
    expect(typeof reply.body.token).toBe('string');
    expect((await s.call('GET', '/api/v1/auth/me', { token: reply.body.token })).body.username).toBe('myuser');
    const wrong = await s.call('POST', '/api/v1/auth/login', { json: { username: 'myuser', password: 'wrong-password' } });
    expect(wrong.status).toBe(401);
    expect(wrong.body.message).toMatch(/password|credentials/i);
  });

  it('verifies a valid token and rejects an invalid one', async () => {
    const valid = await s.call('POST', '/api/v1/auth/verify', { json: { token } });
    expect(valid.body).toMatchObject({ valid: true, user: { username: 'myuser' } });
    const invalid = await s.call('POST', '/api/v1/auth/verify', { json: { token: 'invalid.token.here' } });
    expect(invalid.body).toEqual({ valid: false });
  });
});

describe('TestPublishing', () => {
  it('publishes a Synapse package as JSON with a base64 tarball: 201, stored as a synapse version', async () => {
    const archive = await synapsePackage('synapse-algorithms', '1.0.0', { dependencies: { 'synapse-math': '^1.0.0' } });
    const reply = await s.call('POST', '/api/v1/packages', {
      token,
      json: publishBody('synapse-algorithms', '1.0.0', archive, { dependencies: { 'synapse-math': '^1.0.0' } }),
    });
    expect(reply.status).toBe(201);
    expect(reply.body).toMatchObject({
      success: true,
      package: {
        name: 'synapse-algorithms',
        version: '1.0.0',
        url: expect.stringMatching(/\/api\/v1\/packages\/synapse-algorithms\/1\.0\.0$/),
      },
    });
    expect(reply.body.checksum).toBe(sha256(archive));
    expect(s.snapshot().versionRows).toContainEqual(expect.objectContaining({ version: '1.0.0', ecosystem: 'synapse' }));
  });

  it('publishes as multipart with a `package` file part and plain fields', async () => {
    const archive = await synapsePackage('synapse-algorithms', '1.1.0');
    const reply = await s.call('POST', '/api/v1/packages', {
      token,
      parts: [
        { name: 'name', body: 'synapse-algorithms' },
        { name: 'version', body: '1.1.0' },
        { name: 'description', body: 'Algorithm collection' },
        { name: 'keywords', body: 'utility,algorithm' },
        { name: 'package', filename: 'synapse-algorithms-1.1.0.tar.gz', contentType: 'application/gzip', body: archive },
      ],
    });
    expect(reply.status).toBe(201);
    expect(reply.body.checksum).toBe(sha256(archive));
  });

  it('requires authentication: 401, nothing written', async () => {
    const archive = await synapsePackage('synapse-unauth', '1.0.0');
    const reply = await expectRefused(
      s,
      () => s.call('POST', '/api/v1/packages', { json: publishBody('synapse-unauth', '1.0.0', archive) }),
      401,
      /must be logged in to publish/,
    );
    expect(reply.headers.get('www-authenticate')).toMatch(/Bearer/);
  });

  it('refuses an invalid package name and an invalid version: 400, nothing written', async () => {
    const archive = await synapsePackage('Invalid_Name!', '1.0.0');
    await expectRefused(
      s,
      () => s.call('POST', '/api/v1/packages', { token, json: publishBody('Invalid_Name!', '1.0.0', archive) }),
      400,
      /name/i,
    );
    const bad = await synapsePackage('synapse-v', '1.0');
    await expectRefused(
      s,
      () => s.call('POST', '/api/v1/packages', { token, json: publishBody('synapse-v', '1.0', bad) }),
      400,
      /version/i,
    );
  });

  it('refuses a duplicate version: 409, nothing written', async () => {
    const archive = await synapsePackage('synapse-algorithms', '1.0.0');
    await expectRefused(
      s,
      () => s.call('POST', '/api/v1/packages', { token, json: publishBody('synapse-algorithms', '1.0.0', archive) }),
      409,
      /1\.0\.0/,
    );
  });

  it('refuses another user publishing a version of my package: 403, nothing written', async () => {
    const archive = await synapsePackage('synapse-algorithms', '9.0.0');
    await expectRefused(
      s,
      () => s.call('POST', '/api/v1/packages', { token: otherToken, json: publishBody('synapse-algorithms', '9.0.0', archive) }),
      403,
      /synapse-algorithms/,
    );
  });

  it('refuses synapse.json that disagrees with the metadata, naming the field: 400, nothing written', async () => {
    const versionSays = await synapsePackage('synapse-algorithms', '2.0.1');
    await expectRefused(
      s,
      () => s.call('POST', '/api/v1/packages', { token, json: publishBody('synapse-algorithms', '2.0.0', versionSays) }),
      400,
      /synapse\.json in the archive says version is "2\.0\.1", but the metadata says "2\.0\.0"/,
    );
    const nameSays = await synapsePackage('synapse-other', '2.0.0');
    await expectRefused(
      s,
      () => s.call('POST', '/api/v1/packages', { token, json: publishBody('synapse-algorithms', '2.0.0', nameSays) }),
      400,
      /synapse\.json in the archive says name is "synapse-other"/,
    );
    const deps = await synapsePackage('synapse-algorithms', '2.0.0', { dependencies: { 'synapse-math': '^1.0.0' } });
    await expectRefused(
      s,
      () =>
        s.call('POST', '/api/v1/packages', {
          token,
          json: publishBody('synapse-algorithms', '2.0.0', deps, { dependencies: { 'synapse-math': '^2.0.0' } }),
        }),
      400,
      /says dependencies is .*\^2\.0\.0.*but synapse\.json in the archive says .*\^1\.0\.0/,
    );
  });

  it('refuses bad archives with the npm tarball rules: not gzip, no manifest, "..", links out, gzip bombs, both manifests', async () => {
    const publish = (archive: Buffer) => () =>
      s.call('POST', '/api/v1/packages', { token, json: publishBody('synapse-bad', '1.0.0', archive) });
    await expectRefused(s, publish(Buffer.from('not a tarball at all')), 400, /not gzip-compressed/);
    await expectRefused(
      s,
      publish(await rootArchive({ 'main.syn': 'fn main() {}\n' })),
      400,
      /no manifest Shelf knows.*synapse\.json at the archive root/,
    );
    await expectRefused(
      s,
      publish(
        await craftedArchive([
          { path: 'synapse.json', body: synapseJson('synapse-bad', '1.0.0') },
          { path: '../escape.syn', body: 'x' },
        ]),
      ),
      400,
      /"\.\." path segment/,
    );
    await expectRefused(
      s,
      publish(
        await craftedArchive([
          { path: '/etc/evil.syn', body: 'x' },
          { path: 'synapse.json', body: synapseJson('synapse-bad', '1.0.0') },
        ]),
      ),
      400,
      /absolute path/,
    );
    await expectRefused(
      s,
      publish(
        await craftedArchive([
          { path: 'synapse.json', body: synapseJson('synapse-bad', '1.0.0') },
          { path: 'lib/passwd.syn', type: 'SymbolicLink', linkpath: '../../etc/passwd' },
        ]),
      ),
      400,
      /points outside the archive/,
    );
    await expectRefused(
      s,
      publish(await rootArchive({ 'synapse.json': synapseJson('synapse-bad', '1.0.0'), 'zeros.syn': Buffer.alloc(2 * 1024 * 1024) })),
      413,
      /unpacks to more than 1 MB/,
    );
    await expectRefused(
      s,
      publish(
        await rootArchive({
          'synapse.json': synapseJson('synapse-bad', '1.0.0'),
          'vais.toml': '[package]\nname = "synapse-bad"\nversion = "1.0.0"\n',
        }),
      ),
      400,
      /both synapse\.json and vais\.toml/,
    );
    await expectRefused(
      s,
      publish(await rootArchive({ 'synapse.json': '{ not json' })),
      400,
      /synapse\.json in the archive is not valid JSON/,
    );
  });
});

describe('TestDiscovery', () => {
  it('gets a package with its versions, tarball URLs, downloads and ecosystem', async () => {
    const reply = await s.call('GET', '/api/v1/packages/synapse-algorithms');
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ name: 'synapse-algorithms', ecosystem: 'synapse', author: 'myuser', license: 'MIT' });
    expect(reply.body.versions.map((v: { version: string }) => v.version)).toEqual(['1.1.0', '1.0.0']);
    expect(reply.body.versions[1].tarball_url).toMatch(/\/api\/v1\/packages\/synapse-algorithms\/1\.0\.0\/tarball$/);
    expect(reply.body.downloads).toMatchObject({ total: expect.any(Number), week: expect.any(Number), month: expect.any(Number) });
  });

  it('answers 404 for a package that does not exist', async () => {
    const reply = await s.call('GET', '/api/v1/packages/nonexistent-package');
    expect(reply.status).toBe(404);
    expect(reply.body.message).toMatch(/nonexistent-package/);
  });

  it('gets a specific version with its dependencies and tarball URL', async () => {
    const reply = await s.call('GET', '/api/v1/packages/synapse-algorithms/1.0.0');
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({
      name: 'synapse-algorithms',
      version: '1.0.0',
      ecosystem: 'synapse',
      dependencies: { 'synapse-math': '^1.0.0' },
      tarball_url: expect.stringMatching(/\/tarball$/),
    });
  });

  it('lists versions', async () => {
    const reply = await s.call('GET', '/api/v1/packages/synapse-algorithms/versions');
    expect(reply.body).toEqual({ name: 'synapse-algorithms', versions: ['1.0.0', '1.1.0'] });
  });

  it('searches packages by name, description and keyword with limit and offset', async () => {
    const reply = await s.call('GET', '/api/v1/search?q=algorithm&limit=20&offset=0');
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ total: 1, limit: 20, offset: 0 });
    expect(reply.body.results[0]).toMatchObject({ name: 'synapse-algorithms', version: '1.1.0', author: 'myuser' });
    expect(typeof reply.body.results[0].score).toBe('number');
  });
});

describe('TestDownloads', () => {
  it('downloads the tarball byte for byte: synapse.json at the root beside the sources', async () => {
    const expected = await synapsePackage('synapse-algorithms', '1.1.0');
    const reply = await s.call('GET', '/api/v1/packages/synapse-algorithms/1.1.0/tarball');
    expect(reply.status).toBe(200);
    expect(reply.bytes.equals(expected)).toBe(true);
    expect((await archiveEntries(reply.bytes)).sort()).toEqual(['lib/', 'lib/algorithms.syn', 'main.syn', 'synapse.json']);
    const after = await s.call('GET', '/api/v1/packages/synapse-algorithms/1.1.0');
    expect(after.body.downloads).toBe(1);
  });

  it('answers 404 for a tarball that does not exist', async () => {
    const reply = await s.call('GET', '/api/v1/packages/synapse-algorithms/7.7.7/tarball');
    expect(reply.status).toBe(404);
    expect(reply.body.message).toMatch(/7\.7\.7/);
  });
});

describe('the npm door', () => {
  it('answers 406 for a Synapse package (packument, version, tarball), naming the way to fetch it, writing nothing', async () => {
    const packument = await expectRefused(
      s,
      () => s.call('GET', '/synapse-algorithms'),
      406,
      /synapse-algorithms is a Synapse package, not an npm package/,
    );
    expect(packument.body.error).toMatch(/api\/v1\/packages\/synapse-algorithms\/<version>\/tarball/);
    await expectRefused(s, () => s.call('GET', '/synapse-algorithms/1.0.0'), 406, /fetch it with the Synapse client/);
    await expectRefused(
      s,
      () => s.call('GET', '/synapse-algorithms/-/synapse-algorithms-1.0.0.tgz'),
      406,
      /api\/v1\/packages\/synapse-algorithms\/1\.0\.0\/tarball/,
    );
  });

  it('refuses an npm publish of a version of a Synapse package: 409, nothing written', async () => {
    const { makeTarball, publishBody: npmBody } = await import('../helpers/app-harness');
    const tgz = await makeTarball({ 'package.json': JSON.stringify({ name: 'synapse-algorithms', version: '3.0.0' }) });
    await expectRefused(
      s,
      () => s.call('PUT', '/synapse-algorithms', { token, json: npmBody('synapse-algorithms', '3.0.0', tgz) }),
      409,
      /synapse-algorithms is a Synapse package; an npm archive cannot be published as a version of it/,
    );
  });

  it('shelf lock refuses an npm project that depends on a Synapse package, saying why', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shelf-seed-lock-'));
    try {
      writeFileSync(
        join(dir, 'package.json'),
        JSON.stringify({ name: 'app', version: '1.0.0', dependencies: { 'synapse-algorithms': '^1.0.0' } }),
      );
      const failed = await promisify(execFile)(
        process.execPath,
        [join(ROOT, 'bin', 'shelf.js'), 'lock', dir, '--registry', s.shelf.registry, '--data-dir', join(dir, '.shelf')],
        {
          env: cleanEnv(),
        },
      ).then(
        () => undefined,
        (error: { code?: number; stderr?: string; stdout?: string }) => error,
      );
      expect(failed?.code).not.toBe(0);
      expect(`${failed?.stderr}${failed?.stdout}`).toMatch(/406.*synapse-algorithms is a Synapse package, not an npm package/s);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('Management: DELETE /api/v1/packages/{name}/{version}', () => {
  it('is refused for someone who is not an owner: 403, nothing written', async () => {
    await expectRefused(
      s,
      () => s.call('DELETE', '/api/v1/packages/synapse-algorithms/1.0.0', { token: otherToken }),
      403,
      /synapse-algorithms/,
    );
    await expectRefused(s, () => s.call('DELETE', '/api/v1/packages/synapse-algorithms/1.0.0'), 401, /.+/);
  });

  it("withdraws the version (Shelf's DELETE is a yank: still downloadable for lockfiles, marked yanked)", async () => {
    const reply = await s.call('DELETE', '/api/v1/packages/synapse-algorithms/1.0.0', { token });
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ name: 'synapse-algorithms', version: '1.0.0', yanked: true });
    expect((await s.call('GET', '/api/v1/packages/synapse-algorithms/1.0.0')).body.yanked).toBe(true);
    expect((await s.call('GET', '/api/v1/packages/synapse-algorithms/1.0.0/tarball')).status).toBe(200);
  });
});

describe('TestStatistics and TestHealth', () => {
  it('reports registry statistics', async () => {
    const reply = await s.call('GET', '/api/v1/stats');
    expect(reply.status).toBe(200);
    expect(reply.body.packages).toMatchObject({ total: 1, versions: 2 });
    expect(reply.body.packages.downloads).toBeGreaterThanOrEqual(2);
    expect(reply.body.top_packages[0]).toMatchObject({ name: 'synapse-algorithms' });
    expect(Date.parse(reply.body.timestamp)).not.toBeNaN();
  });

  it('answers the health check', async () => {
    const reply = await s.call('GET', '/api/v1/health');
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ status: 'ok', version: expect.any(String) });
    expect(Date.parse(reply.body.timestamp)).not.toBeNaN();
  });
});

describe('TestIntegration', () => {
  it('publishes, discovers and downloads a package end to end', async () => {
    const archive = await synapsePackage('synapse-math', '1.0.0');
    expect((await s.call('POST', '/api/v1/packages', { token, json: publishBody('synapse-math', '1.0.0', archive) })).status).toBe(201);
    const found = await s.call('GET', '/api/v1/search?q=synapse-math');
    expect(found.body.results.map((r: { name: string }) => r.name)).toContain('synapse-math');
    const detail = await s.call('GET', '/api/v1/packages/synapse-math');
    const download = await fetch(detail.body.versions[0].tarball_url);
    expect(Buffer.from(await download.arrayBuffer()).equals(archive)).toBe(true);
  });
});
