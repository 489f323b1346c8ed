// The policy's decisions are made on ingest and stored; a read only checks their stamp and expiry. These tests move the
// clock (in-process app, the same code shelf serve runs) to show that the end of a quarantine and a policy change are
// each picked up on the next read — re-rendered from the stored upstream document, without asking the upstream again —
// and offline too.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MirrorConfig } from '../../src/main/config/config';
import { startHarness, type Harness } from '../helpers/app-harness';
import { DAY, MINUTE, startPolicyUpstream, type PolicyUpstream } from './upstream';

let upstream: PolicyUpstream;
let shelf: Harness;
let now: number;

const mirror = (url: string): MirrorConfig => ({
  upstreams: [{ url }],
  useNpmRegistry: false,
  offline: false,
  // Fresh for a month: a re-render in these tests (the clock moves days) cannot come from a revalidation.
  maxAgeMs: 30 * DAY,
  timeoutMs: 5_000,
  retries: 0,
  cacheCapBytes: null,
  localScopes: [],
  minReleaseAgeMs: 3 * DAY,
});

beforeEach(async () => {
  upstream = await startPolicyUpstream({ aged: { '1.0.0': { publishedAgoMs: 100 * DAY }, '1.1.0': { publishedAgoMs: 10 * MINUTE } } }, {});
  now = Date.now();
  shelf = await startHarness({ mirror: mirror(upstream.fake.url) }, { now: () => new Date(now) });
});

afterEach(async () => {
  await shelf.close();
  await upstream.close();
});

const packumentRequests = () => upstream.fake.requests.filter((r) => r === 'GET /aged').length;

describe('quarantine expiry and policy changes', () => {
  it('serves the version once its quarantine ends, re-rendered on the next read without an upstream request', async () => {
    const held = await shelf.call('GET', '/aged');
    expect(Object.keys(held.body.versions)).toEqual(['1.0.0']);
    expect(held.body['dist-tags'].latest).toBe('1.0.0');
    const refused = await shelf.call('GET', '/aged/-/aged-1.1.0.tgz');
    expect(refused.status).toBe(403);
    expect(refused.body.error).toMatch(/rule: age/);
    expect(packumentRequests()).toBe(1);

    now = Date.parse(upstream.published('aged', '1.1.0')) + 3 * DAY + 1000;
    const released = await shelf.call('GET', '/aged', { headers: { accept: 'application/vnd.npm.install-v1+json' } });
    expect(Object.keys(released.body.versions).sort()).toEqual(['1.0.0', '1.1.0']);
    expect(released.body['dist-tags'].latest).toBe('1.1.0');
    expect(released.headers.get('x-shelf-policy')).toBeNull();
    expect((await shelf.call('GET', '/aged/-/aged-1.1.0.tgz')).status).toBe(200);
    expect(packumentRequests()).toBe(1);
  });

  it('reads do not evaluate: the stored decision and renderings are sent as they are, request after request', async () => {
    const first = await shelf.call('GET', '/aged');
    const decidedAt = async () =>
      (
        (await shelf.app.services.packages.ctx.db.get('SELECT decided_at FROM policy_decisions WHERE name = ?', ['aged'])) as {
          decided_at: string;
        }
      ).decided_at;
    const decided = await decidedAt();
    const requests = upstream.fake.requests.length;
    for (let i = 0; i < 20; i++) {
      now += 1000;
      const full = await shelf.call('GET', '/aged');
      const abbreviated = await shelf.call('GET', '/aged', { headers: { accept: 'application/vnd.npm.install-v1+json' } });
      expect(full.headers.get('etag')).toBe(first.headers.get('etag'));
      expect(Object.keys(abbreviated.body.versions)).toEqual(['1.0.0']);
      expect((await shelf.call('GET', '/aged/-/aged-1.1.0.tgz')).status).toBe(403);
    }
    expect(await decidedAt()).toBe(decided);
    expect(upstream.fake.requests.length).toBe(requests);
  });

  it('a tarball asked for first (no packument yet) is refused too: the decision is made before any byte is fetched', async () => {
    const refused = await shelf.call('GET', '/aged/-/aged-1.1.0.tgz');
    expect(refused.status).toBe(403);
    expect(upstream.fake.requests).not.toContain('GET /aged/-/aged-1.1.0.tgz');
  });

  it('a policy change applies on the next read of a stored package, and offline the view obeys it too', async () => {
    expect((await shelf.call('GET', '/aged/-/aged-1.0.0.tgz')).status).toBe(200);
    await shelf.app.services.policy!.set({ deny: [{ package: 'aged', range: '1.0.0', reason: 'bad build' }] }, 'root-admin');
    const denied = await shelf.call('GET', '/aged');
    expect(Object.keys(denied.body.versions)).toEqual([]);
    expect(denied.headers.get('x-shelf-policy')).toMatch(/1\.0\.0=deny/);
    expect(packumentRequests()).toBe(1);
    // Offline, the cached 1.0.0 tarball is not offered either: the offline view lists only allowed cached versions.
    shelf.app.services.mirror.setOffline(true);
    const offline = await shelf.call('GET', '/aged');
    expect(offline.status).toBe(503);
    expect(offline.body.error).toMatch(/holds no tarball of 'aged'|no version of it can be installed/);
    const tarball = await shelf.call('GET', '/aged/-/aged-1.0.0.tgz');
    expect(tarball.status).toBe(403);
    expect(tarball.body.error).toMatch(/rule: deny\): on the deny list \(aged@1\.0\.0: bad build\)/);
  });
});
