// The offline mirror against real upstreams on loopback (another Shelf, or a scripted fake for failures).
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ssri from 'ssri';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageTarball, publishBody, startHarness, type Harness } from '../helpers/app-harness';
import { startFakeUpstream } from '../helpers/fake-upstream';
import { s3Server } from '../team/s3';
import { findLockfile, readLockfile } from '../../src/main/services/mirror/lockfiles';
import { prefetchVersions } from '../../src/main/services/mirror/prefetch';
import { projectPackages } from '../../src/main/services/mirror/project-packages';
import type { MirrorConfig } from '../../src/main/config/config';

const MIRROR_DEFAULTS: MirrorConfig = {
  upstreams: [],
  useNpmRegistry: false,
  offline: false,
  maxAgeMs: 60_000,
  timeoutMs: 5_000,
  retries: 0,
  cacheCapBytes: null,
  localScopes: [],
};

interface SeenRequest {
  url: string;
  headers: Record<string, string>;
}

let upstream: Harness;
let alice: string;
const tarballs = new Map<string, Buffer>();

async function publish(h: Harness, token: string, name: string, version: string, tags?: Record<string, string>) {
  const tgz = await packageTarball(name, version, { 'README.md': `${name} ${version}` });
  tarballs.set(`${name}@${version}`, tgz);
  const response = await h.call('PUT', `/${name.replace('/', '%2f')}`, {
    token,
    body: publishBody(name, version, tgz, tags ? { body: { 'dist-tags': tags } } : {}),
  });
  expect(response.status).toBe(201);
}

async function startMirror(mirror: Partial<MirrorConfig>, seen: SeenRequest[] = []): Promise<Harness> {
  const countingFetch: typeof fetch = (input, init) => {
    const headers = Object.fromEntries(
      Object.entries((init?.headers ?? {}) as Record<string, string>).map(([k, v]) => [k.toLowerCase(), v]),
    );
    seen.push({ url: String(input), headers });
    return fetch(input, init);
  };
  return startHarness({ mirror: { ...MIRROR_DEFAULTS, upstreams: [{ url: `${upstream.url}/` }], ...mirror } }, { fetch: countingFetch });
}

const cacheState = (response: { headers: Headers }) => response.headers.get('x-shelf-cache');

beforeAll(async () => {
  upstream = await startHarness();
  alice = await upstream.login('alice');
  await publish(upstream, alice, 'left', '1.0.0');
  await publish(upstream, alice, 'left', '1.1.0');
  await publish(upstream, alice, 'left', '2.0.0');
  await publish(upstream, alice, 'left', '3.0.0-beta.1', { beta: '3.0.0-beta.1' });
  await publish(upstream, alice, 'right', '1.0.0');
  await publish(upstream, alice, 'third', '1.0.0');
});

afterAll(async () => upstream.close());

describe('pull-through', () => {
  it('serves an upstream packument with tarball links pointing at Shelf, then from its cache', async () => {
    const seen: SeenRequest[] = [];
    const mirror = await startMirror({}, seen);
    try {
      const first = await mirror.call('GET', '/left');
      expect(first.status).toBe(200);
      expect(cacheState(first)).toBe('miss');
      expect(first.body.versions['1.1.0'].dist.tarball).toBe(`${mirror.url}/left/-/left-1.1.0.tgz`);
      expect(first.body['dist-tags']).toEqual({ latest: '2.0.0', beta: '3.0.0-beta.1' });
      const abbreviated = await mirror.call('GET', '/left', { headers: { accept: 'application/vnd.npm.install-v1+json' } });
      expect(abbreviated.headers.get('content-type')).toBe('application/vnd.npm.install-v1+json');
      expect(abbreviated.body.versions['1.0.0'].dist.tarball).toBe(`${mirror.url}/left/-/left-1.0.0.tgz`);
      expect(cacheState(abbreviated)).toBe('hit');
      expect(seen.filter((r) => r.url.endsWith('/left'))).toHaveLength(1);
    } finally {
      await mirror.close();
    }
  });

  it('fetches a tarball once, verified, and serves it again from the store', async () => {
    const seen: SeenRequest[] = [];
    const mirror = await startMirror({}, seen);
    try {
      const first = await fetch(`${mirror.url}/left/-/left-1.1.0.tgz`);
      expect(first.status).toBe(200);
      expect(cacheState(first)).toBe('miss');
      const bytes = Buffer.from(await first.arrayBuffer());
      expect(bytes.equals(tarballs.get('left@1.1.0')!)).toBe(true);
      const second = await fetch(`${mirror.url}/left/-/left-1.1.0.tgz`);
      expect(cacheState(second)).toBe('hit');
      expect(Buffer.from(await second.arrayBuffer()).equals(bytes)).toBe(true);
      expect(seen.filter((r) => r.url.endsWith('.tgz'))).toHaveLength(1);
    } finally {
      await mirror.close();
    }
  });

  it('revalidates a stale packument with If-None-Match and keeps its copy on 304', async () => {
    const seen: SeenRequest[] = [];
    const mirror = await startMirror({ maxAgeMs: 0 }, seen);
    try {
      expect(cacheState(await mirror.call('GET', '/right'))).toBe('miss');
      const again = await mirror.call('GET', '/right');
      expect(again.status).toBe(200);
      expect(cacheState(again)).toBe('revalidated');
      expect(seen[1]!.headers['if-none-match']).toMatch(/^"/);
    } finally {
      await mirror.close();
    }
  });

  it("sends the upstream's token from the credential store to that upstream only", async () => {
    const seen: SeenRequest[] = [];
    const mirror = await startMirror({}, seen);
    try {
      mirror.app.services.mirror.setToken(`${upstream.url}/`, alice);
      expect((await mirror.call('GET', '/third')).status).toBe(200);
      expect(seen.at(-1)!.headers.authorization).toBe(`Bearer ${alice}`);
    } finally {
      await mirror.close();
    }
  });

  it('keeps answering small requests while a very large packument is read in a worker', async () => {
    const fake = await startFakeUpstream();
    const versions: Record<string, unknown> = {};
    for (let i = 0; i < 4000; i++) {
      versions[`1.0.${i}`] = {
        name: 'huge',
        version: `1.0.${i}`,
        description: 'x'.repeat(600),
        dist: { tarball: `${fake.url}huge/-/huge-1.0.${i}.tgz`, integrity: 'sha512-AAAA', shasum: 'a'.repeat(40) },
      };
    }
    const big = JSON.stringify({
      name: 'huge',
      'dist-tags': { latest: '1.0.3999' },
      versions,
      time: { modified: new Date().toISOString() },
    });
    expect(big.length).toBeGreaterThan(2_000_000);
    fake.route('/huge', (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(big));
    const small = { name: 'tiny', 'dist-tags': {}, versions: {}, time: { modified: new Date().toISOString() } };
    fake.route('/tiny', (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(small)));
    const mirror = await startHarness({ mirror: { ...MIRROR_DEFAULTS, upstreams: [{ url: fake.url }] } });
    try {
      expect((await mirror.call('GET', '/tiny')).status).toBe(200);
      const order: string[] = [];
      const large = mirror.call('GET', '/huge').then((r) => {
        order.push('huge');
        return r;
      });
      // Wait until the large document has arrived and is being transformed, then ask for a cached small one.
      while (!fake.requests.includes('GET /huge')) await new Promise((r) => setTimeout(r, 5));
      const tinyAgain = await mirror.call('GET', '/tiny');
      order.push('tiny');
      const huge = await large;
      expect(tinyAgain.status).toBe(200);
      expect(huge.status).toBe(200);
      expect(Object.keys(huge.body.versions)).toHaveLength(4000);
      expect(huge.body.versions['1.0.7'].dist.tarball).toBe(`${mirror.url}/huge/-/huge-1.0.7.tgz`);
      expect(order).toEqual(['tiny', 'huge']);
      // One version of the large document, by version and by tag (read out of it in the worker).
      const one = await mirror.call('GET', '/huge/1.0.7');
      expect(one.status).toBe(200);
      expect(one.body).toMatchObject({ name: 'huge', version: '1.0.7', dist: { tarball: `${mirror.url}/huge/-/huge-1.0.7.tgz` } });
      expect((await mirror.call('GET', '/huge/latest')).body.version).toBe('1.0.3999');
      const missing = await mirror.call('GET', '/huge/9.9.9');
      expect(missing.status).toBe(404);
      expect(missing.body.error).toBe("huge has no version or dist-tag '9.9.9'");
    } finally {
      await mirror.close();
      await fake.close();
    }
  });

  it('routes a scope to its own upstream', async () => {
    const corp = await startHarness();
    try {
      const token = await corp.login('corp');
      await publish(corp, token, '@corp/tool', '1.0.0');
      const mirror = await startMirror({ upstreams: [{ url: `${upstream.url}/` }, { url: `${corp.url}/`, scope: '@corp' }] });
      try {
        const scoped = await mirror.call('GET', '/@corp%2ftool');
        expect(scoped.status).toBe(200);
        expect(scoped.body.versions['1.0.0'].dist.tarball).toBe(`${mirror.url}/@corp/tool/-/tool-1.0.0.tgz`);
        expect((await mirror.call('GET', '/left')).status).toBe(200);
        // The default upstream is never asked for the scope it does not serve.
        expect((await upstream.call('GET', '/@corp%2ftool')).status).toBe(404);
      } finally {
        await mirror.close();
      }
    } finally {
      await corp.close();
    }
  });

  it('never mixes a local package with an upstream one of the same name', async () => {
    const seen: SeenRequest[] = [];
    const mirror = await startMirror({}, seen);
    try {
      const token = await mirror.login('bob');
      await publish(mirror, token, 'left', '9.0.0');
      const doc = await mirror.call('GET', '/left');
      expect(Object.keys(doc.body.versions)).toEqual(['9.0.0']);
      expect(cacheState(doc)).toBeNull();
      expect((await mirror.call('GET', '/left/-/left-1.0.0.tgz')).status).toBe(404);
      expect(seen).toHaveLength(0);
    } finally {
      await mirror.close();
    }
  });

  it('keeps a name local after it was unpublished here, never letting the upstream package of that name in', async () => {
    const seen: SeenRequest[] = [];
    const mirror = await startMirror({}, seen);
    try {
      const token = await mirror.login('carol');
      await publish(mirror, token, 'right', '5.0.0');
      const rev = (await mirror.call('GET', '/right?write=true')).body._rev;
      expect((await mirror.call('DELETE', `/right/-rev/${rev}`, { token })).status).toBe(200);
      expect((await mirror.call('GET', '/right')).status).toBe(404);
      expect(seen).toHaveLength(0);
    } finally {
      await mirror.close();
    }
  });

  it('never looks up a local scope upstream', async () => {
    const seen: SeenRequest[] = [];
    const mirror = await startMirror({ localScopes: ['@private'] }, seen);
    try {
      const response = await mirror.call('GET', '/@private%2fsecret');
      expect(response.status).toBe(404);
      expect(seen).toHaveLength(0);
    } finally {
      await mirror.close();
    }
  });
});

describe('offline', () => {
  it('falls back to the cache when the upstream fails, listing only cached versions with tags moved onto them', async () => {
    const gone = await startHarness();
    const token = await gone.login('gone');
    for (const v of ['1.0.0', '1.1.0', '2.0.0']) await publish(gone, token, 'fragile', v);
    await publish(gone, token, 'fragile', '2.1.0-rc.1', { next: '2.1.0-rc.1' });
    const mirror = await startHarness({ mirror: { ...MIRROR_DEFAULTS, maxAgeMs: 0, upstreams: [{ url: `${gone.url}/` }] } });
    try {
      expect((await fetch(`${mirror.url}/fragile/-/fragile-1.1.0.tgz`)).status).toBe(200);
      await gone.close();
      const doc = await mirror.call('GET', '/fragile');
      expect(doc.status).toBe(200);
      expect(cacheState(doc)).toBe('offline-fallback');
      expect(Object.keys(doc.body.versions)).toEqual(['1.1.0']);
      expect(doc.body['dist-tags']).toEqual({ latest: '1.1.0', next: '1.1.0' });
      expect(Object.keys(doc.body.time).sort()).toEqual(['1.1.0', 'created', 'modified']);
      const abbreviated = await mirror.call('GET', '/fragile', { headers: { accept: 'application/vnd.npm.install-v1+json' } });
      expect(Object.keys(abbreviated.body.versions)).toEqual(['1.1.0']);
    } finally {
      await mirror.close();
    }
  });

  it('serves only the cache when switched offline, and answers 404 with the reason for what it lacks', async () => {
    const seen: SeenRequest[] = [];
    const mirror = await startMirror({}, seen);
    try {
      expect((await fetch(`${mirror.url}/left/-/left-1.0.0.tgz`)).status).toBe(200);
      mirror.app.services.mirror.setOffline(true);
      const before = seen.length;
      const doc = await mirror.call('GET', '/left');
      expect(cacheState(doc)).toBe('offline');
      expect(Object.keys(doc.body.versions)).toEqual(['1.0.0']);
      expect(doc.body['dist-tags'].latest).toBe('1.0.0');
      const missingTarball = await mirror.call('GET', '/left/-/left-2.0.0.tgz');
      expect(missingTarball.status).toBe(404);
      expect(missingTarball.body.error).toMatch(/offline and has no cached tarball of left@2\.0\.0/);
      const unknown = await mirror.call('GET', '/third');
      expect(unknown.status).toBe(404);
      expect(unknown.body.error).toMatch(/offline and has no cached copy of 'third'/);
      expect(seen.length).toBe(before);
    } finally {
      await mirror.close();
    }
  });

  it('reports an unreachable upstream as 502 naming it, never as 404', async () => {
    const fake = await startFakeUpstream();
    const url = fake.url;
    await fake.close();
    const mirror = await startHarness({ mirror: { ...MIRROR_DEFAULTS, upstreams: [{ url }] } });
    try {
      const response = await mirror.call('GET', '/anything');
      expect(response.status).toBe(502);
      expect(response.body.error).toMatch(new RegExp(`upstream ${new URL(url).host} refused the connection`));
    } finally {
      await mirror.close();
    }
  });

  it('reports an upstream that does not answer in time as 504', async () => {
    const fake = await startFakeUpstream();
    fake.route('/slow', () => undefined);
    const mirror = await startHarness({ mirror: { ...MIRROR_DEFAULTS, timeoutMs: 300, upstreams: [{ url: fake.url }] } });
    try {
      const response = await mirror.call('GET', '/slow');
      expect(response.status).toBe(504);
      // The message states the limit and that it covers the whole request (retries included).
      expect(response.body.error).toMatch(
        /did not answer within 300 ms for the packument of slow \(--upstream-timeout, the limit for the whole request/,
      );
    } finally {
      await mirror.close();
      await fake.close();
    }
  });

  it('reports an upstream 5xx as 502 with the status it gave', async () => {
    const fake = await startFakeUpstream();
    fake.route('/broken', (_req, res) => res.writeHead(503).end('down'));
    const mirror = await startHarness({ mirror: { ...MIRROR_DEFAULTS, upstreams: [{ url: fake.url }] } });
    try {
      const response = await mirror.call('GET', '/broken');
      expect(response.status).toBe(502);
      expect(response.body.error).toMatch(/answered 503/);
    } finally {
      await mirror.close();
      await fake.close();
    }
  });
});

describe('integrity', () => {
  async function fakeWithTarball(serve: (res: import('node:http').ServerResponse, real: Buffer) => void, integrityOf: Buffer) {
    const fake = await startFakeUpstream();
    const real = await packageTarball('shady', '1.0.0');
    const doc = {
      name: 'shady',
      'dist-tags': { latest: '1.0.0' },
      versions: {
        '1.0.0': {
          name: 'shady',
          version: '1.0.0',
          dist: {
            tarball: `${fake.url}shady/-/shady-1.0.0.tgz`,
            integrity: ssri.fromData(integrityOf, { algorithms: ['sha512'] }).toString(),
            shasum: createHash('sha1').update(integrityOf).digest('hex'),
          },
        },
      },
      time: { modified: new Date().toISOString() },
    };
    fake.route('/shady', (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(doc)));
    fake.route('/shady/-/shady-1.0.0.tgz', (_req, res) => serve(res, real));
    return { fake, real };
  }

  it('refuses a tarball that does not match its published integrity, and caches nothing', async () => {
    const other = await packageTarball('shady', '1.0.0', { 'evil.js': 'x' });
    const { fake, real } = await fakeWithTarball((res, bytes) => res.writeHead(200, { 'content-length': bytes.length }).end(bytes), other);
    const mirror = await startHarness({ mirror: { ...MIRROR_DEFAULTS, upstreams: [{ url: fake.url }] } });
    try {
      const response = await mirror.call('GET', '/shady/-/shady-1.0.0.tgz');
      expect(response.status).toBe(502);
      expect(response.body.error).toMatch(
        /^the tarball of shady@1\.0\.0 from the upstream 127\.0\.0\.1:\d+ does not match its published \(or first-seen\) integrity/,
      );
      expect((await mirror.app.services.mirror.admin.status()).packages).toEqual([]);
      expect(await mirror.app.services.packages.ctx.blobs.has(ssri.fromData(real, { algorithms: ['sha512'] }).toString())).toBe(false);
    } finally {
      await mirror.close();
      await fake.close();
    }
  });

  it('refuses a truncated tarball transfer, and caches nothing', async () => {
    const { fake, real } = await fakeWithTarball(
      (res, bytes) => {
        res.writeHead(200, { 'content-length': bytes.length });
        res.write(bytes.subarray(0, 10));
        setTimeout(() => res.destroy(), 20);
      },
      (await packageTarball('shady', '1.0.0')) as Buffer,
    );
    const mirror = await startHarness({ mirror: { ...MIRROR_DEFAULTS, upstreams: [{ url: fake.url }] } });
    try {
      const response = await mirror.call('GET', '/shady/-/shady-1.0.0.tgz');
      expect(response.status).toBe(502);
      expect(response.body.error).toMatch(/dropped the connection|truncated/);
      expect((await mirror.app.services.mirror.admin.status()).packages).toEqual([]);
      expect(real.length).toBeGreaterThan(10);
    } finally {
      await mirror.close();
      await fake.close();
    }
  });

  it('shares one upstream fetch between concurrent requests for the same missing packument', async () => {
    const fake = await startFakeUpstream();
    const doc = { name: 'popular', 'dist-tags': {}, versions: {}, time: { modified: new Date().toISOString() } };
    fake.route('/popular', (_req, res) =>
      setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(doc)), 150),
    );
    const mirror = await startHarness({ mirror: { ...MIRROR_DEFAULTS, upstreams: [{ url: fake.url }] } });
    try {
      const responses = await Promise.all(Array.from({ length: 10 }, () => mirror.call('GET', '/popular')));
      expect(responses.map((r) => r.status)).toEqual(Array(10).fill(200));
      expect(fake.requests.filter((r) => r === 'GET /popular')).toHaveLength(1);
    } finally {
      await mirror.close();
      await fake.close();
    }
  });
});

describe('prefetch and cache management', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
  const writeLock = (name: string, content: string) => {
    const dir = mkdtempSync(join(tmpdir(), 'shelf-lock-'));
    dirs.push(dir);
    writeFileSync(join(dir, name), content);
    return dir;
  };
  const expected = [
    { name: 'left', version: '1.0.0' },
    { name: 'left', version: '2.0.0' },
    { name: 'right', version: '1.0.0' },
  ];

  it.each([
    [
      'package-lock.json (v3)',
      'package-lock.json',
      JSON.stringify({
        lockfileVersion: 3,
        packages: {
          '': { name: 'app' },
          'node_modules/left': { version: '2.0.0', resolved: 'http://x/left-2.0.0.tgz' },
          'node_modules/right': { version: '1.0.0' },
          'node_modules/right/node_modules/left': { version: '1.0.0' },
          'node_modules/linked': { link: true, resolved: 'packages/linked' },
        },
      }),
    ],
    [
      'package-lock.json (v1)',
      'package-lock.json',
      JSON.stringify({
        lockfileVersion: 1,
        dependencies: {
          left: { version: '2.0.0' },
          right: { version: '1.0.0', dependencies: { left: { version: '1.0.0' } } },
          local: { version: 'file:../local' },
        },
      }),
    ],
    [
      'npm-shrinkwrap.json',
      'npm-shrinkwrap.json',
      JSON.stringify({
        lockfileVersion: 2,
        packages: {
          'node_modules/left': { version: '2.0.0' },
          'node_modules/x/node_modules/left': { version: '1.0.0' },
          'node_modules/right': { version: '1.0.0' },
        },
      }),
    ],
    [
      'yarn.lock v1',
      'yarn.lock',
      '# yarn lockfile v1\n\n\nleft@^1.0.0:\n  version "1.0.0"\n  resolved "http://x/left-1.0.0.tgz"\n\n"left@^2.0.0", left@^2.0.0-0:\n  version "2.0.0"\n\nright@^1.0.0:\n  version "1.0.0"\n',
    ],
    [
      'yarn.lock (berry)',
      'yarn.lock',
      '__metadata:\n  version: 8\n\n"left@npm:^1.0.0":\n  version: 1.0.0\n  resolution: "left@npm:1.0.0"\n\n"left@npm:^2.0.0":\n  version: 2.0.0\n  resolution: "left@npm:2.0.0"\n\n"right@npm:^1.0.0":\n  version: 1.0.0\n  resolution: "right@npm:1.0.0"\n\n"app@workspace:.":\n  version: 0.0.0-use.local\n  resolution: "app@workspace:."\n',
    ],
    [
      'pnpm-lock.yaml (v9)',
      'pnpm-lock.yaml',
      "lockfileVersion: '9.0'\npackages:\n  left@1.0.0:\n    resolution: {integrity: sha512-x}\n  left@2.0.0:\n    resolution: {integrity: sha512-y}\n  right@1.0.0(left@1.0.0):\n    resolution: {integrity: sha512-z}\n",
    ],
    [
      'pnpm-lock.yaml (v6)',
      'pnpm-lock.yaml',
      "lockfileVersion: '6.0'\npackages:\n  /left@1.0.0:\n    resolution: {integrity: sha512-x}\n  /left@2.0.0:\n    resolution: {integrity: sha512-y}\n  /right@1.0.0:\n    resolution: {integrity: sha512-z}\n",
    ],
    [
      'pnpm-lock.yaml (v5)',
      'pnpm-lock.yaml',
      'lockfileVersion: 5.4\npackages:\n  /left/1.0.0:\n    resolution: {integrity: sha512-x}\n  /left/2.0.0:\n    resolution: {integrity: sha512-y}\n  /right/1.0.0_left@1.0.0:\n    resolution: {integrity: sha512-z}\n',
    ],
  ])('reads the packages of a %s', (_label, file, content) => {
    expect(readLockfile(findLockfile(writeLock(file, content)))).toEqual(expected);
  });

  it('says a package.json without a lockfile must be locked first', () => {
    expect(() => findLockfile(writeLock('package.json', '{}'))).toThrow(/no lockfile.*shelf lock/);
  });

  it('resolves a package.json without a lockfile through the mirror, then prefetches what it needs', async () => {
    const mirror = await startMirror({});
    try {
      const dir = writeLock(
        'package.json',
        JSON.stringify({ name: 'app', version: '1.0.0', dependencies: { left: '^1.0.0', right: '1.0.0' } }),
      );
      const found = await projectPackages(dir, `${mirror.url}/`);
      expect(found.resolved).toBe(true);
      expect(found.packages.map((p) => `${p.name}@${p.version}`).sort()).toEqual(['left@1.1.0', 'right@1.0.0']);
      const summary = await prefetchVersions(mirror.app.services.mirror, found.packages);
      expect(summary).toMatchObject({ fetched: 2, failed: [] });
    } finally {
      await mirror.close();
    }
  });

  it('prefetches a lockfile, and a second run finds everything cached', async () => {
    const mirror = await startMirror({});
    try {
      const first = await prefetchVersions(mirror.app.services.mirror, expected);
      expect(first).toMatchObject({ total: 3, fetched: 3, alreadyCached: 0, failed: [], interrupted: false });
      const second = await prefetchVersions(mirror.app.services.mirror, expected);
      expect(second).toMatchObject({ fetched: 0, alreadyCached: 3 });
      const missing = await prefetchVersions(mirror.app.services.mirror, [
        { name: 'left', version: '7.7.7' },
        { name: 'nope-not-here', version: '1.0.0' },
      ]);
      expect(missing.failed.map((f) => f.spec)).toEqual(['left@7.7.7', 'nope-not-here@1.0.0']);
      expect(missing.failed[1]!.reason).toMatch(/not in this registry nor on its upstream/);
    } finally {
      await mirror.close();
    }
  });

  it('resumes after an interruption, fetching only what is missing', async () => {
    const mirror = await startMirror({});
    try {
      const controller = new AbortController();
      const first = await prefetchVersions(mirror.app.services.mirror, expected, {
        concurrency: 1,
        signal: controller.signal,
        onProgress: (p) => {
          if (p.phase === 'tarballs' && p.done === 1) controller.abort();
        },
      });
      expect(first.interrupted).toBe(true);
      expect(first.fetched).toBe(1);
      const rest = await prefetchVersions(mirror.app.services.mirror, expected);
      expect(rest).toMatchObject({ fetched: 2, alreadyCached: 1, interrupted: false });
    } finally {
      await mirror.close();
    }
  });

  it('evicts the least recently used tarballs past the cap, never pinned ones', async () => {
    const size = tarballs.get('left@1.0.0')!.length;
    let clock = Date.parse('2026-01-01T00:00:00Z');
    const mirror = await startHarness(
      { mirror: { ...MIRROR_DEFAULTS, upstreams: [{ url: `${upstream.url}/` }], cacheCapBytes: Math.floor(size * 3.5) } },
      { now: () => new Date((clock += 1000)) },
    );
    try {
      await mirror.app.services.mirror.admin.pin('right');
      for (const path of ['/right/-/right-1.0.0.tgz', '/left/-/left-1.0.0.tgz', '/left/-/left-1.1.0.tgz', '/third/-/third-1.0.0.tgz']) {
        expect((await fetch(`${mirror.url}${path}`)).status).toBe(200);
      }
      const cached = (await mirror.app.services.mirror.admin.status()).packages
        .flatMap((p) => p.versions.map((v) => `${p.name}@${v}`))
        .sort();
      expect(cached).toEqual(['left@1.1.0', 'right@1.0.0', 'third@1.0.0']);
    } finally {
      await mirror.close();
    }
  });

  it('re-verifies the cache, quarantining a tarball corrupted on disk', async () => {
    const mirror = await startMirror({});
    try {
      expect((await fetch(`${mirror.url}/left/-/left-1.0.0.tgz`)).status).toBe(200);
      expect((await fetch(`${mirror.url}/right/-/right-1.0.0.tgz`)).status).toBe(200);
      const integrity = ssri.fromData(tarballs.get('left@1.0.0')!, { algorithms: ['sha512'] }).toString();
      await corruptBlob(mirror.app.services.packages.ctx.blobs, integrity, 'corrupted');
      const report = await mirror.app.services.mirror.admin.verify();
      expect(report).toMatchObject({ checked: 2, ok: 1 });
      expect(report.quarantined).toEqual([{ name: 'left', version: '1.0.0', problem: 'its bytes do not match its sha512' }]);
      // Dropped from the cache, so the next request fetches a good copy again.
      const again = await fetch(`${mirror.url}/left/-/left-1.0.0.tgz`);
      expect(cacheState(again)).toBe('miss');
    } finally {
      await mirror.close();
    }
  });
});

/**
 * Damages a stored blob behind the store's back, as a disk fault (folder) or an object overwritten out of band (S3)
 * would: the re-verification must notice either way (SHELF_TEST_BLOBS=s3 runs this suite on the bucket).
 */
async function corruptBlob(blobs: { kind: string; where(integrity: string): string }, integrity: string, text: string): Promise<void> {
  if (blobs.kind !== 's3') return writeFileSync(blobs.where(integrity), text);
  const { S3Client, PutObjectCommand } = await import('@aws-sdk/client-s3');
  const server = s3Server();
  const [, bucket, key] = /^s3:\/\/([^/]+)\/(.+)$/.exec(blobs.where(integrity))!;
  const client = new S3Client({
    endpoint: server.endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: server.accessKey, secretAccessKey: server.secretKey },
  });
  try {
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: text }));
  } finally {
    client.destroy();
  }
}
