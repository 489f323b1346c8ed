// A graph read straight from an npm lockfile (v2/v3 "packages", or v1 "dependencies"): nothing is resolved or fetched,
// so a project's installed tree can be drawn — and two trees compared — without a registry that has its packages.
import { badRequest } from '../../errors';
import { parseLockfile } from '../resolver';
import type { GraphResult } from '../../../shared/contract';
import { withDuplicates } from './problems';

type Entry = Record<string, unknown>;
const EDGE_FIELDS = [
  ['dependencies', 'prod'],
  ['optionalDependencies', 'optional'],
  ['devDependencies', 'dev'],
  ['peerDependencies', 'peer'],
] as const;

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
  // v1: entries by location, without dependency maps; the root's direct dependencies are the top-level folders.
  const packages: Record<string, Entry> = { '': { name: (doc as Entry).name, version: (doc as Entry).version } };
  const top: Record<string, string> = {};
  for (const [location, e] of parsed.entries) {
    packages[location] = { name: e.name, version: e.version };
    if (location.lastIndexOf('node_modules/') === 0) top[e.name] = e.version;
  }
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

const nameAt = (location: string, e: Entry) =>
  typeof e.name === 'string' ? e.name : location.slice(location.lastIndexOf('node_modules/') + 'node_modules/'.length);

export function lockfileGraph(text: string, name: string): GraphResult {
  const started = performance.now();
  const packages = parseLockText(text, name);
  const nodes: GraphResult['nodes'] = [];
  const edges: GraphResult['edges'] = [];
  for (const [location, raw] of Object.entries(packages)) {
    // A workspace link stands for the folder it points to; the folder's own entry carries the dependencies.
    if (raw.link === true) continue;
    const isRoot = location === '';
    nodes.push({
      id: location,
      name: isRoot ? String(raw.name ?? name) : nameAt(location, raw),
      version: String(raw.version ?? ''),
      location,
      isRoot,
      dev: raw.dev === true || raw.devOptional === true,
      optional: raw.optional === true || raw.devOptional === true,
      peer: raw.peer === true,
      duplicate: false,
      deprecated: typeof raw.deprecated === 'string' ? raw.deprecated : null,
      rule: isRoot ? 'root' : 'lockfile',
      skipped: [],
      newestRejected: null,
      license: typeof raw.license === 'string' ? raw.license : null,
      size: null,
    });
    const optionalPeers = (raw.peerDependenciesMeta ?? {}) as Record<string, { optional?: boolean }>;
    for (const [field, type] of EDGE_FIELDS) {
      for (const [dep, spec] of Object.entries((raw[field] ?? {}) as Record<string, string>)) {
        let to = findInstalled(packages, location, dep);
        const target = to === undefined ? undefined : packages[to];
        if (target?.link === true && typeof target.resolved === 'string') to = target.resolved;
        edges.push({
          from: location,
          to: to ?? null,
          name: dep,
          spec: String(spec),
          type: type === 'peer' && optionalPeers[dep]?.optional ? 'peerOptional' : type,
          conflicted: false,
        });
      }
    }
  }
  return withDuplicates({
    title: name,
    nodes,
    edges,
    warnings: [],
    conflict: null,
    ms: Math.round(performance.now() - started),
  });
}
