// What `shelf serve` defers to start faster must still be there for the first request: the REST API and the UI's files
// are built on first use but never missed, /health answers without the database, and the settings the connection makes
// (page cache, synchronous=FULL after the migrations) are in place.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import Fastify from 'fastify';
import { PAGE_CACHE_KIB, openDatabase } from '../../../src/main/storage/db/connection';
import { serveLazily } from '../../../src/main/http/lazy-instance';
import { SHELF_VERSION } from '../../../src/main/version';
import { startHarness, type Harness } from '../../helpers/app-harness';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('GET /health', () => {
  it('answers ok with the time and version, without touching the database', async () => {
    const now = new Date('2026-03-04T05:06:07.000Z');
    h = await startHarness({}, { now: () => now });
    // With the database closed, anything that reads it fails; /health does not read it.
    await h.app.services.packages.ctx.db.close();
    const health = await h.call('GET', '/health');
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({ status: 'ok', timestamp: '2026-03-04T05:06:07.000Z', version: SHELF_VERSION });
    // Free space and the collector's last run come from memory too.
    expect(health.body.disk).toMatchObject({ readOnly: false, low: expect.any(Boolean) });
    expect(health.body.collector).toEqual({ lastRun: null, lastError: null, running: false });
    expect(health.headers.get('cache-control')).toBe('no-store');
    expect((await h.call('GET', '/some-package')).status).toBe(500);
  });
});

describe('the REST API, built on its first request', () => {
  it('answers concurrent first requests, bodies included, in its own error shape', async () => {
    h = await startHarness();
    const [health, login, missing, npm] = await Promise.all([
      h.call('GET', '/api/v1/health'),
      h.call('POST', '/api/v1/auth/login', { body: { username: 'nobody', password: 'wrong password here' } }),
      h.call('GET', '/api/v1/no-such-endpoint'),
      h.call('GET', '/-/ping'),
    ]);
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({ status: 'ok', version: SHELF_VERSION });
    // The body reached the API's handler (it looked the user up), and the refusal is in the API's shape.
    expect(login.status).toBe(401);
    expect(login.body).toMatchObject({ error: 'authentication_required', status: 401 });
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ error: 'not_found', status: 404 });
    expect(npm.status).toBe(200);
    // The API's own headers (rate limits, no-store) come from its plugin.
    expect(health.headers.get('x-ratelimit-limit')).toBeTruthy();
    expect(health.headers.get('cache-control')).toBe('no-store');
  });

  it('is built ahead of its first request by warm(), which `shelf serve` calls once listening', async () => {
    h = await startHarness({ rendererDir: undefined });
    await h.app.warm();
    expect((await h.call('GET', '/api/v1/health')).status).toBe(200);
  });

  it('keeps the host guard in front of it', async () => {
    h = await startHarness();
    // fetch() will not send another Host header; node:http will.
    const status = await new Promise<number | undefined>((resolve, reject) => {
      const req = request(`${h!.url}/api/v1/health`, { headers: { host: 'evil.example' } }, (res) => {
        res.resume();
        resolve(res.statusCode);
      });
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(403);
  });
});

describe('serveLazily', () => {
  it('builds the instance once, on the first request, and closes it with the server', async () => {
    const app = Fastify();
    let builds = 0;
    let closed = false;
    serveLazily(app, '/lazy/*', async () => {
      builds++;
      const inner = Fastify();
      inner.post('/lazy/echo', async (request) => ({ got: request.body }));
      inner.addHook('onClose', async () => {
        closed = true;
      });
      return inner;
    });
    await app.ready();
    expect(builds).toBe(0);
    const answers = await Promise.all(
      [1, 2, 3].map((n) => app.inject({ method: 'POST', url: '/lazy/echo', payload: { n } }).then((r) => r.json())),
    );
    expect(answers).toEqual([{ got: { n: 1 } }, { got: { n: 2 } }, { got: { n: 3 } }]);
    expect(builds).toBe(1);
    expect((await app.inject({ method: 'GET', url: '/lazy/other' })).statusCode).toBe(404);
    await app.close();
    expect(closed).toBe(true);
  });

  it('tries a failed build again on the next request', async () => {
    const app = Fastify({ logger: false });
    let attempts = 0;
    serveLazily(app, '/lazy/*', async () => {
      if (++attempts === 1) throw new Error('chunk missing');
      const inner = Fastify();
      inner.get('/lazy/x', async () => ({ ok: true }));
      return inner;
    });
    expect((await app.inject({ url: '/lazy/x' })).statusCode).toBe(500);
    expect((await app.inject({ url: '/lazy/x' })).json()).toEqual({ ok: true });
    await app.close();
  });
});

describe('the UI assets, served on first use', () => {
  it('serves a hashed asset with its caching headers, and 404s for a missing one', async () => {
    const rendererDir = mkdtempSync(join(tmpdir(), 'shelf-renderer-'));
    mkdirSync(join(rendererDir, 'assets'));
    writeFileSync(join(rendererDir, 'index.html'), '<!doctype html><title>Shelf</title>');
    writeFileSync(join(rendererDir, 'assets', 'index-abc123.js'), 'console.log(1)');
    try {
      h = await startHarness({ rendererDir });
      const asset = await fetch(`${h.url}/-/ui/assets/index-abc123.js`);
      expect(asset.status).toBe(200);
      expect(await asset.text()).toBe('console.log(1)');
      expect(asset.headers.get('cache-control')).toContain('immutable');
      expect(asset.headers.get('x-content-type-options')).toBe('nosniff');
      const missing = await h.call('GET', '/-/ui/assets/nope.js');
      expect(missing.status).toBe(404);
      expect(missing.body).toEqual({ error: 'not found' });
    } finally {
      rmSync(rendererDir, { recursive: true, force: true });
    }
  });
});

describe('openDatabase', () => {
  it('sets the page cache explicitly and is synchronous=FULL once the migrations ran', () => {
    const dir = mkdtempSync(join(tmpdir(), 'shelf-db-'));
    try {
      const db = openDatabase(join(dir, 'shelf.db'));
      expect(db.pragma('cache_size', { simple: true })).toBe(-PAGE_CACHE_KIB);
      expect(db.pragma('synchronous', { simple: true })).toBe(2);
      expect(db.pragma('user_version', { simple: true })).toBeGreaterThan(0);
      db.close();
      const counters = openDatabase(join(dir, 'shelf.db'), { synchronous: 'NORMAL' });
      expect(counters.pragma('synchronous', { simple: true })).toBe(1);
      counters.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
