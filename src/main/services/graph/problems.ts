// What is wrong with a tree, found once on the server so the graph screen can lead with it: the packages installed in
// more than one version, each copy with the shortest paths from the root that bring it in.
import type { GraphResult } from '../../../shared/contract';
import { depthsFromRoot, pathGraph, pathsFromRoot } from '../../../shared/graph-paths';

/** Paths listed per copy: enough to see who pulls it in, few enough to read. */
const PATHS_PER_COPY = 3;

export function withDuplicates(graph: Omit<GraphResult, 'duplicates'>): GraphResult {
  const versions = new Map<string, Set<string>>();
  for (const n of graph.nodes) if (!n.isRoot) versions.set(n.name, (versions.get(n.name) ?? new Set()).add(n.version));
  const g = pathGraph(graph.nodes, graph.edges);
  const depth = depthsFromRoot(g);
  const byName = new Map<string, GraphResult['duplicates'][number]>();
  const nodes = graph.nodes.map((n) => {
    const duplicate = !n.isRoot && (versions.get(n.name)?.size ?? 0) > 1;
    if (duplicate) {
      const entry = byName.get(n.name) ?? { name: n.name, copies: [] };
      entry.copies.push({ id: n.id, version: n.version, paths: pathsFromRoot(g, n.id, PATHS_PER_COPY, depth) });
      byName.set(n.name, entry);
    }
    return duplicate === n.duplicate ? n : { ...n, duplicate };
  });
  // Most copies first: those are the ones that cost the most to install and to reason about.
  const duplicates = [...byName.values()].sort((a, b) => b.copies.length - a.copies.length || a.name.localeCompare(b.name));
  return { ...graph, nodes, duplicates };
}
