// Owns reading bun's text lockfile (bun.lock, bun ≥ 1.2): which registry name@version a bun project installs, and
// each one's declared dependencies, without re-resolving. bun.lock is JSON with trailing commas; YAML 1.2 flow
// collections accept exactly that, so the yaml package (already a dependency) reads it without a hand-written parser.
import semver from 'semver';
import { parse as parseYaml } from 'yaml';
import { badRequest } from '../../errors';
import { GraphBuilder, manifestKind, overriddenNames, nodeId, workspaceId, type LogicalGraph, type ManifestDeps } from './logical-graph';

export interface BunLockPackage {
  /** The key in bun.lock's "packages": a folder path such as `a/b` (b nested under a), or an alias name. */
  key: string;
  /** The registry name (differs from the key's last part for `npm:` aliases). */
  name: string;
  version: string;
  dependencies: Record<string, string>;
  optionalDependencies: Record<string, string>;
  peerDependencies: Record<string, string>;
  /** Peers bun was told may be missing (its meta's "optionalPeers"). */
  optionalPeers: string[];
}

export interface BunLock {
  lockfileVersion: number;
  /** Workspace folders ('' for the root) with the dependencies their package.json declares. */
  workspaces: Record<
    string,
    {
      name?: string;
      dependencies: Record<string, string>;
      devDependencies: Record<string, string>;
      optionalDependencies: Record<string, string>;
      peerDependencies: Record<string, string>;
    }
  >;
  /** Registry packages only; workspace, git, file and tarball entries have no registry version. */
  packages: BunLockPackage[];
  /** The other entries (workspace, git, file, tarball), `version` holding their reference (e.g. "workspace:packages/a"). */
  others: BunLockPackage[];
  /** The project's overrides as bun recorded them. */
  overrides: Record<string, string>;
}

const record = (value: unknown): Record<string, string> =>
  value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, string>) : {};

export function parseBunLock(text: string, file = 'bun.lock'): BunLock {
  let doc: unknown;
  try {
    doc = parseYaml(text, { uniqueKeys: false });
  } catch (error) {
    throw badRequest(
      `${file} is not a readable bun.lock (${(error as Error).message.split('\n')[0]}); regenerate it with \`bun install --lockfile-only\``,
    );
  }
  const lock = record(doc) as unknown as Record<string, unknown>;
  if (typeof lock.lockfileVersion !== 'number' || typeof lock.packages !== 'object')
    throw badRequest(`${file} has no lockfileVersion/packages; only bun's text lockfile (bun.lock) is read, not the binary bun.lockb`);
  const workspaces: BunLock['workspaces'] = {};
  for (const [path, ws] of Object.entries(record(lock.workspaces) as Record<string, unknown>)) {
    const w = record(ws) as unknown as Record<string, unknown>;
    workspaces[path] = {
      name: typeof w.name === 'string' ? w.name : undefined,
      dependencies: record(w.dependencies),
      devDependencies: record(w.devDependencies),
      optionalDependencies: record(w.optionalDependencies),
      peerDependencies: record(w.peerDependencies),
    };
  }
  const packages: BunLockPackage[] = [];
  const others: BunLockPackage[] = [];
  for (const [key, value] of Object.entries(lock.packages as Record<string, unknown>)) {
    if (!Array.isArray(value) || typeof value[0] !== 'string') continue;
    const id = value[0];
    // The name ends at the first '@' after a scope's: a git or tarball reference may hold '@' of its own.
    const at = id.indexOf('@', id.startsWith('@') ? 1 : 0);
    if (at <= 0) continue;
    const name = id.slice(0, at);
    const version = id.slice(at + 1);
    // Registry entries are [id, tarball, meta, integrity]; the others put their meta where they have one.
    const meta = record(value.find((v, i) => i > 0 && v && typeof v === 'object' && !Array.isArray(v))) as unknown as Record<
      string,
      unknown
    >;
    const entry = {
      key,
      name,
      version,
      dependencies: record(meta.dependencies),
      optionalDependencies: record(meta.optionalDependencies),
      peerDependencies: record(meta.peerDependencies),
      optionalPeers: Array.isArray(meta.optionalPeers) ? meta.optionalPeers.map(String) : [],
    };
    // workspace:, github:, file: and tarball entries have no registry version to mirror.
    (semver.valid(version) ? packages : others).push(entry);
  }
  return { lockfileVersion: lock.lockfileVersion, workspaces, packages, others, overrides: record(lock.overrides) };
}

/** The package-name segments of a bun.lock key: "a/@s/b/c" → ["a", "@s/b", "c"]. */
function segments(key: string): string[] {
  const parts = key.split('/');
  const out: string[] = [];
  for (let i = 0; i < parts.length; i++)
    out.push(parts[i]!.startsWith('@') && i + 1 < parts.length ? `${parts[i]}/${parts[++i]}` : parts[i]!);
  return out;
}

/**
 * bun.lock as a logical graph. Keys are install paths by package name ("right/shared" is shared nested under right), so
 * a dependency of key K is found as Node would find it: K/dep, then each shorter prefix of K, then dep at the top.
 */
export function bunGraph(text: string, file: string, manifest?: ManifestDeps): LogicalGraph {
  const lock = parseBunLock(text, file);
  const rootWs = lock.workspaces[''];
  const g = new GraphBuilder(
    'bun',
    file,
    String(lock.lockfileVersion),
    {
      name: manifest?.name ?? rootWs?.name,
      version: manifest?.version,
    },
    overriddenNames(lock.overrides, manifest?.overrides, manifest?.resolutions, manifest?.pnpm?.overrides),
  );
  const byKey = new Map<string, string>();
  for (const p of lock.packages) byKey.set(p.key, g.node(nodeId(p.name, p.version), p.name, p.version));
  for (const p of lock.others) {
    if (p.version.startsWith('workspace:')) {
      const folder = p.version.slice('workspace:'.length);
      byKey.set(p.key, g.node(workspaceId(folder), p.name, '', { isWorkspace: true }));
    } else byKey.set(p.key, g.node(nodeId(p.name, p.version), p.name, p.version));
  }
  const find = (fromKey: string[], dep: string): string | null => {
    for (let n = fromKey.length; n >= 0; n--) {
      const hit = byKey.get([...fromKey.slice(0, n), dep].join('/'));
      if (hit !== undefined) return hit;
    }
    return null;
  };
  for (const [folder, ws] of Object.entries(lock.workspaces)) {
    const from = workspaceId(folder);
    // A workspace's own nested copies sit under its package name.
    const at = folder === '' || !ws.name ? [] : [ws.name];
    if (from !== '') g.node(from, ws.name ?? folder, '', { isWorkspace: true });
    for (const [field, kind] of [
      ['dependencies', 'prod'],
      ['optionalDependencies', 'optional'],
      ['devDependencies', 'dev'],
      ['peerDependencies', 'peer'],
    ] as const)
      for (const [dep, range] of Object.entries(ws[field])) {
        const type = (from === '' && manifestKind(manifest, dep)) || kind;
        g.edge(from, find(at, dep), dep, range, type);
      }
  }
  for (const p of [...lock.packages, ...lock.others]) {
    const from = byKey.get(p.key)!;
    if (from.startsWith('workspace:')) continue;
    const key = segments(p.key);
    for (const [dep, range] of Object.entries(p.dependencies)) g.edge(from, find(key, dep), dep, range, 'prod');
    for (const [dep, range] of Object.entries(p.optionalDependencies)) g.edge(from, find(key, dep), dep, range, 'optional');
    for (const [dep, range] of Object.entries(p.peerDependencies))
      g.edge(from, find(key, dep), dep, range, p.optionalPeers.includes(dep) ? 'peerOptional' : 'peer');
  }
  return g.build();
}
