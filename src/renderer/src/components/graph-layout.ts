// Lays a dependency graph out in columns by depth from the root (breadth-first), and finds the path from the root to a
// node. Pure functions, so the renderer and the benchmark share them.
import type { GraphEdge, GraphNode } from '../../../shared/contract';

export interface Placed {
  node: GraphNode;
  x: number;
  y: number;
  depth: number;
}

export const COLUMN = 240;
export const ROW = 26;

export interface Layout {
  placed: Map<string, Placed>;
  /** The first parent each node was reached from: following it walks back to the root. */
  parent: Map<string, string>;
  children: Map<string, string[]>;
}

export function layoutGraph(nodes: GraphNode[], edges: GraphEdge[], visibleTypes: Set<string>, collapsed: Set<string>): Layout {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const children = new Map<string, string[]>();
  for (const e of edges) {
    if (!e.to || !visibleTypes.has(e.type) || !byId.has(e.to)) continue;
    const list = children.get(e.from);
    if (list) list.push(e.to);
    else children.set(e.from, [e.to]);
  }
  const root = nodes.find((n) => n.isRoot) ?? nodes[0];
  const placed = new Map<string, Placed>();
  const parent = new Map<string, string>();
  if (!root) return { placed, parent, children };
  const rows: number[] = [];
  const queue: [string, number][] = [[root.id, 0]];
  const seen = new Set([root.id]);
  for (let next = 0; next < queue.length; next++) {
    const [id, depth] = queue[next]!;
    const row = rows[depth] ?? 0;
    rows[depth] = row + 1;
    placed.set(id, { node: byId.get(id)!, x: depth * COLUMN, y: row * ROW, depth });
    if (collapsed.has(id)) continue;
    for (const child of children.get(id) ?? []) {
      if (seen.has(child)) continue;
      seen.add(child);
      parent.set(child, id);
      queue.push([child, depth + 1]);
    }
  }
  // Centre each column vertically on the tallest one.
  const tallest = Math.max(...rows);
  for (const p of placed.values()) p.y += ((tallest - (rows[p.depth] ?? 0)) * ROW) / 2;
  return { placed, parent, children };
}

/** The width and height the placed nodes span (labels excluded), for fitting the whole graph into a view. */
export function layoutExtent(layout: Layout): { width: number; height: number } {
  let width = 0;
  let height = 0;
  for (const p of layout.placed.values()) {
    width = Math.max(width, p.x);
    height = Math.max(height, p.y);
  }
  return { width: width + COLUMN, height: height + ROW };
}

export function pathToRoot(layout: Layout, id: string): string[] {
  const path = [id];
  let at = id;
  while (layout.parent.has(at)) {
    at = layout.parent.get(at)!;
    path.unshift(at);
  }
  return path;
}
