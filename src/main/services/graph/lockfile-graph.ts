// A graph read straight from a lockfile: nothing is resolved or fetched, so a project's tree can be drawn — and two npm
// trees compared — without a registry that has its packages. npm's lockfile is drawn as installed (one node per folder,
// each edge to the copy Node would load); pnpm-lock.yaml, yarn.lock and bun.lock as their logical graph (one node per
// name@version, pnpm's peer variants folded in and shown in the node's location).
import type { GraphResult } from '../../../shared/contract';
import {
  NPM_EDGE_FIELDS as EDGE_FIELDS,
  findInstalled,
  lockFormatOf,
  nameAt,
  parseLockText,
  readLockfileGraph,
  type LogicalGraph,
} from '../lockfiles';
import { withDuplicates } from './problems';

export { parseLockText, findInstalled };

/** The graph screen's view of a logical graph: node ids are name@version ('' the project, workspace:<folder> a workspace). */
export function logicalGraphResult(graph: LogicalGraph, title: string, started = performance.now()): GraphResult {
  const nodes: GraphResult['nodes'] = [...graph.nodes.values()].map((n) => ({
    id: n.id,
    name: n.name,
    version: n.version,
    location: n.variants.length ? n.variants.map((v) => `${n.id}${v}`).join(' ') : n.id,
    isRoot: n.isRoot,
    dev: n.dev,
    optional: n.optional,
    peer: n.peer,
    duplicate: false,
    deprecated: n.deprecated,
    rule: n.isRoot ? 'root' : 'lockfile',
    skipped: [],
    newestRejected: null,
    license: n.license,
    size: null,
  }));
  return withDuplicates({
    title,
    nodes,
    edges: graph.edges.map((e) => ({ ...e })),
    warnings: graph.warnings.map((w) => [w]),
    conflict: null,
    ms: Math.round(performance.now() - started),
  });
}

export function lockfileGraph(text: string, name: string): GraphResult {
  const started = performance.now();
  if (lockFormatOf(text, name) !== 'npm') return logicalGraphResult(readLockfileGraph(text, name), name, started);
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
