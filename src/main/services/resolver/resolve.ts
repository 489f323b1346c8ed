// Owns building the ideal dependency tree: version choice per edge, npm's hoisted placement, peers, overrides, workspaces, lockfile reuse.
//
// Why by hand rather than @npmcli/arborist: arborist loads every manifest into heavyweight Node objects, re-walks the
// tree many times and cannot say why it chose what it chose. This follows arborist's placement rules (breadth-first by
// depth then path, each dependency at the shallowest target that neither conflicts nor shadows, KEEP/REPLACE/CONFLICT)
// on a small typed graph, fetching metadata in parallel, and records the rule behind every choice so `why`, `explain`
// and the UI can say it — an order of magnitude faster than npm and able to explain itself.
import { checkPlatform } from 'npm-install-checks';
import semver from 'semver';
import { ShelfError, badRequest } from '../../errors';
import { ResolutionFailure, type PlacedRef, type Requirement } from './failure';
import { parseOverrides, ruleForEdge } from './overrides';
import { NoMatchingVersion, pickVersion } from './pick-version';
import type { RegistryClient } from './registry-client';
import { nodeSatisfies, parseSpec } from './spec';
import type {
  Choice,
  Edge,
  EdgeType,
  Manifest,
  Packument,
  Node,
  OverrideRule,
  PeerWarning,
  ProjectInput,
  ResolveOptions,
  ResolvedGraph,
} from './types';
import { computeFlags } from './flags';
import { normaliseManifestRanges } from './cargo-ranges';
import { bundleNames, readBundledTree, type BundledPackage } from './bundled';
import { assertTreeSound } from './tree-invariant';

const collator = new Intl.Collator('en');
type Placement = 'OK' | 'KEEP' | 'REPLACE' | 'CONFLICT';
const MAX_STEPS = 500_000;

export const isPeer = (type: EdgeType): boolean => type === 'peer' || type === 'peerOptional';

export async function resolveProject(project: ProjectInput, client: RegistryClient, options: ResolveOptions = {}): Promise<ResolvedGraph> {
  const graph = await new TreeBuilder(project, client, options).build();
  // Cheap next to the resolution itself (one walk over the edges), and it keeps an unsound tree out of every lockfile.
  assertTreeSound(graph);
  return graph;
}

interface Pending {
  node: Node;
  /** Peers picked with it, placed beside it (npm's "peer set"). */
  peers: Map<string, Pending>;
}

class TreeBuilder {
  private readonly nodeVersion: string;
  private readonly edgesByName = new Map<string, Set<Edge>>();
  private readonly queue = new Set<Node>();
  private readonly removed = new WeakSet<Node>();
  private readonly distTags = new Map<string, Record<string, string>>();
  private readonly warnings: PeerWarning[] = [];
  private readonly workspacesByName = new Map<string, Node>();
  /** Edges that may stay unsatisfied: failed optional dependencies and overridden peer conflicts. */
  private readonly accepted = new WeakSet<Edge>();
  /** What each picked node ships in its own tarball's node_modules (bundleDependencies), attached when it is placed. */
  private readonly bundles = new WeakMap<Node, BundledPackage[]>();
  private root!: Node;
  private steps = 0;

  constructor(
    private readonly project: ProjectInput,
    private readonly client: RegistryClient,
    private readonly options: ResolveOptions,
  ) {
    this.nodeVersion = options.nodeVersion ?? process.version;
  }

  async build(): Promise<ResolvedGraph> {
    const { manifest } = this.project;
    const overrides = parseOverrides(manifest, this.options.extraOverrides);
    this.root = this.makeNode(manifest.name ?? 'project', manifest.name ?? 'project', manifest.version ?? '', manifest, {
      rule: 'root',
      skipped: [],
    });
    this.root.isRoot = true;
    this.root.location = '';
    this.root.overrides = overrides;
    for (const ws of this.project.workspaces) {
      const node = this.makeNode(ws.manifest.name, ws.manifest.name, ws.manifest.version ?? '0.0.0', ws.manifest, {
        rule: 'workspace',
        skipped: [],
      });
      node.isWorkspace = true;
      node.location = ws.path;
      node.parent = this.root;
      node.overrides = overrides;
      const link = this.makeNode(ws.manifest.name, ws.manifest.name, node.version, ws.manifest, { rule: 'workspace', skipped: [] });
      link.linkTarget = node;
      link.parent = this.root;
      link.location = `node_modules/${ws.manifest.name}`;
      this.root.children.set(link.name, link);
      this.workspacesByName.set(node.name, node);
    }
    this.addEdges(this.root);
    for (const ws of this.workspacesByName.values()) {
      // The root depends on each workspace through its link, as npm records it.
      this.addEdge(this.root, ws.name, `file:${ws.location}`, 'workspace');
      this.addEdges(ws);
    }
    // The look-ahead starts from the top nodes' own edges, so that with a warm cache the whole known tree is asked
    // about at once (see speculate) rather than after the first document has come back.
    for (const top of [this.root, ...this.workspacesByName.values()]) for (const edge of top.edgesOut.values()) this.prefetch(edge);
    this.queue.add(this.root);
    // As npm's buildIdealTree does, a workspace is visited when a placement breaks one of its edges (it is queued
    // then, like any dependent), and otherwise only after the root's whole tree (#resolveLinks): the root's tools take
    // the hoisted places first, and a workspace wanting another major nests it.
    const deferred = new Set(this.workspacesByName.values());
    for (let round = 0; round < 2; round++) {
      for (let node = this.nextInQueue(); node; node = this.nextInQueue()) {
        if (++this.steps > MAX_STEPS)
          throw new ShelfError('internal', 'resolution did not settle; this is a bug in Shelf, please report the package.json');
        deferred.delete(node);
        await this.buildDepStep(node);
      }
      for (const ws of deferred) this.queue.add(ws);
      deferred.clear();
    }
    const nodes = this.collectNodes();
    computeFlags(this.root, nodes);
    this.checkPlatforms(nodes);
    return { root: this.root, nodes, warnings: this.warnings };
  }

  // ---- the tree ----

  private makeNode(name: string, packageName: string, version: string, manifest: Manifest, choice: Choice): Node {
    return {
      name,
      packageName,
      version,
      location: '',
      parent: null,
      children: new Map(),
      manifest,
      edgesOut: new Map(),
      edgesIn: new Set(),
      isRoot: false,
      isWorkspace: false,
      inBundle: false,
      choice,
      overrides: null,
      flags: { dev: false, optional: false, devOptional: false, peer: false },
    };
  }

  private isTop(node: Node): boolean {
    return node.isRoot || node.isWorkspace;
  }

  /** npm's edge loading order: peers, then dependencies, optionalDependencies, and (top nodes only) devDependencies, later ones winning. */
  private addEdges(node: Node): void {
    const m = node.manifest;
    if (!this.options.legacyPeerDeps) {
      for (const [name, spec] of Object.entries(m.peerDependencies ?? {})) {
        this.addEdge(node, name, spec, m.peerDependenciesMeta?.[name]?.optional ? 'peerOptional' : 'peer');
      }
    }
    for (const [name, spec] of Object.entries(m.dependencies ?? {})) this.addEdge(node, name, spec, 'prod');
    for (const [name, spec] of Object.entries(m.optionalDependencies ?? {})) this.addEdge(node, name, spec, 'optional');
    if (this.isTop(node)) for (const [name, spec] of Object.entries(m.devDependencies ?? {})) this.addEdge(node, name, spec, 'dev');
  }

  private addEdge(from: Node, name: string, spec: string, type: EdgeType): void {
    const previous = from.edgesOut.get(name);
    if (previous) this.dropEdge(previous);
    const rule = type === 'workspace' ? null : ruleForEdge(from.overrides, name, spec);
    const edge: Edge = { from, name, spec, effectiveSpec: rule?.value ?? spec, type, to: null };
    from.edgesOut.set(name, edge);
    let set = this.edgesByName.get(name);
    if (!set) this.edgesByName.set(name, (set = new Set()));
    set.add(edge);
    this.reresolve(edge);
  }

  private dropEdge(edge: Edge): void {
    edge.to?.edgesIn.delete(edge);
    this.edgesByName.get(edge.name)?.delete(edge);
    edge.from.edgesOut.delete(edge.name);
  }

  /** What `name` resolves to from `node`, walking up node_modules folders as Node's require does. */
  private resolveFrom(node: Node | null, name: string): Node | null {
    for (let n = node; n; n = n.parent) {
      const child = n.children.get(name);
      if (child) return child;
    }
    return null;
  }

  private reresolve(edge: Edge): void {
    const to = this.resolveFrom(edge.from, edge.name);
    if (to === edge.to) return;
    edge.to?.edgesIn.delete(edge);
    edge.to = to;
    to?.edgesIn.add(edge);
  }

  private real(node: Node): Node {
    return node.linkTarget ?? node;
  }

  private tagTarget = (pkg: string, tag: string): string | undefined => this.distTags.get(pkg)?.[tag];

  private satisfiesEdge(node: Node, edge: Edge): boolean {
    if (edge.type === 'workspace') return node.linkTarget !== undefined || node.isWorkspace;
    return nodeSatisfies(this.real(node), edge.name, edge.effectiveSpec, this.tagTarget);
  }

  private valid(edge: Edge): boolean {
    if (!edge.to) return edge.type === 'peerOptional';
    return this.satisfiesEdge(edge.to, edge);
  }

  private isProblem(edge: Edge): boolean {
    return !this.valid(edge) && !this.accepted.has(edge);
  }

  private isWithin(node: Node, ancestor: Node): boolean {
    for (let n: Node | null = node; n; n = n.parent) if (n === ancestor) return true;
    return false;
  }

  private *ancestry(node: Node): Generator<Node> {
    for (let n: Node | null = node; n; n = n.parent) yield n;
  }

  private depth(node: Node): number {
    let depth = 0;
    for (let n = node; n.parent && !this.isTop(n); n = n.parent) depth += 1;
    return depth;
  }

  /** Depths of queued nodes: a placed node never moves, so its depth is computed once rather than on every scan. */
  private readonly depths = new WeakMap<Node, number>();

  private queuedDepth(node: Node): number {
    let depth = this.depths.get(node);
    if (depth === undefined) this.depths.set(node, (depth = this.depth(node)));
    return depth;
  }

  private nextInQueue(): Node | undefined {
    let best: Node | undefined;
    let bestDepth = Infinity;
    for (const node of this.queue) {
      const depth = this.queuedDepth(node);
      if (!best || depth < bestDepth || (depth === bestDepth && collator.compare(node.location, best.location) < 0)) {
        best = node;
        bestDepth = depth;
      }
    }
    if (best) this.queue.delete(best);
    return best;
  }

  /** After `name` appears or disappears at `target`, edges below it may resolve elsewhere; broken ones send their owner back to the queue. */
  private treeChanged(target: Node, name: string): void {
    for (const edge of this.edgesByName.get(name) ?? []) {
      if (this.removed.has(edge.from) || !this.isWithin(edge.from, target)) continue;
      this.reresolve(edge);
      if (this.isProblem(edge)) this.queue.add(edge.from);
    }
  }

  private insert(node: Node, target: Node): void {
    node.parent = target;
    node.location = target.isRoot ? `node_modules/${node.name}` : `${target.location}/node_modules/${node.name}`;
    target.children.set(node.name, node);
    const bundled = this.bundles.get(node);
    if (bundled) this.attachBundle(node, bundled);
    this.addEdges(node);
    this.treeChanged(target, node.name);
    this.queue.add(node);
    for (const edge of node.edgesOut.values()) if (!edge.to?.inBundle) this.prefetch(edge);
  }

  /** Bundled packages come from the parent's tarball as they are: placed under it, never fetched or re-resolved (as npm does). */
  private attachBundle(parent: Node, bundled: BundledPackage[]): void {
    const added: Node[] = [];
    const attach = (into: Node, list: BundledPackage[]) => {
      for (const b of list) {
        const child = this.makeNode(b.name, b.manifest.name, b.manifest.version, b.manifest, { rule: 'bundled', skipped: [] });
        child.inBundle = true;
        child.parent = into;
        child.location = `${into.location}/node_modules/${b.name}`;
        child.overrides = into.overrides;
        into.children.set(b.name, child);
        added.push(child);
        attach(child, b.children);
      }
    };
    attach(parent, bundled);
    for (const child of added) this.addEdges(child);
  }

  private remove(node: Node): void {
    const stack = [node];
    while (stack.length) {
      const n = stack.pop()!;
      this.removed.add(n);
      this.queue.delete(n);
      for (const edge of [...n.edgesOut.values()]) this.dropEdge(edge);
      stack.push(...n.children.values());
    }
    node.parent?.children.delete(node.name);
    if (node.parent) this.treeChanged(node.parent, node.name);
  }

  private collectNodes(): Map<string, Node> {
    const all: Node[] = [this.root];
    const walk = (n: Node): void => {
      for (const child of n.children.values()) {
        all.push(child);
        walk(child);
      }
    };
    walk(this.root);
    for (const ws of this.workspacesByName.values()) {
      all.push(ws);
      walk(ws);
    }
    all.sort((a, b) => collator.compare(a.location, b.location));
    return new Map(all.map((n) => [n.location, n]));
  }

  // ---- one step: fix a node's missing or invalid dependencies ----

  private async buildDepStep(node: Node): Promise<void> {
    if (this.removed.has(node) || node.linkTarget || node.inBundle) return;
    const problems = [...node.edgesOut.values()].filter((e) => this.isProblem(e) && e.type !== 'workspace');
    if (problems.length === 0) return;
    const picked = await Promise.all(problems.map((edge) => this.pendingFromEdge(edge, node)));
    const tasks = problems.map((edge, i) => ({ edge, pending: picked[i] })).sort((a, b) => collator.compare(a.edge.name, b.edge.name));
    for (const { edge, pending } of tasks) {
      if (this.removed.has(node) || !this.isProblem(edge)) continue;
      if (!pending) continue;
      this.placeDep(edge, pending);
    }
  }

  private prefetch(edge: Edge): void {
    if (edge.type === 'workspace' || edge.type === 'peerOptional') return;
    this.speculate(edge.name, edge.effectiveSpec);
  }

  /** name + spec pairs already followed ahead of the placement (see speculate). */
  private readonly speculated = new Set<string>();

  /**
   * Fetches ahead of placement: as soon as a packument arrives, picks the version this spec would get and asks for its
   * dependencies' packuments, and theirs in turn. Placement walks the tree level by level and waits for each level's
   * documents; without this, a cold run waited for one network round trip per level. The picks are cached per document,
   * so the placement reuses them; a guess that placement does not take costs one unneeded document, never a wrong result.
   */
  private speculate(name: string, spec: string): void {
    const key = `${name}\0${spec}`;
    if (this.speculated.has(key)) return;
    this.speculated.add(key);
    let requested;
    try {
      requested = parseSpec(name, spec, 'a dependency');
    } catch {
      return; // reported when the edge is resolved
    }
    if (requested.kind === 'workspace' || this.workspacesByName.has(requested.packageName)) return;
    // A document the cache policy trusts is read without a request, so there is nothing to get ahead of: following it
    // would only pick versions for specs the placement may never ask about (a tenth of a warm --prefer-offline run's
    // CPU). Below such a document, an uncached one is then fetched when the placement reaches it.
    if (this.client.answersFromCache(requested.packageName)) return;
    const wanted = requested;
    const follow = (packument: Packument): void => {
      const manifest = normaliseManifestRanges(pickVersion(packument, wanted, this.nodeVersion).manifest);
      // What the package bundles comes from its tarball, never from the registry.
      const bundled = bundleNames(manifest);
      for (const deps of [manifest.dependencies, manifest.optionalDependencies]) {
        for (const [dep, depSpec] of Object.entries(deps ?? {})) if (!bundled.includes(dep)) this.speculate(dep, depSpec);
      }
      if (this.options.legacyPeerDeps) return;
      for (const [peer, peerSpec] of Object.entries(manifest.peerDependencies ?? {}))
        if (!manifest.peerDependenciesMeta?.[peer]?.optional) this.speculate(peer, peerSpec);
    };
    const current = this.client.packument(wanted.packageName);
    // With a warm metadata cache the look-ahead follows the cached copy at once, before the registry has confirmed it:
    // every conditional request of a revalidating run is then in flight together (one round of parallel 304s) instead
    // of a chain of round trips one dependency level deep each. Only the look-ahead uses the unconfirmed copy; the
    // placement waits for packument(), which gives back this same object on a 304 or the new document otherwise.
    const cached = this.client.peek(wanted.packageName);
    if (cached) this.followLater(() => follow(cached));
    current.then((packument) => (packument === cached ? undefined : follow(packument))).catch(() => undefined);
  }

  /** Cached copies still to follow, in the order they were asked for (see followLater). */
  private readonly lookahead: (() => void)[] = [];

  /**
   * Follows cached copies breadth first, in a microtask: the requests then queue level by level, the order in which
   * the placement needs the answers (a depth-first walk queued the root's last dependency behind a whole subtree).
   */
  private followLater(follow: () => void): void {
    if (this.lookahead.push(follow) > 1) return;
    queueMicrotask(() => {
      // Bounded by the speculated set: each name + spec pair is followed at most once.
      for (let i = 0; i < this.lookahead.length; i++) {
        try {
          this.lookahead[i]!();
        } catch {
          // no version fits in the cached copy: the current one may have it (followed when it arrives)
        }
      }
      this.lookahead.length = 0;
    });
  }

  /** Picks the version for an edge (lockfile, workspace, registry) and the peers that must come with it. */
  private async pendingFromEdge(edge: Edge, from: Node, seen = new Set<string>()): Promise<Pending | null> {
    const where = this.describe(from);
    const requested = parseSpec(edge.name, edge.effectiveSpec, where);
    const workspace = this.workspacesByName.get(requested.packageName);
    if (
      workspace &&
      (requested.kind === 'workspace' ||
        (requested.kind === 'range' && semver.satisfies(workspace.version, requested.range, { loose: true })))
    ) {
      // Linked, not fetched: the link already sits at the root, so placing it means putting a link beside the dependent.
      const link = this.makeNode(edge.name, workspace.name, workspace.version, workspace.manifest, { rule: 'workspace', skipped: [] });
      link.linkTarget = workspace;
      return { node: link, peers: new Map() };
    }
    if (requested.kind === 'workspace') {
      throw new ResolutionFailure({
        kind: 'no-version',
        requirement: this.requirement(edge),
        packageName: requested.packageName,
        available: [],
      });
    }
    let manifest: Manifest;
    let choice: Choice;
    try {
      const packument = await this.client.packument(requested.packageName);
      this.distTags.set(requested.packageName, packument['dist-tags']);
      const locked = this.lockedChoice(from, edge);
      const lockedManifest = locked ? packument.versions[locked] : undefined;
      if (lockedManifest) {
        manifest = lockedManifest;
        choice = { rule: 'lockfile', skipped: [] };
      } else {
        ({ manifest, choice } = pickVersion(packument, requested, this.nodeVersion));
        if (edge.effectiveSpec !== edge.spec) choice = { ...choice, rule: 'override' };
        // Name the dependent whose range kept the newest version out (the pick itself is shared between edges).
        if (choice.newestRejected) choice = { ...choice, newestRejected: { ...choice.newestRejected, by: this.describe(from) } };
      }
    } catch (error) {
      if (edge.type === 'optional') {
        // npm drops an optional dependency it cannot get, and so do we.
        this.accepted.add(edge);
        return null;
      }
      if (error instanceof NoMatchingVersion) {
        throw new ResolutionFailure({
          kind: 'no-version',
          requirement: this.requirement(edge),
          packageName: requested.packageName,
          available: error.available,
          held: error.held,
        });
      }
      throw error;
    }
    // Packages published through /api/v1 by older ecosystems may write Cargo-style ranges; read them as node-semver.
    manifest = normaliseManifestRanges(manifest);
    const node = this.makeNode(edge.name, requested.packageName, manifest.version, manifest, choice);
    node.overrides = (edge.type !== 'workspace' && ruleForEdge(from.overrides, edge.name, edge.spec)) || from.overrides;
    if (edge.type === 'optional' && !this.platformFits(manifest)) node.platformSkipped = this.platformText(manifest);
    if (bundleNames(manifest).length && manifest.dist?.tarball) {
      const label = `${manifest.name}@${manifest.version}`;
      this.bundles.set(node, await readBundledTree(await this.client.tarball(manifest.dist.tarball), label));
    }
    const pending: Pending = { node, peers: new Map() };
    if (!this.options.legacyPeerDeps) {
      seen.add(edge.name);
      for (const [peerName, peerSpec] of Object.entries(manifest.peerDependencies ?? {})) {
        // A name also listed as a (optional) dependency is an ordinary edge, as npm loads it last; it is not in the peer set.
        if (
          seen.has(peerName) ||
          manifest.dependencies?.[peerName] !== undefined ||
          manifest.optionalDependencies?.[peerName] !== undefined
        )
          continue;
        const optional = manifest.peerDependenciesMeta?.[peerName]?.optional === true;
        const peerEdge: Edge = {
          from: node,
          name: peerName,
          spec: peerSpec,
          effectiveSpec: ruleForEdge(node.overrides, peerName, peerSpec)?.value ?? peerSpec,
          type: optional ? 'peerOptional' : 'peer',
          to: null,
        };
        // A peer already reachable from the dependent that fits is kept rather than fetched again, as npm does.
        const existing = this.resolveFrom(from, peerName);
        if (existing && this.satisfiesEdge(existing, peerEdge)) continue;
        // An optional peer joins the set only when a copy that does not fit is already in reach (npm's peer set does the same).
        if (optional && !existing) continue;
        const peer = await this.peerFor(peerEdge, from, seen);
        if (peer) pending.peers.set(peerName, peer);
      }
    }
    return pending;
  }

  /**
   * The version for a peer in a dependency's peer set. As npm does (#loadPeerSet), when the dependent itself depends on
   * that name, its own range chooses and the peer's range only advises: the peer's pick is taken instead only when the
   * dependent's pick does not satisfy the peer and the peer's pick satisfies the dependent. (react-scripts wants
   * react-refresh ^0.11.0, and a plugin it depends on peers on <1.0.0: both get 0.11.0, not 0.19.0 beside a nested copy.)
   */
  private async peerFor(peerEdge: Edge, from: Node, seen: Set<string>): Promise<Pending | null> {
    const own = from.edgesOut.get(peerEdge.name);
    if (!own || own.type === 'workspace') return this.pendingFromEdge(peerEdge, from, seen);
    const before = new Set(seen);
    const byOwn = await this.pendingFromEdge({ ...peerEdge, spec: own.spec, effectiveSpec: own.effectiveSpec }, from, seen);
    if (!byOwn || this.satisfiesEdge(byOwn.node, peerEdge)) return byOwn;
    const byPeerSeen = new Set(before);
    const byPeer = await this.pendingFromEdge(peerEdge, from, byPeerSeen);
    if (!byPeer || !this.satisfiesEdge(byPeer.node, own)) return byOwn;
    for (const name of byPeerSeen) seen.add(name);
    return byPeer;
  }

  /** The version an existing lockfile put where this edge would resolve from, if it still satisfies. */
  private lockedChoice(from: Node, edge: Edge): string | undefined {
    const lock = this.options.lockfile;
    if (!lock) return undefined;
    for (const n of this.ancestry(from)) {
      const location = n.isRoot ? `node_modules/${edge.name}` : `${n.location}/node_modules/${edge.name}`;
      const entry = lock.get(location);
      if (!entry) continue;
      const fits = nodeSatisfies(
        { packageName: entry.name, version: entry.version, isWorkspace: false },
        edge.name,
        edge.effectiveSpec,
        this.tagTarget,
      );
      return fits ? entry.version : undefined;
    }
    return undefined;
  }

  private platformFits(manifest: Manifest): boolean {
    const platform = this.options.platform;
    try {
      checkPlatform(
        { os: manifest.os, cpu: manifest.cpu, libc: manifest.libc, _id: `${manifest.name}@${manifest.version}` },
        false,
        platform ? { os: platform.os, cpu: platform.cpu, libc: platform.libc } : undefined,
      );
      return true;
    } catch {
      return false;
    }
  }

  /**
   * npm refuses a tree (EBADPLATFORM) when a package that is not optional on every path to it declares an os/cpu/libc
   * this machine does not have; an optional one is only skipped. The same decision here: no lockfile is written.
   */
  private checkPlatforms(nodes: Map<string, Node>): void {
    for (const node of nodes.values()) {
      if (node.isRoot || node.isWorkspace || node.linkTarget || node.inBundle || node.flags.optional) continue;
      const m = node.manifest;
      if ((!m.os && !m.cpu && !m.libc) || this.platformFits(m)) continue;
      const platform = this.options.platform ?? { os: process.platform, cpu: process.arch };
      throw badRequest(
        `${node.packageName}@${node.version} (${node.location}) ${this.platformText(m)} but this machine is ${platform.os}/${platform.cpu}, and your project requires it (it is not optional on every path to it), as npm would refuse with EBADPLATFORM; move it to optionalDependencies, or lock on a machine it supports`,
      );
    }
  }

  private platformText(manifest: Manifest): string {
    const parts = [
      manifest.os && `os ${manifest.os.join(',')}`,
      manifest.cpu && `cpu ${manifest.cpu.join(',')}`,
      manifest.libc && `libc ${manifest.libc.join(',')}`,
    ].filter(Boolean);
    return `needs ${parts.join(', ')}`;
  }

  // ---- placement (arborist's PlaceDep / CanPlaceDep) ----

  /** The deepest folder a dependency may go: the dependent itself, or for a peer, the first ancestor that does not also want it as a peer. */
  private deepestNestingTarget(start: Node, name: string): Node {
    for (const target of this.ancestry(start)) {
      if (this.isTop(target) || !target.parent) return target;
      const edge = target.edgesOut.get(name);
      if (!edge || !isPeer(edge.type)) return target;
    }
    return start;
  }

  private placeDep(edge: Edge, pending: Pending, ignorePeers = false, entry: Edge = edge): void {
    const dep = pending.node;
    const start = isPeer(edge.type) ? this.deepestNestingTarget(edge.from, edge.name) : edge.from;
    let chosen: { target: Node; how: Placement } | undefined;
    let peerBlock: { peer: Pending; found: Node } | undefined;
    for (const target of this.ancestry(start)) {
      const targetEdge = target.edgesOut.get(edge.name);
      if (!this.isTop(target) && target !== start && targetEdge && isPeer(targetEdge.type)) continue;
      const verdict = this.canPlace(dep, edge, target, ignorePeers ? undefined : pending, entry);
      if (verdict.how === 'CONFLICT') {
        peerBlock ??= verdict.peerBlock;
        break;
      }
      chosen = { target, how: verdict.how };
      if (verdict.how === 'KEEP' || target.isRoot) break;
    }
    if (!chosen) {
      this.peerConflict(edge, pending, peerBlock);
      return;
    }
    const { target, how } = chosen;
    if (how === 'KEEP') return;
    let replaced: Map<string, Node | null> | undefined;
    let kept: Node[] = [];
    if (how === 'REPLACE') {
      const old = target.children.get(dep.name)!;
      // What the old copy depended on, read before removing it drops its edges (for the pruning below).
      replaced = new Map([...old.edgesOut].map(([name, e]) => [name, e.to]));
      // npm's Node.replace keeps the old copy's node_modules under the new one; what the new one does not need is pruned below.
      if (!dep.linkTarget && !old.linkTarget && !this.bundles.has(dep)) {
        kept = [...old.children.values()].filter((kid) => !kid.inBundle);
        for (const kid of kept) old.children.delete(kid.name);
      }
      this.remove(old);
    }
    if (dep.linkTarget) {
      dep.location = target.isRoot ? `node_modules/${dep.name}` : `${target.location}/node_modules/${dep.name}`;
      dep.parent = target;
      target.children.set(dep.name, dep);
      this.treeChanged(target, dep.name);
      return;
    }
    for (const kid of kept) {
      kid.parent = dep;
      dep.children.set(kid.name, kid);
    }
    this.insert(dep, target);
    for (const kid of kept) this.relocate(kid);
    if (replaced) this.pruneForReplacement(dep, replaced);
    this.pruneDuplicatesBelow(edge, dep, target);
    for (const [peerName, peer] of pending.peers) {
      const peerEdge = dep.edgesOut.get(peerName);
      if (peerEdge && this.isProblem(peerEdge)) this.placeDep(peerEdge, peer, ignorePeers, entry);
    }
  }

  private canPlace(
    dep: Node,
    edge: Edge,
    target: Node,
    pending: Pending | undefined,
    entry: Edge = edge,
  ): { how: Placement; peerBlock?: { peer: Pending; found: Node } } {
    const current = target.children.get(dep.name);
    if (current) {
      const same = current.packageName === dep.packageName && current.version === dep.version && !!current.linkTarget === !!dep.linkTarget;
      if (same && this.satisfiesEdge(current, edge)) return { how: 'KEEP' };
      if (!current.linkTarget && !dep.linkTarget && semver.gte(dep.version, current.version, true) && this.canReplace(dep, current)) {
        return this.withPeers('REPLACE', target, pending, edge);
      }
      if (this.satisfiesEdge(current, edge)) return { how: 'KEEP' };
      // Peers prefer deduping (npm's CanPlaceDep): an older copy that every dependent of the current one accepts replaces it.
      if (isPeer(edge.type) && !current.linkTarget && !dep.linkTarget && this.canReplace(dep, current)) {
        const verdict = this.withPeers('REPLACE', target, pending, edge);
        if (verdict.how !== 'CONFLICT') return verdict;
      }
      const deepest = this.deepestNestingTarget(edge.from, edge.name);
      if (target !== deepest) return { how: 'CONFLICT' };
      if (!isPeer(edge.type) && target === edge.from) return this.withPeers('REPLACE', target, pending, edge);
      // A peer at its deepest place: the copy there may still go if whoever brought it can take it deeper (npm's peerEntrySets check).
      if (isPeer(edge.type) && pending && this.currentCanMove(current, target, edge, entry, pending))
        return this.withPeers('REPLACE', target, pending, edge);
      return { how: 'CONFLICT' };
    }
    if (target !== edge.from && target.parent) {
      const shadowed = this.resolveFrom(target.parent, dep.name);
      if (shadowed) {
        for (const e of shadowed.edgesIn) {
          if (this.isWithin(e.from, target) && this.valid(e) && !this.satisfiesEdge(dep, e)) return { how: 'CONFLICT' };
        }
      }
    }
    return this.withPeers('OK', target, pending, edge);
  }

  /**
   * After `placed` replaced `old`: what only the old copy needed (and what the new copy's invalid edges point at, if
   * nothing else needs it) goes too, as npm's PlaceDep prunes it. Left in place, such orphans would shadow or block
   * later placements (eslint 8's @eslint/eslintrc at the root after eslint 7 replaced it) and end up in the lockfile.
   */
  private pruneForReplacement(placed: Node, oldDeps: Map<string, Node | null>): void {
    const candidates = new Set<Node>();
    for (const edge of placed.edgesOut.values()) if (edge.to && !this.valid(edge) && !edge.to.inBundle) candidates.add(edge.to);
    for (const [name, to] of oldDeps) {
      if (placed.edgesOut.has(name) || !to || this.removed.has(to)) continue;
      for (const n of this.gatherDepSet([to], (e) => e.to !== to && this.valid(e))) candidates.add(n);
    }
    const junk = this.gatherDepSet(candidates, (e) => e.from !== placed && e.to !== placed && this.valid(e));
    for (const n of junk) if (!this.removed.has(n) && !n.isRoot && !n.isWorkspace && !n.inBundle && !n.linkTarget) this.remove(n);
  }

  /**
   * Whether `current` (at the deepest place a peer can go) may be replaced: for every edge that brought current's peer
   * group into the tree, either the incoming set has a member that can stand in for it, or the group could be nested
   * deeper than `target` under that edge's dependent (it is then re-placed there when its dependent is revisited).
   */
  private currentCanMove(current: Node, target: Node, edge: Edge, entry: Edge, pending: Pending): boolean {
    const incoming = new Map<string, Node>([[pending.node.name, pending.node]]);
    const collect = (p: Pending): void => {
      for (const [name, peer] of p.peers) {
        if (incoming.has(name)) continue;
        incoming.set(name, peer.node);
        collect(peer);
      }
    };
    collect(pending);
    const union = new Set<Node>([current]);
    for (const n of union) {
      for (const e of n.edgesOut.values()) if (isPeer(e.type) && e.to && this.valid(e)) union.add(e.to);
      for (const e of n.edgesIn) if (isPeer(e.type) && this.valid(e)) union.add(e.from);
    }
    for (const peer of union) {
      for (const e of peer.edgesIn) {
        if (!this.valid(e) || (isPeer(e.type) && !this.isTop(e.from)) || e === edge || e === entry) continue;
        const sub = new Set<Node>([peer]);
        for (const n of sub) for (const o of n.edgesOut.values()) if (isPeer(o.type) && o.to && this.valid(o)) sub.add(o.to);
        if (!sub.has(current)) continue;
        const entryNode = e.to!;
        const rep = incoming.get(entryNode.name);
        if (rep && this.canReplace(rep, entryNode)) continue;
        if (!rep) {
          let clobber = true;
          for (const n of sub)
            for (const o of n.edgesOut.values()) {
              const r = isPeer(o.type) && this.valid(o) ? incoming.get(o.name) : undefined;
              if (r && !this.satisfiesEdge(r, o)) clobber = false;
            }
          if (clobber) continue;
        }
        for (const member of sub) {
          const deepest = this.deepestNestingTarget(e.from, member.name);
          if (deepest === target || this.isWithin(target, deepest)) return false;
        }
      }
    }
    return true;
  }

  /**
   * npm's PlaceDep after a placement: copies of the same name deeper under the target that the new one now makes
   * redundant (the same version, or nothing needs them) go, with whatever only they needed. Without this, a nested copy
   * placed while the target held another version stays after that version was replaced.
   */
  private pruneDuplicatesBelow(edge: Edge, placed: Node, target: Node): void {
    if (edge.to && edge.to !== placed && this.valid(edge)) this.pruneIfDedupable(edge.to);
    const named = new Set<Node>();
    for (const e of this.edgesByName.get(placed.name) ?? []) if (e.to) named.add(e.to);
    const sorted = [...named].sort((a, b) => collator.compare(a.location, b.location));
    for (const node of sorted) {
      if (node === placed || this.removed.has(node) || this.isTop(node) || !this.isWithin(node, target) || node === target) continue;
      if (this.pruneIfDedupable(node)) continue;
      for (const kid of [...node.children.values()].sort((a, b) => collator.compare(a.location, b.location))) this.pruneIfDedupable(kid);
    }
  }

  /** npm's Node.canDedupe (without --prefer-dedupe) and the pruning that follows it; true when the node went. */
  private pruneIfDedupable(node: Node): boolean {
    if (this.removed.has(node) || node.inBundle || node.linkTarget || this.isTop(node) || !node.parent?.parent) return false;
    let dedupe = node.edgesIn.size === 0;
    if (!dedupe) {
      const other = this.resolveFrom(node.parent.parent, node.name);
      if (!other || other.linkTarget) return false;
      dedupe = other.packageName === node.packageName && other.version === node.version;
    }
    if (!dedupe) return false;
    for (const n of this.gatherDepSet([node], (e) => e.to !== node && this.valid(e)))
      if (!this.removed.has(n) && !this.isTop(n) && !n.inBundle && !n.linkTarget) this.remove(n);
    return true;
  }

  /** A moved node's location and its subtree's follow its parent's. */
  private relocate(node: Node): void {
    const stack = [node];
    while (stack.length) {
      const n = stack.pop()!;
      n.location = `${n.parent!.location}/node_modules/${n.name}`;
      stack.push(...n.children.values());
    }
  }

  /** npm's gatherDepSet: the nodes reachable from `start` through `keep` edges that nothing outside the set reaches that way. */
  private gatherDepSet(start: Iterable<Node>, keep: (e: Edge) => boolean): Set<Node> {
    const deps = new Set<Node>(start);
    for (const node of deps) for (const edge of node.edgesOut.values()) if (edge.to && keep(edge)) deps.add(edge.to);
    let changed = true;
    for (let round = 0; changed && deps.size > 0 && round <= deps.size + 1; round++) {
      changed = false;
      for (const dep of deps) {
        for (const edge of dep.edgesIn) {
          if (!deps.has(edge.from) && keep(edge)) {
            deps.delete(dep);
            changed = true;
            break;
          }
        }
      }
    }
    return deps;
  }

  /** A node can replace another when every edge into the old one accepts the new one. */
  private canReplace(dep: Node, current: Node): boolean {
    for (const e of current.edgesIn) if (!this.satisfiesEdge(dep, e)) return false;
    return true;
  }

  /** The dependency's peers must be able to sit beside it at the target (or be satisfied from above). */
  private withPeers(
    how: Placement,
    target: Node,
    pending: Pending | undefined,
    edge?: Edge,
  ): { how: Placement; peerBlock?: { peer: Pending; found: Node } } {
    if (!pending) return { how };
    for (const peer of pending.peers.values()) {
      const current = target.children.get(peer.node.name);
      const peerEdgeStub: Edge = {
        from: pending.node,
        name: peer.node.name,
        spec: '',
        effectiveSpec: pending.node.manifest.peerDependencies?.[peer.node.name] ?? '*',
        type: 'peer',
        to: null,
      };
      if (current) {
        if (this.satisfiesEdge(current, peerEdgeStub)) continue;
        // Peers are checked preferring dedupe, as npm does: any copy every current dependent accepts may replace it.
        if (!current.linkTarget && this.canReplace(peer.node, current)) continue;
        // Or the target is as deep as this peer may go and the copy there can itself move deeper (see currentCanMove).
        if (edge && !current.linkTarget) {
          const deepest = this.deepestNestingTarget(this.deepestNestingTarget(edge.from, edge.name), peer.node.name);
          if (deepest === target && this.currentCanMove(current, target, peerEdgeStub, edge, pending)) continue;
        }
        return { how: 'CONFLICT', peerBlock: { peer, found: current } };
      }
      const above = target.parent ? this.resolveFrom(target.parent, peer.node.name) : null;
      if (above && !this.satisfiesEdge(above, peerEdgeStub)) {
        for (const e of above.edgesIn) {
          if (this.isWithin(e.from, target) && this.valid(e) && !this.satisfiesEdge(peer.node, e))
            return { how: 'CONFLICT', peerBlock: { peer, found: above } };
        }
      }
      const nested = this.withPeers('OK', target, peer);
      if (nested.how === 'CONFLICT') return nested;
    }
    return { how };
  }

  /**
   * No place fits. npm's default: fail when the conflict involves your project's own dependencies (the dependent is
   * the root, a workspace or one of their direct dependencies); otherwise warn "overriding peer dependency" and keep
   * what is there. --strict-peer-deps fails always.
   */
  private peerConflict(edge: Edge, pending: Pending, peerBlock: { peer: Pending; found: Node } | undefined): void {
    const peerEdge = isPeer(edge.type) ? edge : undefined;
    const dependent = peerEdge ? edge.from : pending.node;
    const peerName = peerEdge ? edge.name : (peerBlock?.peer.node.name ?? edge.name);
    const peerSpec = peerEdge ? edge.effectiveSpec : (pending.node.manifest.peerDependencies?.[peerName] ?? '*');
    const found = peerEdge
      ? (this.resolveFrom(this.deepestNestingTarget(edge.from, edge.name), edge.name) ?? edge.to)
      : (peerBlock?.found ?? null);
    const mine = this.isTop(edge.from) || (edge.from.parent !== null && this.isTop(edge.from.parent) && this.isDirectDependency(edge.from));
    const requirement: Requirement = {
      from: this.placedRef(dependent, peerEdge ? undefined : edge),
      name: peerName,
      spec: peerSpec,
      type: 'peer',
    };
    if (this.options.strictPeerDeps || mine || !found) {
      throw new ResolutionFailure({
        kind: 'peer-conflict',
        requirement,
        found: found ? this.placedRef(found) : { name: peerName, version: '(none)', location: '', path: [] },
        foundRequiredBy: found ? [...found.edgesIn].filter((e) => e.from !== dependent).map((e) => this.requirement(e)) : [],
      });
    }
    this.warnings.push(this.peerWarning(dependent, peerName, peerSpec, found));
    if (peerEdge) {
      peerEdge.peerConflicted = true;
      this.accepted.add(peerEdge);
    } else {
      // Place the dependency anyway; its unsatisfiable peer edge is then accepted as overridden.
      this.placeDep(edge, pending, true);
      const stranded = pending.node.edgesOut.get(peerName);
      if (stranded) {
        stranded.peerConflicted = true;
        this.accepted.add(stranded);
      }
    }
  }

  private isDirectDependency(node: Node): boolean {
    const parent = node.parent;
    return !!parent && parent.edgesOut.has(node.name);
  }

  /** npm's warning, line for line, so people who know it recognise it. */
  private peerWarning(dependent: Node, peerName: string, peerSpec: string, found: Node): PeerWarning {
    const lines = [
      'ERESOLVE overriding peer dependency',
      `While resolving: ${dependent.packageName}@${dependent.version}`,
      `Found: ${found.packageName}@${found.version}`,
      found.location,
      ...[...found.edgesIn].map((e) => `  ${e.type === 'prod' ? '' : `${e.type} `}${e.name}@"${e.spec}" from ${this.who(e.from)}`),
      '',
      'Could not resolve dependency:',
      `peer ${peerName}@"${peerSpec}" from ${dependent.packageName}@${dependent.version}`,
      dependent.location,
    ];
    return {
      lines,
      edge: { from: dependent.location, name: peerName, spec: peerSpec, type: 'peer' },
      found: `${found.packageName}@${found.version}`,
    };
  }

  // ---- descriptions for failures ----

  private who(node: Node): string {
    return node.isRoot ? 'the root project' : `${node.packageName}@${node.version}`;
  }

  private describe(node: Node): string {
    return node.isRoot ? 'your project' : `${node.packageName}@${node.version} (${node.location})`;
  }

  private requirement(edge: Edge): Requirement {
    return { from: this.placedRef(edge.from), name: edge.name, spec: edge.effectiveSpec, type: edge.type };
  }

  /** A node with the chain of edges the root followed to it (first incoming edge at each step). */
  private placedRef(node: Node, via?: Edge): PlacedRef {
    const path: PlacedRef['path'] = [];
    let current: Node | null = node;
    let incoming: Edge | undefined = via;
    const seen = new Set<Node>();
    if (via) path.unshift({ name: node.packageName, version: node.version, type: via.type, spec: via.effectiveSpec });
    current = via ? via.from : node;
    while (current && !current.isRoot && !seen.has(current)) {
      seen.add(current);
      incoming = [...current.edgesIn].sort((a, b) => this.depth(a.from) - this.depth(b.from))[0];
      if (!incoming) break;
      path.unshift({ name: current.packageName, version: current.version, type: incoming.type, spec: incoming.effectiveSpec });
      current = incoming.from;
    }
    return { name: node.packageName, version: node.version, location: node.location, path };
  }
}

export type { OverrideRule };
