// /api/v1 publishing over a real server: JSON and multipart bodies, name/version/archive rules, scopes and ownership.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTarball, packageTarball } from '../../helpers/app-harness';
import { expectRefusal, startApi, type ApiHarness } from './api-client';

let a: ApiHarness;
let alice: string;
let bob: string;
let aliceRead: string;

const jsonPublish = (token: string | undefined, metadata: Record<string, unknown>) => a.api('POST', '/packages', { token, body: metadata });

async function metadataFor(name: string, version: string, extra: Record<string, unknown> = {}) {
  return {
    name,
    version,
    description: `${name} does things`,
    keywords: ['demo'],
    tarball: (await packageTarball(name, version)).toString('base64'),
    ...extra,
  };
}

function form(parts: Record<string, string | Buffer>): FormData {
  const data = new FormData();
  for (const [key, value] of Object.entries(parts)) {
    if (typeof value === 'string') data.append(key, value);
    else data.append(key, new Blob([new Uint8Array(value)], { type: 'application/gzip' }), `${key}.tgz`);
  }
  return data;
}

beforeAll(async () => {
  a = await startApi({ limits: { maxTarballBytes: 64 * 1024, maxUnpackedBytes: 1024 * 1024, maxTarballEntries: 100 } });
  alice = await a.register('alice');
  bob = await a.register('bob');
  aliceRead = (await a.api('POST', '/users/me/tokens', { token: alice, body: { name: 'ro', scopes: ['read'] } })).body.token;
});
afterAll(async () => a.close());

describe('publishing with a JSON body', () => {
  it('stores the version and answers with its checksum, URL and download URL', async () => {
    const response = await jsonPublish(
      alice,
      await metadataFor('widget', '1.0.0', { author: { name: 'Alice' }, license: 'MIT', categories: ['tools'] }),
    );
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({ success: true, name: 'widget', version: '1.0.0', package: { name: 'widget', version: '1.0.0' } });
    expect(response.body.download_url).toMatch(/\/api\/v1\/packages\/widget\/1\.0\.0\/tarball$/);
    const detail = await a.api('GET', '/packages/widget');
    expect(detail.body).toMatchObject({
      name: 'widget',
      author: 'Alice',
      license: 'MIT',
      latest_version: '1.0.0',
      owners: ['alice'],
      categories: ['tools'],
    });
    expect(detail.body.versions[0].checksum).toBe(response.body.checksum);
  });

  it('is the same package through the npm protocol', async () => {
    const packument = await a.h.call('GET', '/widget');
    expect(packument.status).toBe(200);
    expect(packument.body['dist-tags'].latest).toBe('1.0.0');
    expect(packument.body.versions['1.0.0'].description).toBe('widget does things');
  });

  it('publishes scoped names, addressed with an encoded slash', async () => {
    expect((await jsonPublish(alice, await metadataFor('@team/kit', '0.1.0'))).status).toBe(201);
    expect((await a.api('GET', '/packages/@team%2Fkit')).body.name).toBe('@team/kit');
  });
});

describe('publishing with a multipart body', () => {
  it('accepts metadata plus tarball parts', async () => {
    const response = await a.api('POST', '/packages/publish', {
      token: alice,
      form: form({
        metadata: JSON.stringify({ name: 'gadget', version: '2.0.0', description: 'multipart' }),
        tarball: await packageTarball('gadget', '2.0.0'),
      }),
    });
    expect(response.status).toBe(201);
    expect(response.body.name).toBe('gadget');
  });

  it("accepts the 'manifest' and 'archive' part names too", async () => {
    const response = await a.api('POST', '/packages', {
      token: alice,
      form: form({ manifest: JSON.stringify({ name: 'gadget', version: '2.1.0' }), archive: await packageTarball('gadget', '2.1.0') }),
    });
    expect(response.status).toBe(201);
  });

  it('refuses a multipart body without an archive or without metadata', async () => {
    await expectRefusal(
      a,
      () => a.api('POST', '/packages', { token: alice, form: form({ metadata: JSON.stringify({ name: 'gadget', version: '3.0.0' }) }) }),
      400,
      'invalid_request',
    );
    const tgz = await packageTarball('gadget', '3.0.0');
    await expectRefusal(a, () => a.api('POST', '/packages', { token: alice, form: form({ tarball: tgz }) }), 400, 'invalid_request');
    await expectRefusal(
      a,
      () => a.api('POST', '/packages', { token: alice, form: form({ metadata: '{nope', tarball: tgz }) }),
      400,
      'invalid_request',
    );
  });

  it('refuses an archive over the size limit with 413', async () => {
    const big = await makeTarball({
      'package.json': JSON.stringify({ name: 'gadget', version: '9.0.0' }),
      'noise.bin': randomBytes(100 * 1024).toString('base64'),
    });
    await expectRefusal(
      a,
      () =>
        a.api('POST', '/packages', {
          token: alice,
          form: form({ metadata: JSON.stringify({ name: 'gadget', version: '9.0.0' }), tarball: big }),
        }),
      413,
      'payload_too_large',
    );
    await expectRefusal(
      a,
      () => jsonPublish(alice, { name: 'gadget', version: '9.0.0', tarball: big.toString('base64') }),
      413,
      'payload_too_large',
    );
  });
});

describe('name and version rules', () => {
  it('refuses upper case instead of lower-casing it', async () => {
    const response = await expectRefusal(a, async () => jsonPublish(alice, await metadataFor('Widget', '1.0.0')), 400, 'invalid_request');
    expect(response.body.message).toMatch(/lower case/);
  });

  it('refuses names outside [a-z0-9_-], too long, or starting with a symbol', async () => {
    for (const name of ['my.pkg', '-dash', 'a'.repeat(65), 'space name', '@Scope/x']) {
      await expectRefusal(a, async () => jsonPublish(alice, await metadataFor(name, '1.0.0')), 400, 'invalid_request');
    }
  });

  it('refuses the words the routes use', async () => {
    for (const name of ['versions', 'owners', 'stats', 'trending', 'categories', 'publish', 'yank', 'unyank', 'health']) {
      await expectRefusal(a, async () => jsonPublish(alice, await metadataFor(name, '1.0.0')), 400, 'invalid_request');
    }
  });

  it('refuses versions that are not strict semver', async () => {
    for (const version of ['1.0', 'v1.0.0', '1.0.0 ', 'latest']) {
      await expectRefusal(
        a,
        async () => jsonPublish(alice, { ...(await metadataFor('widget', '1.0.1')), version }),
        400,
        'invalid_request',
      );
    }
    await expectRefusal(
      a,
      async () => jsonPublish(alice, { ...(await metadataFor('widget', '1.0.1')), version: undefined }),
      400,
      'invalid_request',
    );
  });
});

describe('archive rules', () => {
  it('refuses an archive whose package.json names another version', async () => {
    const response = await expectRefusal(
      a,
      async () =>
        jsonPublish(alice, { name: 'widget', version: '1.0.1', tarball: (await packageTarball('widget', '1.0.2')).toString('base64') }),
      400,
      'invalid_request',
    );
    expect(response.body.message).toMatch(/package\.json/);
  });

  it('refuses an archive whose synapse.json or vais.toml disagrees with the metadata', async () => {
    const synapse = await makeTarball({
      'package.json': JSON.stringify({ name: 'widget', version: '1.0.1' }),
      'synapse.json': JSON.stringify({ name: 'widget', version: '0.0.1' }),
    });
    await expectRefusal(
      a,
      () => jsonPublish(alice, { name: 'widget', version: '1.0.1', tarball: synapse.toString('base64') }),
      400,
      'invalid_request',
    );
    const vais = await makeTarball({
      'package.json': JSON.stringify({ name: 'widget', version: '1.0.1' }),
      'vais.toml': '[package]\nname = "other"\nversion = "1.0.1"\n',
    });
    await expectRefusal(
      a,
      () => jsonPublish(alice, { name: 'widget', version: '1.0.1', tarball: vais.toString('base64') }),
      400,
      'invalid_request',
    );
  });

  it('accepts an archive whose extra manifests agree', async () => {
    const ok = await makeTarball({
      'package.json': JSON.stringify({ name: 'widget', version: '1.0.1' }),
      'vais.toml': '[package]\nname = "widget"\nversion = "1.0.1"\n',
    });
    expect((await jsonPublish(alice, { name: 'widget', version: '1.0.1', tarball: ok.toString('base64') })).status).toBe(201);
  });

  it('refuses what is not base64, not gzip, or unsafe', async () => {
    await expectRefusal(a, () => jsonPublish(alice, { name: 'widget', version: '1.0.3', tarball: '***' }), 400, 'invalid_request');
    await expectRefusal(
      a,
      () => jsonPublish(alice, { name: 'widget', version: '1.0.3', tarball: Buffer.from('plain text').toString('base64') }),
      400,
      'invalid_request',
    );
    await expectRefusal(a, () => jsonPublish(alice, { name: 'widget', version: '1.0.3' }), 400, 'invalid_request');
  });
});

describe('who may publish', () => {
  it('refuses an anonymous caller with 401 and a read-only token with 403', async () => {
    await expectRefusal(a, async () => jsonPublish(undefined, await metadataFor('widget', '1.0.4')), 401, 'authentication_required');
    await expectRefusal(a, async () => jsonPublish(aliceRead, await metadataFor('widget', '1.0.4')), 403, 'permission_denied');
  });

  it('refuses someone who does not own the package with 403', async () => {
    await expectRefusal(a, async () => jsonPublish(bob, await metadataFor('widget', '1.0.4')), 403, 'permission_denied');
  });

  it('refuses a version that exists with 409', async () => {
    await expectRefusal(a, async () => jsonPublish(alice, await metadataFor('widget', '1.0.0')), 409, 'conflict');
  });
});
