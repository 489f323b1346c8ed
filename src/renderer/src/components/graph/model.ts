// What the graph screen draws, as pure functions (the screen, the export and the tests share them): the overview — every
// package in columns by depth from the root, tall columns wrapped so the drawing has the surface's shape —, and the
// focus view: the paths from the root to one node plus its dependents and dependencies to a chosen depth, left to right.
// (In the overview of a big graph the surface draws edges only around the selected package.)
import type { GraphEdge, GraphNode, GraphResult } from '../../../../shared/contract';
import { depthsFromRoot, pathGraph, pathsFromRoot, type PathGraph } from '../../../../shared/graph-paths';

export const EDGE_TYPES = ['prod', 'dev', 'optional', 'peer', 'peerOptional', 'workspace'] as const;
export type ColourBy = 'kind' | 'license' | 'duplicate' | 'size';

export interface Placed {
  id: string;
  x: number;
  y: number;
}

export interface Drawing {
  nodes: Placed[];
  /** Edges drawn, as [from, to] ids. */
  edges: [string, string][];
  /** Nodes whose subtree is collapsed, with how many packages it hides. */
  hidden: Map<string, number>;
  /**
   * The focus view's labelled nodes, most wanted first: the focused node, the root, the paths between them, then the
   * dependents and dependencies one and two levels away. Each is labelled where its label overlaps none before it.
   * Undefined (the overview): sigma's label grid chooses.
   */
  labelPriority?: string[];
}

/** A label's box on the surface, in pixels. */
export interface LabelBox {
  id: string;
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/**
 * The labels to draw: in the given order, each one that lies wholly on the surface and overlaps no label already taken.
 * (Greedy, so a wanted label is never pushed out by a less wanted one; zooming in makes room for more.)
 */
export function placeLabels(candidates: readonly LabelBox[], width: number, height: number): Set<string> {
  const taken: LabelBox[] = [];
  const shown = new Set<string>();
  for (const box of candidates) {
    // Whole on the surface: a label cut at its edge reads as a different name.
    if (box.x0 < 0 || box.y0 < 0 || box.x1 > width || box.y1 > height) continue;
    if (taken.some((t) => box.x0 < t.x1 && t.x0 < box.x1 && box.y0 < t.y1 && t.y0 < box.y1)) continue;
    taken.push(box);
    shown.add(box.id);
  }
  return shown;
}

export interface Index {
  byId: Map<string, GraphNode>;
  g: PathGraph;
  depth: Map<string, number>;
}

export function indexGraph(graph: GraphResult, types: ReadonlySet<string>): Index {
  const g = pathGraph(graph.nodes, graph.edges, (t) => types.has(t));
  return { byId: new Map(graph.nodes.map((n) => [n.id, n])), g, depth: depthsFromRoot(g) };
}

/** Spacing of the overview's grid: a column is wider than a row is tall, so labels fit when zoomed in. */
const COLUMN = 10;
const ROW = 1;

/**
 * The overview: breadth-first from the root (children of a collapsed node skipped), each depth a band of columns of
 * `rows` nodes, `rows` chosen so the drawing's width/height is nearest `aspect` (the surface's own).
 */
export function overview(index: Index, collapsed: ReadonlySet<string>, aspect: number): Drawing {
  const { g } = index;
  const layers: string[][] = [];
  const parent = new Map<string, string>();
  const seen = new Set([g.rootId]);
  const queue: [string, number][] = [[g.rootId, 0]];
  const hidden = new Map<string, number>();
  for (let i = 0; i < queue.length; i++) {
    const [id, d] = queue[i]!;
    (layers[d] ??= []).push(id);
    const kids = g.children.get(id) ?? [];
    if (collapsed.has(id)) {
      hidden.set(id, kids.filter((k) => !seen.has(k)).length);
      continue;
    }
    for (const k of kids) {
      if (seen.has(k)) continue;
      seen.add(k);
      parent.set(k, id);
      queue.push([k, d + 1]);
    }
  }
  // Nodes no path from the root reaches (edge types filtered away): a last band, so nothing silently disappears.
  const orphans = [...index.byId.keys()].filter((id) => !seen.has(id));
  if (orphans.length) layers.push(orphans);
  const tallest = Math.max(1, ...layers.map((l) => l.length));
  let rows = tallest;
  let best = Infinity;
  for (let r = 1; r <= tallest; r = r < 8 ? r + 1 : Math.ceil(r * 1.1)) {
    const columns = layers.reduce((sum, l) => sum + Math.ceil(l.length / r), 0);
    // +1 column per band: the gap between bands.
    const ratio = ((columns + layers.length) * COLUMN) / (r * ROW * 2.2);
    const miss = Math.abs(Math.log(ratio / aspect));
    if (miss < best) {
      best = miss;
      rows = r;
    }
  }
  const nodes: Placed[] = [];
  let column = 0;
  for (const layer of layers) {
    const bandRows = Math.min(rows, layer.length);
    layer.forEach((id, i) => {
      const c = column + Math.floor(i / rows);
      // Sigma's y axis points up: negate, so the first row is at the top.
      nodes.push({ id, x: c * COLUMN, y: -((i % rows) + (rows - bandRows) / 2) * ROW * 2.2 });
    });
    column += Math.ceil(layer.length / rows) + 1;
  }
  // A small tree is wider than the surface however its columns wrap: spread its rows so it takes the surface's shape.
  const width = Math.max(...nodes.map((n) => n.x)) - Math.min(...nodes.map((n) => n.x));
  const height = Math.max(...nodes.map((n) => n.y)) - Math.min(...nodes.map((n) => n.y));
  const stretch = height > 0 ? Math.min(50, Math.max(1, width / aspect / height)) : 1;
  if (stretch > 1) for (const n of nodes) n.y *= stretch;
  // Every edge between drawn nodes: the surface shows them all for a small graph, and only the selected package's for a
  // big one (its paths and neighbours), which needs them present.
  const drawn = new Set(nodes.map((n) => n.id));
  const edges: [string, string][] = [];
  for (const id of drawn)
    for (const c of g.children.get(id) ?? []) if (drawn.has(c) && (parent.get(c) === id || !collapsed.has(id))) edges.push([id, c]);
  return { nodes, edges, hidden };
}

/**
 * The focus view: root→node paths, then `depth` levels of dependents (left) and dependencies (right), in layers; the
 * nodes up to two levels away are labelled (where their labels do not overlap).
 */
export function focusView(index: Index, focus: string, depth: number, aspect = 2): { drawing: Drawing; paths: string[][] } {
  const { g } = index;
  const paths = pathsFromRoot(g, focus, 5, index.depth);
  const layer = new Map<string, number>();
  const d0 = paths[0] ? paths[0].length - 1 : 0;
  for (const path of paths) path.forEach((id, i) => layer.set(id, i));
  layer.set(focus, d0);
  const walk = (from: Map<string, string[]>, sign: number) => {
    let frontier = [focus];
    for (let step = 1; step <= depth && frontier.length; step++) {
      const next: string[] = [];
      for (const id of frontier)
        for (const n of from.get(id) ?? [])
          if (!layer.has(n)) {
            layer.set(n, d0 + sign * step);
            next.push(n);
          }
      frontier = next;
    }
  };
  walk(g.parents, -1);
  walk(g.children, 1);
  const byLayer = new Map<number, string[]>();
  for (const [id, l] of layer) byLayer.set(l, [...(byLayer.get(l) ?? []), id]);
  const nodes: Placed[] = [];
  // Rows spread to give the drawing the surface's shape (sigma keeps proportions when it fits), never closer than a label.
  const layers = [...byLayer.keys()];
  const span = Math.max(1, Math.max(...layers) - Math.min(...layers));
  const tallest = Math.max(...[...byLayer.values()].map((ids) => ids.length));
  const column = Math.max(12, ((tallest - 1) * 1.6 * aspect) / span);
  const row = Math.max(1.6, tallest > 1 ? (span * column) / aspect / (tallest - 1) : 1.6);
  for (const [l, ids] of byLayer) {
    ids.sort((a, b) => (index.byId.get(a)?.name ?? '').localeCompare(index.byId.get(b)?.name ?? ''));
    ids.forEach((id, i) => nodes.push({ id, x: l * column, y: -(i - (ids.length - 1) / 2) * row }));
  }
  const edges: [string, string][] = [];
  for (const id of layer.keys()) for (const c of g.children.get(id) ?? []) if (layer.has(c) && c !== id) edges.push([id, c]);
  // Labels: the focused node, the root, the paths (nearest the focus first), then one and two levels out.
  const onPath = [...new Set(paths.flatMap((p) => [...p].reverse()))];
  const near = (step: number) =>
    [...layer.entries()].filter(([id, l]) => Math.abs(l - d0) === step && !onPath.includes(id)).map(([id]) => id);
  const labelPriority = [...new Set([focus, g.rootId, ...onPath, ...near(1), ...near(2)])].filter((id) => layer.has(id));
  return { drawing: { nodes, edges, hidden: new Map(), labelPriority }, paths };
}

/** Who depends on a node, by name@version, for the hover card and the side panel. */
export function dependents(index: Index, id: string): GraphNode[] {
  return (index.g.parents.get(id) ?? []).map((p) => index.byId.get(p)!).filter(Boolean);
}

export function label(n: GraphNode): string {
  return n.version ? `${n.name}@${n.version}` : n.name;
}

export function formatSize(bytes: number | null): string {
  if (bytes === null) return 'unknown';
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} kB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** Suggestions for Find: names starting with the query first, then containing it; at most `limit`. */
export function suggest(nodes: GraphNode[], query: string, limit = 20): GraphNode[] {
  const q = query.trim().toLowerCase();
  if (!q) return [];
  const starts: GraphNode[] = [];
  const contains: GraphNode[] = [];
  for (const n of nodes) {
    const name = n.name.toLowerCase();
    if (name.startsWith(q)) starts.push(n);
    else if (name.includes(q)) contains.push(n);
  }
  const byName = (a: GraphNode, b: GraphNode) => a.name.length - b.name.length || a.name.localeCompare(b.name) || a.id.length - b.id.length;
  return [...starts.sort(byName), ...contains.sort(byName)].slice(0, limit);
}

export type Edge = GraphEdge;
