// Owns reading yarn.lock — classic (v1) and berry (v2+, "__metadata") — through yarn's own parser into the logical graph
// and into the registry packages it pins. Each entry is keyed by every descriptor ("name@range") it answers, so an edge
// is resolved by looking its descriptor up; peers are not recorded by yarn and are matched to what the dependents provide.
import { parseSyml } from '@yarnpkg/parsers';
import semver from 'semver';
import { badRequest } from '../../errors';
import {
  GraphBuilder,
  ROOT_ID,
  manifestKind,
  nodeId,
  overriddenNames,
  splitAt,
  workspaceId,
  type LogicalEdgeType,
  type LogicalGraph,
  type ManifestDeps,
} from './logical-graph';

type Obj = Record<string, unknown>;
const obj = (value: unknown): Obj => (value && typeof value === 'object' && !Array.isArray(value) ? (value as Obj) : {});

interface YarnEntry {
  /** The id of the node it stands for. */
  id: string;
  name: string;
  version: string;
  workspace?: string;
  raw: Obj;
}

export interface YarnLock {
  berry: boolean;
  version: string;
  /** Every descriptor in the file → its entry. */
  byDescriptor: Map<string, YarnEntry>;
  entries: YarnEntry[];
}

const descriptorsOf = (key: string) =>
  key
    .split(',')
    .map((d) => d.trim().replace(/^"|"$/g, ''))
    .filter(Boolean);

export function parseYarnLock(text: string, file = 'yarn.lock'): YarnLock {
  let parsed: Record<string, Obj>;
  try {
    parsed = parseSyml(text) as Record<string, Obj>;
  } catch (error) {
    throw badRequest(
      `${file} is not a readable yarn.lock (${(error as Error).message.split('\n')[0]}); regenerate it with \`yarn install\``,
    );
  }
  const berry = '__metadata' in parsed;
  const byDescriptor = new Map<string, YarnEntry>();
  const entries: YarnEntry[] = [];
  for (const [key, raw] of Object.entries(parsed)) {
    if (key === '__metadata' || typeof raw !== 'object' || raw === null) continue;
    const descriptors = descriptorsOf(key);
    let entry: YarnEntry | undefined;
    if (berry) {
      // resolution "name@npm:1.2.3", "name@workspace:packages/a", "name@patch:…", "name@https://…"
      const resolution = splitAt(String(raw.resolution ?? descriptors[0] ?? ''));
      if (!resolution) continue;
      const [name, reference] = resolution;
      if (reference.startsWith('workspace:')) {
        const folder = reference.slice('workspace:'.length);
        entry = { id: workspaceId(folder), name, version: '', workspace: folder === '.' ? '' : folder, raw };
      } else {
        const version = reference.startsWith('npm:') ? reference.slice(4) : String(raw.version ?? reference);
        entry = { id: nodeId(name, version), name, version, raw };
      }
    } else {
      // classic: an alias key "alias@npm:real@^1" names the real package after npm:.
      const first = descriptors[0];
      const parts = first ? splitAt(first) : undefined;
      if (!parts || typeof raw.version !== 'string') continue;
      const alias = parts[1].startsWith('npm:') ? splitAt(parts[1].slice(4)) : undefined;
      const name = alias ? alias[0] : parts[0];
      entry = { id: nodeId(name, raw.version), name, version: raw.version, raw };
    }
    entries.push(entry);
    for (const d of descriptors) byDescriptor.set(d, entry);
  }
  const meta = obj(parsed.__metadata);
  return { berry, version: berry ? String(meta.version ?? '') : '1', byDescriptor, entries };
}

/** The registry name@version pairs the lockfile pins (the mirror's prefetch); workspaces, git, file and patches are not. */
export function yarnPackages(lock: YarnLock): { name: string; version: string }[] {
  return lock.entries
    .filter((e) => e.workspace === undefined && semver.valid(e.version))
    .filter((e) =>
      lock.berry
        ? /^(@[^@/]+\/)?[^@]+@npm:/.test(String(e.raw.resolution))
        : e.raw.resolved === undefined || /^https?:/.test(String(e.raw.resolved)),
    )
    .map((e) => ({ name: e.name, version: e.version }));
}

export function yarnGraph(text: string, file: string, manifest?: ManifestDeps): LogicalGraph {
  const lock = parseYarnLock(text, file);
  const root = lock.entries.find((e) => e.workspace === '');
  const g = new GraphBuilder(
    lock.berry ? 'yarn-berry' : 'yarn-classic',
    file,
    lock.version,
    {
      name: manifest?.name ?? root?.name,
      version: manifest?.version,
    },
    overriddenNames(manifest?.overrides, manifest?.resolutions, manifest?.pnpm?.overrides),
  );
  if (root && !manifest)
    g.warnings.push(
      `${file} (yarn berry) lists the project's dev dependencies with its others; without its package.json they are shown as dependencies`,
    );
  for (const e of lock.entries) {
    if (e.id === ROOT_ID) continue;
    g.node(e.id, e.name, e.version, { isWorkspace: e.workspace !== undefined, deprecated: e.raw.deprecated });
  }
  const lookup = (dep: string, range: string) => {
    const hit = lock.byDescriptor.get(`${dep}@${range}`);
    // berry writes registry ranges as "npm:^1.0.0" in dependencies but some keys without the protocol, and the reverse.
    return (hit ?? lock.byDescriptor.get(range.startsWith('npm:') ? `${dep}@${range.slice(4)}` : `${dep}@npm:${range}`))?.id;
  };
  // berry keeps npm's "npm:" protocol on every range; shown without it, as package.json says it.
  const shown = (range: string) => (/^npm:[^@]/.test(range) && semver.validRange(range.slice(4)) ? range.slice(4) : range);
  const peersToSettle: { from: string; dep: string; range: string; type: LogicalEdgeType }[] = [];
  for (const e of lock.entries) {
    const meta = obj(e.raw.dependenciesMeta) as Record<string, { optional?: boolean }>;
    const top = e.workspace === '';
    for (const [field, kind] of [
      ['dependencies', 'prod'],
      ['optionalDependencies', 'optional'],
    ] as const) {
      for (const [dep, range] of Object.entries(obj(e.raw[field]))) {
        // berry folds a workspace's dev dependencies into "dependencies": only its package.json tells them apart.
        const type: LogicalEdgeType = (top && manifestKind(manifest, dep)) || (meta[dep]?.optional ? 'optional' : kind);
        g.edge(e.id, lookup(dep, String(range)) ?? null, dep, shown(String(range)), type);
      }
    }
    const peersMeta = obj(e.raw.peerDependenciesMeta) as Record<string, { optional?: boolean }>;
    for (const [dep, range] of Object.entries(obj(e.raw.peerDependencies)))
      peersToSettle.push({ from: e.id, dep, range: String(range), type: peersMeta[dep]?.optional ? 'peerOptional' : 'peer' });
  }
  // classic yarn.lock has no entry for the project: its edges come from package.json.
  if (!root) {
    if (manifest) {
      for (const field of ['dependencies', 'optionalDependencies', 'devDependencies'] as const)
        for (const [dep, range] of Object.entries(manifest[field] ?? {}))
          g.edge(ROOT_ID, lookup(dep, range) ?? null, dep, range, manifestKind(manifest, dep) ?? 'prod');
    } else {
      g.warnings.push(
        `${file} does not list the project's own dependencies; without its package.json, every entry nothing else depends on is taken as one`,
      );
      const wanted = new Set(lock.entries.flatMap((e) => Object.entries(obj(e.raw.dependencies)).map(([d, r]) => lookup(d, String(r)))));
      for (const [descriptor, e] of lock.byDescriptor)
        if (!wanted.has(e.id)) g.edge(ROOT_ID, e.id, splitAt(descriptor)![0], splitAt(descriptor)![1], 'prod');
    }
  }
  // A peer is what the dependent's own dependents provide under that name (yarn links it from there).
  const built = g.build();
  const into = new Map<string, string[]>();
  const byName = new Map<string, string>();
  for (const edge of built.edges) {
    if (!edge.to) continue;
    const list = into.get(edge.to);
    if (list) list.push(edge.from);
    else into.set(edge.to, [edge.from]);
    if (edge.type !== 'peer' && edge.type !== 'peerOptional') byName.set(`${edge.from}\0${edge.name}`, edge.to);
  }
  const provided = (parent: string, dep: string) => byName.get(`${parent}\0${dep}`);
  for (const p of peersToSettle) {
    const parents = [...(into.get(p.from) ?? [])].sort();
    const to = parents.map((parent) => provided(parent, p.dep)).find((id) => id) ?? null;
    g.edge(p.from, to, p.dep, p.range, p.type);
  }
  return peersToSettle.length ? g.build() : built;
}
