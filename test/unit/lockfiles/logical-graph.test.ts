// The lockfile readers' logical graph: on npm's real lockfiles (the corpus and the CRA fixture) it must agree with the
// flags npm itself wrote, and on small files in the shapes pnpm, yarn and bun write it must handle what the loopback
// integration test does not produce (workspaces, aliases, missing optional peers, overrides, scoped nesting).
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ShelfError } from '../../../src/main/errors';
import { lockTree, lockWhy } from '../../../src/main/services/graph/lockfile-reports';
import { lockFormatOf, overriddenNames, readLockfileGraph, type LogicalGraph } from '../../../src/main/services/lockfiles';
import { parsePnpmKey } from '../../../src/main/services/lockfiles/pnpm-lock';

const CORPUS = join(__dirname, '../../corpus');
const CRA = join(__dirname, '../../../../shared/fixtures/trees/cra');

const edges = (g: LogicalGraph) =>
  g.edges
    .map((e) => `${e.from || '(root)'} -${e.type}-> ${e.to ?? '(none)'} as ${e.name} "${e.spec}"${e.conflicted ? ' CONFLICT' : ''}`)
    .sort();

describe("npm's own lockfiles read as a logical graph", () => {
  const projects = [
    ...readdirSync(CORPUS)
      .filter((d) => existsSync(join(CORPUS, d, 'npm-lock.json')))
      .map((d) => ({ name: d, lock: join(CORPUS, d, 'npm-lock.json'), manifest: join(CORPUS, d, 'package.json') })),
    ...(existsSync(CRA) ? [{ name: 'cra', lock: join(CRA, 'package-lock.json'), manifest: join(CRA, 'package.json') }] : []),
  ];

  it('covers the corpus projects that keep npm lockfiles', () => {
    expect(projects.length).toBeGreaterThanOrEqual(7);
  });

  it.each(projects)('$name: one node per name@version, flagged dev/optional/peer exactly when every copy npm wrote is', (p) => {
    const text = readFileSync(p.lock, 'utf8');
    const manifest = JSON.parse(readFileSync(p.manifest, 'utf8'));
    const graph = readLockfileGraph(text, 'package-lock.json', manifest);
    const copies = new Map<string, Record<string, unknown>[]>();
    for (const [location, e] of Object.entries(JSON.parse(text).packages as Record<string, Record<string, unknown>>)) {
      if (!location.includes('node_modules/') || e.link) continue;
      const id = `${(e.name as string) ?? location.slice(location.lastIndexOf('node_modules/') + 13)}@${e.version}`;
      copies.set(id, [...(copies.get(id) ?? []), e]);
    }
    const packageNodes = [...graph.nodes.values()].filter((n) => !n.isRoot && !n.isWorkspace);
    expect(packageNodes.map((n) => n.id).sort()).toEqual([...copies.keys()].sort());
    for (const node of packageNodes) {
      const list = copies.get(node.id)!;
      // npm sometimes writes the target of an optional peer as extraneous (no flags) although the peer edge holds it
      // (cra4-ts-eslint5: type-fest under react-scripts); the logical graph counts the edge.
      if (list.every((e) => e.extraneous === true)) continue;
      expect({ id: node.id, dev: node.dev, optional: node.optional, peer: node.peer }).toEqual({
        id: node.id,
        dev: list.every((e) => e.dev === true),
        optional: list.every((e) => e.optional === true),
        peer: list.every((e) => e.peer === true),
      });
    }
    // npm's tree satisfies its own edges once the project's overrides are taken into account, except where it leaves
    // an optional peer pointing at a copy it did not install for it (CRA: postcss-load-config's yaml ^2 finds yaml@1).
    expect(graph.edges.filter((e) => e.conflicted && e.type !== 'peerOptional')).toEqual([]);
  });

  it('an override npm applied is not a conflict; without package.json it shows as one', () => {
    const text = readFileSync(join(CORPUS, 'overrides-nested', 'npm-lock.json'), 'utf8');
    const bare = readLockfileGraph(text, 'package-lock.json');
    expect(edges(bare).filter((e) => e.endsWith('CONFLICT'))).toContain(
      'node-fetch@2.7.0 -prod-> whatwg-url@14.2.0 as whatwg-url "^5.0.0" CONFLICT',
    );
  });

  it('a peer range npm overrode (--force, --legacy-peer-deps) is marked in why and tree', () => {
    const lock = {
      name: 'app',
      version: '1.0.0',
      lockfileVersion: 3,
      packages: {
        '': { name: 'app', version: '1.0.0', dependencies: { plugin: '^1.0.0', host: '^2.0.0' } },
        'node_modules/plugin': { version: '1.0.0', peerDependencies: { host: '^1.0.0' } },
        'node_modules/host': { version: '2.0.0' },
      },
    };
    const graph = readLockfileGraph(JSON.stringify(lock), 'package-lock.json');
    expect(edges(graph)).toContain('plugin@1.0.0 -peer-> host@2.0.0 as host "^1.0.0" CONFLICT');
    expect(lockWhy(graph, 'host')[0]!.reason).toBe(
      'pinned by package-lock.json (npm), although "^1.0.0" from plugin@1.0.0 is not met by it',
    );
    expect(lockTree(graph).map((l) => l.text)).toContain('host@2.0.0 (peer) (deduped) — "^1.0.0" not met');
  });
});

describe('pnpm-lock.yaml', () => {
  it('reads the keys of v5, v6 and v9 with their peer suffixes', () => {
    expect(parsePnpmKey('/left/1.0.0')).toEqual({ name: 'left', version: '1.0.0', suffix: '' });
    expect(parsePnpmKey('/@s/plug/1.0.0_host@1.0.0+react@18.2.0')).toEqual({
      name: '@s/plug',
      version: '1.0.0',
      suffix: '(host@1.0.0)(react@18.2.0)',
    });
    expect(parsePnpmKey('/@s/plug@1.0.0(host@1.0.0)')).toEqual({ name: '@s/plug', version: '1.0.0', suffix: '(host@1.0.0)' });
    expect(parsePnpmKey('plug@1.0.0(@s/host@1.0.0)(react@18.2.0)')).toEqual({
      name: 'plug',
      version: '1.0.0',
      suffix: '(@s/host@1.0.0)(react@18.2.0)',
    });
  });

  // The shape pnpm 10 writes for a workspace (link:), an alias (npm:), two peer variants of one package, a missing
  // optional peer and an override.
  const v9 = `lockfileVersion: '9.0'
overrides:
  shared: ^2.0.0
importers:
  .:
    dependencies:
      plug:
        specifier: ^1.0.0
        version: 1.0.0(host@1.0.0)
      host:
        specifier: ^1.0.0
        version: 1.0.0
      lib:
        specifier: workspace:*
        version: link:packages/lib
      old-name:
        specifier: npm:shared@^2.0.0
        version: shared@2.0.0
  packages/lib:
    dependencies:
      plug:
        specifier: ^1.0.0
        version: 1.0.0(host@2.0.0)
      host:
        specifier: ^2.0.0
        version: 2.0.0
packages:
  host@1.0.0:
    resolution: {integrity: sha512-a}
  host@2.0.0:
    resolution: {integrity: sha512-b}
  plug@1.0.0:
    resolution: {integrity: sha512-c}
    peerDependencies:
      host: '*'
      extra: ^1.0.0
    peerDependenciesMeta:
      extra:
        optional: true
  shared@2.0.0:
    resolution: {integrity: sha512-d}
    deprecated: use shared 3
snapshots:
  host@1.0.0: {}
  host@2.0.0: {}
  plug@1.0.0(host@1.0.0):
    dependencies:
      host: 1.0.0
      shared: 2.0.0
  plug@1.0.0(host@2.0.0):
    dependencies:
      host: 2.0.0
      shared: 2.0.0
  shared@2.0.0: {}
`;

  it('folds peer variants into one node, follows link: to the workspace and an alias to its package', () => {
    const graph = readLockfileGraph(v9, 'pnpm-lock.yaml');
    expect(graph.nodes.get('plug@1.0.0')!.variants).toEqual(['(host@1.0.0)', '(host@2.0.0)']);
    expect(graph.nodes.get('workspace:packages/lib')).toMatchObject({ isWorkspace: true });
    expect(graph.nodes.get('shared@2.0.0')!.deprecated).toBe('use shared 3');
    expect(edges(graph)).toEqual([
      '(root) -prod-> host@1.0.0 as host "^1.0.0"',
      '(root) -prod-> plug@1.0.0 as plug "^1.0.0"',
      '(root) -prod-> shared@2.0.0 as old-name "npm:shared@^2.0.0"',
      '(root) -prod-> workspace:packages/lib as lib "workspace:*"',
      'plug@1.0.0 -peer-> host@1.0.0 as host "*"',
      'plug@1.0.0 -peer-> host@2.0.0 as host "*"',
      'plug@1.0.0 -peerOptional-> (none) as extra "^1.0.0"',
      'plug@1.0.0 -prod-> shared@2.0.0 as shared "2.0.0"',
      'workspace:packages/lib -prod-> host@2.0.0 as host "^2.0.0"',
      'workspace:packages/lib -prod-> plug@1.0.0 as plug "^1.0.0"',
    ]);
    expect(lockWhy(graph, 'old-name').map((c) => c.id)).toEqual(['shared@2.0.0']);
    // Paths are walked on the logical graph: with plug's two variants folded into one node, each host is reached
    // through plug from the root and from the workspace alike.
    expect(lockWhy(graph, 'host').map((c) => c.paths)).toEqual([
      [
        ['your project', 'host@1.0.0'],
        ['your project', 'plug@1.0.0', 'peer host@1.0.0'],
        ['your project', 'lib (workspace)', 'plug@1.0.0', 'peer host@1.0.0'],
      ],
      [
        ['your project', 'lib (workspace)', 'host@2.0.0'],
        ['your project', 'plug@1.0.0', 'peer host@2.0.0'],
        ['your project', 'lib (workspace)', 'plug@1.0.0', 'peer host@2.0.0'],
      ],
    ]);
    expect(overriddenNames({ shared: '^2.0.0' })).toEqual(new Set(['shared']));
  });
});

describe('yarn.lock (berry)', () => {
  // The shape yarn 4 writes for a workspace, an alias and an optional dependency.
  const berry = `__metadata:
  version: 8

"app@workspace:.":
  version: 0.0.0-use.local
  resolution: "app@workspace:."
  dependencies:
    lib: "workspace:packages/lib"
    old-name: "npm:shared@^2.0.0"
    fsevents: "npm:^2.3.0"
  dependenciesMeta:
    fsevents:
      optional: true
  languageName: unknown
  linkType: soft

"lib@workspace:packages/lib":
  version: 0.0.0-use.local
  resolution: "lib@workspace:packages/lib"
  dependencies:
    "@s/util": "npm:^1.0.0"
  languageName: unknown
  linkType: soft

"old-name@npm:shared@^2.0.0, shared@npm:^2.0.0":
  version: 2.1.0
  resolution: "shared@npm:2.1.0"
  languageName: node
  linkType: hard

"@s/util@npm:^1.0.0":
  version: 1.2.0
  resolution: "@s/util@npm:1.2.0"
  dependencies:
    shared: "npm:^2.0.0"
  languageName: node
  linkType: hard

"fsevents@npm:^2.3.0":
  version: 2.3.3
  resolution: "fsevents@npm:2.3.3"
  conditions: os=darwin
  languageName: node
  linkType: hard
`;

  it('resolves descriptors, workspaces and aliases, and takes dev edges from package.json', () => {
    const manifest = {
      name: 'app',
      version: '1.0.0',
      dependencies: { lib: 'workspace:packages/lib' },
      devDependencies: { 'old-name': 'npm:shared@^2.0.0' },
      optionalDependencies: { fsevents: '^2.3.0' },
    };
    const graph = readLockfileGraph(berry, 'yarn.lock', manifest);
    expect(graph.format).toBe('yarn-berry');
    expect(graph.warnings).toEqual([]);
    expect(edges(graph)).toEqual([
      '(root) -dev-> shared@2.1.0 as old-name "npm:shared@^2.0.0"',
      '(root) -optional-> fsevents@2.3.3 as fsevents "^2.3.0"',
      '(root) -prod-> workspace:packages/lib as lib "workspace:packages/lib"',
      '@s/util@1.2.0 -prod-> shared@2.1.0 as shared "^2.0.0"',
      'workspace:packages/lib -prod-> @s/util@1.2.0 as @s/util "^1.0.0"',
    ]);
    // shared is wanted by the workspace's chain (prod) as well as the root's dev alias: not dev.
    expect(graph.nodes.get('shared@2.1.0')).toMatchObject({ dev: false, optional: false });
    expect(graph.nodes.get('fsevents@2.3.3')).toMatchObject({ optional: true });
  });
});

describe('bun.lock', () => {
  // The shape bun 1.x writes: nested keys by package name (a scoped one among them), a workspace, optional peers.
  const bun = `{
  "lockfileVersion": 1,
  "workspaces": {
    "": { "name": "app", "dependencies": { "@s/wrap": "^1.0.0", "shared": "^1.0.0", "lib": "workspace:*" } },
    "packages/lib": { "name": "lib", "dependencies": { "shared": "^3.0.0" } },
  },
  "packages": {
    "@s/wrap": ["@s/wrap@1.0.0", "", { "dependencies": { "shared": "^2.0.0" }, "peerDependencies": { "maybe": "*" }, "optionalPeers": ["maybe"] }, "sha512-a"],
    "@s/wrap/shared": ["shared@2.0.0", "", {}, "sha512-b"],
    "lib": ["lib@workspace:packages/lib"],
    "lib/shared": ["shared@3.0.0", "", {}, "sha512-c"],
    "shared": ["shared@1.0.0", "", {}, "sha512-d"],
  }
}`;

  it('finds a nested copy under a scoped parent and a workspace, as Node would', () => {
    const graph = readLockfileGraph(bun, 'bun.lock');
    expect(edges(graph)).toEqual([
      '(root) -prod-> @s/wrap@1.0.0 as @s/wrap "^1.0.0"',
      '(root) -prod-> shared@1.0.0 as shared "^1.0.0"',
      '(root) -prod-> workspace:packages/lib as lib "workspace:*"',
      '@s/wrap@1.0.0 -peerOptional-> (none) as maybe "*"',
      '@s/wrap@1.0.0 -prod-> shared@2.0.0 as shared "^2.0.0"',
      'workspace:packages/lib -prod-> shared@3.0.0 as shared "^3.0.0"',
    ]);
    expect(lockWhy(graph, 'shared').map((c) => c.id)).toEqual(['shared@1.0.0', 'shared@2.0.0', 'shared@3.0.0']);
  });
});

describe('which format a file is', () => {
  it('goes by the usual names, else by the content; anything else is refused with the formats read', () => {
    expect(lockFormatOf('{}', 'npm-shrinkwrap.json')).toBe('npm');
    expect(lockFormatOf('{"lockfileVersion": 3, "packages": {}}', 'before.json')).toBe('npm');
    expect(lockFormatOf('{"lockfileVersion": 1, "workspaces": {}, "packages": {},}', 'upload')).toBe('bun');
    expect(lockFormatOf("lockfileVersion: '9.0'\n", 'a.yaml')).toBe('pnpm');
    expect(lockFormatOf('# yarn lockfile v1\n', 'old.lock')).toBe('yarn');
    expect(lockFormatOf('__metadata:\n  version: 8\n', 'new.lock')).toBe('yarn');
    expect(() => lockFormatOf('hello', 'notes.txt')).toThrow(ShelfError);
    expect(() => lockFormatOf('hello', 'notes.txt')).toThrow(
      /notes.txt is not a lockfile Shelf reads; pick a package-lock.json, npm-shrinkwrap.json, pnpm-lock.yaml, yarn.lock or bun.lock/,
    );
  });

  it('refuses damaged files of each format with how to regenerate them', () => {
    expect(() => readLockfileGraph('packages: [', 'pnpm-lock.yaml')).toThrow(/not readable YAML .*pnpm install --lockfile-only/);
    expect(() => readLockfileGraph('packages: {}\n', 'pnpm-lock.yaml')).toThrow(/has no lockfileVersion/);
    expect(() => readLockfileGraph('{ "lockfileVersion": 1, "packages": { "a": [ }', 'bun.lock')).toThrow(/bun install --lockfile-only/);
    expect(() => readLockfileGraph('"a@^1":\n  version: [\n', 'yarn.lock')).toThrow(/not a readable yarn.lock .*yarn install/);
  });
});
