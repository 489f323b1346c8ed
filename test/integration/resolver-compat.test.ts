// Compatibility with npm 11 on the shared `small` fixture tree, against a synthetic registry built from its own lockfile.
//
// The fixture upstream serves every name@version npm's lockfile records (with the dependency, peer, optional, engines,
// bin, os/cpu and license fields it keeps; tiny tarballs) and an in-process Shelf mirrors it: both npm and Shelf resolve
// through that Shelf. (Publishing the versions to Shelf directly is not possible for every tree: Shelf, like npmjs,
// refuses new packages named after core modules, such as `events`, which real trees contain.)
import { copyFileSync, existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lockCommand } from '../../src/main/cli/lock';
import { startHarness, type Harness } from '../helpers/app-harness';
import { NpmUser, tempDir } from '../helpers/clients';
import type { MirrorConfig } from '../../src/main/config/config';
import { compareLocks, serveLockfile, versionsFromLockfile } from '../fixtures/lock-registry.mjs';
import { captureIO } from './resolver-fixture';

const TREES = resolve(__dirname, '..', '..', '..', 'shared', 'fixtures', 'trees');
const SMALL = join(TREES, 'small');

describe.skipIf(!existsSync(join(SMALL, 'package-lock.json')))('shelf lock agrees with npm 11 on ../shared/fixtures/trees/small', () => {
  let upstream: Awaited<ReturnType<typeof serveLockfile>>;
  let harness: Harness;
  let registry: string;
  let npm: NpmUser;

  beforeAll(async () => {
    upstream = await serveLockfile(join(SMALL, 'package-lock.json'));
    expect(upstream.versions).toBe(versionsFromLockfile(join(SMALL, 'package-lock.json')).length);
    const mirror: MirrorConfig = {
      upstreams: [{ url: `${upstream.url}/` }],
      useNpmRegistry: false,
      offline: false,
      maxAgeMs: 600_000,
      timeoutMs: 10_000,
      retries: 0,
      cacheCapBytes: null,
      localScopes: [],
    };
    harness = await startHarness({ mirror });
    registry = `${harness.url}/`;
    npm = new NpmUser(registry);
  });
  afterAll(async () => {
    await harness?.close();
    await upstream?.close();
  });

  it('writes the same path → name@version entries as npm install --package-lock-only on the same registry, and npm ci accepts it', async () => {
    const npmDir = tempDir();
    const shelfDir = tempDir();
    for (const dir of [npmDir, shelfDir]) copyFileSync(join(SMALL, 'package.json'), join(dir, 'package.json'));

    const npmRun = await npm.npm(['install', '--package-lock-only', '--ignore-scripts'], npmDir);
    expect(npmRun.code, npmRun.stderr).toBe(0);
    const io = captureIO(shelfDir);
    expect(await lockCommand(undefined, { registry }, io), io.stderr()).toBe(0);

    const npmLock = JSON.parse(readFileSync(join(npmDir, 'package-lock.json'), 'utf8'));
    const shelfLock = JSON.parse(readFileSync(join(shelfDir, 'package-lock.json'), 'utf8'));
    const agreement = compareLocks(npmLock, shelfLock);
    expect(agreement.ratio, JSON.stringify(agreement.differences, null, 2)).toBeGreaterThanOrEqual(0.95);
    // The target is every entry; report any difference by path so a regression is visible.
    expect(agreement.differences).toEqual([]);
    // And the synthetic registry reproduces the original tree npm wrote against the public registry.
    const original = JSON.parse(readFileSync(join(SMALL, 'package-lock.json'), 'utf8'));
    expect(compareLocks(original, shelfLock).differences).toEqual([]);

    const ci = await npm.npm(['ci', '--ignore-scripts'], shelfDir);
    expect(ci.code, ci.stderr).toBe(0);
    expect(existsSync(join(shelfDir, 'node_modules', 'express', 'package.json'))).toBe(true);
  });
});
