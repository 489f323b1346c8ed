// The logical dependency graph every lockfile format is read into: who depends on whom, at which version, by which kind
// of edge. A node is one name@version however many folders (npm, bun) or peer variants (pnpm) hold it, so the answers
// to "why is this here" and "which packages are duplicated" are the same whichever client wrote the lockfile.
import semver from 'semver';

export type LockFormat = 'npm' | 'pnpm' | 'yarn-classic' | 'yarn-berry' | 'bun';
export type LogicalEdgeType = 'prod' | 'dev' | 'optional' | 'peer' | 'peerOptional';

export interface LogicalNode {
  /** '' for the project root, `workspace:<folder>` for a workspace, otherwise `name@version`. */
  id: string;
  name: string;
  version: string;
  isRoot: boolean;
  isWorkspace: boolean;
  /** pnpm's peer suffixes ("(react@18.2.0)") folded into this node, kept to show which variants the lockfile has. */
  variants: string[];
  /** Only reachable through a dev dependency of the project (or a workspace). */
  dev: boolean;
  /** Only reachable through an optional dependency somewhere on the way. */
  optional: boolean;
  /** Only reachable through a peer dependency. */
  peer: boolean;
  deprecated: string | null;
  license: string | null;
}

export interface LogicalEdge {
  from: string;
  /** null when the lockfile holds nothing for it (an optional peer not installed, an entry missing from the file). */
  to: string | null;
  /** The name it is required by (an alias's own name, not the package it points to). */
  name: string;
  /** The range asked for where the lockfile keeps it; pnpm keeps only the version chosen, so that is the spec there. */
  spec: string;
  type: LogicalEdgeType;
  /** The target's version is outside the range asked for (a peer conflict the client overrode, a hand-edited lock). */
  conflicted: boolean;
}

export interface LogicalGraph {
  format: LockFormat;
  /** The lockfile's name as given (shown in answers). */
  file: string;
  lockfileVersion: string;
  nodes: Map<string, LogicalNode>;
  edges: LogicalEdge[];
  /** What the lockfile could not tell and how the graph filled it in. */
  warnings: string[];
}

export const ROOT_ID = '';
export const nodeId = (name: string, version: string) => `${name}@${version}`;
export const workspaceId = (folder: string) => (folder === '' || folder === '.' ? ROOT_ID : `workspace:${folder}`);

/** A project manifest's dependency maps: where present they say which root edges are dev, optional or peer. */
export interface ManifestDeps {
  name?: string;
  version?: string;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  /** npm's and bun's overrides, yarn's resolutions, pnpm's pnpm.overrides: an edge they rewrite is not a conflict. */
  overrides?: unknown;
  resolutions?: unknown;
  pnpm?: { overrides?: unknown };
}

/** The package names an overrides/resolutions map rewrites: "a>b", "**\/b", "a/b@1", "@s/b@^2" and nested maps all name b. */
export function overriddenNames(...maps: unknown[]): Set<string> {
  const names = new Set<string>();
  const walk = (map: unknown, depth: number) => {
    if (!map || typeof map !== 'object' || depth > 20) return;
    for (const [key, value] of Object.entries(map)) {
      if (key !== '.') {
        const last = key.split('>').at(-1)!;
        const scoped = /(@[^/@]+\/[^/@]+)(?:@[^/]*)?$/.exec(last);
        const name = scoped
          ? scoped[1]!
          : last
              .split('/')
              .at(-1)!
              .replace(/(.)@.*$/, '$1');
        if (name) names.add(name);
      }
      walk(value, depth + 1);
    }
  };
  for (const map of maps) walk(map, 0);
  return names;
}

/** The kind of a project's own dependency by its package.json; optional wins over prod (npm lists it in both). */
export function manifestKind(manifest: ManifestDeps | undefined, dep: string): LogicalEdgeType | undefined {
  if (!manifest) return undefined;
  if (manifest.optionalDependencies?.[dep] !== undefined) return 'optional';
  if (manifest.dependencies?.[dep] !== undefined) return 'prod';
  if (manifest.devDependencies?.[dep] !== undefined) return 'dev';
  if (manifest.peerDependencies?.[dep] !== undefined) return manifest.peerDependenciesMeta?.[dep]?.optional ? 'peerOptional' : 'peer';
  return undefined;
}

/** Collects nodes and edges as a reader walks its lockfile, then settles the flags every format computes the same way. */
export class GraphBuilder {
  readonly nodes = new Map<string, LogicalNode>();
  private readonly edges = new Map<string, LogicalEdge>();
  /** (dependent, name, kind) triples already resolved to some target. */
  private readonly resolved = new Set<string>();
  readonly warnings: string[] = [];

  constructor(
    readonly format: LockFormat,
    readonly file: string,
    readonly lockfileVersion: string,
    root: { name?: string; version?: string },
    /** Names the project overrides (overriddenNames): their edges may point outside the range asked for on purpose. */
    private readonly overridden: Set<string> = new Set(),
  ) {
    this.node(ROOT_ID, root.name ?? 'your project', root.version ?? '', { isRoot: true });
  }

  node(
    id: string,
    name: string,
    version: string,
    extra: { isRoot?: boolean; isWorkspace?: boolean; variant?: string; deprecated?: unknown; license?: unknown } = {},
  ): string {
    let node = this.nodes.get(id);
    if (!node) {
      node = {
        id,
        name,
        version,
        isRoot: extra.isRoot ?? false,
        isWorkspace: extra.isWorkspace ?? false,
        variants: [],
        dev: false,
        optional: false,
        peer: false,
        deprecated: null,
        license: null,
      };
      this.nodes.set(id, node);
    }
    if (extra.variant && !node.variants.includes(extra.variant)) node.variants.push(extra.variant);
    if (typeof extra.deprecated === 'string') node.deprecated = extra.deprecated;
    if (typeof extra.license === 'string') node.license = extra.license;
    return id;
  }

  edge(from: string, to: string | null, name: string, spec: string, type: LogicalEdgeType): void {
    // One logical edge per (dependent, name, kind, target): two folders of one package depending alike collapse.
    const triple = `${from}\0${name}\0${type}`;
    const key = `${triple}\0${to ?? ''}`;
    if (this.edges.has(key)) return;
    // An unresolved edge is dropped once the same (dependent, name, kind) is resolved through another copy.
    if (to === null && this.resolved.has(triple)) return;
    if (to !== null) {
      this.edges.delete(`${triple}\0`);
      this.resolved.add(triple);
    }
    this.edges.set(key, { from, to, name, spec, type, conflicted: false });
  }

  build(): LogicalGraph {
    const edges = [...this.edges.values()].filter((e) => e.to === null || this.nodes.has(e.to));
    for (const e of edges) {
      const target = e.to === null ? undefined : this.nodes.get(e.to);
      const range = semver.validRange(e.spec, { loose: true });
      if (target && range && semver.valid(target.version, { loose: true }) && !this.overridden.has(target.name))
        e.conflicted = !semver.satisfies(target.version, range, { loose: true, includePrerelease: true });
    }
    settleFlags(this.nodes, edges);
    return {
      format: this.format,
      file: this.file,
      lockfileVersion: this.lockfileVersion,
      nodes: this.nodes,
      edges,
      warnings: this.warnings,
    };
  }
}

/**
 * npm's dev/optional/peer flags, computed on the logical graph: a node is dev when no path from the root avoids the
 * project's dev edges, optional when none avoids an optional edge, peer when none avoids a peer edge. Workspaces count as
 * roots of their own (their dev dependencies are installed too).
 */
function settleFlags(nodes: Map<string, LogicalNode>, edges: LogicalEdge[]): void {
  const out = new Map<string, LogicalEdge[]>();
  for (const e of edges) {
    if (e.to === null) continue;
    const list = out.get(e.from);
    if (list) list.push(e);
    else out.set(e.from, [e]);
  }
  const reach = (skip: (e: LogicalEdge, fromTop: boolean) => boolean) => {
    // Workspaces are installed with the project whether or not anything depends on them.
    const tops = [ROOT_ID, ...[...nodes.values()].filter((n) => n.isWorkspace).map((n) => n.id)];
    const seen = new Set<string>(tops);
    const queue = [...tops];
    for (let i = 0; i < queue.length; i++) {
      const id = queue[i]!;
      const top = id === ROOT_ID || nodes.get(id)?.isWorkspace === true;
      for (const e of out.get(id) ?? []) {
        if (skip(e, top) || seen.has(e.to!)) continue;
        seen.add(e.to!);
        queue.push(e.to!);
      }
    }
    return seen;
  };
  const all = reach(() => false);
  const nonDev = reach((e, top) => top && e.type === 'dev');
  const nonOptional = reach((e) => e.type === 'optional' || e.type === 'peerOptional');
  const nonPeer = reach((e) => e.type === 'peer' || e.type === 'peerOptional');
  for (const node of nodes.values()) {
    if (node.isRoot || node.isWorkspace || !all.has(node.id)) continue;
    node.dev = !nonDev.has(node.id);
    node.optional = !nonOptional.has(node.id);
    node.peer = !nonPeer.has(node.id);
  }
}

/** The package name of a `name@rest` string (scoped names keep their first `@`). */
export function splitAt(spec: string): [string, string] | undefined {
  const at = spec.indexOf('@', spec.startsWith('@') ? 1 : 0);
  return at > 0 ? [spec.slice(0, at), spec.slice(at + 1)] : undefined;
}
