// The dependency graph the UI draws: the resolver's graph flattened to nodes and edges, or, when resolution fails, the
// resolver's plain-language explanation and its verified fixes.
import { tmpdir } from 'node:os';
import type { GraphResult } from '../../../shared/contract';
import {
  RegistryClient,
  ResolutionFailure,
  explainConflict,
  findVerifiedFixes,
  loadProject,
  readLockfile,
  resolveProject,
  type ResolvedGraph,
} from '../resolver';
import type { ProjectInput } from '../resolver/types';
import { MetadataCacheDb } from '../../storage/metadata-cache-db';
import { badRequest } from '../../errors';
import { withDuplicates } from './problems';

/** `label` stands in for `path` in what is shown (an upload's temporary folder means nothing to the user). */
export type GraphTarget = { kind: 'package'; name: string; range: string } | { kind: 'folder'; path: string; label?: string };

/** What resolving a project reads: package.json files (the root's and its workspaces') and the root's npm lockfile. */
const LOCKFILES = new Set(['package-lock.json', 'npm-shrinkwrap.json']);

/** The files of a project upload the resolver needs; anything else is refused, so an upload cannot grow into a folder dump. */
export function graphUploadFiles<F extends { path: string }>(files: F[]): F[] {
  for (const file of files) {
    const segments = file.path.split('/');
    const isManifest = segments.at(-1) === 'package.json' && !segments.includes('node_modules');
    if (!isManifest && !LOCKFILES.has(file.path))
      throw badRequest(
        `${file.path.slice(0, 200)} is not needed to resolve a project; upload its package.json files and its package-lock.json or npm-shrinkwrap.json only`,
      );
  }
  if (!files.some((f) => f.path === 'package.json'))
    throw badRequest("the upload has no package.json at its top; pick the project's folder");
  return files;
}

function flatten(graph: ResolvedGraph): Pick<GraphResult, 'nodes' | 'edges' | 'warnings'> {
  const unpacked = (m: { dist?: unknown }) => {
    const size = (m.dist as { unpackedSize?: unknown } | undefined)?.unpackedSize;
    return typeof size === 'number' ? size : null;
  };
  const counts = new Map<string, Set<string>>();
  for (const node of graph.nodes.values()) {
    if (node.isRoot) continue;
    counts.set(node.packageName, (counts.get(node.packageName) ?? new Set()).add(node.version));
  }
  const nodes: GraphResult['nodes'] = [];
  const edges: GraphResult['edges'] = [];
  for (const node of graph.nodes.values()) {
    nodes.push({
      id: node.location,
      name: node.packageName,
      version: node.version,
      location: node.location,
      isRoot: node.isRoot,
      dev: node.flags.dev,
      optional: node.flags.optional,
      peer: node.flags.peer,
      duplicate: (counts.get(node.packageName)?.size ?? 0) > 1,
      deprecated: typeof node.manifest.deprecated === 'string' ? node.manifest.deprecated : null,
      rule: node.choice.rule,
      skipped: node.choice.skipped,
      newestRejected: node.choice.newestRejected ?? null,
      license: typeof node.manifest.license === 'string' ? node.manifest.license : null,
      size: unpacked(node.manifest),
    });
    for (const edge of node.edgesOut.values()) {
      edges.push({
        from: node.location,
        to: edge.to ? edge.to.location : null,
        name: edge.name,
        spec: edge.spec,
        type: edge.type,
        conflicted: Boolean(edge.peerConflicted),
      });
    }
  }
  return { nodes, edges, warnings: graph.warnings.map((w) => w.lines) };
}

/**
 * Resolves for the graph screen. With `cache`, documents kept by earlier resolutions (the CLI's too) are revalidated
 * by ETag instead of fetched and parsed again; a cache that cannot be opened only costs that speed.
 */
export async function resolveGraph(
  target: GraphTarget,
  registryUrl: string,
  cache?: { path: string; nativeBinding?: string },
): Promise<GraphResult> {
  let db: MetadataCacheDb | undefined;
  try {
    db = cache && MetadataCacheDb.open(cache.path, cache.nativeBinding);
  } catch {
    db = undefined;
  }
  try {
    // fullMetadata: the licence each node shows (Shelf's abbreviated documents carry it, so this costs nothing there).
    return await resolveWith(
      target,
      new RegistryClient({ registry: registryUrl, fullMetadata: true, cache: db && { db, policy: 'default' } }),
    );
  } finally {
    db?.close();
  }
}

async function resolveWith(target: GraphTarget, client: RegistryClient): Promise<GraphResult> {
  const project: ProjectInput =
    target.kind === 'folder'
      ? loadProject(target.path)
      : {
          dir: tmpdir(),
          manifest: { name: 'shelf-graph', version: '0.0.0', dependencies: { [target.name]: target.range } },
          workspaces: [],
        };
  const shown = target.kind === 'folder' ? (target.label ?? target.path) : '';
  const title = target.kind === 'folder' ? `${project.manifest.name ?? shown} (${shown})` : `${target.name}@${target.range}`;
  const lock = target.kind === 'folder' ? readLockfile(target.path) : undefined;
  const started = performance.now();
  try {
    const graph = await resolveProject(project, client, { lockfile: lock?.entries });
    const flat = flatten(graph);
    // The root of an ad-hoc graph is a stand-in manifest: show what the user asked for instead of its made-up name.
    if (target.kind === 'package') flat.nodes = flat.nodes.map((n) => (n.isRoot ? { ...n, name: title, version: '' } : n));
    return withDuplicates({ title, ...flat, conflict: null, ms: Math.round(performance.now() - started) });
  } catch (error) {
    if (!(error instanceof ResolutionFailure)) throw error;
    const conflict = error.conflict;
    const fixes = await findVerifiedFixes(project, conflict, client, {}).catch(() => []);
    const involved = new Set<string>([conflict.requirement.name, conflict.requirement.from.name]);
    if (conflict.kind === 'peer-conflict') {
      involved.add(conflict.found.name);
      for (const r of conflict.foundRequiredBy) involved.add(r.from.name);
    }
    // Draw what the requirement chain knows: the root, each step on the path to the dependent, and the wanted package.
    const nodes: GraphResult['nodes'] = [];
    const edges: GraphResult['edges'] = [];
    const node = (id: string, name: string, version: string, isRoot = false) => {
      if (nodes.some((n) => n.id === id)) return;
      nodes.push({
        id,
        name,
        version,
        location: id,
        isRoot,
        dev: false,
        optional: false,
        peer: false,
        duplicate: false,
        deprecated: null,
        rule: isRoot ? 'root' : 'highest-match',
        skipped: [],
        newestRejected: null,
        license: null,
        size: null,
      });
    };
    // An ad-hoc graph's root is the stand-in manifest: named by what the user asked for, as on the resolved path above.
    if (target.kind === 'package') node('', title, '', true);
    else node('', project.manifest.name ?? 'your project', project.manifest.version ?? '', true);
    const chains = [conflict.requirement, ...(conflict.kind === 'peer-conflict' ? conflict.foundRequiredBy : [])];
    for (const req of chains) {
      let prev = '';
      for (const step of req.from.path) {
        const id = `${step.name}@${step.version}`;
        node(id, step.name, step.version);
        edges.push({ from: prev, to: id, name: step.name, spec: step.spec, type: step.type, conflicted: false });
        prev = id;
      }
      const wanted = conflict.kind === 'peer-conflict' ? `${conflict.found.name}@${conflict.found.version}` : `${req.name}@?`;
      node(wanted, req.name, conflict.kind === 'peer-conflict' ? conflict.found.version : 'no match');
      edges.push({ from: prev, to: wanted, name: req.name, spec: req.spec, type: req.type, conflicted: true });
    }
    return withDuplicates({
      title,
      nodes,
      edges,
      warnings: [],
      conflict: {
        summary: target.kind === 'package' ? error.message.replaceAll('shelf-graph@0.0.0', title) : error.message,
        explanation: explainConflict(conflict),
        fixes: fixes.map((f) => ({ summary: f.summary, diff: f.diff, outcome: f.outcome })),
        involved: [...involved],
      },
      ms: Math.round(performance.now() - started),
    });
  }
}
