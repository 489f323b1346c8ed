// bun.lock, as the real bun (a devDependency) writes it against a Shelf on loopback, is read by the mirror's
// prefetch (readLockfile) and by services/lockfiles/bun-lock.ts with the same packages bun chose.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseBunLock } from '../../src/main/services/lockfiles/bun-lock';
import { findLockfile, readLockfile } from '../../src/main/services/mirror/lockfiles';
import { startHarness, type Harness } from '../helpers/app-harness';
import { run, tempDir } from '../helpers/clients';
import { PROJECT, TREE, publishAll } from './resolver-fixture';

const BUN = resolve(__dirname, '..', '..', 'node_modules', '.bin', 'bun');

describe.skipIf(!existsSync(BUN))('bun.lock written by the real bun', () => {
  let harness: Harness;
  let dir: string;

  beforeAll(async () => {
    harness = await startHarness();
    await publishAll(harness, await harness.login('fixture-publisher'), TREE);
    dir = tempDir();
    writeFileSync(join(dir, 'package.json'), JSON.stringify(PROJECT, null, 2));
    writeFileSync(join(dir, 'bunfig.toml'), `[install]\nregistry = "${harness.url}/"\n`);
    const home = tempDir();
    const bun = await run(BUN, ['install', '--lockfile-only', '--no-progress'], {
      cwd: dir,
      env: { PATH: process.env.PATH, HOME: home, BUN_INSTALL_CACHE_DIR: join(home, 'cache'), NO_COLOR: '1' },
    });
    expect(bun.code, bun.stderr + bun.stdout).toBe(0);
  }, 120_000);
  afterAll(async () => harness?.close());

  it('the mirror prefetch finds bun.lock in the folder and lists every registry version bun locked', () => {
    const file = findLockfile(dir);
    expect(file).toBe(join(dir, 'bun.lock'));
    const found = readLockfile(file)
      .map((p) => `${p.name}@${p.version}`)
      .sort();
    // bun resolves the crafted tree as npm does: shared in two majors, the peer host@1, the dev tool.
    expect(found).toEqual(
      expect.arrayContaining([
        'deep@1.0.0',
        'host@1.0.0',
        'left@1.0.0',
        'plugin@1.0.0',
        'right@1.0.0',
        'shared@1.3.0',
        'shared@2.0.0',
        'tool@1.0.0',
      ]),
    );
    for (const id of found) expect(TREE.some((v) => `${v.name}@${v.version}` === id)).toBe(true);
  });

  it("keeps each package's dependencies and the root workspace's declared ones", () => {
    const lock = parseBunLock(readFileSync(join(dir, 'bun.lock'), 'utf8'));
    expect(lock.workspaces['']!.dependencies).toEqual(PROJECT.dependencies);
    expect(lock.workspaces['']!.devDependencies).toEqual(PROJECT.devDependencies);
    const right = lock.packages.find((p) => p.key === 'right')!;
    expect(right).toMatchObject({ name: 'right', version: '1.0.0', dependencies: { shared: '^2.0.0', deep: '^1.0.0' } });
    expect(lock.packages.find((p) => p.key === 'plugin')!.peerDependencies).toEqual({ host: '^1.0.0' });
  });

  it('refuses a binary bun.lockb-like or damaged file with a message saying what to do', () => {
    const bad = join(tempDir(), 'bun.lock');
    writeFileSync(bad, '{ "lockfileVersion": 1, "packages": { "a": [ }');
    expect(() => readLockfile(bad)).toThrow(/not a readable bun.lock .*bun install --lockfile-only/);
    writeFileSync(bad, '{ "workspaces": {} }');
    expect(() => readLockfile(bad)).toThrow(/no lockfileVersion\/packages/);
  });
});
