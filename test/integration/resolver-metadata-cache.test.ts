// The resolving commands' metadata cache, against a real Shelf: the same lockfile from the cache as from the registry;
// by default every cached document is revalidated (Shelf sends no-cache), so a new version or a yank is seen at once;
// --prefer-offline trusts the cache as it is; --offline needs nothing but the cache and refuses, writing nothing, a
// package it never fetched; a damaged cache file costs a warning, not the command.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lockCommand } from '../../src/main/cli/lock';
import { resolveGraph } from '../../src/main/services/graph';
import { METADATA_CACHE_FILE, MetadataCacheDb } from '../../src/main/storage/metadata-cache-db';
import { startHarness, type Harness } from '../helpers/app-harness';
import { tempDir } from '../helpers/clients';
import { captureIO, publishAll, type FixtureVersion } from './resolver-fixture';

const TREE: FixtureVersion[] = [
  { name: 'base', version: '1.0.0' },
  { name: 'base', version: '1.1.0' },
  // Deprecated and engine-restricted versions above the one to choose: both facts must survive the cache.
  { name: 'base', version: '1.2.0' },
  { name: 'base', version: '1.3.0', manifest: { engines: { node: '>=99' } } },
  { name: 'mid', version: '2.0.0', manifest: { dependencies: { base: '^1.0.0' } } },
  { name: 'top', version: '3.0.0', manifest: { dependencies: { mid: '^2.0.0', base: '~1.0.0' } } },
];

let harness: Harness;
let registry: string;
let token: string;

/** Publishes the tree and deprecates base@1.2.0 the way `npm deprecate` does. */
async function publishTree(target: Harness): Promise<string> {
  const publisher = await target.login('cache-publisher');
  await publishAll(target, publisher, TREE);
  const doc = (await target.call('GET', '/base')).body as { versions: Record<string, Record<string, unknown>> };
  doc.versions['1.2.0']!.deprecated = 'use 1.1.0';
  expect((await target.call('PUT', '/base', { token: publisher, body: doc })).status).toBe(200);
  return publisher;
}

beforeAll(async () => {
  harness = await startHarness();
  registry = `${harness.url}/`;
  token = await publishTree(harness);
});
afterAll(async () => harness?.close());

/** A project depending on `top`, and a command IO whose data folder (and so metadata cache) is shared across runs. */
function project(dependencies: Record<string, string> = { top: '^3.0.0', mid: '^2.0.0' }, at = () => registry) {
  const dir = tempDir();
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', dependencies }));
  const io = captureIO(dir);
  const lock = async (flags: Record<string, boolean> = {}) => {
    rmSync(join(dir, 'package-lock.json'), { force: true });
    const before = io.stdout().length;
    const code = await lockCommand(undefined, { registry: at(), json: true, ...flags }, io);
    const output = io.stdout().slice(before);
    return { code, report: code === 0 ? (JSON.parse(output) as { fetched: number; fromCache: number }) : undefined, output };
  };
  const lockfile = () => readFileSync(join(dir, 'package-lock.json'), 'utf8');
  const version = (path: string) => (JSON.parse(lockfile()) as { packages: Record<string, { version: string }> }).packages[path]?.version;
  return { dir, io, lock, lockfile, version };
}

describe('the metadata cache of shelf lock', () => {
  it('writes the same lockfile from the cache as from the registry, and needs no registry with --offline or --prefer-offline', async () => {
    const own = await startHarness();
    await publishTree(own);
    const p = project(undefined, () => `${own.url}/`);
    const first = await p.lock();
    expect(first.code, p.io.stderr()).toBe(0);
    expect(first.report).toMatchObject({ fetched: expect.any(Number), fromCache: 0 });
    expect(first.report!.fetched).toBeGreaterThanOrEqual(3);
    const fromRegistry = p.lockfile();
    // The deprecated 1.2.0 and the node >=99 1.3.0 are passed over, as npm does.
    expect(p.version('node_modules/base')).toBe('1.1.0');
    expect(existsSync(join(p.io.env.SHELF_DATA_DIR!, METADATA_CACHE_FILE))).toBe(true);

    const revalidated = await p.lock();
    expect(revalidated.report).toMatchObject({ fetched: 0, fromCache: 3 });
    expect(p.lockfile()).toBe(fromRegistry);

    // With the registry gone, --offline and --prefer-offline still resolve from the cache alone.
    await own.close();
    const offline = await p.lock({ offline: true });
    expect(offline.code, p.io.stderr()).toBe(0);
    expect(offline.report).toMatchObject({ fetched: 0, fromCache: 3 });
    expect(p.lockfile()).toBe(fromRegistry);
    expect((await p.lock({ preferOffline: true })).code).toBe(0);
    expect(p.lockfile()).toBe(fromRegistry);
    // Without either flag the registry is asked, and its absence is the error.
    expect((await p.lock()).code).toBe(1);
    expect(p.io.stderr()).toMatch(/could not reach/);
  });

  it('sees a new version and a yank at once by default, and trusts the stale copy with --prefer-offline', async () => {
    const p = project({ base: '^1.0.0' });
    expect((await p.lock()).code, p.io.stderr()).toBe(0);
    expect(p.version('node_modules/base')).toBe('1.1.0');

    await publishAll(harness, token, [{ name: 'base', version: '1.4.0' }]);
    expect((await p.lock({ preferOffline: true })).code).toBe(0);
    expect(p.version('node_modules/base')).toBe('1.1.0');
    const fresh = await p.lock();
    expect(fresh.report!.fetched).toBeGreaterThan(0);
    expect(p.version('node_modules/base')).toBe('1.4.0');

    const yank = await harness.call('POST', '/api/v1/packages/base/1.4.0/yank', { token });
    expect(yank.status, JSON.stringify(yank.body)).toBe(200);
    expect((await p.lock()).code).toBe(0);
    expect(p.version('node_modules/base')).toBe('1.1.0');
    // The yank is now in the cached facts too: the cache alone never chooses the yanked version.
    expect((await p.lock({ offline: true })).code).toBe(0);
    expect(p.version('node_modules/base')).toBe('1.1.0');
  });

  it('refuses under --offline a package it never fetched, naming it, and writes no lockfile', async () => {
    const p = project({ base: '^1.0.0' });
    expect((await p.lock()).code, p.io.stderr()).toBe(0);
    writeFileSync(
      join(p.dir, 'package.json'),
      JSON.stringify({ name: 'app', version: '1.0.0', dependencies: { base: '^1.0.0', never: '^1.0.0' } }),
    );
    const refused = await p.lock({ offline: true });
    expect(refused.code).toBe(1);
    expect(p.io.stderr()).toMatch(/package never is not in Shelf's metadata cache and --offline forbids asking/);
    expect(existsSync(join(p.dir, 'package-lock.json'))).toBe(false);
  });

  it('resolves with a warning when the cache file is damaged', async () => {
    const p = project({ base: '^1.0.0' });
    writeFileSync(join(p.io.env.SHELF_DATA_DIR!, METADATA_CACHE_FILE), 'this is not a database');
    const run = await p.lock();
    expect(run.code, p.io.stderr()).toBe(0);
    expect(p.io.stderr()).toMatch(/the metadata cache .* could not be opened .*; fetching every document/);
    expect(run.report).toMatchObject({ fromCache: 0 });
    expect(run.report!.fetched).toBeGreaterThan(0);
    expect(p.version('node_modules/base')).toBe('1.1.0');
  });

  it('serves the graph screen too: its documents are kept, and a new version is seen on the next open', async () => {
    const cache = { path: join(tempDir(), METADATA_CACHE_FILE) };
    const target = { kind: 'package', name: 'graphed', range: '^1.0.0' } as const;
    await publishAll(harness, token, [{ name: 'graphed', version: '1.0.0', manifest: { dependencies: { base: '^1.0.0' } } }]);
    const first = await resolveGraph(target, registry, cache);
    expect(first.nodes.map((n) => n.name).sort()).toEqual(['base', 'graphed', 'graphed@^1.0.0']);
    expect(first.nodes.find((n) => n.name === 'graphed')?.version).toBe('1.0.0');
    const db = MetadataCacheDb.open(cache.path);
    expect(db.document(registry, 'graphed')).toBeDefined();
    db.close();
    await publishAll(harness, token, [{ name: 'graphed', version: '1.1.0' }]);
    const second = await resolveGraph(target, registry, cache);
    expect(second.nodes.map((n) => `${n.name}@${n.version}`).sort()).toEqual(['graphed@1.1.0', 'graphed@^1.0.0@']);
  });
});
