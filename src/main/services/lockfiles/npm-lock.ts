// Owns reading npm's lockfiles (package-lock.json v1–v3, npm-shrinkwrap.json) as entries by install folder, and folding
// that physical tree into the logical graph: every folder holding name@version becomes the one node name@version, each
// edge going to the copy Node would load from that folder.
import { badRequest } from '../../errors';
import { parseLockfile } from '../resolver';
import {
  GraphBuilder,
  manifestKind,
  nodeId,
  overriddenNames,
  workspaceId,
  type LogicalEdgeType,
  type LogicalGraph,
  type ManifestDeps,
} from './logical-graph';

type Entry = Record<string, unknown>;

export const NPM_EDGE_FIELDS = [
  ['dependencies', 'prod'],
  ['optionalDependencies', 'optional'],
  ['devDependencies', 'dev'],
  ['peerDependencies', 'peer'],
] as const;

interface V1Entry {
  version?: string;
  dev?: boolean;
  optional?: boolean;
  requires?: Record<string, string>;
  dependencies?: Record<string, V1Entry>;
}

/** Entries by install folder ('' the project), each with its own dependency maps (v1's "requires" read as dependencies). */
export function parseLockText(text: string, name: string): Record<string, Entry> {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    throw badRequest(`${name} is not valid JSON (${(error as Error).message}); pick a package-lock.json or npm-shrinkwrap.json`);
  }
  if (typeof doc !== 'object' || doc === null)
    throw badRequest(`${name} is not a lockfile; pick a package-lock.json or npm-shrinkwrap.json`);
  const parsed = parseLockfile(doc, name);
  if (parsed.packages) return parsed.packages;
  // v1: entries nested by folder; "requires" holds each one's ranges. The project's own are its top-level folders.
  const packages: Record<string, Entry> = { '': { name: (doc as Entry).name, version: (doc as Entry).version } };
  const top: Record<string, string> = {};
  const walk = (deps: Record<string, V1Entry>, prefix: string) => {
    for (const [folder, raw] of Object.entries(deps)) {
      const location = `${prefix}node_modules/${folder}`;
      const entry = parsed.entries.get(location);
      if (!entry) continue;
      packages[location] = {
        name: entry.name,
        version: entry.version,
        ...(raw.requires && { dependencies: raw.requires }),
        ...(raw.dev === true && { dev: true }),
        ...(raw.optional === true && { optional: true }),
      };
      if (prefix === '') top[folder] = raw.version ?? entry.version;
      if (raw.dependencies) walk(raw.dependencies, `${location}/`);
    }
  };
  walk(((doc as Entry).dependencies ?? {}) as Record<string, V1Entry>, '');
  packages['']!.dependencies = top;
  return packages;
}

/** Where Node would find `dep` required from `location`: its own node_modules, then each ancestor's, then the root's. */
export function findInstalled(packages: Record<string, Entry>, location: string, dep: string): string | undefined {
  let base = location;
  for (let guard = 0; guard < 1000; guard++) {
    const candidate = `${base ? `${base}/` : ''}node_modules/${dep}`;
    if (candidate in packages) return candidate;
    if (base === '') return undefined;
    const cut = base.lastIndexOf('/node_modules/');
    base = cut < 0 ? '' : base.slice(0, cut);
  }
  return undefined;
}

export const nameAt = (location: string, e: Entry) =>
  typeof e.name === 'string' ? e.name : location.slice(location.lastIndexOf('node_modules/') + 'node_modules/'.length);

export function npmGraph(text: string, file: string, manifest?: ManifestDeps): LogicalGraph {
  const packages = parseLockText(text, file);
  const version = (() => {
    try {
      return String((JSON.parse(text) as Entry).lockfileVersion ?? 1);
    } catch {
      return '1';
    }
  })();
  if (version === '1') {
    // v1 does not say which top-level folders the project asked for; its package.json does.
    if (manifest)
      packages[''] = {
        ...packages[''],
        dependencies: manifest.dependencies ?? {},
        devDependencies: manifest.devDependencies ?? {},
        optionalDependencies: manifest.optionalDependencies ?? {},
      };
  }
  const root = packages['']!;
  const g = new GraphBuilder(
    'npm',
    file,
    version,
    {
      name: manifest?.name ?? (typeof root.name === 'string' ? root.name : undefined),
      version: manifest?.version ?? (typeof root.version === 'string' ? root.version : undefined),
    },
    overriddenNames(manifest?.overrides, manifest?.resolutions, manifest?.pnpm?.overrides),
  );
  if (version === '1' && !manifest)
    g.warnings.push(`${file} (lockfile v1) does not list the project's own dependencies; every top-level folder is taken as one`);
  // The node each folder stands for; a workspace link stands for the folder it points to.
  const idAt = (location: string): string | null => {
    const e = packages[location];
    if (!e) return null;
    if (e.link === true) return typeof e.resolved === 'string' ? idAt(e.resolved) : null;
    if (location === '') return '';
    if (!location.includes('node_modules/'))
      return g.node(workspaceId(location), typeof e.name === 'string' ? e.name : location, String(e.version ?? ''), { isWorkspace: true });
    return g.node(nodeId(nameAt(location, e), String(e.version ?? '')), nameAt(location, e), String(e.version ?? ''), {
      deprecated: e.deprecated,
      license: e.license,
    });
  };
  for (const [location, raw] of Object.entries(packages)) {
    if (raw.link === true) continue;
    const from = idAt(location)!;
    const optionalPeers = (raw.peerDependenciesMeta ?? {}) as Record<string, { optional?: boolean }>;
    for (const [field, kind] of NPM_EDGE_FIELDS) {
      for (const [dep, spec] of Object.entries((raw[field] ?? {}) as Record<string, string>)) {
        const at = findInstalled(packages, location, dep);
        const type: LogicalEdgeType =
          (location === '' && manifestKind(manifest, dep)) || (kind === 'peer' && optionalPeers[dep]?.optional ? 'peerOptional' : kind);
        g.edge(from, at === undefined ? null : idAt(at), dep, String(spec), type);
      }
    }
  }
  return g.build();
}
