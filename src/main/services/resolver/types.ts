// Owns the resolver's domain types: manifests and packuments as fetched, and the resolved graph the CLI and UI read.

export type DependencyMap = Record<string, string>;

/** One version's manifest as a packument carries it (abbreviated or full). */
export interface Manifest {
  name: string;
  version: string;
  deprecated?: string;
  dependencies?: DependencyMap;
  devDependencies?: DependencyMap;
  optionalDependencies?: DependencyMap;
  peerDependencies?: DependencyMap;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  bundleDependencies?: string[] | boolean;
  bundledDependencies?: string[] | boolean;
  bin?: string | Record<string, string>;
  engines?: Record<string, string>;
  os?: string[];
  cpu?: string[];
  libc?: string[];
  license?: string;
  funding?: unknown;
  hasInstallScript?: boolean;
  scripts?: Record<string, string>;
  workspaces?: string[] | { packages?: string[] };
  overrides?: Record<string, unknown>;
  dist?: { tarball?: string; integrity?: string; shasum?: string };
  [key: string]: unknown;
}

export interface Packument {
  name: string;
  'dist-tags': Record<string, string>;
  versions: Record<string, Manifest>;
  time?: Record<string, string>;
  /**
   * Versions a Shelf registry's policy holds back (from its X-Shelf-Policy header): absent from `versions`, named in
   * the reasons and failures so "why not the newer one" has an answer.
   */
  _shelfHeld?: Record<string, HeldVersion>;
}

export interface HeldVersion {
  rule: string;
  until?: string;
}

export type EdgeType = 'prod' | 'dev' | 'optional' | 'peer' | 'peerOptional' | 'workspace';

/** Why a version was chosen; `why` reports it. */
export type ChoiceRule =
  'root' | 'workspace' | 'latest-tag' | 'dist-tag' | 'highest-match' | 'lockfile' | 'override' | 'bundled' | 'existing';

export interface Choice {
  rule: ChoiceRule;
  /** Newer versions that satisfied the range but were passed over, with the reason (deprecated, engines). */
  skipped: { version: string; reason: string }[];
  /** The newest published version, when it was not chosen, and the range that rejected it. */
  newestRejected?: {
    version: string;
    range: string;
    /** The dependent whose range rejected it ("your project" or name@version at its path). */ by?: string;
  };
}

export interface Edge {
  from: Node;
  /** The folder name the dependent asks for (an alias name for `npm:` specs). */
  name: string;
  /** The range as written in the dependent's package.json. */
  spec: string;
  /** The range actually resolved, after overrides. */
  effectiveSpec: string;
  type: EdgeType;
  to: Node | null;
  /** Set when npm's default behaviour overrode this peer requirement (it is left unsatisfied). */
  peerConflicted?: boolean;
}

export interface Node {
  /** Folder name in node_modules (the alias for aliased packages). */
  name: string;
  /** The registry name of the package (differs from `name` for aliases). */
  packageName: string;
  version: string;
  /** Lockfile path: '' for the root, node_modules/a/node_modules/b, or a workspace folder. */
  location: string;
  /** The folder whose node_modules holds this node (null for the root). */
  parent: Node | null;
  children: Map<string, Node>;
  manifest: Manifest;
  edgesOut: Map<string, Edge>;
  edgesIn: Set<Edge>;
  isRoot: boolean;
  isWorkspace: boolean;
  /** A node_modules entry linking to a workspace folder. */
  linkTarget?: Node;
  inBundle: boolean;
  choice: Choice;
  /** Override rules in force for this node's dependencies. */
  overrides: OverrideRule | null;
  /** Optional dependency whose os/cpu/libc do not fit this machine: kept in the lockfile, not installed. */
  platformSkipped?: string;
  flags: { dev: boolean; optional: boolean; devOptional: boolean; peer: boolean };
}

export interface OverrideRule {
  /** `name` or `name@range` this rule applies to; '' for the root set. */
  key: string;
  name: string;
  keySpec: string;
  /** Replacement spec, if this rule replaces one. */
  value?: string;
  children: Map<string, OverrideRule>;
  parent: OverrideRule | null;
}

export interface PeerWarning {
  /** npm's "ERESOLVE overriding peer dependency" explanation, as lines. */
  lines: string[];
  edge: { from: string; name: string; spec: string; type: EdgeType };
  found: string;
}

export interface ResolvedGraph {
  root: Node;
  /** Every node by location, root included, in lockfile order. */
  nodes: Map<string, Node>;
  warnings: PeerWarning[];
}

export interface ResolveOptions {
  strictPeerDeps?: boolean;
  legacyPeerDeps?: boolean;
  /** Version of Node that engines are checked against (default: this process's). */
  nodeVersion?: string;
  platform?: { os: string; cpu: string; libc?: string };
  /** An existing lockfile's choices by location, kept while they still satisfy. */
  lockfile?: LockedEntries;
  /** Extra overrides, as in package.json (used to try fixes). */
  extraOverrides?: Record<string, unknown>;
}

export interface LockedEntry {
  name: string;
  version: string;
  resolved?: string;
  integrity?: string;
  link?: boolean;
}

export type LockedEntries = Map<string, LockedEntry>;

export interface ProjectInput {
  /** Folder holding package.json (for workspaces and paths). */
  dir: string;
  manifest: Manifest;
  /** Workspace folders (relative, forward slashes) with their manifests. */
  workspaces: { path: string; manifest: Manifest }[];
}
