import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installCommand } from '../../src/main/cli/install';
import { startHarness, type Harness } from '../helpers/app-harness';
import { NpmUser, tempDir } from '../helpers/clients';
import { PROJECT, TREE, captureIO, publishAll } from './resolver-fixture';

describe('shelf install', () => {
  let harness: Harness;
  let registry: string;

  beforeAll(async () => {
    harness = await startHarness();
    registry = `${harness.url}/`;
    await publishAll(harness, await harness.login('fixture-publisher'), TREE);
  });
  afterAll(async () => harness?.close());

  it('installs a hoisted node_modules that node can require and npm ls accepts, then reinstalls from the cache alone', async () => {
    const dir = tempDir();
    const cache = tempDir('shelf-cache-');
    writeFileSync(join(dir, 'package.json'), JSON.stringify(PROJECT, null, 2));
    const io = captureIO(dir);
    expect(await installCommand(undefined, { registry, cache, json: true }, io), io.stderr()).toBe(0);
    const report = JSON.parse(io.stdout());
    expect(report).toMatchObject({ installed: 8, downloads: 8, cacheHits: 0, lockfileWritten: true });
    expect(report.skipped).toEqual([{ location: 'node_modules/native', reason: 'optional, for aix' }]);

    const required = execFileSync(
      process.execPath,
      ['-e', "console.log([require('left'), require('right'), require('plugin'), require('right/node_modules/shared')].join(' '))"],
      { cwd: dir },
    ).toString();
    expect(required.trim()).toBe('left@1.0.0 right@1.0.0 plugin@1.0.0 shared@2.0.0');
    expect(execFileSync(join(dir, 'node_modules', '.bin', 'fixture-tool')).toString()).toBe('tool ran\n');
    const ls = await new NpmUser(registry).npm(['ls', '--all'], dir);
    expect(ls.code, ls.stdout + ls.stderr).toBe(0);

    // Second install: the lockfile still fits, so no metadata is fetched, and every tarball comes from the cache.
    const offline = captureIO(dir);
    expect(await installCommand(undefined, { registry: 'http://127.0.0.1:9/', cache, json: true }, offline), offline.stderr()).toBe(0);
    expect(JSON.parse(offline.stdout())).toMatchObject({ installed: 8, downloads: 0, cacheHits: 8, lockfileWritten: false });
    expect(existsSync(join(dir, 'node_modules', 'left', 'package.json'))).toBe(true);
    expect(JSON.parse(readFileSync(join(dir, 'package-lock.json'), 'utf8')).lockfileVersion).toBe(3);
    // Files are hard links into the unpacked store, read-only so an in-place edit cannot change the store.
    const linked = statSync(join(dir, 'node_modules', 'left', 'index.js'));
    expect(linked.nlink).toBeGreaterThanOrEqual(2);
    expect(linked.mode & 0o222).toBe(0);
    expect(statSync(join(dir, 'node_modules', 'tool', 'cli.js')).mode & 0o111).toBe(0o111);
  });

  it('installs a lockfile without "resolved" URLs (npm omit-lockfile-registry-resolved) from the registry given', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'package.json'), JSON.stringify(PROJECT, null, 2));
    const first = captureIO(dir);
    expect(await installCommand(undefined, { registry, cache: tempDir('shelf-cache-'), json: true }, first), first.stderr()).toBe(0);
    const lock = JSON.parse(readFileSync(join(dir, 'package-lock.json'), 'utf8'));
    for (const entry of Object.values<Record<string, unknown>>(lock.packages)) if (!entry.link) delete entry.resolved;
    writeFileSync(join(dir, 'package-lock.json'), JSON.stringify(lock, null, 2));
    const io = captureIO(dir);
    expect(await installCommand(undefined, { registry, cache: tempDir('shelf-cache-'), json: true }, io), io.stderr()).toBe(0);
    expect(JSON.parse(io.stdout())).toMatchObject({ installed: 8, downloads: 8, lockfileWritten: false });
  });
});
