// Every way a publish can be refused: the status, a message a person can act on, and nothing stored.
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTarball, packageTarball, publishBody, startHarness, type Harness } from '../../helpers/app-harness';

let h: Harness;
let alice: string;
let bob: string;

beforeAll(async () => {
  h = await startHarness({ limits: { maxTarballBytes: 64 * 1024, maxUnpackedBytes: 256 * 1024, maxTarballEntries: 100 } });
  alice = await h.login('alice');
  bob = await h.login('bob');
  // One good package so that owner and duplicate checks have something to collide with.
  const ok = await h.call('PUT', '/existing', {
    token: alice,
    body: publishBody('existing', '1.0.0', await packageTarball('existing', '1.0.0')),
  });
  expect(ok.status).toBe(201);
});

afterAll(async () => h.close());

async function expectRefused(
  request: Promise<{ status: number; body: any; headers: Headers }> | (() => Promise<{ status: number; body: any; headers: Headers }>),
  status: number,
  message: RegExp,
) {
  const before = await h.snapshot();
  const response = await (typeof request === 'function' ? request() : request);
  expect(response.status).toBe(status);
  expect(response.body.error).toMatch(message);
  expect(await h.snapshot()).toEqual(before);
  return response;
}

describe('publish refusals', () => {
  it('refuses an anonymous publish with 401 and a WWW-Authenticate header', async () => {
    const body = publishBody('anon', '1.0.0', await packageTarball('anon', '1.0.0'));
    const response = await expectRefused(() => h.call('PUT', '/anon', { body }), 401, /logged in to publish/);
    expect(response.headers.get('www-authenticate')).toMatch(/Bearer/);
  });

  it('refuses a token that is not valid with 401', async () => {
    const body = publishBody('badtoken', '1.0.0', await packageTarball('badtoken', '1.0.0'));
    await expectRefused(() => h.call('PUT', '/badtoken', { body, token: 'shelf_nope' }), 401, /not valid on this registry/);
  });

  it('refuses a publish by someone who is not a maintainer with 403', async () => {
    const body = publishBody('existing', '2.0.0', await packageTarball('existing', '2.0.0'));
    await expectRefused(() => h.call('PUT', '/existing', { body, token: bob }), 403, /not a maintainer of 'existing'/);
  });

  it('refuses a version that exists with 409', async () => {
    const body = publishBody('existing', '1.0.0', await packageTarball('existing', '1.0.0', { 'extra.js': '2' }));
    await expectRefused(
      () => h.call('PUT', '/existing', { body, token: alice }),
      409,
      /cannot publish over the previously published versions: 1\.0\.0/,
    );
  });

  it.each([
    ['.hidden', /name cannot start with a period/],
    ['a'.repeat(215), /name can no longer contain more than 214 characters/],
    ['sp ace', /name can only contain URL-friendly characters/],
  ])('refuses the invalid name %j with 400', async (name, message) => {
    const body = publishBody(name, '1.0.0', await packageTarball(name, '1.0.0'));
    await expectRefused(() => h.call('PUT', `/${encodeURIComponent(name)}`, { body, token: alice }), 400, message);
  });

  it.each(['trending', 'versions', 'health'])('refuses the route word %j as a package name with 400', async (name) => {
    const body = publishBody(name, '1.0.0', await packageTarball(name, '1.0.0'));
    await expectRefused(() => h.call('PUT', `/${name}`, { body, token: alice }), 400, /reserved by Shelf's routes/);
  });

  it('refuses a body whose name differs from the URL with 400', async () => {
    const body = publishBody('one', '1.0.0', await packageTarball('one', '1.0.0'));
    await expectRefused(() => h.call('PUT', '/two', { body, token: alice }), 400, /differs from the one in the URL/);
  });

  it.each(['1.0', 'v1.0.0', '01.0.0', 'latest'])('refuses the invalid version %j with 400', async (version) => {
    const body = publishBody('badver', version, await packageTarball('badver', version));
    await expectRefused(() => h.call('PUT', '/badver', { body, token: alice }), 400, /invalid version/);
  });

  it('refuses a publish with no tarball with 400', async () => {
    const body = publishBody('noattach', '1.0.0', await packageTarball('noattach', '1.0.0'), { body: { _attachments: {} } });
    // An empty _attachments reads as a metadata update of a package that does not exist.
    await expectRefused(() => h.call('PUT', '/noattach', { body, token: alice }), 404, /not in this registry/);
  });

  it('refuses attachment data that is not base64 with 400', async () => {
    const body = publishBody('nobase64', '1.0.0', await packageTarball('nobase64', '1.0.0'));
    (body._attachments as any)['nobase64-1.0.0.tgz'].data = '!!!not base64!!!';
    await expectRefused(() => h.call('PUT', '/nobase64', { body, token: alice }), 400, /not valid base64/);
  });

  it('refuses an attachment whose length does not match with 400', async () => {
    const body = publishBody('badlen', '1.0.0', await packageTarball('badlen', '1.0.0'));
    (body._attachments as any)['badlen-1.0.0.tgz'].length = 5;
    await expectRefused(() => h.call('PUT', '/badlen', { body, token: alice }), 400, /length says 5 bytes/);
  });

  it('refuses a tarball whose sha512 does not match dist.integrity with 400', async () => {
    const other = await packageTarball('badsum', '1.0.0', { 'other.js': 'x' });
    const body = publishBody('badsum', '1.0.0', await packageTarball('badsum', '1.0.0'));
    (body.versions as any)['1.0.0'].dist.integrity =
      publishBody('badsum', '1.0.0', other).versions && (publishBody('badsum', '1.0.0', other).versions as any)['1.0.0'].dist.integrity;
    await expectRefused(() => h.call('PUT', '/badsum', { body, token: alice }), 400, /does not match its dist\.integrity/);
  });

  it('refuses a tarball whose sha1 does not match dist.shasum with 400', async () => {
    const body = publishBody('badsha1', '1.0.0', await packageTarball('badsha1', '1.0.0'));
    (body.versions as any)['1.0.0'].dist.shasum = '0'.repeat(40);
    await expectRefused(() => h.call('PUT', '/badsha1', { body, token: alice }), 400, /does not match its dist\.shasum/);
  });

  it('refuses a tarball that is not gzip with 400', async () => {
    const body = publishBody('notgzip', '1.0.0', Buffer.from('plain text, not a tarball'));
    await expectRefused(() => h.call('PUT', '/notgzip', { body, token: alice }), 400, /not gzip/);
  });

  it('refuses a tarball without package.json with 400', async () => {
    const body = publishBody('nomanifest', '1.0.0', await makeTarball({ 'index.js': '1' }));
    await expectRefused(() => h.call('PUT', '/nomanifest', { body, token: alice }), 400, /no package\.json/);
  });

  it('refuses a tarball whose package.json names another package or version with 400', async () => {
    const body = publishBody('mismatch', '1.0.0', await packageTarball('mismatch', '1.0.1'));
    await expectRefused(
      () => h.call('PUT', '/mismatch', { body, token: alice }),
      400,
      /package\.json inside the tarball is mismatch@1\.0\.1/,
    );
  });

  it('refuses a tarball over the compressed size limit with 413', async () => {
    const random = Buffer.from(Array.from({ length: 100 * 1024 }, (_, i) => (i * 7919) % 251));
    const big = await makeTarball({
      'package.json': JSON.stringify({ name: 'big', version: '1.0.0' }),
      'blob.bin': random.toString('latin1'),
    });
    const body = publishBody('big', '1.0.0', Buffer.concat([big, random]));
    await expectRefused(() => h.call('PUT', '/big', { body, token: alice }), 413, /over this registry's limit/);
  });

  it('refuses a gzip bomb (small compressed, huge unpacked) with 413', async () => {
    const bomb = await makeTarball({
      'package.json': JSON.stringify({ name: 'bomb', version: '1.0.0' }),
      'zeros.txt': '\0'.repeat(2 * 1024 * 1024),
    });
    expect(bomb.length).toBeLessThan(64 * 1024);
    const body = publishBody('bomb', '1.0.0', bomb);
    await expectRefused(() => h.call('PUT', '/bomb', { body, token: alice }), 413, /unpack|uncompressed|limit/i);
  });

  it('refuses a request body over the body limit with 413', async () => {
    const huge = 'x'.repeat(2 * 1024 * 1024);
    await expectRefused(
      () =>
        h.call('PUT', '/huge', {
          rawBody: JSON.stringify({ name: 'huge', pad: huge }),
          token: alice,
          headers: { 'content-type': 'application/json' },
        }),
      413,
      /larger than this registry accepts/,
    );
  });

  it('refuses a body that is not JSON with 400', async () => {
    await expectRefused(
      () => h.call('PUT', '/notjson', { rawBody: '{nope', token: alice, headers: { 'content-type': 'application/json' } }),
      400,
      /not valid JSON/,
    );
  });

  it('refuses a dist-tag that reads as a version range with 400', async () => {
    const body = publishBody('rangetag', '1.0.0', await packageTarball('rangetag', '1.0.0'), {
      body: { 'dist-tags': { '^1.0.0': '1.0.0' } },
    });
    await expectRefused(() => h.call('PUT', '/rangetag', { body, token: alice }), 400, /invalid dist-tag/);
  });

  it('refuses restricted access for an unscoped package with 400', async () => {
    const body = publishBody('secret', '1.0.0', await packageTarball('secret', '1.0.0'), { body: { access: 'restricted' } });
    await expectRefused(() => h.call('PUT', '/secret', { body, token: alice }), 400, /only scoped packages can be restricted/);
  });

  it('refuses tarballs with unsafe entries with 400', async () => {
    // A hand-made tar entry with a '..' path; tar.create would refuse to write one.
    const header = Buffer.alloc(512);
    header.write('package/../../evil.js', 0);
    header.write('0000644\0', 100);
    header.write('0000000\0', 108);
    header.write('0000000\0', 116);
    header.write('00000000000\0', 124);
    header.write('00000000000\0', 136);
    header.write('        ', 148);
    header.write('0', 156);
    header.write('ustar\0', 257);
    header.write('00', 263);
    let sum = 0;
    for (const byte of header) sum += byte;
    header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
    const manifest = await packageTarball('unsafe', '1.0.0');
    const { gunzipSync } = await import('node:zlib');
    const plain = gunzipSync(manifest);
    const evil = gzipSync(Buffer.concat([header, plain]));
    const body = publishBody('unsafe', '1.0.0', evil);
    await expectRefused(() => h.call('PUT', '/unsafe', { body, token: alice }), 400, /\.\./);
  });
});
