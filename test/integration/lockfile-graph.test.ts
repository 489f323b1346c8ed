// pnpm 10, yarn 4 (berry), bun and npm each lock the same project against a Shelf on loopback; `shelf why`, `shelf tree`,
// `shelf dupes` and the graph service read every lockfile as it is and must give npm's logical answers. pnpm v6 and yarn
// v1 lockfiles of the same project, written by pnpm 8 and yarn 1 (test/fixtures/lockfiles/README.md), are read too.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dupesCommand, treeCommand, whyCommand } from '../../src/main/cli/graph-reports';
import { lockfileGraph } from '../../src/main/services/graph';
import { logicalGraphResult } from '../../src/main/services/graph/lockfile-graph';
import { readLockfileGraph } from '../../src/main/services/lockfiles';
import { startHarness, type Harness } from '../helpers/app-harness';
import { NpmUser, PNPM, YARN, run, tempDir } from '../helpers/clients';
import { ROOT, cleanEnv } from '../helpers/shelf-process';
import { TREE, captureIO, publishAll } from './resolver-fixture';

const BUN = resolve(ROOT, 'node_modules', '.bin', 'bun');
const FIXTURES = join(ROOT, 'test', 'fixtures', 'lockfiles');

/** Two majors of `shared` (left, deep and tool want ^1; right and @fixture/wrap ^2), a dev tool, an optional, a peer. */
const PROJECT = {
  name: 'lockfile-graph-project',
  version: '1.0.0',
  license: 'MIT',
  dependencies: { left: '^1.0.0', right: '^1.0.0', plugin: '^1.0.0', host: '^1.0.0', '@fixture/wrap': '^1.0.0' },
  optionalDependencies: { native: '^1.0.0' },
  devDependencies: { tool: '^1.0.0' },
};
const WRAP = { name: '@fixture/wrap', version: '1.0.0', manifest: { dependencies: { shared: '^2.0.0' } } };

/**
 * Every client may reach the loopback registry and nothing else: a proxy that refuses connections stands for the
 * internet, with loopback exempt.
 */
const LOOPBACK_ONLY = {
  HTTP_PROXY: 'http://127.0.0.1:9',
  HTTPS_PROXY: 'http://127.0.0.1:9',
  http_proxy: 'http://127.0.0.1:9',
  https_proxy: 'http://127.0.0.1:9',
  NO_PROXY: '127.0.0.1,localhost',
  no_proxy: '127.0.0.1,localhost',
};

type Client = 'npm' | 'pnpm10' | 'yarn4' | 'bun' | 'pnpm8' | 'yarn1';
const LOCKFILE: Record<Client, string> = {
  npm: 'package-lock.json',
  pnpm10: 'pnpm-lock.yaml',
  yarn4: 'yarn.lock',
  bun: 'bun.lock',
  pnpm8: 'pnpm-lock.yaml',
  yarn1: 'yarn.lock',
};

let harness: Harness;
let registry: string;
const dirs = {} as Record<Client, string>;

async function lockWith(client: Client, dir: string): Promise<void> {
  const home = tempDir('shelf-home-');
  const npm = new NpmUser(registry);
  const env = { ...npm.env(), HOME: home, ...LOOPBACK_ONLY };
  let result;
  if (client === 'npm')
    result = await run('npm', ['install', '--package-lock-only', '--ignore-scripts', '--registry', registry], { cwd: dir, env });
  else if (client === 'pnpm10') {
    writeFileSync(join(dir, '.npmrc'), `registry=${registry}\nstore-dir=${join(home, 'store')}\n`);
    result = await run(process.execPath, [PNPM, 'install', '--lockfile-only', '--reporter', 'append-only'], { cwd: dir, env });
  } else if (client === 'yarn4') {
    writeFileSync(
      join(dir, '.yarnrc.yml'),
      `npmRegistryServer: "${harness.url}"\nunsafeHttpWhitelist: ["127.0.0.1"]\nenableGlobalCache: false\nnpmMinimalAgeGate: 0\n`,
    );
    writeFileSync(join(dir, 'yarn.lock'), '');
    result = await run(process.execPath, [YARN, 'install', '--mode=update-lockfile'], {
      cwd: dir,
      env: { ...env, YARN_ENABLE_TELEMETRY: '0', YARN_IGNORE_PATH: '1', YARN_ENABLE_IMMUTABLE_INSTALLS: 'false', CI: '' },
    });
  } else {
    writeFileSync(join(dir, 'bunfig.toml'), `[install]\nregistry = "${registry}"\n`);
    result = await run(BUN, ['install', '--lockfile-only', '--no-progress'], {
      cwd: dir,
      env: { PATH: process.env.PATH, HOME: home, BUN_INSTALL_CACHE_DIR: join(home, 'cache'), NO_COLOR: '1', ...LOOPBACK_ONLY },
    });
  }
  expect(result.code, `${client}: ${result.stdout}${result.stderr}`).toBe(0);
  expect(existsSync(join(dir, LOCKFILE[client]))).toBe(true);
}

beforeAll(async () => {
  harness = await startHarness();
  registry = `${harness.url}/`;
  await publishAll(harness, await harness.login('fixture-publisher'), [...TREE, WRAP]);
  for (const client of ['npm', 'pnpm10', 'yarn4', 'bun'] as const) {
    dirs[client] = tempDir(`shelf-${client}-`);
    writeFileSync(join(dirs[client], 'package.json'), JSON.stringify(PROJECT, null, 2));
  }
  // One client at a time: the machine is small and the clients are not what is measured.
  await lockWith('npm', dirs.npm);
  await lockWith('pnpm10', dirs.pnpm10);
  await lockWith('yarn4', dirs.yarn4);
  if (existsSync(BUN)) await lockWith('bun', dirs.bun);
  for (const [client, folder] of [
    ['pnpm8', 'pnpm-v6'],
    ['yarn1', 'yarn-v1'],
  ] as const) {
    dirs[client] = tempDir(`shelf-${client}-`);
    cpSync(join(FIXTURES, folder), dirs[client], { recursive: true });
    expect(JSON.parse(readFileSync(join(dirs[client], 'package.json'), 'utf8'))).toEqual(PROJECT);
  }
}, 300_000);
afterAll(async () => harness?.close());

const clients = (): Client[] => (['pnpm10', 'yarn4', 'bun', 'pnpm8', 'yarn1'] as const).filter((c) => c !== 'bun' || existsSync(BUN));
/** yarn classic records no peer dependencies: its graph is npm's without the plugin → host peer edge. */
const withoutPeer = (client: Client) => client === 'yarn1';

async function cli(
  command: 'why' | 'tree' | 'dupes',
  client: Client,
  extra: { spec?: string; lockfile?: string | boolean } = {},
): Promise<{ code: number; json: any; stderr: string }> {
  const io = captureIO(dirs[client]);
  // npm's project is asked with --lockfile (else it is resolved); the others are read as they are by default.
  const flags = {
    json: true,
    registry,
    ...(client === 'npm' && { lockfile: true }),
    ...(extra.lockfile !== undefined && { lockfile: extra.lockfile }),
  };
  const code =
    command === 'why'
      ? await whyCommand(extra.spec ?? 'shared', flags, io)
      : command === 'tree'
        ? await treeCommand(flags, io)
        : await dupesCommand(flags, io);
  return { code, json: code === 0 ? JSON.parse(io.stdout()) : undefined, stderr: io.stderr() };
}

/** What a why answer says regardless of format: pnpm keeps versions, not ranges, so specs are compared apart. */
const logical = (copies: any[]): { id: string; dev: boolean; optional: boolean; peer: boolean; incoming: string[]; paths: string[][] }[] =>
  copies.map((c) => ({
    id: c.id,
    dev: c.dev,
    optional: c.optional,
    peer: c.peer,
    incoming: c.incoming.map((e: any) => `${e.type} from ${e.from}`),
    paths: c.paths,
  }));

describe('shelf why on every lockfile format', () => {
  it("npm's lockfile read as it is gives the resolution's answer: shared in two majors, each wanted by the same packages", async () => {
    const read = await cli('why', 'npm');
    expect(read.code, read.stderr).toBe(0);
    expect(read.stderr).toMatch(/read from package-lock.json \(npm, lockfile v3\) as it is; nothing resolved/);
    expect(read.json.map((c: any) => c.id)).toEqual(['shared@1.3.0', 'shared@2.0.0']);
    expect(logical(read.json)[0]).toEqual({
      id: 'shared@1.3.0',
      dev: false,
      optional: false,
      peer: false,
      incoming: ['prod from deep@1.0.0', 'prod from left@1.0.0', 'prod from tool@1.0.0'],
      paths: [
        ['your project', 'dev tool@1.0.0', 'shared@1.3.0'],
        ['your project', 'left@1.0.0', 'shared@1.3.0'],
        ['your project', 'right@1.0.0', 'deep@1.0.0', 'shared@1.3.0'],
      ],
    });
    // The same project resolved afresh (no --lockfile): the same versions, wanted by the same packages.
    const io = captureIO(dirs.npm);
    expect(await whyCommand('shared', { json: true, registry }, io), io.stderr()).toBe(0);
    const resolved = JSON.parse(io.stdout()) as { version: string; incoming: { from: string }[] }[];
    // The resolution answers per folder (shared@1.3.0 is nested three times under npm's hoisting): merged by version.
    const byVersion = (list: { version: string; incoming: { from: string }[] }[]) => {
      const out: Record<string, string[]> = {};
      for (const c of list) out[c.version] = [...(out[c.version] ?? []), ...c.incoming.map((e) => e.from)].sort();
      return out;
    };
    expect(byVersion(resolved)).toEqual(byVersion(read.json));
  });

  it("pnpm, yarn and bun lockfiles give npm's answer for the duplicated dependency, the peer and the dev and optional ones", async () => {
    for (const spec of ['shared', 'host', 'tool', 'native', 'plugin', 'shared@^2']) {
      const npm = await cli('why', 'npm', { spec });
      expect(npm.code, npm.stderr).toBe(0);
      for (const client of clients()) {
        const answer = await cli('why', client, { spec });
        expect(answer.code, `${client} ${spec}: ${answer.stderr}`).toBe(0);
        expect(answer.stderr).toContain(`read from ${LOCKFILE[client]}`);
        let expected = logical(npm.json);
        if (withoutPeer(client) && spec === 'host')
          expected = expected.map((c) => ({
            ...c,
            incoming: c.incoming.filter((e) => !e.startsWith('peer')),
            paths: c.paths.filter((p) => !p.some((s) => s.startsWith('peer'))),
          }));
        expect(logical(answer.json), `${client} why ${spec}`).toEqual(expected);
        // Ranges are what yarn and bun record, as npm does; pnpm records the version it chose (and the peer's range).
        const specs = (copies: any[]) => copies.flatMap((c) => c.incoming.map((e: any) => `${e.from} ${e.spec}`));
        const npmSpecs = specs(npm.json).filter((s) => !(withoutPeer(client) && spec === 'host' && s.startsWith('plugin@')));
        if (!client.startsWith('pnpm')) expect(specs(answer.json), `${client} why ${spec}`).toEqual(npmSpecs);
      }
    }
  });

  it("flags the dev tool, the optional package and the peer as npm does, and keeps pnpm's peer variant for display", async () => {
    for (const client of ['npm', ...clients()] as Client[]) {
      const tool = (await cli('why', client, { spec: 'tool' })).json[0];
      expect(tool, client).toMatchObject({ id: 'tool@1.0.0', dev: true, optional: false });
      const native = (await cli('why', client, { spec: 'native' })).json[0];
      expect(native, client).toMatchObject({ id: 'native@1.0.0', dev: false, optional: true });
      const plugin = (await cli('why', client, { spec: 'plugin' })).json[0];
      expect(plugin.variants, client).toEqual(client.startsWith('pnpm') ? ['(host@1.0.0)'] : []);
      const host = (await cli('why', client, { spec: 'host' })).json[0];
      expect(
        host.incoming.some((e: any) => e.type === 'peer' && e.from === 'plugin@1.0.0' && e.spec === '^1.0.0'),
        client,
      ).toBe(!withoutPeer(client));
      expect(host.reason, client).toMatch(
        new RegExp(`^pinned by ${LOCKFILE[client].replace('.', '\\.')} .*every range asking for it is met`),
      );
    }
  });
});

describe('shelf tree and shelf dupes on every lockfile format', () => {
  it("draw npm's logical tree from each lockfile", async () => {
    const npm = await cli('tree', 'npm');
    expect(npm.code, npm.stderr).toBe(0);
    const lines = npm.json.map((l: any) => `${'  '.repeat(l.depth)}${l.text}`);
    expect(lines).toEqual([
      'lockfile-graph-project@1.0.0',
      '  @fixture/wrap@1.0.0',
      '    shared@2.0.0',
      '  host@1.0.0',
      '  left@1.0.0',
      '    shared@1.3.0',
      '  native@1.0.0 (optional)',
      '  plugin@1.0.0',
      '    host@1.0.0 (peer) (deduped)',
      '  right@1.0.0',
      '    deep@1.0.0',
      '      shared@1.3.0 (deduped)',
      '    shared@2.0.0 (deduped)',
      '  tool@1.0.0 (dev)',
      '    shared@1.3.0 (deduped)',
    ]);
    for (const client of clients()) {
      const tree = await cli('tree', client);
      expect(tree.code, tree.stderr).toBe(0);
      const expected = withoutPeer(client) ? npm.json.filter((l: any) => !l.text.includes('(peer)')) : npm.json;
      expect(tree.json, client).toEqual(expected);
    }
  });

  it('list shared in two majors with who wants each and how it is reached, from each lockfile', async () => {
    const npm = await cli('dupes', 'npm');
    expect(npm.code, npm.stderr).toBe(0);
    expect(npm.json.map((d: any) => d.name)).toEqual(['shared']);
    expect(npm.json[0].advice).toMatch(/no version in the lockfile satisfies every range asked for \("\^1\.0\.0", "\^2\.0\.0"\)/);
    const shape = (reports: any[]) =>
      reports.map((d) => ({
        name: d.name,
        copies: d.copies.map((c: any) => ({
          version: c.version,
          wantedBy: c.wantedBy.map((w: any) => `${w.type} from ${w.from}`),
          paths: c.paths,
        })),
      }));
    for (const client of clients()) {
      const dupes = await cli('dupes', client);
      expect(dupes.code, dupes.stderr).toBe(0);
      expect(shape(dupes.json), client).toEqual(shape(npm.json));
      if (client.startsWith('pnpm'))
        expect(dupes.json[0].advice, client).toMatch(/keeps the versions chosen, not the ranges.*`pnpm dedupe`/);
      else expect(dupes.json[0].advice, client).toBe(npm.json[0].advice);
    }
  });
});

describe('the graph screen on every lockfile format', () => {
  it("draws each lockfile as npm's logical graph, with the same duplicates and the same edges", () => {
    const edgesOf = (graph: { edges: { from: string; to: string | null; name: string; type: string }[] }) =>
      graph.edges
        .filter((e) => e.to !== null)
        .map((e) => `${e.from || '(root)'} -${e.type}-> ${e.to} as ${e.name}`)
        .sort();
    const npmText = readFileSync(join(dirs.npm, 'package-lock.json'), 'utf8');
    const npmLogical = logicalGraphResult(readLockfileGraph(npmText, 'package-lock.json'), 'package-lock.json');
    // npm's lockfile on the screen is still its installed tree: one node per folder, the same duplicated names.
    expect(lockfileGraph(npmText, 'package-lock.json').duplicates.map((d) => d.name)).toEqual(['shared']);
    for (const client of clients()) {
      const text = readFileSync(join(dirs[client], LOCKFILE[client]), 'utf8');
      const graph = lockfileGraph(text, LOCKFILE[client]);
      // An uploaded yarn.lock comes without package.json: berry files the dev tool with the rest, and classic does not
      // list the project's own dependencies at all (what nothing else depends on is taken as one). Both say so.
      const yarn = client === 'yarn4' || client === 'yarn1';
      const expected = edgesOf(npmLogical)
        .filter((e) => !(withoutPeer(client) && e.includes('-peer->')))
        .map((e) => (yarn ? e.replace('(root) -dev->', '(root) -prod->') : e))
        .map((e) => (client === 'yarn1' ? e.replace('(root) -optional->', '(root) -prod->') : e))
        .sort();
      expect(edgesOf(graph), client).toEqual(expected);
      const warnings: Partial<Record<Client, string>> = {
        yarn4:
          "yarn.lock (yarn berry) lists the project's dev dependencies with its others; without its package.json they are shown as dependencies",
        yarn1:
          "yarn.lock does not list the project's own dependencies; without its package.json, every entry nothing else depends on is taken as one",
      };
      expect(graph.warnings, client).toEqual(warnings[client] ? [[warnings[client]]] : []);
      const duplicates = (g: typeof graph) =>
        g.duplicates.map((d) => ({
          name: d.name,
          copies: d.copies.map((c) => `${c.version} via ${c.paths.map((p) => p.join('>')).join(' | ')}`).sort(),
        }));
      expect(duplicates(graph), client).toEqual(duplicates(npmLogical));
      expect(duplicates(graph)[0]!.copies, client).toEqual([
        '1.3.0 via >left@1.0.0>shared@1.3.0 | >tool@1.0.0>shared@1.3.0',
        '2.0.0 via >@fixture/wrap@1.0.0>shared@2.0.0 | >right@1.0.0>shared@2.0.0',
      ]);
      expect(
        graph.nodes.filter((n) => n.dev).map((n) => n.id),
        client,
      ).toEqual(yarn ? [] : ['tool@1.0.0']);
      expect(
        graph.nodes.filter((n) => n.optional).map((n) => n.id),
        client,
      ).toEqual(client === 'yarn1' ? [] : ['native@1.0.0']);
      expect(
        graph.edges.filter((e) => e.conflicted),
        client,
      ).toEqual([]);
      // A renamed upload is recognised by its content.
      expect(edgesOf(lockfileGraph(text, 'uploaded.lock')), client).toEqual(expected);
    }
    const pnpmPlugin = lockfileGraph(readFileSync(join(dirs.pnpm10, 'pnpm-lock.yaml'), 'utf8'), 'pnpm-lock.yaml').nodes.find(
      (n) => n.name === 'plugin',
    )!;
    expect(pnpmPlugin).toMatchObject({ id: 'plugin@1.0.0', location: 'plugin@1.0.0(host@1.0.0)' });
  });
});

describe('refusals', () => {
  const listing = (dir: string) =>
    readdirSync(dir)
      .sort()
      .map((f) => `${f}:${existsSync(join(dir, f)) && !f.startsWith('.') ? readFileSync(join(dir, f), 'utf8').length : ''}`);

  it('a damaged lockfile, a missing one and a package it does not hold are refused with what to do, and nothing is written', async () => {
    const dir = tempDir('shelf-broken-');
    writeFileSync(join(dir, 'package.json'), JSON.stringify(PROJECT, null, 2));
    writeFileSync(join(dir, 'pnpm-lock.yaml'), 'lockfileVersion: "9.0"\npackages: [unclosed\n');
    const before = { files: listing(dir), store: await harness.snapshot() };
    const io = captureIO(dir);
    expect(await whyCommand('shared', { json: true, registry }, io)).toBe(1);
    expect(io.stderr()).toMatch(/pnpm-lock.yaml is not readable YAML .*regenerate it with `pnpm install --lockfile-only`/);
    expect(io.stdout()).toBe('');

    const missing = captureIO(dir);
    expect(await treeCommand({ json: true, registry, lockfile: 'bun.lock' }, missing)).toBe(1);
    expect(missing.stderr()).toMatch(/bun.lock does not exist; name a lockfile in the project/);

    const absent = captureIO(dirs.pnpm10);
    expect(await whyCommand('shared@^3', { json: true, registry }, absent)).toBe(1);
    expect(absent.stderr()).toMatch(/shared@\^3 is not in pnpm-lock.yaml/);
    expect({ files: listing(dir), store: await harness.snapshot() }).toEqual(before);
  });
});

describe('the built CLI', () => {
  it.skipIf(!existsSync(join(ROOT, 'out', 'main', 'cli.js')))(
    'answers why from a pnpm project, and tree --lockfile from an npm one, as the in-process commands do',
    async () => {
      const inProcess = await cli('why', 'pnpm10', { spec: 'shared' });
      const child = spawnSync(process.execPath, [join(ROOT, 'bin', 'shelf.js'), 'why', 'shared', '--json'], {
        cwd: dirs.pnpm10,
        env: { ...cleanEnv(), SHELF_DATA_DIR: tempDir('shelf-cli-data-'), ...LOOPBACK_ONLY },
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(child.status, child.stderr).toBe(0);
      expect(child.stderr).toMatch(/read from pnpm-lock.yaml \(pnpm, lockfile v9.0\) as it is/);
      expect(JSON.parse(child.stdout)).toEqual(inProcess.json);
      // --lockfile with no file name, before another flag: npm's project read as it is instead of resolved.
      const tree = spawnSync(process.execPath, [join(ROOT, 'bin', 'shelf.js'), 'tree', '--lockfile', '--json'], {
        cwd: dirs.npm,
        env: { ...cleanEnv(), SHELF_DATA_DIR: tempDir('shelf-cli-data-'), ...LOOPBACK_ONLY },
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(tree.status, tree.stderr).toBe(0);
      expect(tree.stderr).toMatch(/read from package-lock.json \(npm, lockfile v3\) as it is; nothing resolved/);
      expect(JSON.parse(tree.stdout)).toEqual((await cli('tree', 'npm')).json);
    },
  );
});
