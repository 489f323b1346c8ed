// The result and event shapes the UI contract uses (zod schemas plus their TypeScript types); pure data, no process code.
import { z } from 'zod';

export const PackageSummary = z.object({
  name: z.string(),
  latest: z.string().nullable(),
  description: z.string().nullable(),
  distTags: z.record(z.string(), z.string()),
  versionCount: z.number().int(),
  access: z.enum(['public', 'restricted']),
  modified: z.string(),
});
export type PackageSummary = z.infer<typeof PackageSummary>;

export const RegistryStatus = z.object({
  /** The registry's address, as clients should configure it. */
  url: z.string(),
  state: z.enum(['running']),
  version: z.string(),
  mode: z.enum(['desktop', 'browser']),
  packageCount: z.number().int(),
  userCount: z.number().int(),
  /** True until the owner has created the admin account. */
  needsSetup: z.boolean(),
  signup: z.enum(['open', 'closed']),
  dataDir: z.string(),
  startedAt: z.string(),
  /** Free space on the data folder's disk; `warning` is set below --min-free-space or when Shelf started read-only. */
  disk: z
    .object({
      freeBytes: z.number().nullable(),
      minFreeBytes: z.number(),
      low: z.boolean(),
      readOnly: z.boolean(),
      warning: z.string().nullable(),
    })
    .optional(),
});
export type RegistryStatus = z.infer<typeof RegistryStatus>;

export const SessionUser = z.object({ username: z.string(), isAdmin: z.boolean() });
export type SessionUser = z.infer<typeof SessionUser>;

export const SearchResult = z.object({
  name: z.string(),
  version: z.string(),
  description: z.string().nullable(),
  keywords: z.array(z.string()),
  author: z.string().nullable(),
  date: z.string(),
  score: z.number(),
});
export type SearchResult = z.infer<typeof SearchResult>;

export const VersionInfo = z.object({
  version: z.string(),
  date: z.string().nullable(),
  deprecated: z.string().nullable(),
  yanked: z.boolean(),
  integrity: z.string().nullable(),
  tags: z.array(z.string()),
  dependencies: z.record(z.string(), z.string()),
  unpackedSize: z.number().nullable(),
  fileCount: z.number().nullable(),
});
export type VersionInfo = z.infer<typeof VersionInfo>;

export const PackageDetails = z.object({
  name: z.string(),
  description: z.string().nullable(),
  /** The readme as Markdown source; the renderer sanitises what it renders. */
  readme: z.string(),
  license: z.string().nullable(),
  homepage: z.string().nullable(),
  /** The latest version's repository and issue tracker as web addresses (http/https only), and its keywords. */
  repository: z.string().nullable().optional(),
  bugs: z.string().nullable().optional(),
  keywords: z.array(z.string()).optional(),
  distTags: z.record(z.string(), z.string()),
  versions: z.array(VersionInfo),
  owners: z.array(z.string()),
  access: z.enum(['public', 'restricted']),
  /** The format it was published in: npm's, or a seed registry's through /api/v1 (npm cannot install those). */
  ecosystem: z.enum(['npm', 'synapse', 'vais']).optional(),
  /** Packages in this registry whose latest version depends on this one. */
  dependentsCount: z.number(),
  downloads: z.object({ total: z.number(), daily: z.array(z.object({ date: z.string(), count: z.number() })) }),
  /** True when the signed-in user may change this package (owner or admin). */
  canManage: z.boolean(),
});
export type PackageDetails = z.infer<typeof PackageDetails>;

/** How a dependency is declared in package.json. */
export const DependencyType = z.enum(['prod', 'optional', 'peer', 'dev']);
export type DependencyType = z.infer<typeof DependencyType>;

/** One version's dependencies, and the packages in this registry whose latest version depends on the package. */
export const PackageRelations = z.object({
  name: z.string(),
  version: z.string(),
  dependencies: z.array(
    z.object({
      name: z.string(),
      range: z.string(),
      type: DependencyType,
      /** True when the package is in this registry (the UI links to it); false for names only an upstream serves. */
      local: z.boolean(),
    }),
  ),
  dependents: z.array(z.object({ name: z.string(), version: z.string(), range: z.string() })),
  /** How many dependents there are in all; the list stops at a limit. */
  dependentsTotal: z.number().int(),
});
export type PackageRelations = z.infer<typeof PackageRelations>;

export const TarballListing = z.object({
  name: z.string(),
  version: z.string(),
  integrity: z.string(),
  size: z.number(),
  unpackedSize: z.number(),
  files: z.array(z.object({ path: z.string(), size: z.number() })),
});
export type TarballListing = z.infer<typeof TarballListing>;

export const TokenScope = z.enum(['read', 'publish', 'admin']);
/** What the renderer sees of a token: never its secret, only a hint made of its last four characters ("…a1b2"). */
export const TokenView = z.object({
  key: z.string(),
  name: z.string().nullable(),
  hint: z.string(),
  scope: TokenScope,
  cidr: z.array(z.string()),
  created: z.string(),
  expires: z.string().nullable(),
  lastUsed: z.string().nullable(),
});
export type TokenView = z.infer<typeof TokenView>;

export const MirrorStatus = z.object({
  offline: z.boolean(),
  upstreams: z.array(z.object({ url: z.string(), scopes: z.array(z.string()) })),
  cache: z.object({
    totalBytes: z.number(),
    capBytes: z.number().nullable(),
    packages: z.array(
      z.object({ name: z.string(), versions: z.array(z.string()), bytes: z.number(), lastUsed: z.string(), pinned: z.boolean() }),
    ),
  }),
});
export type MirrorStatus = z.infer<typeof MirrorStatus>;

export const VerifyReport = z.object({
  checked: z.number(),
  ok: z.number(),
  quarantined: z.array(z.object({ name: z.string(), version: z.string(), problem: z.string() })),
});
export type VerifyReport = z.infer<typeof VerifyReport>;

/** A long-running piece of work (prefetch, publish, verify); progress arrives as `job` events, the final state too. */
export const JobState = z.object({
  id: z.string(),
  kind: z.enum(['prefetch', 'publish', 'verify']),
  title: z.string(),
  state: z.enum(['running', 'succeeded', 'partial', 'failed', 'cancelled']),
  phase: z.string(),
  done: z.number(),
  total: z.number(),
  bytes: z.number(),
  startedAt: z.string(),
  /** Plain lines summarising the outcome (fetched, already cached, failed with reasons). */
  summary: z.array(z.string()),
  error: z.string().nullable(),
});
export type JobState = z.infer<typeof JobState>;

export const ShelfEvent = z.discriminatedUnion('type', [
  z.object({ type: z.literal('job'), job: JobState }),
  /** Something about the packages changed (publish, unpublish, tags, …); no name, as restricted names must not leak. */
  z.object({ type: z.literal('packages') }),
  /** The supply-chain policy held an upstream version or purged a taken-down one (a toast); upstream names are public. */
  z.object({
    type: z.literal('policy'),
    action: z.enum(['held', 'takedown']),
    name: z.string(),
    version: z.string(),
    rule: z.string(),
    detail: z.string(),
  }),
]);
export type ShelfEvent = z.infer<typeof ShelfEvent>;

export const PublishPreview = z.object({
  path: z.string(),
  name: z.string().nullable(),
  version: z.string().nullable(),
  description: z.string().nullable(),
  /** Blocking problems: publishing is refused until they are fixed. */
  problems: z.array(z.string()),
  /** Things worth a second look (files that look like secrets, large files); publishing is still allowed. */
  warnings: z.array(z.string()),
  alreadyPublished: z.boolean(),
  /** The registry the checks (version already published) were made against, as its address. */
  registryUrl: z.string(),
  files: z.array(z.object({ path: z.string(), size: z.number(), suspicious: z.boolean() })),
  size: z.number(),
  unpackedSize: z.number(),
  integrity: z.string().nullable(),
});
export type PublishPreview = z.infer<typeof PublishPreview>;

export const PublishOutcome = z.object({
  name: z.string(),
  version: z.string(),
  tag: z.string(),
  integrity: z.string(),
  /** True when the stored tarball was read back and its sha512 matched what was packed. */
  verified: z.boolean(),
  /** Where it was published: this Shelf, or a remote registry the user added. */
  registryId: z.string(),
  registryUrl: z.string(),
});
export type PublishOutcome = z.infer<typeof PublishOutcome>;

export const GraphNode = z.object({
  id: z.string(),
  name: z.string(),
  version: z.string(),
  location: z.string(),
  isRoot: z.boolean(),
  dev: z.boolean(),
  optional: z.boolean(),
  peer: z.boolean(),
  duplicate: z.boolean(),
  deprecated: z.string().nullable(),
  rule: z.string(),
  skipped: z.array(z.object({ version: z.string(), reason: z.string() })),
  newestRejected: z.object({ version: z.string(), range: z.string() }).nullable(),
  /** The licence its manifest or lockfile entry names; null when neither says. */
  license: z.string().nullable(),
  /** Unpacked size in bytes when the registry reported it; null when unknown (a lockfile does not record it). */
  size: z.number().nullable(),
});
export type GraphNode = z.infer<typeof GraphNode>;

export const GraphEdge = z.object({
  from: z.string(),
  to: z.string().nullable(),
  name: z.string(),
  spec: z.string(),
  type: z.string(),
  conflicted: z.boolean(),
});
export type GraphEdge = z.infer<typeof GraphEdge>;

export const GraphResult = z.object({
  title: z.string(),
  nodes: z.array(GraphNode),
  edges: z.array(GraphEdge),
  warnings: z.array(z.array(z.string())),
  /** Set when resolution failed: the resolver's plain-language explanation and the fixes it verified. */
  conflict: z
    .object({
      summary: z.string(),
      explanation: z.array(z.string()),
      fixes: z.array(z.object({ summary: z.string(), diff: z.array(z.string()), outcome: z.array(z.string()) })),
      /** Names of the packages the conflict is about, to highlight. */
      involved: z.array(z.string()),
    })
    .nullable(),
  ms: z.number(),
  /** What is wrong with the tree, to lead with: packages installed in more than one version, each copy with paths from the root. */
  duplicates: z.array(
    z.object({
      name: z.string(),
      copies: z.array(z.object({ id: z.string(), version: z.string(), paths: z.array(z.array(z.string())) })),
    }),
  ),
});
export type GraphResult = z.infer<typeof GraphResult>;

/** Two lockfiles compared by install location: what an upgrade added, removed, moved or changed the version of. */
export const GraphComparison = z.object({
  before: z.string(),
  after: z.string(),
  added: z.array(z.object({ id: z.string(), name: z.string(), version: z.string() })),
  removed: z.array(z.object({ id: z.string(), name: z.string(), version: z.string() })),
  changed: z.array(z.object({ id: z.string(), name: z.string(), from: z.string(), to: z.string() })),
  /** Same name and version, now at another location (hoisted or nested differently). */
  moved: z.array(z.object({ name: z.string(), version: z.string(), from: z.string(), to: z.string() })),
  /** The "after" tree, drawn with the differences marked; removed nodes are listed, not drawn. */
  graph: GraphResult,
});
export type GraphComparison = z.infer<typeof GraphComparison>;

export const ActivitySummary = z.object({
  totals: z.object({ packages: z.number(), versions: z.number(), downloads: z.number(), users: z.number() }),
  topPackages: z.array(z.object({ name: z.string(), downloads: z.number() })),
  recentPublishes: z.array(z.object({ name: z.string(), version: z.string(), date: z.string() })),
  daily: z.array(z.object({ date: z.string(), count: z.number() })),
});
export type ActivitySummary = z.infer<typeof ActivitySummary>;

export const RegistryEntry = z.object({
  id: z.string(),
  url: z.string(),
  kind: z.enum(['local', 'remote']),
  online: z.boolean(),
  latencyMs: z.number().nullable(),
  signedInAs: z.string().nullable(),
  /** Where a remote's token is kept (keychain, memory for this session, plaintext file); null for the local registry. */
  credentialBackend: z.enum(['keychain', 'encrypted', 'memory', 'plaintext']).nullable(),
  tokenLastFour: z.string().nullable(),
  error: z.string().nullable(),
});
export type RegistryEntry = z.infer<typeof RegistryEntry>;

export const AppSettings = z.object({
  url: z.string(),
  host: z.string(),
  port: z.number(),
  dataDir: z.string(),
  mode: z.enum(['desktop', 'browser']),
  /** Desktop only: whether Shelf starts at login; null where the shell cannot set it (browser mode). */
  startAtLogin: z.boolean().nullable(),
  credentialWarning: z.string().nullable(),
});
export type AppSettings = z.infer<typeof AppSettings>;
