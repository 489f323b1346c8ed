// Owns reading pnpm-lock.yaml (lockfile v5.x, v6 and v9) into the logical graph and into the registry packages it pins.
// v9 splits a package's metadata ("packages", keyed name@version) from its resolved dependencies ("snapshots", keyed
// with the peer suffix); v6 keeps both in "packages" under "/name@version(peer@x)"; v5 wrote "/name/version_peer@x".
import { posix } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { badRequest } from '../../errors';
import {
  GraphBuilder,
  manifestKind,
  overriddenNames,
  nodeId,
  splitAt,
  workspaceId,
  type LogicalGraph,
  type ManifestDeps,
} from './logical-graph';

type Obj = Record<string, unknown>;
const obj = (value: unknown): Obj => (value && typeof value === 'object' && !Array.isArray(value) ? (value as Obj) : {});

interface PnpmKey {
  name: string;
  version: string;
  /** The peer suffix, "(host@1.0.0)" (v5's "_host@1.0.0" is shown in v6 form). */
  suffix: string;
}

/** `name@1.0.0(peer@1)` (v9), `/name@1.0.0(peer@1)` (v6), `/name/1.0.0_peer@1` (v5). */
export function parsePnpmKey(raw: string): PnpmKey | undefined {
  const v5 = /^\/((?:@[^/]+\/)?[^/@]+)\/([^_/()]+)(?:_(.+))?$/.exec(raw);
  if (v5) return { name: v5[1]!, version: v5[2]!, suffix: v5[3] ? `(${v5[3].split('+').join(')(')})` : '' };
  const key = raw.replace(/^\//, '');
  const paren = key.indexOf('(');
  const base = paren < 0 ? key : key.slice(0, paren);
  const parts = splitAt(base);
  if (!parts) return undefined;
  return { name: parts[0], version: parts[1], suffix: paren < 0 ? '' : key.slice(paren) };
}

export interface PnpmLock {
  lockfileVersion: string;
  major: number;
  importers: Record<string, Obj>;
  /** Metadata by key without peer suffix (v9), or by full key (v6/v5, where it also holds the dependencies). */
  packages: Record<string, Obj>;
  /** v9 only: resolved dependencies by full key. */
  snapshots: Record<string, Obj>;
  /** The overrides pnpm applied, as it records them. */
  overrides: Obj;
}

export function parsePnpmLock(text: string, file = 'pnpm-lock.yaml'): PnpmLock {
  let doc: unknown;
  try {
    doc = parseYaml(text, { uniqueKeys: false });
  } catch (error) {
    throw badRequest(
      `${file} is not readable YAML (${(error as Error).message.split('\n')[0]}); regenerate it with \`pnpm install --lockfile-only\``,
    );
  }
  const lock = obj(doc);
  if (lock.lockfileVersion === undefined)
    throw badRequest(`${file} has no lockfileVersion; it is not a pnpm lockfile (pnpm-lock.yaml v5.3 to v9 are read)`);
  const lockfileVersion = String(lock.lockfileVersion);
  const major = Number.parseInt(lockfileVersion, 10);
  // Before v6 and in v6 without workspaces, the single project's dependencies sit at the top level.
  const importers = lock.importers
    ? (obj(lock.importers) as Record<string, Obj>)
    : {
        '.': {
          dependencies: lock.dependencies,
          devDependencies: lock.devDependencies,
          optionalDependencies: lock.optionalDependencies,
          specifiers: lock.specifiers,
        },
      };
  return {
    lockfileVersion,
    major,
    importers,
    packages: obj(lock.packages) as Record<string, Obj>,
    snapshots: obj(lock.snapshots) as Record<string, Obj>,
    overrides: obj(lock.overrides),
  };
}

/** The registry name@version pairs the lockfile pins (the mirror's prefetch). */
export function pnpmPackages(lock: PnpmLock): { name: string; version: string }[] {
  const out: { name: string; version: string }[] = [];
  for (const raw of Object.keys(lock.packages)) {
    const key = parsePnpmKey(raw);
    if (key) out.push({ name: key.name, version: key.version });
  }
  return out;
}

const IMPORTER_FIELDS = [
  ['dependencies', 'prod'],
  ['optionalDependencies', 'optional'],
  ['devDependencies', 'dev'],
] as const;

export function pnpmGraph(text: string, file: string, manifest?: ManifestDeps): LogicalGraph {
  const lock = parsePnpmLock(text, file);
  const g = new GraphBuilder(
    'pnpm',
    file,
    lock.lockfileVersion,
    { name: manifest?.name, version: manifest?.version },
    overriddenNames(lock.overrides, manifest?.overrides, manifest?.resolutions, manifest?.pnpm?.overrides),
  );
  const v9 = lock.major >= 9;

  /** The lockfile key a dependency reference points to, or a workspace folder for `link:`. */
  const target = (depName: string, ref: string, importer: string): { key?: string; workspace?: string } => {
    if (ref.startsWith('link:')) return { workspace: posix.normalize(posix.join(importer === '.' ? '' : importer, ref.slice(5))) };
    if (lock.major < 6) return { key: ref.startsWith('/') ? ref : `/${depName}/${ref}` };
    if (v9) return { key: /^(@[^@/]+\/)?[^@(]+@/.test(ref) ? ref : `${depName}@${ref}` };
    return { key: ref.startsWith('/') ? ref : `/${depName}@${ref}` };
  };
  const idOf = (depName: string, ref: string, importer = '.'): string | null => {
    const t = target(depName, ref, importer);
    if (t.workspace !== undefined) return workspaceId(t.workspace === '.' ? '' : t.workspace);
    const key = parsePnpmKey(t.key!);
    if (!key) return null;
    const meta = lock.packages[v9 ? `${key.name}@${key.version}` : t.key!];
    if (!meta && !(v9 && t.key! in lock.snapshots)) return null;
    return g.node(nodeId(key.name, key.version), key.name, key.version, {
      variant: key.suffix || undefined,
      deprecated: meta?.deprecated,
      license: meta?.license,
    });
  };

  for (const [folder, importer] of Object.entries(lock.importers)) {
    const from = workspaceId(folder);
    if (from !== '') g.node(from, posix.basename(folder), '', { isWorkspace: true });
    for (const [field, kind] of IMPORTER_FIELDS) {
      for (const [dep, value] of Object.entries(obj(importer[field]))) {
        // v6+: { specifier, version }; v5: the version, with the ranges in "specifiers".
        const entry = obj(value);
        const ref = typeof value === 'string' ? value : String(entry.version ?? '');
        const spec = typeof entry.specifier === 'string' ? entry.specifier : String(obj(importer.specifiers)[dep] ?? ref);
        const type = (from === '' && manifestKind(manifest, dep)) || kind;
        g.edge(from, idOf(dep, ref, folder), dep, spec, type);
      }
    }
  }
  // Each snapshot's edges go out of its folded name@version node.
  const resolvedDeps = v9 ? lock.snapshots : lock.packages;
  for (const [rawKey, snapshot] of Object.entries(resolvedDeps)) {
    const key = parsePnpmKey(rawKey);
    if (!key) continue;
    const meta = v9 ? obj(lock.packages[`${key.name}@${key.version}`]) : snapshot;
    const from = g.node(nodeId(key.name, key.version), key.name, key.version, {
      variant: key.suffix || undefined,
      deprecated: meta.deprecated,
      license: meta.license,
    });
    const peers = obj(meta.peerDependencies);
    const peersMeta = obj(meta.peerDependenciesMeta) as Record<string, { optional?: boolean }>;
    const seen = new Set<string>();
    for (const [field, kind] of [
      ['dependencies', 'prod'],
      ['optionalDependencies', 'optional'],
    ] as const) {
      for (const [dep, ref] of Object.entries(obj(snapshot[field]))) {
        seen.add(dep);
        // Resolved peers are listed among the dependencies; the range asked for lives in peerDependencies.
        const peer = peers[dep] !== undefined;
        const type = peer ? (peersMeta[dep]?.optional ? 'peerOptional' : 'peer') : kind;
        const version = String(ref).replace(/\(.*$/, '');
        g.edge(from, idOf(dep, String(ref)), dep, peer ? String(peers[dep]) : version, type);
      }
    }
    // A peer nothing provides (optional, or left missing) is an edge to nothing, as npm's lockfile has it.
    for (const [dep, range] of Object.entries(peers))
      if (!seen.has(dep)) g.edge(from, null, dep, String(range), peersMeta[dep]?.optional ? 'peerOptional' : 'peer');
  }
  return g.build();
}
