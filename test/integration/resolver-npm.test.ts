import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lockCommand } from '../../src/main/cli/lock';
import { dupesCommand, whyCommand } from '../../src/main/cli/graph-reports';
import { startHarness, type Harness } from '../helpers/app-harness';
import { NpmUser, tempDir } from '../helpers/clients';
import { PROJECT, TREE, captureIO, entriesOf, publishAll } from './resolver-fixture';

describe('shelf lock agrees with npm 11 on a crafted tree', () => {
  let harness: Harness;
  let npm: NpmUser;
  let registry: string;

  beforeAll(async () => {
    harness = await startHarness();
    registry = `${harness.url}/`;
    const token = await harness.login('fixture-publisher');
    await publishAll(harness, token, TREE);
    npm = new NpmUser(registry);
  });
  afterAll(async () => harness?.close());

  it('writes the same path → name@version entries as npm install --package-lock-only, and npm ci accepts it', async () => {
    const npmDir = tempDir();
    const shelfDir = tempDir();
    for (const dir of [npmDir, shelfDir]) writeFileSync(join(dir, 'package.json'), JSON.stringify(PROJECT, null, 2));

    const npmRun = await npm.npm(['install', '--package-lock-only', '--ignore-scripts'], npmDir);
    expect(npmRun.code, npmRun.stderr).toBe(0);
    const io = captureIO(shelfDir);
    expect(await lockCommand(undefined, { registry }, io), io.stderr()).toBe(0);

    const npmLock = JSON.parse(readFileSync(join(npmDir, 'package-lock.json'), 'utf8'));
    const shelfLock = JSON.parse(readFileSync(join(shelfDir, 'package-lock.json'), 'utf8'));
    expect(entriesOf(shelfLock)).toEqual(entriesOf(npmLock));
    // Nesting happened where the shared dependency's versions conflict.
    expect(entriesOf(shelfLock)['node_modules/right/node_modules/shared']).toBe('shared@2.0.0');
    // Same flags and fields, entry by entry.
    expect(shelfLock.packages).toEqual(npmLock.packages);

    const ci = await npm.npm(['ci', '--ignore-scripts'], shelfDir);
    expect(ci.code, ci.stderr).toBe(0);
    // Laid out as npm lays it out: the same bytes as npm's own lockfile, and npm leaves it byte for byte as it is.
    const written = readFileSync(join(shelfDir, 'package-lock.json'), 'utf8');
    expect(written).toBe(readFileSync(join(npmDir, 'package-lock.json'), 'utf8'));
    const again = await npm.npm(['install', '--package-lock-only', '--ignore-scripts'], shelfDir);
    expect(again.code, again.stderr).toBe(0);
    expect(readFileSync(join(shelfDir, 'package-lock.json'), 'utf8')).toBe(written);
  });

  it('answers why and dupes for the same tree', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'package.json'), JSON.stringify(PROJECT, null, 2));
    const why = captureIO(dir);
    expect(await whyCommand('shared', { registry, json: true }, why), why.stderr()).toBe(0);
    const copies = JSON.parse(why.stdout());
    expect(copies.map((c: { location: string; version: string }) => `${c.location} ${c.version}`)).toEqual([
      'node_modules/right/node_modules/shared 2.0.0',
      'node_modules/shared 1.3.0',
    ]);
    expect(copies[0].paths).toEqual([['your project', 'right@1.0.0 ("^1.0.0")', 'shared@2.0.0 ("^2.0.0")']]);
    expect(copies[1].choice).toMatchObject({
      rule: 'highest-match',
      newestRejected: { version: '2.0.0', range: '^1.0.0', by: 'left@1.0.0 (node_modules/left)' },
    });

    const dupes = captureIO(dir);
    expect(await dupesCommand({ registry, json: true }, dupes), dupes.stderr()).toBe(0);
    const [shared] = JSON.parse(dupes.stdout());
    expect(shared.name).toBe('shared');
    expect(shared.blocker).toMatch(/^no published version of shared satisfies every range asked for \(.*"\^1.0.0".*\)/);
    expect(shared.blocker).toContain('"^2.0.0"');
  });

  it('fails shelf lock with the explanation and verified fixes when a direct dependency needs another peer version', async () => {
    const dir = tempDir();
    writeFileSync(
      join(dir, 'package.json'),
      JSON.stringify({ name: 'clash', version: '1.0.0', dependencies: { plugin: '^1.0.0', host: '^2.0.0' } }, null, 2),
    );
    const io = captureIO(dir);
    expect(await lockCommand(undefined, { registry }, io)).toBe(1);
    expect(io.stdout()).toContain('Because plugin@1.0.0 needs host "^1.0.0" as a peer');
    expect(io.stdout()).toContain('change your dependencies range for host from "^2.0.0" to "^1.0.0"');
    expect(io.stderr().trim().split('\n')).toHaveLength(1);
    expect(io.stderr()).toMatch(/^shelf: plugin@1.0.0 needs host@"\^1.0.0" as a peer/);
  });
});
