// Issue 11 item 13: a mirrored tarball whose upstream publishes neither `integrity` nor `shasum` gets its sha512 pinned
// on the first download and served in the packument from then on, so a later fetch of other bytes is refused; and an
// upstream tarball sent without a Content-Length is cut off at the size cap instead of being read to the end.
import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { join } from 'node:path';
import ssri from 'ssri';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTarball, startAttacked, type Attacked } from './support';
import { startFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream';

let fake: FakeUpstream;
let shelf: Attacked;
const served = new Map<string, Buffer>();
let endlessStopped: Promise<boolean>;

const sha512 = (bytes: Buffer) => ssri.fromData(bytes, { algorithms: ['sha512'] }).toString();

/** Sends a body chunked, without a Content-Length. */
const chunked = (res: ServerResponse, bytes: Buffer) => {
  res.writeHead(200, { 'content-type': 'application/octet-stream' });
  res.write(bytes.subarray(0, 20));
  res.end(bytes.subarray(20));
};

function cachedRows(name: string): { version: string; integrity: string }[] {
  const db = new Database(join(shelf.shelf.dataDir, 'shelf.db'), { readonly: true, fileMustExist: true });
  try {
    return db.prepare('SELECT version, integrity FROM cached_tarballs WHERE name = ? ORDER BY version').all(name) as {
      version: string;
      integrity: string;
    }[];
  } finally {
    db.close();
  }
}

beforeAll(async () => {
  fake = await startFakeUpstream();
  for (const version of ['1.0.0', '2.0.0'])
    served.set(version, await makeTarball({ 'package.json': JSON.stringify({ name: 'bare', version }), 'index.js': `// ${version}\n` }));
  const manifest = (name: string, version: string) => ({ name, version, dist: { tarball: `${fake.url}${name}/-/${name}-${version}.tgz` } });
  fake.route('/bare', (_req, res) =>
    res.writeHead(200, { 'content-type': 'application/json' }).end(
      JSON.stringify({
        name: 'bare',
        'dist-tags': { latest: '2.0.0' },
        versions: { '1.0.0': manifest('bare', '1.0.0'), '2.0.0': manifest('bare', '2.0.0') },
        time: { modified: '2026-01-01T00:00:00.000Z' },
      }),
    ),
  );
  for (const version of ['1.0.0', '2.0.0']) fake.route(`/bare/-/bare-${version}.tgz`, (_req, res) => chunked(res, served.get(version)!));
  fake.route('/endless', (_req, res) =>
    res.writeHead(200, { 'content-type': 'application/json' }).end(
      JSON.stringify({
        name: 'endless',
        'dist-tags': { latest: '1.0.0' },
        versions: { '1.0.0': manifest('endless', '1.0.0') },
        time: {},
      }),
    ),
  );
  // A tarball that never ends (bounded here at 2 GB): only a reader that counts can answer before it does.
  endlessStopped = new Promise((resolve) =>
    fake.route('/endless/-/endless-1.0.0.tgz', (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      const chunk = randomBytes(64 * 1024);
      let sent = 0;
      const pump = () => {
        while (sent < 32_768 && !res.destroyed) {
          sent++;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        resolve(res.destroyed);
        if (!res.destroyed) res.end();
      };
      res.on('close', () => resolve(true));
      pump();
    }),
  );
  // The cache holds one of bare's tarballs at a time, so fetching the second evicts the first.
  const cap = Math.max(...[...served.values()].map((b) => b.length)) + 16;
  shelf = await startAttacked([
    '--upstream',
    fake.url,
    '--cache-max-age',
    '0',
    '--cache-cap',
    String(cap),
    '--upstream-max-tarball',
    '256kb',
  ]);
});

afterAll(async () => {
  await shelf?.close();
  await fake?.close();
});

describe('a tarball published without integrity', () => {
  it('has its sha512 pinned on the first download and served in both packuments from then on', async () => {
    const first = await shelf.request('GET', '/bare');
    expect(first.status).toBe(200);
    expect(first.body.versions['1.0.0'].dist.integrity).toBeUndefined();

    const tarball = await fetch(`${shelf.url}/bare/-/bare-1.0.0.tgz`);
    expect(tarball.status).toBe(200);
    expect(Buffer.from(await tarball.arrayBuffer()).equals(served.get('1.0.0')!)).toBe(true);

    // The packument is fetched again from the upstream (max-age 0), which still gives no integrity: the pin stays.
    const full = await shelf.request('GET', '/bare');
    expect(full.headers.get('x-shelf-cache')).toBe('revalidated');
    expect(full.body.versions['1.0.0'].dist.integrity).toBe(sha512(served.get('1.0.0')!));
    expect(full.body.versions['2.0.0'].dist.integrity).toBeUndefined();
    const abbreviated = await shelf.request('GET', '/bare', { headers: { accept: 'application/vnd.npm.install-v1+json' } });
    expect(abbreviated.body.versions['1.0.0'].dist.integrity).toBe(sha512(served.get('1.0.0')!));
  });

  it('refuses other bytes for a pinned version after its cached copy was evicted, and caches nothing', async () => {
    expect((await fetch(`${shelf.url}/bare/-/bare-2.0.0.tgz`)).status).toBe(200);
    expect(cachedRows('bare').map((r) => r.version)).toEqual(['2.0.0']);

    // The upstream now sends different bytes for 1.0.0, still without any integrity of its own.
    const swapped = await makeTarball({ 'package.json': JSON.stringify({ name: 'bare', version: '1.0.0' }), 'index.js': 'evil();\n' });
    served.set('1.0.0', swapped);
    const before = shelf.snapshot();
    const reply = await shelf.request('GET', '/bare/-/bare-1.0.0.tgz');
    expect(reply.status).toBe(502);
    expect(reply.body.error).toBe(
      `the tarball of bare@1.0.0 from the upstream ${new URL(fake.url).host} does not match its published (or first-seen) integrity; it was not cached or served`,
    );
    expect(shelf.snapshot()).toEqual(before);
    expect(cachedRows('bare').map((r) => r.version)).toEqual(['2.0.0']);
  });
});

describe('an upstream body without Content-Length', () => {
  it('is cut off at --upstream-max-tarball while it streams: 502, and nothing cached', async () => {
    expect((await shelf.request('GET', '/endless')).status).toBe(200);
    const before = shelf.snapshot();
    const reply = await shelf.request('GET', '/endless/-/endless-1.0.0.tgz');
    expect(reply.status).toBe(502);
    expect(reply.body.error).toBe(
      `the tarball of endless@1.0.0 from the upstream ${new URL(fake.url).host} is larger than this registry caches from upstreams (256 kB, --upstream-max-tarball); nothing was cached`,
    );
    // Shelf hung up on the stream rather than reading it to its end.
    expect(await endlessStopped).toBe(true);
    expect(shelf.snapshot()).toEqual(before);
    expect(cachedRows('endless')).toEqual([]);
  });
});
