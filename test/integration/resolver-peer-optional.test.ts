// An optional peer that is present in the wrong version: npm 11 brings the right one into the peer set and nests; Shelf must agree.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lockCommand } from '../../src/main/cli/lock';
import { startHarness, type Harness } from '../helpers/app-harness';
import { NpmUser, tempDir } from '../helpers/clients';
import { captureIO, entriesOf, publishAll, type FixtureVersion } from './resolver-fixture';

// The shape of tailwindcss → postcss-load-config (optional peer yaml ^2) next to a yaml@1 the rest of the tree uses.
const TREE: FixtureVersion[] = [
  { name: 'yml', version: '1.10.3' },
  { name: 'yml', version: '2.4.2' },
  {
    name: 'loader',
    version: '6.0.1',
    manifest: { peerDependencies: { yml: '^2.4.2' }, peerDependenciesMeta: { yml: { optional: true } } },
  },
  { name: 'loader', version: '3.1.4', manifest: { dependencies: { yml: '^1.10.0' } } },
  { name: 'tw', version: '3.4.0', manifest: { dependencies: { loader: '^6.0.1' } } },
  { name: 'cfg', version: '7.0.0', manifest: { dependencies: { yml: '^1.10.0' } } },
  { name: 'other', version: '1.0.0', manifest: { dependencies: { loader: '^3.1.4' } } },
  // ajv-formats' shape: ajv both as a dependency and as an optional peer; the dependency wins, so it hoists.
  { name: 'schema', version: '6.0.0', manifest: { dependencies: { val: '^6.0.0' } } },
  { name: 'schema', version: '4.3.0', manifest: { dependencies: { fmt: '^3.0.0', val: '^8.0.0' } } },
  { name: 'val', version: '6.12.6' },
  { name: 'val', version: '8.20.0' },
  { name: 'wrap', version: '1.0.0', manifest: { dependencies: { schema: '^4.3.0' } } },
  {
    name: 'fmt',
    version: '3.0.1',
    manifest: { dependencies: { val: '^8.0.0' }, peerDependencies: { val: '^8.0.0' }, peerDependenciesMeta: { val: { optional: true } } },
  },
];

describe('optional peers present in a version that does not fit', () => {
  let harness: Harness;
  let registry: string;
  let npm: NpmUser;

  beforeAll(async () => {
    harness = await startHarness();
    registry = `${harness.url}/`;
    await publishAll(harness, await harness.login('fixture-publisher'), TREE);
    npm = new NpmUser(registry);
  });
  afterAll(async () => harness?.close());

  it.each([
    ['nests the dependent with the right peer when a wrong copy sits above', { tw: '^3.4.0', cfg: '^7.0.0' }],
    ['treats a name listed as both dependency and optional peer as a dependency', { schema: '^6.0.0', wrap: '^1.0.0' }],
  ])('%s, as npm install --package-lock-only does', async (_title, dependencies) => {
    const project = { name: 'peer-optional', version: '1.0.0', dependencies };
    const npmDir = tempDir();
    const shelfDir = tempDir();
    for (const dir of [npmDir, shelfDir]) writeFileSync(join(dir, 'package.json'), JSON.stringify(project, null, 2));
    const npmRun = await npm.npm(['install', '--package-lock-only', '--ignore-scripts'], npmDir);
    expect(npmRun.code, npmRun.stderr).toBe(0);
    const io = captureIO(shelfDir);
    expect(await lockCommand(undefined, { registry }, io), io.stderr()).toBe(0);
    const npmLock = JSON.parse(readFileSync(join(npmDir, 'package-lock.json'), 'utf8'));
    const shelfLock = JSON.parse(readFileSync(join(shelfDir, 'package-lock.json'), 'utf8'));
    expect(entriesOf(shelfLock)).toEqual(entriesOf(npmLock));
  });
});
