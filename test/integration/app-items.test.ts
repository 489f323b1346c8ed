// The services behind issue 13's app items, against real in-process Shelfs on loopback (one mirroring the other): the
// packer's exclude list, a mirrored package's view and search, purge's dry run (nothing written, the bytes it frees), the
// "packages changed" bus, the upstream probe, and the web links of package.details.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageTarball, publishBody, startHarness, type Harness } from '../helpers/app-harness';
import type { MirrorConfig } from '../../src/main/config/config';
import { cachedPackageView, searchCached } from '../../src/main/services/mirror/cached-view';
import { UpstreamProbe } from '../../src/main/services/mirror/upstream-health';
import { packFolder } from '../../src/main/services/packer/pack-folder';
import { webLink } from '../../src/main/services/packages/ui-views';

const MIRROR: MirrorConfig = {
  upstreams: [],
  useNpmRegistry: false,
  offline: false,
  maxAgeMs: 60_000,
  timeoutMs: 5_000,
  retries: 0,
  cacheCapBytes: null,
  localScopes: [],
};

let upstream: Harness;
let mirror: Harness;
let token: string;
let work: string;

async function publish(h: Harness, name: string, version: string): Promise<Buffer> {
  const tgz = await packageTarball(name, version, { 'README.md': `# ${name}\n` });
  const readme = `# ${name}\n`;
  const response = await h.call('PUT', `/${name}`, {
    token,
    body: publishBody(name, version, tgz, { manifest: { readme }, body: { readme } }),
  });
  expect(response.status).toBe(201);
  return tgz;
}

beforeAll(async () => {
  upstream = await startHarness();
  token = await upstream.login('alice');
  await publish(upstream, 'express', '4.20.0');
  await publish(upstream, 'express', '4.21.0');
  mirror = await startHarness({ mirror: { ...MIRROR, upstreams: [{ url: `${upstream.url}/` }] } });
  work = mkdtempSync(join(tmpdir(), 'shelf-app-items-'));
});

afterAll(async () => {
  await Promise.all([upstream?.close(), mirror?.close()]);
  rmSync(work, { recursive: true, force: true });
});

describe('packFolder exclude', () => {
  it('leaves the listed files out of the tarball and refuses to leave out package.json', async () => {
    const dir = join(work, 'secrets');
    mkdirSync(join(dir, 'certs'), { recursive: true });
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'secrets', version: '1.0.0', license: 'MIT', description: 'x' }));
    writeFileSync(join(dir, 'index.js'), '1;\n');
    writeFileSync(join(dir, '.env'), 'KEY=1\n');
    writeFileSync(join(dir, 'certs', 'server.key'), 'key\n');
    const all = await packFolder(dir);
    expect(all.files.filter((f) => f.suspicious).map((f) => f.path)).toEqual(['.env', 'certs/server.key']);
    const kept = await packFolder(dir, undefined, ['.env', 'certs/server.key']);
    expect(kept.files.map((f) => f.path)).toEqual(['index.js', 'package.json']);
    expect(kept.integrity).not.toBe(all.integrity);
    await expect(packFolder(dir, undefined, ['package.json'])).rejects.toThrow('package.json cannot be left out');
  });
});

describe('a mirrored package', () => {
  it('is shown from the cache with the cached versions marked, found by name, and purged after an exact dry run', async () => {
    const db = mirror.app.services.packages.ctx.db;
    // Nothing cached yet: the view says what to do, and search finds nothing.
    await expect(cachedPackageView(db, 'express')).rejects.toThrow(
      /neither in this registry nor in its mirror cache; install it through Shelf/,
    );
    expect(await searchCached(db, 'express', 20)).toEqual([]);

    const doc = await mirror.call('GET', '/express');
    expect(doc.status).toBe(200);
    const tarball = await fetch(doc.body.versions['4.21.0'].dist.tarball);
    const bytes = Buffer.from(await tarball.arrayBuffer());
    expect(tarball.status).toBe(200);

    const view = await cachedPackageView(db, 'express');
    expect(view).toMatchObject({ name: 'express', upstream: `${upstream.url}/`, readme: '# express\n', distTags: { latest: '4.21.0' } });
    expect(view.versions.map((v) => [v.version, v.cached]).sort()).toEqual([
      ['4.20.0', false],
      ['4.21.0', true],
    ]);
    expect(await searchCached(db, 'EXPR', 20)).toEqual([
      { name: 'express', upstream: `${upstream.url}/`, latest: '4.21.0', cachedVersions: ['4.21.0'] },
    ]);
    // LIKE's wildcards in the text are taken literally.
    expect(await searchCached(db, 'e%s', 20)).toEqual([]);

    const before = await mirror.snapshot();
    const cachedRows = async () => ((await db.get('SELECT count(*) AS n FROM cached_tarballs')) as { n: number }).n;
    expect(await mirror.app.services.mirror.admin.purgePlan('express')).toEqual({
      name: 'express',
      versions: ['4.21.0'],
      bytes: bytes.length,
    });
    // The dry run wrote nothing: same rows, same blobs.
    expect(await mirror.snapshot()).toEqual(before);
    expect(await cachedRows()).toBe(1);
    await expect(mirror.app.services.mirror.admin.purgePlan('left-pad')).rejects.toThrow("nothing of 'left-pad' is cached");

    expect(await mirror.app.services.mirror.admin.purge('express')).toBe(1);
    expect(await cachedRows()).toBe(0);
    expect(((await mirror.snapshot()).blobs as string[]).length).toBe((before.blobs as string[]).length - 1);
  });
});

describe('the packages-changed bus', () => {
  it('is told by a publish, a tag change and an unpublish from the npm door', async () => {
    const events = upstream.app.services.packages.ctx.events!;
    let heard = 0;
    const stop = events.subscribe(() => heard++);
    await publish(upstream, 'bus-demo', '1.0.0');
    expect(heard).toBeGreaterThanOrEqual(1);
    const afterPublish = heard;
    expect((await upstream.call('PUT', '/-/package/bus-demo/dist-tags/next', { token, body: '1.0.0' })).status).toBe(201);
    expect(heard).toBeGreaterThan(afterPublish);
    const afterTag = heard;
    const doc = await upstream.call('GET', '/bus-demo');
    expect((await upstream.call('DELETE', `/bus-demo/-rev/${doc.body._rev}`, { token })).status).toBe(200);
    expect(heard).toBeGreaterThan(afterTag);
    stop();
    const stopped = heard;
    await publish(upstream, 'bus-demo-2', '1.0.0');
    expect(heard).toBe(stopped);
  });
});

describe('the upstream probe', () => {
  it('counts any answer as reachable, a refused connection as not, and asks at most once per 15 s', async () => {
    const port = await new Promise<number>((resolvePort) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port: p } = probe.address() as { port: number };
        probe.close(() => resolvePort(p));
      });
    });
    let asked = 0;
    const probe = new UpstreamProbe((input, init) => {
      asked++;
      return fetch(input, init);
    });
    const upstreams = [{ url: `${upstream.url}/` }, { url: `http://127.0.0.1:${port}/` }];
    const first = await probe.check(upstreams, 1_000_000);
    expect(first).toEqual([
      { url: `${upstream.url}/`, reachable: true, problem: null },
      { url: `http://127.0.0.1:${port}/`, reachable: false, problem: 'ECONNREFUSED' },
    ]);
    expect(asked).toBe(2);
    expect(await probe.check(upstreams, 1_000_000 + 14_000)).toEqual(first);
    expect(asked).toBe(2);
    await probe.check(upstreams, 1_000_000 + 16_000);
    expect(asked).toBe(4);
  });
});

describe('webLink', () => {
  it('turns repository forms into web addresses and drops anything that is not http(s)', () => {
    expect(webLink('git+https://github.com/a/b.git')).toBe('https://github.com/a/b');
    expect(webLink({ type: 'git', url: 'git://github.com/a/b.git' })).toBe('https://github.com/a/b');
    expect(webLink('github:a/b')).toBe('https://github.com/a/b');
    expect(webLink('a/b')).toBe('https://github.com/a/b');
    expect(webLink({ url: 'https://example.test/issues' })).toBe('https://example.test/issues');
    expect(webLink('javascript:alert(1)')).toBeNull();
    expect(webLink('file:///etc/passwd')).toBeNull();
    expect(webLink('')).toBeNull();
    expect(webLink(42)).toBeNull();
  });
});
