// Issue 12, item 4: a very large upstream packument must not hold the event loop while it is stored. Storing a 40 MB
// document's renderings in SQLite took the main thread about half a second to a second; it now happens in the mirror's
// worker, through its own connection to the same WAL file. Proved structurally, not by timing: the test holds SQLite's
// write lock from a third connection, so the worker's write waits on it; while it waits, the same process's server
// answers a ping and a local package, and the document is not stored yet. (Had the write run on the main thread, the
// thread would sit in SQLite's busy wait, answering nothing, and this test could not even release the lock.) Then the
// whole path through the built CLI: a real `shelf serve` mirrors a 40 MB document from a loopback upstream.
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TransformRunner } from '../../src/main/services/mirror/transform-worker';
import { ABBREVIATED_FIELDS, BASE_URL_TOKEN, templateMark } from '../../src/main/services/packages/packument';
import { getUpstreamPackument, listUpstreamVersions } from '../../src/main/storage/db/mirror';
import { publishBody, packageTarball, startHarness, type Harness } from '../helpers/app-harness';
import { startFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream';
import { startShelf, type RunningShelf } from '../helpers/shelf-process';

const VERSIONS = 4000;

/** An upstream packument of about 40 MB: 4,000 versions with a 10 kB description each. */
function hugePackument(name: string, upstreamUrl: string): Buffer {
  const versions: Record<string, unknown> = {};
  const filler = 'x'.repeat(10_000);
  for (let i = 0; i < VERSIONS; i++) {
    versions[`1.0.${i}`] = {
      name,
      version: `1.0.${i}`,
      description: `${i} ${filler}`,
      dist: { tarball: `${upstreamUrl}${name}/-/${name}-1.0.${i}.tgz`, integrity: `sha512-${'A'.repeat(86)}==` },
    };
  }
  return Buffer.from(
    JSON.stringify({ name, 'dist-tags': { latest: `1.0.${VERSIONS - 1}` }, versions, time: { modified: '2026-01-01T00:00:00.000Z' } }),
  );
}

describe('storing a 40 MB packument', () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness();
  });
  afterAll(async () => {
    await harness?.close();
  });

  it('happens in the worker: the server answers other requests while the write waits, then the row is whole', async () => {
    const db = harness.app.services.packages.ctx.db;
    const token = await harness.login('local-owner');
    const tarball = await packageTarball('local-pkg', '1.0.0');
    expect((await harness.call('PUT', '/local-pkg', { token, body: publishBody('local-pkg', '1.0.0', tarball) })).status).toBe(201);

    const raw = hugePackument('huge', 'http://127.0.0.1:9/');
    expect(raw.length).toBeGreaterThan(40_000_000);
    let storingStarted!: (name: string) => void;
    const storing = new Promise<string>((resolve) => (storingStarted = resolve));
    const runner = new TransformRunner(db, undefined, (name) => storingStarted(name));

    // A third connection takes SQLite's write lock and keeps it until the checks below are done.
    const lock = new Database(join(harness.dataDir, 'shelf.db'));
    lock.exec('BEGIN IMMEDIATE');
    let settled = false;
    const stored = runner
      .run(
        {
          raw,
          name: 'huge',
          baseUrl: `${harness.url}/`,
          baseToken: BASE_URL_TOKEN,
          abbreviatedFields: ABBREVIATED_FIELDS,
          keepVersions: null,
          distTags: null,
          wantRawGzip: true,
        },
        true,
        {
          kind: 'put',
          upstream_url: 'http://127.0.0.1:9/',
          etag: '"upstream-etag"',
          last_modified: null,
          fetched_at: '2026-01-01T00:00:00.000Z',
          base_url: templateMark(`${harness.url}/`),
        },
      )
      .finally(() => (settled = true));
    try {
      // The worker has parsed and rendered the document and is about to write it (and waits for the lock).
      expect(await Promise.race([storing, stored.then(() => 'finished early')])).toBe('huge');
      // Meanwhile this process serves: a ping, a local packument, and database reads on the main connection.
      expect((await harness.call('GET', '/-/ping')).status).toBe(200);
      const local = await harness.call('GET', '/local-pkg');
      expect(local.status).toBe(200);
      expect(local.body['dist-tags']).toEqual({ latest: '1.0.0' });
      expect(await getUpstreamPackument(db, 'huge')).toBeUndefined();
      expect(settled).toBe(false);
    } finally {
      lock.exec('COMMIT');
      lock.close();
    }
    const out = await stored;
    expect(out.stored).toBe(true);
    const row = (await getUpstreamPackument(db, 'huge'))!;
    expect(row.etag).toBe('"upstream-etag"');
    expect(row.full_etag).toBe(out.fullEtag);
    expect(Buffer.compare(row.full_json, Buffer.from(out.full))).toBe(0);
    expect(JSON.parse(row.dist_tags)).toEqual({ latest: `1.0.${VERSIONS - 1}` });
    expect(await listUpstreamVersions(db, 'huge')).toHaveLength(VERSIONS);

    // New renderings of the stored document (another base URL) are written the same way.
    const rendered = await runner.run(
      {
        raw: row.raw_gzip,
        rawIsGzip: true,
        name: 'huge',
        baseUrl: 'http://other.test/',
        baseToken: BASE_URL_TOKEN,
        abbreviatedFields: ABBREVIATED_FIELDS,
        keepVersions: null,
        distTags: null,
      },
      false,
      { kind: 'rendering', base_url: templateMark('http://other.test/') },
    );
    expect(rendered.stored).toBe(true);
    const again = (await getUpstreamPackument(db, 'huge'))!;
    expect(again.base_url).toBe(templateMark('http://other.test/'));
    expect(again.etag).toBe('"upstream-etag"');
    await runner.close();
  });
});

describe('a 40 MB packument through a real shelf serve', () => {
  let upstream: FakeUpstream;
  let shelf: RunningShelf;
  beforeAll(async () => {
    upstream = await startFakeUpstream();
    const doc = hugePackument('huge', upstream.url);
    upstream.route('/huge', (_req, res) => res.writeHead(200, { 'content-type': 'application/json', etag: '"u1"' }).end(doc));
    shelf = await startShelf(['--upstream', upstream.url]);
  });
  afterAll(async () => {
    await shelf?.stop();
    await upstream?.close();
  });

  it('is fetched, stored by the worker and served whole, then served from the cache', async () => {
    const [first, ping] = await Promise.all([fetch(`${shelf.url}/huge`), fetch(`${shelf.url}/-/ping`)]);
    expect(ping.status).toBe(200);
    expect(first.status).toBe(200);
    expect(first.headers.get('x-shelf-cache')).toBe('miss');
    const doc = (await first.json()) as any;
    expect(Object.keys(doc.versions)).toHaveLength(VERSIONS);
    expect(doc.versions['1.0.7'].dist.tarball).toBe(`${shelf.url}/huge/-/huge-1.0.7.tgz`);

    const second = await fetch(`${shelf.url}/huge`);
    expect(second.status).toBe(200);
    expect(second.headers.get('x-shelf-cache')).toBe('hit');
    expect(second.headers.get('etag')).toBe(first.headers.get('etag'));
    expect(upstream.requests.filter((r) => r === 'GET /huge')).toHaveLength(1);
    const one = await fetch(`${shelf.url}/huge/1.0.7`);
    expect(((await one.json()) as any).description).toMatch(/^7 x+$/);
    expect(shelf.output()).not.toMatch(/error/i);
  });
});
