// Publishes a crafted dependency tree to an in-process Shelf (nesting, a peer, optional and dev deps, a bin) for the resolver's integration tests.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeTarball, publishBody, type Harness } from '../helpers/app-harness';
import type { CommandIO } from '../../src/main/cli/command-io';

export interface FixtureVersion {
  name: string;
  version: string;
  manifest?: Record<string, unknown>;
  files?: Record<string, string>;
}

export async function publishAll(harness: Harness, token: string, versions: FixtureVersion[]): Promise<void> {
  for (const v of versions) {
    const manifest = { name: v.name, version: v.version, license: 'MIT', main: 'index.js', ...v.manifest };
    const tarball = await makeTarball({
      'package.json': JSON.stringify(manifest),
      'index.js': `module.exports = ${JSON.stringify(`${v.name}@${v.version}`)};\n`,
      ...v.files,
    });
    const response = await harness.call('PUT', `/${v.name.replace('/', '%2f')}`, {
      token,
      body: publishBody(v.name, v.version, tarball, { manifest }),
    });
    if (response.status !== 201 && response.status !== 200)
      throw new Error(`publish ${v.name}@${v.version}: ${response.status} ${JSON.stringify(response.body)}`);
  }
}

/** The crafted tree: a shared dependency in two conflicting versions, a peer, an optional dependency for another OS, a dev tool with a bin. */
export const TREE: FixtureVersion[] = [
  { name: 'shared', version: '1.0.0' },
  { name: 'shared', version: '1.3.0' },
  { name: 'shared', version: '2.0.0' },
  { name: 'left', version: '1.0.0', manifest: { dependencies: { shared: '^1.0.0' } } },
  { name: 'right', version: '1.0.0', manifest: { dependencies: { shared: '^2.0.0', deep: '^1.0.0' } } },
  { name: 'deep', version: '1.0.0', manifest: { dependencies: { shared: '^1.0.0' } } },
  { name: 'host', version: '1.0.0' },
  { name: 'host', version: '2.0.0' },
  { name: 'plugin', version: '1.0.0', manifest: { peerDependencies: { host: '^1.0.0' } } },
  { name: 'native', version: '1.0.0', manifest: { os: ['aix'] } },
  {
    name: 'tool',
    version: '1.0.0',
    manifest: { bin: { 'fixture-tool': 'cli.js' }, dependencies: { shared: '^1.0.0' } },
    files: { 'cli.js': '#!/usr/bin/env node\nconsole.log("tool ran");\n' },
  },
];

export const PROJECT = {
  name: 'resolver-fixture-project',
  version: '1.0.0',
  license: 'MIT',
  dependencies: { left: '^1.0.0', right: '^1.0.0', plugin: '^1.0.0' },
  optionalDependencies: { native: '^1.0.0' },
  devDependencies: { tool: '^1.0.0' },
};

export function captureIO(cwd: string): CommandIO & { stdout: () => string; stderr: () => string } {
  let out = '';
  let err = '';
  return {
    out: (t) => void (out += t),
    err: (t) => void (err += t),
    tty: false,
    // A data folder of its own: the metadata cache of the resolving commands lives there, not in the real home folder.
    env: { SHELF_DATA_DIR: mkdtempSync(join(tmpdir(), 'shelf-cli-data-')) },
    cwd,
    stdout: () => out,
    stderr: () => err,
  };
}

/** path → name@version for every installed entry of a v2/v3 lockfile. */
export function entriesOf(lock: { packages: Record<string, { name?: string; version?: string; link?: boolean }> }): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [path, entry] of Object.entries(lock.packages)) {
    if (path === '' || entry.link) continue;
    out[path] = `${entry.name ?? path.slice(path.lastIndexOf('node_modules/') + 13)}@${entry.version}`;
  }
  return out;
}
