// Published packuments are served from memory (services/packages/hot-documents.ts) only while nothing was written since:
// every kind of write, through this server or through another connection to the same database (another `shelf` process
// on the data folder), must be seen by the very next GET.
import Database from 'better-sqlite3';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageTarball, publishBody, startHarness, type Harness } from '../helpers/app-harness';

/**
 * One statement through a connection of its own to the harness's store: the SQLite file (another process on the data
 * folder), or on PostgreSQL (SHELF_TEST_DB=postgres, config.json's database) another client, as another node would write.
 * PostgreSQL tells the server by LISTEN/NOTIFY, so this waits (bounded) until the server's generation has moved.
 */
async function writeElsewhere(harness: Harness, sql: string, value: string): Promise<void> {
  const config = join(harness.dataDir, 'config.json');
  const database = existsSync(config) ? (JSON.parse(readFileSync(config, 'utf8')) as { database?: string }).database : undefined;
  if (!database) {
    const other = new Database(join(harness.dataDir, 'shelf.db'));
    try {
      other.prepare(sql).run(value);
    } finally {
      other.close();
    }
    return;
  }
  const db = harness.app.services.packages.ctx.db;
  const before = db.generation();
  const other = new pg.Client({ connectionString: database });
  await other.connect();
  try {
    await other.query(sql.replace('?', '$1'), [value]);
  } finally {
    await other.end();
  }
  for (let i = 0; i < 100 && db.generation() === before; i++) await new Promise((r) => setTimeout(r, 10));
}

describe('packuments served from memory', () => {
  let h: Harness;
  let token: string;

  beforeAll(async () => {
    h = await startHarness();
    token = await h.login('hot-publisher');
  });
  afterAll(async () => h?.close());

  const get = async (name: string, headers: Record<string, string> = {}) => h.call('GET', `/${name}`, { headers });
  const hot = (name: string) => h.app.services.packages.hotPackument(name, false);

  it('GETs with a token keep the document in memory: a token’s last use is written at most once a minute', async () => {
    const body = publishBody('hot-token', '1.0.0', await packageTarball('hot-token', '1.0.0'));
    expect((await h.call('PUT', '/hot-token', { token, body })).status).toBe(201);
    expect((await get('hot-token')).status).toBe(200);
    const first = hot('hot-token');
    expect(first).toBeDefined();
    for (let i = 0; i < 3; i++) expect((await h.call('GET', '/hot-token', { token })).status).toBe(200);
    // A write per authenticated request would move the store's generation and drop this copy each time.
    expect(hot('hot-token')).toBe(first);
  });

  it('a served document is kept, and the next GET after a publish, a tag, a deprecation and an unpublish sees it', async () => {
    const publish = async (version: string) =>
      expect(
        (await h.call('PUT', '/hot-a', { token, body: publishBody('hot-a', version, await packageTarball('hot-a', version)) })).status,
      ).toBe(201);
    await publish('1.0.0');
    expect(Object.keys((await get('hot-a')).body.versions)).toEqual(['1.0.0']);
    const first = hot('hot-a');
    expect(first).toBeDefined();
    expect((await get('hot-a')).body['dist-tags']).toEqual({ latest: '1.0.0' });
    expect(hot('hot-a')).toBe(first);

    await publish('1.1.0');
    expect(hot('hot-a')).toBeUndefined();
    expect(Object.keys((await get('hot-a')).body.versions)).toEqual(['1.0.0', '1.1.0']);

    expect((await h.call('PUT', '/-/package/hot-a/dist-tags/next', { token, body: '1.0.0' })).status).toBe(201);
    expect((await get('hot-a')).body['dist-tags']).toEqual({ latest: '1.1.0', next: '1.0.0' });

    const doc = (await h.call('GET', '/hot-a?write=true', { token })).body;
    doc.versions['1.0.0'].deprecated = 'use 1.1.0';
    expect((await h.call('PUT', `/hot-a/-rev/${doc._rev}`, { token, body: doc })).status).toBe(200);
    expect((await get('hot-a')).body.versions['1.0.0'].deprecated).toBe('use 1.1.0');

    const rev = (await h.call('GET', '/hot-a?write=true', { token })).body._rev;
    expect((await h.call('DELETE', `/hot-a/-rev/${rev}`, { token })).status).toBe(200);
    const gone = await get('hot-a');
    expect(gone.status).toBe(404);
    expect(gone.body.error).toMatch(/hot-a/);
  });

  it('a package made restricted is no longer served to outsiders from memory, and restricted documents are never kept', async () => {
    const name = '@hot-publisher/b';
    const path = '@hot-publisher%2fb';
    expect((await h.call('PUT', `/${path}`, { token, body: publishBody(name, '1.0.0', await packageTarball(name, '1.0.0')) })).status).toBe(
      201,
    );
    expect((await get(path)).status).toBe(200);
    expect(hot(name)).toBeDefined();
    const restricted = await h.call('POST', `/-/package/${path}/access`, { token, body: { access: 'restricted' } });
    expect(restricted.status, JSON.stringify(restricted.body)).toBe(200);
    const outsider = await get(path);
    expect(outsider.status).toBe(404);
    expect(outsider.body.error).toMatch(/is not in this registry/);
    const owner = await h.call('GET', `/${path}`, { token });
    expect(owner.status).toBe(200);
    expect(owner.body.name).toBe(name);
    expect(hot(name)).toBeUndefined();
  });

  it('a write through another connection to the same database (another process on the data folder) is seen at once', async () => {
    expect(
      (await h.call('PUT', '/hot-c', { token, body: publishBody('hot-c', '1.0.0', await packageTarball('hot-c', '1.0.0')) })).status,
    ).toBe(201);
    expect((await get('hot-c')).status).toBe(200);
    expect(hot('hot-c')).toBeDefined();
    await writeElsewhere(h, "UPDATE packages SET access = 'restricted' WHERE name = ?", 'hot-c');
    expect(hot('hot-c')).toBeUndefined();
    expect((await get('hot-c')).status).toBe(404);
  });

  it('gzip and identity answers from memory carry the same document as a fresh read', async () => {
    expect(
      (await h.call('PUT', '/hot-d', { token, body: publishBody('hot-d', '1.0.0', await packageTarball('hot-d', '1.0.0')) })).status,
    ).toBe(201);
    const fresh = await get('hot-d');
    const fromMemory = await get('hot-d', { 'accept-encoding': 'gzip' });
    const plain = await get('hot-d');
    expect(fromMemory.body).toEqual(fresh.body);
    expect(plain.body).toEqual(fresh.body);
    expect(plain.headers.get('etag')).toBe(fresh.headers.get('etag'));
    const revalidated = await h.call('GET', '/hot-d', { headers: { 'if-none-match': fresh.headers.get('etag')! } });
    expect(revalidated.status).toBe(304);
  });

  it('a mirrored document kept in memory is dropped when another connection removes it (shelf cache purge from another process)', async () => {
    const mirror = await startHarness({
      mirror: {
        upstreams: [{ url: `${h.url}/` }],
        useNpmRegistry: false,
        offline: false,
        maxAgeMs: 60_000,
        timeoutMs: 5_000,
        retries: 0,
        cacheCapBytes: null,
        localScopes: [],
      },
    });
    try {
      expect(
        (await h.call('PUT', '/hot-e', { token, body: publishBody('hot-e', '1.0.0', await packageTarball('hot-e', '1.0.0')) })).status,
      ).toBe(201);
      const first = await mirror.call('GET', '/hot-e');
      expect(first.status).toBe(200);
      expect(first.headers.get('x-shelf-cache')).toBe('miss');
      expect((await mirror.call('GET', '/hot-e')).headers.get('x-shelf-cache')).toBe('hit');
      // The upstream moves on, but the mirror's copy is fresh (max age 60 s), so it keeps serving 1.0.0 from memory...
      expect(
        (await h.call('PUT', '/hot-e', { token, body: publishBody('hot-e', '1.1.0', await packageTarball('hot-e', '1.1.0')) })).status,
      ).toBe(201);
      expect(Object.keys((await mirror.call('GET', '/hot-e')).body.versions)).toEqual(['1.0.0']);
      // ...until another process removes the cached copy: the next GET must not answer from memory.
      await writeElsewhere(mirror, 'DELETE FROM upstream_packuments WHERE name = ?', 'hot-e');
      const refetched = await mirror.call('GET', '/hot-e');
      expect(refetched.headers.get('x-shelf-cache')).toBe('miss');
      expect(Object.keys(refetched.body.versions)).toEqual(['1.0.0', '1.1.0']);
    } finally {
      await mirror.close();
    }
  });
});
