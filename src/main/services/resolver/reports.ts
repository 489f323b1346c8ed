// Owns the questions people ask of a resolved tree: why a package is there, what the tree looks like, and which packages are duplicated and how to dedupe them.
import semver from 'semver';
import type { RegistryClient } from './registry-client';
import { resolveProject } from './resolve';
import type { Choice, Edge, Node, ProjectInput, ResolveOptions, ResolvedGraph } from './types';

export interface WhyCopy {
  location: string;
  name: string;
  version: string;
  choice: Choice;
  incoming: { from: string; spec: string; type: string }[];
  /** Every path from the root, as "name@version" steps (root first), up to a bound. */
  paths: string[][];
}

const MAX_PATHS = 50;

export function whyReport(graph: ResolvedGraph, name: string, version?: string): WhyCopy[] {
  return [...graph.nodes.values()]
    .filter(
      (n) =>
        !n.isRoot &&
        !n.linkTarget &&
        (n.packageName === name || n.name === name) &&
        (!version || semver.satisfies(n.version, version, { loose: true })),
    )
    .map((node) => ({
      location: node.location,
      name: node.packageName,
      version: node.version,
      choice: node.choice,
      incoming: [...node.edgesIn].map((e) => ({
        from: label(e.from),
        spec: e.spec === e.effectiveSpec ? e.spec : `${e.spec} (overridden to ${e.effectiveSpec})`,
        type: e.type,
      })),
      paths: pathsTo(node),
    }));
}

function label(node: Node): string {
  return node.isRoot ? 'your project' : `${node.packageName}@${node.version}`;
}

function pathsTo(node: Node): string[][] {
  const out: string[][] = [];
  const walk = (n: Node, suffix: string[], seen: Set<Node>): void => {
    if (out.length >= MAX_PATHS) return;
    if (n.isRoot) {
      out.push(['your project', ...suffix]);
      return;
    }
    const target = n.linkTarget ?? n;
    const incoming: Edge[] = [...n.edgesIn];
    for (const edge of incoming) {
      if (seen.has(edge.from)) continue;
      const step = `${edge.type === 'prod' ? '' : `${edge.type} `}${target.packageName}@${target.version} ("${edge.spec}")`;
      walk(edge.from, [step, ...suffix], new Set(seen).add(edge.from));
    }
  };
  walk(node, [], new Set([node]));
  return out;
}

export interface TreeLine {
  depth: number;
  text: string;
}

/** The logical tree: each package's dependencies under it; a package already shown is marked rather than repeated. */
export function treeReport(graph: ResolvedGraph, maxDepth = Infinity): TreeLine[] {
  const lines: TreeLine[] = [{ depth: 0, text: `${graph.root.packageName}@${graph.root.version}` }];
  const shown = new Set<Node>();
  const walk = (node: Node, depth: number): void => {
    if (depth > maxDepth) return;
    const edges = [...node.edgesOut.values()].filter((e) => e.to).sort((a, b) => a.name.localeCompare(b.name));
    for (const edge of edges) {
      const to = edge.to!;
      const real = to.linkTarget ?? to;
      const kind = edge.type === 'prod' ? '' : ` (${edge.type})`;
      const repeat = shown.has(real);
      const invalid = edge.peerConflicted ? ' — peer range not met' : '';
      lines.push({ depth, text: `${edge.name}@${real.version}${kind}${repeat ? ' (deduped)' : ''}${invalid}` });
      if (!repeat) {
        shown.add(real);
        walk(real, depth + 1);
      }
    }
  };
  walk(graph.root, 1);
  return lines;
}

export interface DuplicateReport {
  name: string;
  copies: { location: string; version: string; wantedBy: { from: string; spec: string }[] }[];
  /** A change that leaves a single copy, proven by resolving again; absent when none was found. */
  fix?: { summary: string; overrides: Record<string, string>; verified: true };
  /** Why no single version fits, when that is the case. */
  blocker?: string;
}

export async function duplicatesReport(
  graph: ResolvedGraph,
  project: ProjectInput,
  client: RegistryClient,
  options: ResolveOptions = {},
): Promise<DuplicateReport[]> {
  const byName = new Map<string, Node[]>();
  for (const node of graph.nodes.values()) {
    if (node.isRoot || node.linkTarget || node.isWorkspace) continue;
    const list = byName.get(node.packageName) ?? [];
    list.push(node);
    byName.set(node.packageName, list);
  }
  const reports: DuplicateReport[] = [];
  for (const [name, nodes] of [...byName].sort(([a], [b]) => a.localeCompare(b))) {
    const versions = new Set(nodes.map((n) => n.version));
    if (versions.size < 2) continue;
    const copies = nodes.map((n) => ({
      location: n.location,
      version: n.version,
      wantedBy: [...n.edgesIn].map((e) => ({ from: label(e.from), spec: e.effectiveSpec })),
    }));
    const ranges = [...new Set(copies.flatMap((c) => c.wantedBy.map((w) => w.spec)))];
    const packument = await client.packument(name).catch(() => undefined);
    const candidates = packument ? Object.keys(packument.versions).sort(semver.rcompare) : [];
    const fitsAll = candidates.find((v) => ranges.every((r) => semver.satisfies(v, r, { loose: true })));
    const report: DuplicateReport = { name, copies };
    if (!fitsAll) {
      report.blocker = `no published version of ${name} satisfies every range asked for (${ranges.map((r) => `"${r}"`).join(', ')}); one of the dependents has to move first`;
      const move = await moveOutlier(name, nodes, project, client, options);
      if (move) report.fix = move;
    } else {
      const overrides = { [name]: fitsAll };
      try {
        const again = await resolveProject(project, client, { ...options, lockfile: undefined, extraOverrides: overrides });
        const left = new Set([...again.nodes.values()].filter((n) => n.packageName === name).map((n) => n.version));
        if (left.size === 1)
          report.fix = {
            summary: `every dependent accepts ${name}@${fitsAll}; add "overrides": { "${name}": "${fitsAll}" } (or run npm dedupe) to keep one copy`,
            overrides,
            verified: true,
          };
      } catch {
        report.blocker = `forcing ${name}@${fitsAll} did not resolve`;
      }
    }
    reports.push(report);
  }
  return reports;
}

/**
 * When no single version fits every range, try moving the outlying dependents (those holding the copy fewest depend on)
 * to a version of theirs whose range accepts the most used copy; returns the first such change that re-resolves to one copy.
 */
async function moveOutlier(
  name: string,
  nodes: Node[],
  project: ProjectInput,
  client: RegistryClient,
  options: ResolveOptions,
): Promise<DuplicateReport['fix'] | undefined> {
  const ranked = [...nodes].sort((a, b) => b.edgesIn.size - a.edgesIn.size);
  const main = ranked[0]!;
  const outliers = ranked
    .slice(1)
    .flatMap((n) => [...n.edgesIn].map((e) => e.from))
    .filter((n) => !n.isRoot && !n.isWorkspace);
  for (const dependent of outliers.slice(0, 5)) {
    const doc = await client.packument(dependent.packageName).catch(() => undefined);
    if (!doc) continue;
    const candidate = Object.keys(doc.versions)
      .filter((v) => semver.gt(v, dependent.version, true) && !semver.prerelease(v, true))
      .sort(semver.rcompare)
      .find((v) => {
        const range = doc.versions[v]!.dependencies?.[name] ?? doc.versions[v]!.peerDependencies?.[name];
        return range !== undefined && semver.satisfies(main.version, range, { loose: true });
      });
    if (!candidate) continue;
    const overrides = { [dependent.packageName]: candidate };
    try {
      const again = await resolveProject(project, client, { ...options, lockfile: undefined, extraOverrides: overrides });
      const left = new Set([...again.nodes.values()].filter((n) => n.packageName === name).map((n) => n.version));
      if (left.size === 1)
        return {
          summary: `move ${dependent.packageName} from ${dependent.version} to ${candidate}, whose range accepts ${name}@${main.version} like the rest of the tree (e.g. "overrides": { "${dependent.packageName}": "${candidate}" }, or upgrade the package that depends on it)`,
          overrides,
          verified: true,
        };
    } catch {
      /* this move does not resolve; try the next */
    }
  }
  return undefined;
}
