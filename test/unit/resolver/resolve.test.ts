import { describe, expect, it } from 'vitest';
import { resolveProject } from '../../../src/main/services/resolver/resolve';
import { buildLockfile } from '../../../src/main/services/resolver/lockfile-write';
import type { Manifest, ResolveOptions } from '../../../src/main/services/resolver/types';
import { fakeClient, type FixturePackages } from './fake-registry';

async function resolve(
  packages: FixturePackages,
  root: Partial<Manifest>,
  options: ResolveOptions = {},
  workspaces: { path: string; manifest: Manifest }[] = [],
) {
  const graph = await resolveProject(
    { dir: '/project', manifest: { name: 'root', version: '1.0.0', ...root } as Manifest, workspaces },
    fakeClient(packages),
    options,
  );
  const tree: Record<string, string> = {};
  for (const node of graph.nodes.values())
    if (!node.isRoot) tree[node.location] = node.linkTarget ? `link:${node.linkTarget.location}` : `${node.packageName}@${node.version}`;
  return { graph, tree, lock: buildLockfile(graph) };
}

describe('version choice', () => {
  it('takes the latest tag when it satisfies, even if a higher version exists', async () => {
    const { tree, graph } = await resolve(
      { a: { versions: { '1.0.0': {}, '1.1.0': {}, '1.2.0': {} }, tags: { latest: '1.1.0' } } },
      { dependencies: { a: '^1.0.0' } },
    );
    expect(tree).toEqual({ 'node_modules/a': 'a@1.1.0' });
    expect(graph.nodes.get('node_modules/a')!.choice.rule).toBe('latest-tag');
  });

  it('takes the highest satisfying version when latest does not satisfy', async () => {
    const { tree, graph } = await resolve(
      { a: { versions: { '1.0.0': {}, '1.5.0': {}, '2.0.0': {} } } },
      { dependencies: { a: '^1.0.0' } },
    );
    expect(tree).toEqual({ 'node_modules/a': 'a@1.5.0' });
    expect(graph.nodes.get('node_modules/a')!.choice).toMatchObject({
      rule: 'highest-match',
      newestRejected: { version: '2.0.0', range: '^1.0.0' },
    });
  });

  it('does not pick prereleases for plain ranges, but does when the range names one', async () => {
    const packages = { a: { versions: { '1.0.0': {}, '1.1.0-beta.1': {} }, tags: { latest: '1.0.0' } } };
    expect((await resolve(packages, { dependencies: { a: '>=1.0.0' } })).tree['node_modules/a']).toBe('a@1.0.0');
    expect((await resolve(packages, { dependencies: { a: '^1.1.0-beta.0' } })).tree['node_modules/a']).toBe('a@1.1.0-beta.1');
  });

  it('resolves dist-tag specs', async () => {
    const { tree } = await resolve(
      { a: { versions: { '1.0.0': {}, '2.0.0-rc.1': {} }, tags: { latest: '1.0.0', next: '2.0.0-rc.1' } } },
      { dependencies: { a: 'next' } },
    );
    expect(tree).toEqual({ 'node_modules/a': 'a@2.0.0-rc.1' });
  });

  it('avoids deprecated versions while a non-deprecated one satisfies', async () => {
    const { tree, graph } = await resolve(
      { a: { versions: { '1.0.0': {}, '1.1.0': { deprecated: 'broken' } }, tags: { latest: '1.0.0' } } },
      { dependencies: { a: '>=1.0.0 <3' } },
    );
    expect(tree['node_modules/a']).toBe('a@1.0.0');
    expect(graph.nodes.get('node_modules/a')!.choice.skipped).toEqual([{ version: '1.1.0', reason: 'deprecated: broken' }]);
  });

  it('avoids versions whose engines do not fit this node', async () => {
    const { tree } = await resolve(
      { a: { versions: { '1.0.0': {}, '1.1.0': { engines: { node: '>=99' } } }, tags: { latest: '1.1.0' } } },
      { dependencies: { a: '^1.0.0' } },
      { nodeVersion: '20.0.0' },
    );
    expect(tree['node_modules/a']).toBe('a@1.0.0');
  });

  it('installs npm: aliases under the alias name and records the real name', async () => {
    const { tree, lock } = await resolve(
      { real: { versions: { '1.0.0': {}, '2.0.0': {} } } },
      { dependencies: { old: 'npm:real@^1', real: '^2' } },
    );
    expect(tree).toEqual({ 'node_modules/old': 'real@1.0.0', 'node_modules/real': 'real@2.0.0' });
    expect(lock.packages['node_modules/old']).toMatchObject({ name: 'real', version: '1.0.0' });
  });
});

describe('placement', () => {
  it('hoists shared dependencies and nests only the conflicting copy', async () => {
    const { tree } = await resolve(
      {
        a: { versions: { '1.0.0': { dependencies: { shared: '^1.0.0' } } } },
        b: { versions: { '1.0.0': { dependencies: { shared: '^2.0.0' } } } },
        c: { versions: { '1.0.0': { dependencies: { shared: '^1.0.0' } } } },
        shared: { versions: { '1.0.0': {}, '2.0.0': {} } },
      },
      { dependencies: { a: '1', b: '1', c: '1' } },
    );
    expect(tree).toEqual({
      'node_modules/a': 'a@1.0.0',
      'node_modules/b': 'b@1.0.0',
      'node_modules/b/node_modules/shared': 'shared@2.0.0',
      'node_modules/c': 'c@1.0.0',
      'node_modules/shared': 'shared@1.0.0',
    });
  });

  it('keeps a direct dependency at the top and nests the transitive copy', async () => {
    const { tree } = await resolve(
      { a: { versions: { '1.0.0': { dependencies: { shared: '^1.0.0' } } } }, shared: { versions: { '1.0.0': {}, '2.0.0': {} } } },
      { dependencies: { a: '1', shared: '^2.0.0' } },
    );
    expect(tree).toEqual({
      'node_modules/a': 'a@1.0.0',
      'node_modules/a/node_modules/shared': 'shared@1.0.0',
      'node_modules/shared': 'shared@2.0.0',
    });
  });

  it('resolves dependency cycles without looping', async () => {
    const { tree } = await resolve(
      { a: { versions: { '1.0.0': { dependencies: { b: '1' } } } }, b: { versions: { '1.0.0': { dependencies: { a: '1' } } } } },
      { dependencies: { a: '1' } },
    );
    expect(tree).toEqual({ 'node_modules/a': 'a@1.0.0', 'node_modules/b': 'b@1.0.0' });
  });

  it('marks dev, optional and devOptional packages as npm does', async () => {
    const { lock } = await resolve(
      {
        d: { versions: { '1.0.0': { dependencies: { both: '1' } } } },
        o: { versions: { '1.0.0': { dependencies: { both: '1' } } } },
        both: { versions: { '1.0.0': {} } },
      },
      { devDependencies: { d: '1' }, optionalDependencies: { o: '1' } },
    );
    expect(lock.packages['node_modules/d']).toMatchObject({ dev: true });
    expect(lock.packages['node_modules/o']).toMatchObject({ optional: true });
    expect(lock.packages['node_modules/both']).toMatchObject({ devOptional: true });
  });
});

describe('peer dependencies', () => {
  const peers: FixturePackages = {
    plugin: { versions: { '1.0.0': { peerDependencies: { host: '^1.0.0' } } } },
    host: { versions: { '1.0.0': {}, '2.0.0': {} } },
    wrapper: { versions: { '1.0.0': { dependencies: { plugin: '1' } } } },
    strict: { versions: { '1.0.0': { dependencies: { plugin: '1', host: '^2.0.0' } } } },
    outer: { versions: { '1.0.0': { dependencies: { strict: '1' } } } },
    opt: { versions: { '1.0.0': { peerDependencies: { host: '^1.0.0' }, peerDependenciesMeta: { host: { optional: true } } } } },
  };

  it('installs peer dependencies automatically and marks them peer', async () => {
    const { tree, lock } = await resolve(peers, { dependencies: { plugin: '1' } });
    expect(tree).toEqual({ 'node_modules/host': 'host@1.0.0', 'node_modules/plugin': 'plugin@1.0.0' });
    expect(lock.packages['node_modules/host']).toMatchObject({ peer: true });
  });

  it('does not install optional peers', async () => {
    const { tree } = await resolve(peers, { dependencies: { opt: '1' } });
    expect(tree).toEqual({ 'node_modules/opt': 'opt@1.0.0' });
  });

  it('fails when a direct dependency needs a peer your project pins differently', async () => {
    await expect(resolve(peers, { dependencies: { plugin: '1', host: '^2.0.0' } })).rejects.toMatchObject({
      name: 'ResolutionFailure',
      conflict: { kind: 'peer-conflict' },
    });
  });

  it('nests a peer set under its dependent when the root pins another version of the peer', async () => {
    const { tree, graph } = await resolve(peers, { dependencies: { wrapper: '1', host: '^2.0.0' } });
    expect(tree).toEqual({
      'node_modules/host': 'host@2.0.0',
      'node_modules/wrapper': 'wrapper@1.0.0',
      'node_modules/wrapper/node_modules/host': 'host@1.0.0',
      'node_modules/wrapper/node_modules/plugin': 'plugin@1.0.0',
    });
    expect(graph.warnings).toEqual([]);
  });

  // What npm 11 writes for this tree (checked with the real npm against these packuments on a loopback registry): the
  // peer-dedupe rule places plugin's host@1 at the root and strict's own host@2 beside it, so nothing is overridden.
  it('places a deep peer at the root and nests the dependent-pinned copy, as npm does', async () => {
    const { graph, tree } = await resolve(peers, { dependencies: { outer: '1' } });
    expect(tree).toEqual({
      'node_modules/host': 'host@1.0.0',
      'node_modules/outer': 'outer@1.0.0',
      'node_modules/plugin': 'plugin@1.0.0',
      'node_modules/strict': 'strict@1.0.0',
      'node_modules/strict/node_modules/host': 'host@2.0.0',
    });
    expect(graph.warnings).toEqual([]);
  });

  it('resolves the same tree under --strict-peer-deps, since no peer is overridden', async () => {
    const { tree } = await resolve(peers, { dependencies: { outer: '1' } }, { strictPeerDeps: true });
    expect(tree['node_modules/host']).toBe('host@1.0.0');
    expect(tree['node_modules/strict/node_modules/host']).toBe('host@2.0.0');
  });

  // Issue 15 in miniature (npm 11's tree, checked with the real npm against these packuments on a loopback registry):
  // the root's tsplugin@5 brings lint@8 as a peer; cra nests tsplugin@4, whose peer lint@7 then replaces lint@8 at the
  // root because every dependent accepts 7 (peers prefer dedupe); lint@8's own dependencies (js, rc@2) are pruned.
  it('replaces a newer peer by an older one every dependent accepts and prunes what only the old copy needed, as npm does', async () => {
    const packages: FixturePackages = {
      tsplugin: {
        versions: {
          '4.0.0': { peerDependencies: { lint: '^5.0.0 || ^6.0.0 || ^7.0.0' } },
          '5.0.0': { peerDependencies: { lint: '^6.0.0 || ^7.0.0 || ^8.0.0' } },
        },
      },
      cra: { versions: { '1.0.0': { dependencies: { tsplugin: '^4.0.0', lint: '^7.0.0', flow: '^1.0.0' } } } },
      flow: { versions: { '1.0.0': { peerDependencies: { lint: '^7.0.0' } } } },
      lint: { versions: { '7.0.0': { dependencies: { rc: '^0.4.0' } }, '8.0.0': { dependencies: { rc: '^2.0.0', js: '^8.0.0' } } } },
      rc: { versions: { '0.4.0': {}, '2.0.0': {} } },
      js: { versions: { '8.0.0': {} } },
    };
    const { tree, graph } = await resolve(packages, { dependencies: { cra: '1' }, devDependencies: { tsplugin: '^5.0.0' } });
    expect(tree).toEqual({
      'node_modules/cra': 'cra@1.0.0',
      'node_modules/cra/node_modules/tsplugin': 'tsplugin@4.0.0',
      'node_modules/flow': 'flow@1.0.0',
      'node_modules/lint': 'lint@7.0.0',
      'node_modules/rc': 'rc@0.4.0',
      'node_modules/tsplugin': 'tsplugin@5.0.0',
    });
    expect(graph.warnings).toEqual([]);
  });

  it('ignores peers under --legacy-peer-deps', async () => {
    const { tree, graph } = await resolve(peers, { dependencies: { plugin: '1', host: '^2.0.0' } }, { legacyPeerDeps: true });
    expect(tree).toEqual({ 'node_modules/host': 'host@2.0.0', 'node_modules/plugin': 'plugin@1.0.0' });
    expect(graph.warnings).toEqual([]);
  });
});

describe('optional, overrides, workspaces, lockfile', () => {
  it('keeps an optional dependency for another platform in the lockfile but marks it skipped', async () => {
    const { graph, lock } = await resolve(
      { native: { versions: { '1.0.0': { os: ['nonexistent-os'] } } } },
      { optionalDependencies: { native: '1' } },
    );
    expect(graph.nodes.get('node_modules/native')!.platformSkipped).toMatch(/os nonexistent-os/);
    expect(lock.packages['node_modules/native']).toMatchObject({ optional: true, os: ['nonexistent-os'] });
  });

  // npm 11 refuses this tree with EBADPLATFORM (seen with fsevents as a plain dependency on Linux); so does Shelf.
  it('refuses a required dependency for another platform, naming it and what to do, as npm does', async () => {
    const packages = {
      native: { versions: { '1.0.0': { os: ['nonexistent-os'] } } },
      wrapper: { versions: { '1.0.0': { optionalDependencies: { native: '1' } } } },
    };
    await expect(resolve(packages, { dependencies: { native: '1' } })).rejects.toThrow(
      /native@1\.0\.0 \(node_modules\/native\) needs os nonexistent-os but this machine is .*move it to optionalDependencies/,
    );
    // Reached only through an optional edge, it is skipped instead, as npm does.
    const { graph } = await resolve(packages, { dependencies: { wrapper: '1' } });
    expect(graph.nodes.get('node_modules/native')!.platformSkipped).toMatch(/os nonexistent-os/);
  });

  it('drops an optional dependency that cannot be found', async () => {
    const { tree } = await resolve({}, { optionalDependencies: { missing: '1' } });
    expect(tree).toEqual({});
  });

  it('applies overrides globally, nested under a parent, and by $reference', async () => {
    const packages: FixturePackages = {
      a: { versions: { '1.0.0': { dependencies: { x: '^1.0.0' } } } },
      b: { versions: { '1.0.0': { dependencies: { y: '^1.0.0' } } } },
      x: { versions: { '1.0.0': {}, '1.5.0': {} } },
      y: { versions: { '1.0.0': {}, '1.2.0': {} } },
    };
    const { tree, graph } = await resolve(packages, { dependencies: { a: '1', b: '1' }, overrides: { x: '1.0.0', b: { y: '1.0.0' } } });
    expect(tree['node_modules/x']).toBe('x@1.0.0');
    expect(tree['node_modules/y']).toBe('y@1.0.0');
    expect(graph.nodes.get('node_modules/x')!.choice.rule).toBe('override');
    const ref = await resolve(packages, { dependencies: { a: '1', x: '1.0.0' }, overrides: { x: '$x' } });
    expect(ref.tree['node_modules/x']).toBe('x@1.0.0');
  });

  it('links workspaces and resolves their dependencies at the root', async () => {
    const { tree, lock } = await resolve({ dep: { versions: { '1.0.0': {} } } }, { workspaces: ['packages/*'] }, {}, [
      { path: 'packages/app', manifest: { name: 'app', version: '1.0.0', dependencies: { lib: '^1.0.0', dep: '1' } } },
      { path: 'packages/lib', manifest: { name: 'lib', version: '1.2.0' } },
    ]);
    expect(tree).toMatchObject({
      'node_modules/app': 'link:packages/app',
      'node_modules/lib': 'link:packages/lib',
      'node_modules/dep': 'dep@1.0.0',
    });
    expect(lock.packages['node_modules/app']).toEqual({ resolved: 'packages/app', link: true });
    // npm 11 leaves out a workspace entry's name when it is the folder's name (seen in the turbo starter's lock).
    expect(lock.packages['packages/app']).toMatchObject({ version: '1.0.0' });
    expect(lock.packages['packages/app']).not.toHaveProperty('name');
  });

  it('keeps a lockfile choice while it still satisfies', async () => {
    const packages = { a: { versions: { '1.0.0': {}, '1.1.0': {} } } };
    const lockfile = new Map([['node_modules/a', { name: 'a', version: '1.0.0' }]]);
    const kept = await resolve(packages, { dependencies: { a: '^1.0.0' } }, { lockfile });
    expect(kept.tree['node_modules/a']).toBe('a@1.0.0');
    expect(kept.graph.nodes.get('node_modules/a')!.choice.rule).toBe('lockfile');
    const moved = await resolve(packages, { dependencies: { a: '^1.1.0' } }, { lockfile });
    expect(moved.tree['node_modules/a']).toBe('a@1.1.0');
  });
});

describe('peer sets', () => {
  it("chooses a peer by the dependent's own range when it also depends on it, as npm does", async () => {
    // react-scripts wants react-refresh ^0.11.0; a plugin it depends on peers on >=0.10.0 <1.0.0 (npm: 0.11.0 for both).
    const { tree } = await resolve(
      {
        scripts: { versions: { '1.0.0': { dependencies: { plugin: '^1.0.0', refresh: '^0.11.0' } } } },
        plugin: { versions: { '1.0.0': { peerDependencies: { refresh: '>=0.10.0 <1.0.0' } } } },
        refresh: { versions: { '0.11.0': {}, '0.19.0': {} } },
      },
      { dependencies: { scripts: '1.0.0' } },
    );
    expect(tree).toEqual({
      'node_modules/plugin': 'plugin@1.0.0',
      'node_modules/refresh': 'refresh@0.11.0',
      'node_modules/scripts': 'scripts@1.0.0',
    });
  });
});
