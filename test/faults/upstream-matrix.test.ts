// Issue 12 items 4 and 5: the mirror under every upstream fault, for packuments and tarballs, with and without a cached
// copy. A real `shelf serve` mirrors a scripted upstream on loopback; each fault must give 502 (a bad answer) or 504 (no
// answer in time) with a message naming the upstream, serve the cached copy when there is one, store nothing of the bad
// answer, and let the next good answer through.
import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import ssri from 'ssri';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTarball, startAttacked, type Attacked } from '../security/support';
import { startFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream';

const LIMIT_MS = 1000;

type Fault =
  | 'slow-headers'
  | 'slow-body'
  | 'reset-before'
  | 'reset-during'
  | 'truncated'
  | 'invalid-json'
  | 'html'
  | 'huge'
  | 'wrong-integrity'
  | '500'
  | 'slow-503';

let fake: FakeUpstream;
let shelf: Attacked;
let host: string;
/** What the upstream does for a path; absent means a good answer. */
const faults = new Map<string, Fault>();
const tarballs = new Map<string, Buffer>();

const goodPackument = (name: string) =>
  JSON.stringify({
    name,
    'dist-tags': { latest: '1.0.0' },
    versions: {
      '1.0.0': {
        name,
        version: '1.0.0',
        dist: {
          tarball: `${fake.url}${name}/-/${name}-1.0.0.tgz`,
          integrity: ssri.fromData(tarballs.get(name)!, { algorithms: ['sha512'] }).toString(),
        },
      },
    },
    time: { modified: '2026-01-01T00:00:00.000Z', '1.0.0': '2026-01-01T00:00:00.000Z' },
  });

/** Misbehaves as `fault` says, with `good` as the body a good answer would have had. */
function misbehave(fault: Fault, req: IncomingMessage, res: ServerResponse, good: Buffer, type: string): void {
  const half = good.subarray(0, Math.floor(good.length / 2));
  switch (fault) {
    case 'slow-headers':
      return; // never answers; the stand-in closes the socket when the file ends
    case 'slow-body':
      res.writeHead(200, { 'content-type': type, 'content-length': good.length }).write(half);
      return;
    case 'reset-before':
      req.socket.destroy();
      return;
    case 'reset-during':
      res.writeHead(200, { 'content-type': type, 'content-length': good.length });
      res.write(half, () => setTimeout(() => req.socket.destroy(), 10));
      return;
    case 'truncated':
      // Content-Length promises the whole body; the connection ends cleanly after half of it.
      res.writeHead(200, { 'content-type': type, 'content-length': good.length });
      res.write(half, () => req.socket.end());
      return;
    case 'invalid-json': {
      const body = Buffer.from('{"name": "oops", "versions": {"1.0.0": ');
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length }).end(body);
      return;
    }
    case 'html':
      res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><html><body><h1>502 Bad Gateway</h1></body></html>');
      return;
    case 'huge': {
      // Over the 64 kB caps, sent chunked (no Content-Length to refuse it by).
      res.writeHead(200, { 'content-type': type });
      const filler = type === 'application/json' ? `{"name":"x","padding":"${'x'.repeat(200 * 1024)}"}` : 'x'.repeat(200 * 1024);
      for (let i = 0; i < 4; i++) res.write(filler.slice((i * filler.length) / 4, ((i + 1) * filler.length) / 4));
      res.end();
      return;
    }
    case 'wrong-integrity': {
      const other = Buffer.concat([good, Buffer.from('tampered')]);
      res.writeHead(200, { 'content-type': type, 'content-length': other.length }).end(other);
      return;
    }
    case '500':
      res.writeHead(500, { 'content-type': 'text/plain' }).end('internal error');
      return;
    case 'slow-503':
      setTimeout(() => !res.destroyed && res.writeHead(503).end('busy'), 450);
      return;
  }
}

/** Opens the server's own database read-only. */
function withDb<T>(read: (db: Database.Database) => T): T {
  const db = new Database(join(shelf.shelf.dataDir, 'shelf.db'), { readonly: true, fileMustExist: true });
  try {
    return read(db);
  } finally {
    db.close();
  }
}

const storedRaw = (name: string): string | undefined =>
  withDb((db) => {
    const row = db.prepare('SELECT raw_gzip FROM upstream_packuments WHERE name = ?').get(name) as { raw_gzip: Buffer } | undefined;
    return row && gunzipSync(row.raw_gzip).toString('utf8');
  });

const cachedTarball = (name: string) => withDb((db) => db.prepare('SELECT integrity FROM cached_tarballs WHERE name = ?').get(name));

/** Nothing corrupt anywhere: every stored packument is the JSON of its own package, every blob matches its name, no partial files. */
function assertStoreSound(): void {
  withDb((db) => {
    for (const row of db.prepare('SELECT name, raw_gzip, full_json, abbrev_json FROM upstream_packuments').all() as {
      name: string;
      raw_gzip: Buffer;
      full_json: Buffer;
      abbrev_json: Buffer;
    }[]) {
      expect(JSON.parse(gunzipSync(row.raw_gzip).toString('utf8')).name).toBe(row.name);
      expect(JSON.parse(row.full_json.toString('utf8')).name).toBe(row.name);
      expect(JSON.parse(row.abbrev_json.toString('utf8')).name).toBe(row.name);
    }
    for (const row of db.prepare('SELECT name, integrity, size FROM cached_tarballs').all() as {
      name: string;
      integrity: string;
      size: number;
    }[]) {
      expect(ssri.checkData(tarballs.get(row.name)!, row.integrity)).toBeTruthy();
      expect(row.size).toBe(tarballs.get(row.name)!.length);
    }
  });
  const root = join(shelf.shelf.dataDir, 'blobs');
  const walk = (dir: string): string[] =>
    readdirSync(dir).flatMap((entry) => (statSync(join(dir, entry)).isDirectory() ? walk(join(dir, entry)) : [join(dir, entry)]));
  for (const file of walk(root)) {
    expect(file.startsWith(join(root, 'tmp'))).toBe(false);
    expect(createHash('sha512').update(readFileSync(file)).digest('hex')).toBe(file.split('/').at(-1));
  }
  expect(existsSync(root)).toBe(true);
}

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = Date.now();
  const value = await work();
  return { value, ms: Date.now() - started };
}

const PACKUMENT_FAULTS: [Fault, number, RegExp][] = [
  [
    'slow-headers',
    504,
    /did not answer within 1 s for the packument of NAME \(--upstream-timeout, the limit for the whole request: \d attempts? and the body\)/,
  ],
  ['slow-body', 504, /did not finish sending the packument of NAME within 1 s \(--upstream-timeout, the limit for the whole request/],
  [
    'slow-503',
    504,
    /did not answer within 1 s for the packument of NAME \(--upstream-timeout, the limit for the whole request: [2-9] attempts/,
  ],
  ['reset-before', 502, /dropped the connection while fetching the packument of NAME/],
  ['reset-during', 502, /dropped the connection while sending the packument of NAME; nothing was cached/],
  ['truncated', 502, /(dropped the connection while sending|sent) the packument of NAME/],
  [
    'invalid-json',
    502,
    /sent a packument of NAME that cannot be used: it is not JSON .*\(content-type application\/json\); nothing was cached/,
  ],
  [
    'html',
    502,
    /sent a packument of NAME that cannot be used: it is not JSON .*starts with "<!doctype html>.*\(content-type text\/html\); nothing was cached/,
  ],
  ['huge', 502, /sent more than 64 kB for the packument of NAME \(the limit is --upstream-max-document\); nothing was cached/],
  ['500', 502, /answered 500 for the packument of NAME; try again later/],
];

const TARBALL_FAULTS: [Fault, number, RegExp][] = [
  ['slow-headers', 504, /did not answer within 1 s for the tarball of NAME@1\.0\.0 \(--upstream-timeout, the limit for the whole request/],
  ['slow-body', 504, /did not finish sending the tarball of NAME@1\.0\.0 within 1 s \(--upstream-timeout, the limit for the whole request/],
  ['reset-before', 502, /dropped the connection while fetching the tarball of NAME@1\.0\.0/],
  ['reset-during', 502, /dropped the connection while sending the tarball of NAME@1\.0\.0; nothing was cached/],
  ['truncated', 502, /(dropped the connection while sending|sent) the tarball of NAME@1\.0\.0/],
  ['html', 502, /the tarball of NAME@1\.0\.0 from the upstream HOST does not match its published \(or first-seen\) integrity/],
  [
    'huge',
    502,
    /the tarball of NAME@1\.0\.0 from the upstream HOST is larger than this registry caches from upstreams \(64 kB, --upstream-max-tarball\)/,
  ],
  [
    'wrong-integrity',
    502,
    /the tarball of NAME@1\.0\.0 from the upstream HOST does not match its published \(or first-seen\) integrity; it was not cached or served/,
  ],
  ['500', 502, /answered 500 for the tarball of NAME@1\.0\.0; try again later/],
];

const expected = (pattern: RegExp, name: string) =>
  new RegExp(pattern.source.replaceAll('NAME', name.replace(/[.-]/g, '\\$&')).replaceAll('HOST', host.replace(/[.]/g, '\\.')));

beforeAll(async () => {
  fake = await startFakeUpstream();
  host = new URL(fake.url).host;
  const names = [
    ...PACKUMENT_FAULTS.flatMap(([f]) => [`p-${f}-cached`, `p-${f}-fresh`]),
    ...TARBALL_FAULTS.flatMap(([f]) => [`t-${f}`, `t-${f}-cached`]),
  ];
  for (const name of names) tarballs.set(name, await makeTarball({ 'package.json': JSON.stringify({ name, version: '1.0.0' }) }));
  fake.routePrefix('/', (req, res) => {
    const path = req.url ?? '';
    const tarball = /^\/([^/]+)\/-\/[^/]+\.tgz$/.exec(path);
    const name = tarball ? tarball[1]! : path.slice(1);
    if (!tarballs.has(name)) return void res.writeHead(404).end('{}');
    const good = tarball ? tarballs.get(name)! : Buffer.from(goodPackument(name));
    const type = tarball ? 'application/octet-stream' : 'application/json';
    const fault = faults.get(path);
    if (fault) return misbehave(fault, req, res, good, type);
    res.writeHead(200, { 'content-type': type, 'content-length': good.length }).end(good);
  });
  // max-age 0: every packument request goes to the upstream, so a cached copy meets each fault.
  shelf = await startAttacked([
    '--upstream',
    fake.url,
    '--upstream-timeout',
    `${LIMIT_MS}ms`,
    '--cache-max-age',
    '0',
    '--upstream-max-document',
    '64kb',
    '--upstream-max-tarball',
    '64kb',
  ]);
});

afterAll(async () => {
  await shelf?.close();
  await fake?.close();
});

describe('packument faults', () => {
  it.each(PACKUMENT_FAULTS)('%s: %i naming the upstream, nothing stored, then the next good answer', async (fault, status, pattern) => {
    const name = `p-${fault}-fresh`;
    faults.set(`/${name}`, fault);
    const before = shelf.snapshot();
    const { value: reply, ms } = await timed(() => shelf.request('GET', `/${name}`));
    expect(reply.status).toBe(status);
    expect(reply.body.error).toMatch(new RegExp(`^the upstream ${host.replace(/\./g, '\\.')} `));
    expect(reply.body.error).toMatch(expected(pattern, name));
    expect(reply.headers.get('x-shelf-cache')).toBeNull();
    // The whole request (retries included) stays within the limit; generous bound, not a timing assertion.
    expect(ms).toBeLessThan(3 * LIMIT_MS);
    expect(storedRaw(name)).toBeUndefined();
    expect(shelf.snapshot()).toEqual(before);

    faults.delete(`/${name}`);
    const recovered = await shelf.request('GET', `/${name}`);
    expect(recovered.status).toBe(200);
    expect(recovered.headers.get('x-shelf-cache')).toBe('miss');
    expect(recovered.body.versions['1.0.0'].dist.tarball).toBe(`${shelf.url}/${name}/-/${name}-1.0.0.tgz`);
    expect(storedRaw(name)).toBe(goodPackument(name));
  });

  it.each(PACKUMENT_FAULTS)('%s with a cached copy: the copy is served, marked stale, and stays as it was', async (fault) => {
    const name = `p-${fault}-cached`;
    const first = await shelf.request('GET', `/${name}`);
    expect(first.status).toBe(200);
    faults.set(`/${name}`, fault);
    const { value: reply, ms } = await timed(() => shelf.request('GET', `/${name}`));
    expect(reply.status).toBe(200);
    expect(reply.headers.get('x-shelf-cache')).toBe('stale');
    expect(reply.body).toEqual(first.body);
    expect(ms).toBeLessThan(3 * LIMIT_MS);
    expect(storedRaw(name)).toBe(goodPackument(name));

    faults.delete(`/${name}`);
    const recovered = await shelf.request('GET', `/${name}`);
    expect(recovered.status).toBe(200);
    expect(recovered.headers.get('x-shelf-cache')).toBe('revalidated');
  });
});

describe('tarball faults', () => {
  it.each(TARBALL_FAULTS)('%s: %i naming the upstream, nothing cached, then the next good answer', async (fault, status, pattern) => {
    const name = `t-${fault}`;
    expect((await shelf.request('GET', `/${name}`)).status).toBe(200);
    const path = `/${name}/-/${name}-1.0.0.tgz`;
    faults.set(path, fault);
    const before = shelf.snapshot();
    const { value: reply, ms } = await timed(() => shelf.request('GET', path));
    expect(reply.status).toBe(status);
    expect(reply.body.error).toMatch(new RegExp(`the upstream ${host.replace(/\./g, '\\.')} `));
    expect(reply.body.error).toMatch(expected(pattern, name));
    expect(ms).toBeLessThan(3 * LIMIT_MS);
    expect(cachedTarball(name)).toBeUndefined();
    expect(shelf.snapshot()).toEqual(before);

    faults.delete(path);
    const recovered = await fetch(`${shelf.url}${path}`);
    expect(recovered.status).toBe(200);
    expect(recovered.headers.get('x-shelf-cache')).toBe('miss');
    expect(Buffer.from(await recovered.arrayBuffer()).equals(tarballs.get(name)!)).toBe(true);
  });

  it.each(TARBALL_FAULTS)('%s with the tarball cached: served from the cache without asking the upstream', async (fault) => {
    const name = `t-${fault}-cached`;
    const path = `/${name}/-/${name}-1.0.0.tgz`;
    expect((await fetch(`${shelf.url}${path}`)).status).toBe(200);
    faults.set(path, fault);
    faults.set(`/${name}`, fault);
    const seen = fake.requests.length;
    const reply = await fetch(`${shelf.url}${path}`);
    expect(reply.status).toBe(200);
    expect(reply.headers.get('x-shelf-cache')).toBe('hit');
    expect(Buffer.from(await reply.arrayBuffer()).equals(tarballs.get(name)!)).toBe(true);
    expect(fake.requests.slice(seen)).toEqual([]);
    // Its packument meets the same fault: the cached copy answers, trimmed to the cached (installable) version.
    const doc = await shelf.request('GET', `/${name}`);
    expect(doc.status).toBe(200);
    expect(doc.headers.get('x-shelf-cache')).toBe('offline-fallback');
    expect(Object.keys(doc.body.versions)).toEqual(['1.0.0']);
  });
});

describe('after every fault', () => {
  it('the store holds nothing corrupt: every packument is its own JSON, every blob matches its name, no partial files', () => {
    assertStoreSound();
  });
});
