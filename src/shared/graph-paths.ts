// Paths from the root of a dependency graph to a node: the shortest ones, as a person reading "why is this here" wants
// them. Shared by the graph service (the problems list) and the renderer (focus on a node).

export interface PathGraph {
  rootId: string;
  /** For each node, the nodes that depend on it (edge sources), in any order. */
  parents: Map<string, string[]>;
  /** For each node, what it depends on. */
  children: Map<string, string[]>;
}

/** Adjacency of a node/edge list, edges to missing nodes left out; `keep` filters edge types. */
export function pathGraph(
  nodes: readonly { id: string; isRoot: boolean }[],
  edges: readonly { from: string; to: string | null; type: string }[],
  keep: (type: string) => boolean = () => true,
): PathGraph {
  const ids = new Set(nodes.map((n) => n.id));
  const parents = new Map<string, string[]>();
  const children = new Map<string, string[]>();
  for (const e of edges) {
    if (e.to === null || !ids.has(e.to) || !ids.has(e.from) || e.to === e.from || !keep(e.type)) continue;
    const p = parents.get(e.to);
    if (p) p.push(e.from);
    else parents.set(e.to, [e.from]);
    const c = children.get(e.from);
    if (c) c.push(e.to);
    else children.set(e.from, [e.to]);
  }
  const root = nodes.find((n) => n.isRoot) ?? nodes[0];
  return { rootId: root?.id ?? '', parents, children };
}

/** Breadth-first depth of every node reachable from the root. */
export function depthsFromRoot(g: PathGraph): Map<string, number> {
  const depth = new Map([[g.rootId, 0]]);
  const queue = [g.rootId];
  for (let i = 0; i < queue.length; i++) {
    const id = queue[i]!;
    for (const c of g.children.get(id) ?? []) {
      if (depth.has(c)) continue;
      depth.set(c, depth.get(id)! + 1);
      queue.push(c);
    }
  }
  return depth;
}

/**
 * Up to `limit` shortest paths from the root to `target` (each a list of ids, root first): walking back only through
 * parents one level nearer the root, so every path listed is as short as the shortest one.
 */
export function pathsFromRoot(g: PathGraph, target: string, limit = 3, depth = depthsFromRoot(g)): string[][] {
  if (!depth.has(target)) return [];
  const out: string[][] = [];
  const walk = (id: string, tail: string[]) => {
    if (out.length >= limit) return;
    if (id === g.rootId) {
      out.push([id, ...tail]);
      return;
    }
    const d = depth.get(id)!;
    for (const p of g.parents.get(id) ?? []) if (depth.get(p) === d - 1) walk(p, [id, ...tail]);
  };
  walk(target, []);
  return out;
}
