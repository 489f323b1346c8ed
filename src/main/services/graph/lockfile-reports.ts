// `shelf why`, `shelf tree` and `shelf dupes` answered from a lockfile read as it is (any format, through the logical
// graph): nothing is resolved or fetched, so a pnpm, yarn or bun project is inspected without re-resolving it.
import semver from 'semver';
import { depthsFromRoot, pathGraph, pathsFromRoot } from '../../../shared/graph-paths';
import { FORMAT_NAMES, ROOT_ID, type LogicalEdge, type LogicalGraph, type LogicalNode } from '../lockfiles';

const MAX_PATHS = 50;
/** Steps walked per question: a tangled graph is answered partly rather than slowly. */
const MAX_STEPS = 200_000;
const ROOT_LABEL = 'your project';

const label = (node: LogicalNode | undefined) =>
  !node || node.isRoot ? ROOT_LABEL : node.isWorkspace ? `${node.name} (workspace)` : `${node.name}@${node.version}`;
const kind = (type: string) => (type === 'prod' ? '' : `${type} `);

export interface LockWhyCopy {
  id: string;
  name: string;
  version: string;
  /** pnpm's peer variants of this name@version ("(host@1.0.0)"); empty elsewhere. */
  variants: string[];
  dev: boolean;
  optional: boolean;
  peer: boolean;
  /** Why this version: it is what the lockfile pins, and whether every range asking for it is met. */
  reason: string;
  incoming: { from: string; spec: string; type: string; conflicted: boolean }[];
  /** Every path from the root (bounded), as "name@version" steps with the edge kind, root first; sorted. */
  paths: string[][];
}

function index(graph: LogicalGraph) {
  const into = new Map<string, LogicalEdge[]>();
  const out = new Map<string, LogicalEdge[]>();
  for (const e of graph.edges) {
    if (e.to === null) continue;
    for (const [map, key] of [
      [into, e.to],
      [out, e.from],
    ] as const) {
      const list = map.get(key);
      if (list) list.push(e);
      else map.set(key, [e]);
    }
  }
  return { into, out };
}

export function lockWhy(graph: LogicalGraph, name: string, range?: string): LockWhyCopy[] {
  const { into } = index(graph);
  const aliasTargets = new Set(graph.edges.filter((e) => e.name === name && e.to).map((e) => e.to!));
  const copies = [...graph.nodes.values()].filter(
    (n) =>
      !n.isRoot &&
      !n.isWorkspace &&
      (n.name === name || aliasTargets.has(n.id)) &&
      (!range || (semver.valid(n.version, true) !== null && semver.satisfies(n.version, range, { loose: true }))),
  );
  return copies
    .sort((a, b) => (semver.valid(a.version) && semver.valid(b.version) ? semver.compare(a.version, b.version) : a.id.localeCompare(b.id)))
    .map((node) => {
      const incoming = (into.get(node.id) ?? [])
        .map((e) => ({ from: label(graph.nodes.get(e.from)), spec: e.spec, type: e.type, conflicted: e.conflicted }))
        .sort((a, b) => a.from.localeCompare(b.from) || a.type.localeCompare(b.type));
      const unmet = incoming.filter((e) => e.conflicted);
      const where = `${graph.file} (${FORMAT_NAMES[graph.format]})`;
      const reason = unmet.length
        ? `pinned by ${where}, although ${unmet.map((e) => `"${e.spec}" from ${e.from}`).join(', ')} is not met by it`
        : `pinned by ${where}; every range asking for it is met`;
      return {
        id: node.id,
        name: node.name,
        version: node.version,
        variants: [...node.variants].sort(),
        dev: node.dev,
        optional: node.optional,
        peer: node.peer,
        reason,
        incoming,
        paths: allPaths(graph, into, node.id),
      };
    });
}

/** Every simple path from the root to `target`, walked backwards through dependents; bounded in count and steps. */
function allPaths(graph: LogicalGraph, into: Map<string, LogicalEdge[]>, target: string): string[][] {
  const out: string[][] = [];
  let steps = 0;
  const walk = (id: string, suffix: string[], seen: Set<string>): void => {
    if (out.length >= MAX_PATHS || ++steps > MAX_STEPS) return;
    if (id === ROOT_ID) {
      out.push([ROOT_LABEL, ...suffix]);
      return;
    }
    const node = graph.nodes.get(id)!;
    // A workspace nothing depends on is a start of its own (pnpm and bun install every workspace).
    if (node.isWorkspace && !into.get(id)?.length) {
      out.push([label(node), ...suffix]);
      return;
    }
    const edges = [...(into.get(id) ?? [])].sort((a, b) => a.from.localeCompare(b.from) || a.type.localeCompare(b.type));
    for (const e of edges) {
      if (seen.has(e.from)) continue;
      walk(e.from, [`${kind(e.type)}${label(node)}`, ...suffix], new Set(seen).add(e.from));
    }
  };
  walk(target, [], new Set([target]));
  return out.sort((a, b) => a.length - b.length || a.join(' ').localeCompare(b.join(' ')));
}

export interface LockTreeLine {
  depth: number;
  text: string;
}

/** The logical tree from the project (then each workspace): a package already shown is marked rather than repeated. */
export function lockTree(graph: LogicalGraph, maxDepth = Infinity): LockTreeLine[] {
  const { out } = index(graph);
  const root = graph.nodes.get(ROOT_ID)!;
  const lines: LockTreeLine[] = [];
  const shown = new Set<string>();
  const walk = (id: string, depth: number): void => {
    if (depth > maxDepth) return;
    const edges = [...(out.get(id) ?? [])].sort((a, b) => a.name.localeCompare(b.name) || a.type.localeCompare(b.type));
    for (const e of edges) {
      const to = graph.nodes.get(e.to!)!;
      const repeat = shown.has(to.id);
      const type = e.type === 'prod' ? '' : ` (${e.type})`;
      const unmet = e.conflicted ? ` — "${e.spec}" not met` : '';
      const version = to.isWorkspace ? 'workspace' : to.version;
      lines.push({ depth, text: `${e.name}@${version}${type}${repeat ? ' (deduped)' : ''}${unmet}` });
      if (!repeat) {
        shown.add(to.id);
        walk(to.id, depth + 1);
      }
    }
  };
  lines.push({ depth: 0, text: `${root.name}@${root.version}` });
  walk(ROOT_ID, 1);
  for (const ws of [...graph.nodes.values()].filter((n) => n.isWorkspace && !shown.has(n.id)).sort((a, b) => a.id.localeCompare(b.id))) {
    lines.push({ depth: 0, text: `${ws.name} (workspace ${ws.id.slice('workspace:'.length)})` });
    shown.add(ws.id);
    walk(ws.id, 1);
  }
  return lines;
}

export interface LockDuplicate {
  name: string;
  copies: {
    version: string;
    variants: string[];
    wantedBy: { from: string; spec: string; type: string }[];
    /** The shortest paths from the root, as "name@version" steps. */
    paths: string[][];
  }[];
  /** What would leave one copy, or why none can, from the ranges the lockfile records. */
  advice: string;
}

/** Packages the lockfile holds in more than one version, each copy with who wants it and how it is reached. */
export function lockDupes(graph: LogicalGraph): LockDuplicate[] {
  const { into } = index(graph);
  const byName = new Map<string, LogicalNode[]>();
  for (const n of graph.nodes.values()) if (!n.isRoot && !n.isWorkspace) byName.set(n.name, [...(byName.get(n.name) ?? []), n]);
  const nodes = [...graph.nodes.values()];
  const g = pathGraph(nodes, graph.edges);
  const depth = depthsFromRoot(g);
  const reports: LockDuplicate[] = [];
  for (const [name, copies] of [...byName].sort(([a], [b]) => a.localeCompare(b))) {
    if (copies.length < 2) continue;
    copies.sort((a, b) =>
      semver.valid(a.version) && semver.valid(b.version) ? semver.compare(a.version, b.version) : a.id.localeCompare(b.id),
    );
    const wanted = copies.map((c) =>
      (into.get(c.id) ?? [])
        .map((e) => ({ from: label(graph.nodes.get(e.from)), spec: e.spec, type: e.type }))
        .sort((a, b) => a.from.localeCompare(b.from) || a.type.localeCompare(b.type)),
    );
    const ranges = [...new Set(wanted.flat().map((w) => w.spec))];
    let advice: string;
    if (graph.format === 'pnpm')
      advice = `pnpm-lock.yaml keeps the versions chosen, not the ranges asked for; \`pnpm dedupe\` tells whether one copy can serve every dependent`;
    else {
      const fits = copies
        .map((c) => c.version)
        .reverse()
        .find((v) => ranges.every((r) => semver.satisfies(v, r, { loose: true })));
      advice = fits
        ? `${name}@${fits} satisfies every range asked for (${ranges.map((r) => `"${r}"`).join(', ')}); deduping would keep that one copy`
        : `no version in the lockfile satisfies every range asked for (${ranges.map((r) => `"${r}"`).join(', ')}); one of the dependents has to move first`;
    }
    reports.push({
      name,
      copies: copies.map((c, i) => ({
        version: c.version,
        variants: [...c.variants].sort(),
        wantedBy: wanted[i]!,
        paths: pathsFromRoot(g, c.id, 3, depth).map((p) => p.map((id) => label(graph.nodes.get(id)))),
      })),
      advice,
    });
  }
  return reports;
}
