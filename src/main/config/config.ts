// Config: every setting Shelf runs with, its default, and where each one may come from.

export type SignupPolicy = 'open' | 'closed';

export interface Limits {
  /** Largest accepted tarball, compressed, in bytes. */
  maxTarballBytes: number;
  /** Largest accepted tarball once gunzipped, in bytes (refuses gzip bombs). */
  maxUnpackedBytes: number;
  /** Most entries a tarball may hold. */
  maxTarballEntries: number;
  /** How long a wholly unpublished name stays reserved for its former owners (milliseconds); 24 h when unset, as on npm. */
  unpublishReserveMs?: number;
}

export interface UpstreamConfig {
  /** Registry base URL, ending in '/'. */
  url: string;
  /** '@scope' this upstream serves; none means every name no scoped upstream claims. */
  scope?: string;
}

export interface MirrorConfig {
  upstreams: UpstreamConfig[];
  /** No upstream was configured: the shell fills in the registry the user's npm configuration names. */
  useNpmRegistry: boolean;
  /** Never contact an upstream; serve only what is cached. */
  offline: boolean;
  /** A cached packument younger than this is served without asking the upstream. */
  maxAgeMs: number;
  /** One upstream request's time limit: every attempt, the waits between them and the body included. */
  timeoutMs: number;
  /** Largest upstream packument accepted, in bytes as received (decompressed); DEFAULT_MAX_DOCUMENT_BYTES when unset. */
  maxDocumentBytes?: number;
  /** Largest upstream tarball fetched, in bytes; unset: the larger of the publish limit and 1 GB (set by the app). */
  maxTarballBytes?: number;
  /** Retries after a failed upstream request (with backoff), before reporting the failure. */
  retries: number;
  /** Cap on cached upstream tarballs, in bytes; the least recently used unpinned ones are evicted past it. */
  cacheCapBytes: number | null;
  /** Scopes that are never looked up upstream (a private scope whose names must not be confused with public ones). */
  localScopes: string[];
  /** The supply-chain policy's quarantine age from the flag (--min-release-age), over policy.json's; unset: the file's. */
  minReleaseAgeMs?: number;
  /** --policy-webhook: where notices of held and purged versions are POSTed. */
  policyWebhook?: string;
}

/** Request budgets of the REST API (/api/v1) per client address and per token, in one window. */
export interface ApiRateLimit {
  enabled: boolean;
  windowMs: number;
  /** Requests without credentials. */
  anonymous: number;
  /** Requests with a token or password. */
  authenticated: number;
  /** Login and registration attempts. */
  login: number;
  /** Publishes. */
  publish: number;
}

export const DEFAULT_API_RATE_LIMIT: ApiRateLimit = {
  enabled: true,
  windowMs: 60_000,
  anonymous: 300,
  authenticated: 1200,
  login: 20,
  publish: 60,
};

export interface Config {
  /** Folder holding shelf.db, blobs/ and config.json. */
  dataDir: string;
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** Base URL written into tarball links and login URLs; derived from host and port when unset. */
  publicUrl?: string;
  /** Extra Host header names the server answers to (DNS-rebinding guard). */
  allowedHosts: string[];
  signup: SignupPolicy;
  limits: Limits;
  /** Failed logins from one client before it is throttled, and the window they are counted in. */
  loginThrottle: { maxFailures: number; windowMs: number };
  /** Accounts one client address may create per window, at every door; 10 an hour when unset. */
  signupLimit?: { perAddress: number; windowMs: number };
  /** Folder of the built renderer to serve in browser mode; none serves no UI. */
  rendererDir?: string;
  logLevel: 'silent' | 'error' | 'warn' | 'info' | 'debug';
  /** REST API rate limits; DEFAULT_API_RATE_LIMIT when unset. */
  apiRateLimit?: ApiRateLimit;
  /** Remote registries may be on loopback/private/link-local addresses (off: Shelf makes no requests into its own network). */
  allowPrivateRemotes?: boolean;
  /** Addresses (IPs, CIDR ranges or 'loopback') whose X-Forwarded-For/Proto/Host are believed; none by default. */
  trustProxy?: string[];
  /** Open connections accepted in total and from one address (trusted proxies are exempt from the latter). */
  connectionLimits?: ConnectionLimits;
  /** Age at which an unreferenced blob is garbage (the collector's grace period); an hour when unset. */
  gcGraceMs?: number;
  /** Free disk space under which Shelf warns; 500 MB when unset. */
  minFreeBytes?: number;
  /** Where tarballs live: an S3 bucket (--blobs s3://…); the data folder's blobs/ when unset. */
  blobs?: BlobsConfig;
  /** The metadata store: a PostgreSQL URL (--database postgres://…); the data folder's shelf.db when unset. */
  database?: string;
  mirror: MirrorConfig;
}

/** `--blobs s3://bucket[/prefix]` with --s3-endpoint, --s3-region, --s3-path-style. Credentials are never part of it. */
export interface BlobsConfig {
  kind: 's3';
  bucket: string;
  /** Key prefix without slashes at either end; '' for the bucket's root. */
  prefix: string;
  endpoint?: string;
  region?: string;
  pathStyle: boolean;
}

export interface ConnectionLimits {
  total: number;
  perAddress: number;
}

export const DEFAULT_CONNECTION_LIMITS: ConnectionLimits = { total: 4096, perAddress: 256 };

export const DEFAULT_LIMITS: Limits = {
  maxTarballBytes: 50 * 1024 * 1024,
  maxUnpackedBytes: 250 * 1024 * 1024,
  maxTarballEntries: 20_000,
};

export const DEFAULT_PORT = 4873;

/** The largest packuments on registry.npmjs.org are tens of MB; past this a document is refused rather than held. */
export const DEFAULT_MAX_DOCUMENT_BYTES = 64 * 1024 * 1024;

/** The address clients use for a server listening on host:port (all-interfaces listeners are reached on loopback). */
export function listenUrl(host: string, port: number): string {
  const reachable = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  return `http://${reachable.includes(':') ? `[${reachable}]` : reachable}:${port}/`;
}

export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h);
}
