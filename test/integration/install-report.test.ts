// shelf install says how files reached node_modules: hard links from the install cache's unpacked store, or copies and why.
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installCommand } from '../../src/main/cli/install';
import { startHarness, type Harness } from '../helpers/app-harness';
import { tempDir } from '../helpers/clients';
import { PROJECT, TREE, captureIO, publishAll } from './resolver-fixture';

describe('shelf install: linked and copied files', () => {
  let harness: Harness;
  let registry: string;

  beforeAll(async () => {
    harness = await startHarness();
    registry = `${harness.url}/`;
    await publishAll(harness, await harness.login('report-publisher'), [
      ...TREE,
      {
        name: 'builds',
        version: '1.0.0',
        manifest: { scripts: { install: "node -e \"require('fs').writeFileSync('built.txt', 'built')\"" } },
        files: { 'lib/a.js': 'module.exports = "a";\n' },
      },
    ]);
  });
  afterAll(async () => harness?.close());

  it('links every file from the store on a warm install and copies none', async () => {
    const cache = tempDir('shelf-cache-');
    const install = async () => {
      const dir = tempDir();
      writeFileSync(join(dir, 'package.json'), JSON.stringify(PROJECT, null, 2));
      const io = captureIO(dir);
      expect(await installCommand(undefined, { registry, cache, json: true }, io), io.stderr()).toBe(0);
      return { dir, report: JSON.parse(io.stdout()) };
    };
    await install();
    const { dir, report } = await install();
    // 8 packages of 2 files each (package.json, index.js) and the tool's cli.js.
    expect(report).toMatchObject({ installed: 8, filesLinked: 17, filesCopied: 0 });
    expect(report.copyReason).toBeUndefined();
    expect(statSync(join(dir, 'node_modules', 'right', 'node_modules', 'shared', 'index.js')).nlink).toBeGreaterThanOrEqual(2);
  });

  it('gives a package whose install script runs its own copies, and says so', async () => {
    const dir = tempDir();
    writeFileSync(
      join(dir, 'package.json'),
      JSON.stringify({ name: 'p', version: '1.0.0', dependencies: { builds: '1.0.0', left: '1.0.0' } }),
    );
    const io = captureIO(dir);
    expect(await installCommand(undefined, { registry, cache: tempDir('shelf-cache-'), json: true, scripts: true }, io), io.stderr()).toBe(
      0,
    );
    const report = JSON.parse(io.stdout());
    expect(report).toMatchObject({ installed: 3, ranScripts: ['node_modules/builds'], filesCopied: 3, filesLinked: 4 });
    expect(report.copyReason).toBe('packages whose install scripts run get their own copies');
    expect(readFileSync(join(dir, 'node_modules', 'builds', 'built.txt'), 'utf8')).toBe('built');
    expect(statSync(join(dir, 'node_modules', 'builds', 'lib', 'a.js')).nlink).toBe(1);
  });
});
