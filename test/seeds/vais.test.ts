// Vais's registry client (`vaisc pkg login/publish/search/install`, Phase 33 stage 3) against a real `shelf serve`: the
// registry URL ends in /api/v1; publish is multipart with a `metadata` part typed application/json (a field with its own
// Content-Type and no filename) and an `archive` part (the .tar.gz with vais.toml at its root and src/…), with
// `Authorization: Bearer <token>`; after the upload the client GETs <registry>/packages/<name>/<version> and compares
// the checksum with its own sha256; install downloads the archive, checks its sha256 and unpacks it (no "..").
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { archiveEntries, craftedArchive, expectRefused, rootArchive, sha256, startSeedServer, type Part, type SeedServer } from './support';

let s: SeedServer;
let registry: string;
let admin: string;
let other: string;

const vaisToml = (name: string, version: string, dependencies = '') =>
  `[package]\nname = "${name}"\nversion = "${version}"\ndescription = "${name}: a Vais library"\nauthors = ["Admin <admin@example.com>"]\nlicense = "MIT"\nkeywords = ["vais", "test"]\n\n[dependencies]\n${dependencies}`;

/** As `vaisc pkg publish` packs a package folder: vais.toml and src/ at the root, hidden files and target/ left out. */
async function vaisPackage(name: string, version: string, dependencies = ''): Promise<Buffer> {
  return rootArchive(
    { 'vais.toml': vaisToml(name, version, dependencies), 'src/lib.vais': `F add(a: i64, b: i64) -> i64 = a + b # ${version}\n` },
    { prefix: './' },
  );
}

/** The client's multipart: metadata as a JSON field with its own Content-Type and no filename, then the archive. */
function publishParts(metadata: Record<string, unknown>, archive: Buffer, archivePart: Partial<Part> = {}): Part[] {
  return [
    { name: 'metadata', contentType: 'application/json', body: JSON.stringify(metadata) },
    {
      name: 'archive',
      filename: `${String(metadata.name)}-${String(metadata.version)}.tar.gz`,
      contentType: 'application/gzip',
      body: archive,
      ...archivePart,
    },
  ];
}

const publish = (token: string, metadata: Record<string, unknown>, archive: Buffer, archivePart: Partial<Part> = {}) =>
  s.call('POST', `${registry}/packages/publish`, { token, parts: publishParts(metadata, archive, archivePart) });

beforeAll(async () => {
  s = await startSeedServer();
  registry = '/api/v1';
  // `vaisc pkg login --registry …`: Username: admin, Password: …
  await s.call('POST', '/api/v1/auth/register', { json: { username: 'admin', password: 'test123-long-enough' } });
  admin = (await s.call('POST', '/api/v1/auth/login', { json: { username: 'admin', password: 'test123-long-enough' } })).body.token;
  await s.call('POST', '/api/v1/auth/register', { json: { username: 'eve', password: 'eve-password-123' } });
  other = (await s.call('POST', '/api/v1/auth/login', { json: { username: 'eve', password: 'eve-password-123' } })).body.token;
}, 60_000);
afterAll(async () => s?.close());

describe('vaisc pkg publish', () => {
  it('publishes: metadata typed application/json, the archive as a file part; then verifies the checksum as the client does', async () => {
    const archive = await vaisPackage('test-pkg', '0.1.0');
    const metadata = { name: 'test-pkg', version: '0.1.0', description: 'test-pkg: a Vais library', checksum: sha256(archive) };
    const reply = await publish(admin, metadata, archive);
    expect(reply.status).toBe(201);
    expect(reply.body).toMatchObject({ success: true, name: 'test-pkg', version: '0.1.0', checksum: sha256(archive) });
    // Post-upload verification: GET {registry_url}/packages/{name}/{version} with the Bearer token.
    const verify = await s.call('GET', `${registry}/packages/test-pkg/0.1.0`, { token: admin });
    expect(verify.status).toBe(200);
    expect(verify.body.checksum).toBe(sha256(archive));
    expect(verify.body.ecosystem).toBe('vais');
    expect(s.snapshot().versionRows).toContainEqual(expect.objectContaining({ version: '0.1.0', ecosystem: 'vais' }));
  });

  it('accepts the archive part without a filename, as bytes typed application/octet-stream or application/gzip', async () => {
    for (const [version, contentType] of [
      ['0.2.0', 'application/octet-stream'],
      ['0.3.0', 'application/gzip'],
    ] as const) {
      const archive = await vaisPackage('test-pkg', version, 'util = "1.2"\ncore = { version = ">=2.0.0, <3.0.0", features = ["fast"] }\n');
      const reply = await publish(admin, { name: 'test-pkg', version }, archive, { filename: undefined, contentType });
      expect(reply.status).toBe(201);
      expect(reply.body.checksum).toBe(sha256(archive));
    }
    // Dependencies are kept as vais.toml writes them (Cargo requirements), tables read by their version.
    const detail = await s.call('GET', `${registry}/packages/test-pkg/0.3.0`);
    expect(detail.body.dependencies).toEqual({ util: '1.2', core: '>=2.0.0, <3.0.0' });
  });

  it('refuses a metadata part typed application/json that is not JSON: 400, nothing written', async () => {
    const archive = await vaisPackage('test-pkg', '0.4.0');
    await expectRefused(
      s,
      () =>
        s.call('POST', `${registry}/packages/publish`, {
          token: admin,
          parts: [
            { name: 'metadata', contentType: 'application/json', body: '{"name": "test-pkg", "version": ' },
            { name: 'archive', filename: 'test-pkg-0.4.0.tar.gz', contentType: 'application/gzip', body: archive },
          ],
        }),
      400,
      /metadata part is typed application\/json but is not valid JSON/,
    );
  });

  it('refuses a checksum that disagrees with the archive: 400, nothing written', async () => {
    const archive = await vaisPackage('test-pkg', '0.4.0');
    await expectRefused(
      s,
      () => publish(admin, { name: 'test-pkg', version: '0.4.0', checksum: sha256(Buffer.from('another archive')) }, archive),
      400,
      /checksum says the archive's sha256 is [0-9a-f]{64}, but the archive received has [0-9a-f]{64}/,
    );
  });

  it('refuses vais.toml that disagrees with the metadata, naming the field: 400, nothing written', async () => {
    await expectRefused(
      s,
      async () => publish(admin, { name: 'test-pkg', version: '0.4.0' }, await vaisPackage('test-pkg', '0.4.1')),
      400,
      /vais\.toml in the archive says version is "0\.4\.1", but the metadata says "0\.4\.0"/,
    );
    await expectRefused(
      s,
      async () => publish(admin, { name: 'test-pkg', version: '0.4.0' }, await vaisPackage('other-pkg', '0.4.0')),
      400,
      /vais\.toml in the archive says name is "other-pkg"/,
    );
    await expectRefused(
      s,
      async () =>
        publish(
          admin,
          { name: 'test-pkg', version: '0.4.0', dependencies: { util: '2.0' } },
          await vaisPackage('test-pkg', '0.4.0', 'util = "1.2"\n'),
        ),
      400,
      /says dependencies is \{"util":"2\.0"\}, but vais\.toml in the archive says \{"util":"1\.2"\}/,
    );
  });

  it('refuses a path dependency and a vais.toml that is not TOML: 400, nothing written', async () => {
    await expectRefused(
      s,
      async () =>
        publish(admin, { name: 'test-pkg', version: '0.4.0' }, await vaisPackage('test-pkg', '0.4.0', 'local = { path = "../local" }\n')),
      400,
      /dependency 'local' has no version requirement \(a path or git dependency cannot be published/,
    );
    await expectRefused(
      s,
      async () => publish(admin, { name: 'test-pkg', version: '0.4.0' }, await rootArchive({ 'vais.toml': '[package\nname = "test-pkg"' })),
      400,
      /vais\.toml in the archive is not valid TOML at line 1/,
    );
  });

  it("refuses archives the client's own unpacker would refuse (path traversal, links out): 400, nothing written", async () => {
    const toml = vaisToml('test-pkg', '0.4.0');
    await expectRefused(
      s,
      async () =>
        publish(
          admin,
          { name: 'test-pkg', version: '0.4.0' },
          await craftedArchive([
            { path: 'vais.toml', body: toml },
            { path: 'src/../../x.vais', body: 'x' },
          ]),
        ),
      400,
      /"\.\." path segment/,
    );
    await expectRefused(
      s,
      async () =>
        publish(
          admin,
          { name: 'test-pkg', version: '0.4.0' },
          await craftedArchive([
            { path: 'vais.toml', body: toml },
            { path: 'src/key', type: 'SymbolicLink', linkpath: '/home/user/.ssh/id_rsa' },
          ]),
        ),
      400,
      /absolute path/,
    );
    await expectRefused(
      s,
      async () => publish(admin, { name: 'test-pkg', version: '0.4.0' }, await rootArchive({ 'src/lib.vais': 'F x() = 1\n' })),
      400,
      /vais\.toml at the archive root/,
    );
  });

  it('refuses a duplicate version (409), a bad name (400) and someone else publishing my package (403), nothing written', async () => {
    const archive = await vaisPackage('test-pkg', '0.1.0');
    await expectRefused(s, () => publish(admin, { name: 'test-pkg', version: '0.1.0' }, archive), 409, /0\.1\.0/);
    await expectRefused(
      s,
      async () => publish(admin, { name: 'Test Pkg', version: '1.0.0' }, await vaisPackage('Test Pkg', '1.0.0')),
      400,
      /name/,
    );
    await expectRefused(
      s,
      async () => publish(other, { name: 'test-pkg', version: '9.0.0' }, await vaisPackage('test-pkg', '9.0.0')),
      403,
      /test-pkg/,
    );
    await expectRefused(
      s,
      async () => publish('', { name: 'test-pkg', version: '9.0.0' }, await vaisPackage('test-pkg', '9.0.0')),
      401,
      /logged in/,
    );
  });
});

describe('vaisc pkg search and install', () => {
  it('finds the package by search', async () => {
    const reply = await s.call('GET', `${registry}/search?q=test`);
    expect(reply.body.results.map((r: { name: string }) => r.name)).toContain('test-pkg');
    expect(reply.body.results.find((r: { name: string }) => r.name === 'test-pkg').version).toBe('0.3.0');
  });

  it("downloads the archive: bytes equal, sha256 equal to the registry's checksum, vais.toml and src/ at the root", async () => {
    const expected = await vaisPackage('test-pkg', '0.1.0');
    const meta = await s.call('GET', `${registry}/packages/test-pkg/0.1.0`);
    const download = await s.call('GET', `${registry}/packages/test-pkg/0.1.0/download`);
    expect(download.status).toBe(200);
    expect(download.bytes.equals(expected)).toBe(true);
    expect(sha256(download.bytes)).toBe(meta.body.checksum);
    const entries = await archiveEntries(download.bytes);
    expect(entries).toEqual(expect.arrayContaining(['./vais.toml', './src/lib.vais']));
    expect(entries.every((e) => !e.split('/').includes('..'))).toBe(true);
  });

  it('lists versions for the resolver to pick from', async () => {
    expect((await s.call('GET', `${registry}/packages/test-pkg/versions`)).body.versions).toEqual(['0.1.0', '0.2.0', '0.3.0']);
  });

  it('is not served to npm: 406 naming the Vais client and the API tarball URL, nothing written', async () => {
    await expectRefused(s, () => s.call('GET', '/test-pkg'), 406, /test-pkg is a Vais package, not an npm package.*Vais client/);
    await expectRefused(s, () => s.call('GET', '/test-pkg/-/test-pkg-0.1.0.tgz'), 406, /\/api\/v1\/packages\/test-pkg\/0\.1\.0\/tarball/);
  });
});

describe('yank and owners', () => {
  it('yanks and unyanks as an owner; refuses others (403), nothing written', async () => {
    await expectRefused(s, () => s.call('DELETE', `${registry}/packages/test-pkg/0.2.0`, { token: other }), 403, /test-pkg/);
    const yank = await s.call('DELETE', `${registry}/packages/test-pkg/0.2.0`, { token: admin });
    expect(yank.body).toMatchObject({ yanked: true });
    expect((await s.call('GET', `${registry}/packages/test-pkg/0.2.0`)).body.yanked).toBe(true);
    expect((await s.call('GET', `${registry}/packages/test-pkg/0.2.0/download`)).status).toBe(200);
    expect((await s.call('POST', `${registry}/packages/test-pkg/0.2.0/unyank`, { token: admin })).body.yanked).toBe(false);
  });

  it('lists, adds and removes owners; an added owner may publish', async () => {
    expect((await s.call('GET', `${registry}/packages/test-pkg/owners`)).body.owners.map((o: { username: string }) => o.username)).toEqual([
      'admin',
    ]);
    const added = await s.call('PUT', `${registry}/packages/test-pkg/owners`, { token: admin, json: { username: 'eve' } });
    expect(added.status).toBe(201);
    expect((await publish(other, { name: 'test-pkg', version: '0.5.0' }, await vaisPackage('test-pkg', '0.5.0'))).status).toBe(201);
    const removed = await s.call('DELETE', `${registry}/packages/test-pkg/owners/eve`, { token: admin });
    expect(removed.status).toBe(200);
    expect((await s.call('GET', `${registry}/packages/test-pkg/owners`)).body.owners.map((o: { username: string }) => o.username)).toEqual([
      'admin',
    ]);
    await expectRefused(
      s,
      () => s.call('PUT', `${registry}/packages/test-pkg/owners`, { token: other, json: { username: 'eve' } }),
      403,
      /test-pkg/,
    );
  });
});
