// Owns the promise every written lockfile keeps: each dependency edge of the tree is met by the node that Node's
// require would find from its dependent (walking up node_modules), at a version the edge's range accepts. The resolver
// checks this after every resolution; a violation is Shelf's bug, reported as an internal error, never written.
import { ShelfError } from '../../errors';
import { nodeSatisfies } from './spec';
import type { Edge, Node, ResolvedGraph } from './types';

/** Edges the tree does not satisfy, as sentences (empty for a sound tree). */
export function treeViolations(graph: ResolvedGraph): string[] {
  const problems: string[] = [];
  for (const node of graph.nodes.values()) {
    if (node.linkTarget) continue; // a link's edges are its target's
    for (const edge of node.edgesOut.values()) {
      const problem = edgeProblem(node, edge);
      if (problem) problems.push(problem);
    }
  }
  return problems;
}

/** Throws an internal error naming the first few violations; `shelf lock` and the graph call this before using a tree. */
export function assertTreeSound(graph: ResolvedGraph): void {
  const problems = treeViolations(graph);
  if (problems.length === 0) return;
  const shown = problems.slice(0, 5).map((p) => `- ${p}`);
  if (problems.length > 5) shown.push(`- … and ${problems.length - 5} more`);
  throw new ShelfError(
    'internal',
    `Shelf resolved a tree that does not satisfy ${problems.length} of its own dependency edge${problems.length === 1 ? '' : 's'}, so no lockfile was written. This is a bug in Shelf's resolver; please report it with your package.json:\n${shown.join('\n')}`,
  );
}

function edgeProblem(node: Node, edge: Edge): string | undefined {
  // npm leaves an overridden peer requirement unmet on purpose (ERESOLVE overriding peer dependency) and warns.
  if (edge.peerConflicted) return undefined;
  // Only the root's and workspaces' devDependencies are installed.
  if (edge.type === 'dev' && !node.isRoot && !node.isWorkspace) return undefined;
  const found = resolveFrom(node, edge.name);
  const where = node.isRoot ? 'the project' : `${node.packageName}@${node.version} (${node.location})`;
  if (!found) {
    if (edge.type === 'optional' || edge.type === 'peerOptional') return undefined;
    return `${where} needs ${edge.name}@"${edge.effectiveSpec}" but no ${edge.name} is placed where it would be found`;
  }
  const target = found.linkTarget ?? found;
  const ok = nodeSatisfies(
    { packageName: target.packageName, version: target.version, isWorkspace: target.isWorkspace },
    edge.name,
    edge.effectiveSpec,
    // A dist-tag edge was met by whatever the tag named at resolution time; the tree cannot say otherwise.
    (pkg) => (pkg === target.packageName ? target.version : undefined),
  );
  if (ok) return undefined;
  return `${where} needs ${edge.name}@"${edge.effectiveSpec}" but finds ${target.packageName}@${target.version} at ${found.location}`;
}

function resolveFrom(node: Node, name: string): Node | undefined {
  for (let n: Node | null = node; n; n = n.parent) {
    const child = n.children.get(name);
    if (child) return child;
  }
  return undefined;
}
