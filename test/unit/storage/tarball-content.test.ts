// Tarballs are sent whole from one read when small and streamed when large; both ways send exactly the stored bytes,
// with the length and integrity headers, through the npm and /api/v1 doors alike.
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import ssri from 'ssri';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WHOLE_READ_MAX_BYTES } from '../../../src/main/storage/blobs/tarball-store';
import { makeTarball, publishBody, startHarness, type Harness } from '../../helpers/app-harness';

let h: Harness;
const tarballs: Record<string, Buffer> = {};

beforeAll(async () => {
  h = await startHarness();
  const token = await h.login('alice');
  // Random bytes do not compress, so the gzipped tarballs land below and above the whole-read limit.
  const sizes = { small: 64 * 1024, large: WHOLE_READ_MAX_BYTES + 512 * 1024 };
  for (const [name, size] of Object.entries(sizes)) {
    const pkg = `sent-${name}`;
    tarballs[name] = await makeTarball({
      'package.json': JSON.stringify({ name: pkg, version: '1.0.0' }),
      'data.bin': randomBytes(size).toString('base64'),
    });
    const put = await h.call('PUT', `/${pkg}`, { token, body: publishBody(pkg, '1.0.0', tarballs[name]) });
    expect(put.status, JSON.stringify(put.body)).toBe(201);
  }
  expect(tarballs.small!.length).toBeLessThan(WHOLE_READ_MAX_BYTES);
  expect(tarballs.large!.length).toBeGreaterThan(WHOLE_READ_MAX_BYTES);
});
afterAll(async () => h.close());

describe.each(['small', 'large'])('a %s tarball', (kind) => {
  it('is sent byte for byte through the npm door, with its length and integrity', async () => {
    const response = await fetch(`${h.url}/sent-${kind}/-/sent-${kind}-1.0.0.tgz`);
    expect(response.status).toBe(200);
    const bytes = Buffer.from(await response.arrayBuffer());
    expect(bytes.equals(tarballs[kind]!)).toBe(true);
    expect(response.headers.get('content-length')).toBe(String(tarballs[kind]!.length));
    expect(response.headers.get('etag')).toBe(`"${ssri.fromData(tarballs[kind]!, { algorithms: ['sha512'] }).toString()}"`);
  });

  it('is sent byte for byte through /api/v1, and streams to a reader that takes it slowly', async () => {
    const response = await fetch(`${h.url}/api/v1/packages/sent-${kind}/1.0.0/tarball`);
    expect(response.status).toBe(200);
    const chunks: Buffer[] = [];
    for await (const chunk of Readable.fromWeb(response.body as never)) {
      chunks.push(chunk as Buffer);
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(Buffer.concat(chunks).equals(tarballs[kind]!)).toBe(true);
  });
});

it('answers 404 with the reason, and sends nothing, for a version that does not exist', async () => {
  const response = await h.call('GET', '/sent-small/-/sent-small-9.9.9.tgz');
  expect(response.status).toBe(404);
  expect(response.body.error).toMatch(/sent-small has no tarball 'sent-small-9.9.9.tgz'/);
});
