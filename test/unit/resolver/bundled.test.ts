// Bundled dependencies come from the parent's tarball (inBundle), never from the registry.
import { describe, expect, it } from 'vitest';
import { resolveProject } from '../../../src/main/services/resolver/resolve';
import { buildLockfile } from '../../../src/main/services/resolver/lockfile-write';
import type { Manifest } from '../../../src/main/services/resolver/types';
import { makeTarball } from '../../fixtures/lock-registry.mjs';
import { fakeClient } from './fake-registry';

describe('bundled dependencies', () => {
  it('places what the tarball ships under its parent with inBundle, and fetches none of it', async () => {
    const bundler = {
      name: 'bundler',
      version: '1.0.0',
      dependencies: { inner: '^1.0.0', shared: '^1.0.0' },
      bundleDependencies: ['inner'],
    };
    const tarball = makeTarball({
      'package.json': JSON.stringify(bundler),
      'node_modules/inner/package.json': JSON.stringify({ name: 'inner', version: '1.0.3', dependencies: { deep: '^2.0.0' } }),
      'node_modules/deep/package.json': JSON.stringify({ name: 'deep', version: '2.1.0' }),
      'node_modules/inner/node_modules/nested/package.json': JSON.stringify({ name: 'nested', version: '0.1.0' }),
    });
    const client = fakeClient(
      {
        bundler: { versions: { '1.0.0': bundler } },
        // The registry has a newer inner; the bundled copy wins regardless.
        inner: { versions: { '1.0.3': {}, '1.9.0': {} } },
        shared: { versions: { '1.2.0': {} } },
      },
      { 'bundler@1.0.0': tarball },
    );
    const graph = await resolveProject(
      { dir: '/p', manifest: { name: 'root', version: '1.0.0', dependencies: { bundler: '^1.0.0' } } as Manifest, workspaces: [] },
      client,
    );
    const tree = Object.fromEntries(
      [...graph.nodes.values()]
        .filter((n) => !n.isRoot)
        .map((n) => [n.location, `${n.packageName}@${n.version}${n.inBundle ? ' (bundled)' : ''}`]),
    );
    expect(tree).toEqual({
      'node_modules/bundler': 'bundler@1.0.0',
      'node_modules/bundler/node_modules/deep': 'deep@2.1.0 (bundled)',
      'node_modules/bundler/node_modules/inner': 'inner@1.0.3 (bundled)',
      'node_modules/bundler/node_modules/inner/node_modules/nested': 'nested@0.1.0 (bundled)',
      'node_modules/shared': 'shared@1.2.0',
    });
    expect(graph.nodes.get('node_modules/bundler/node_modules/inner')!.choice.rule).toBe('bundled');
    expect(client.requests.some((u) => /\/(inner|deep|nested)$/.test(u))).toBe(false);
    const lock = buildLockfile(graph);
    expect(lock.packages['node_modules/bundler/node_modules/inner']).toMatchObject({ version: '1.0.3', inBundle: true });
    expect(lock.packages['node_modules/bundler/node_modules/inner']).not.toHaveProperty('resolved');
  });
});
