// The table of settings: one row per setting, naming its flag, environment variable, config-file key and default.
// The CLI's --help, the environment reader and the config-file reader are all driven by this table.
import ipaddr from 'ipaddr.js';
import { DEFAULT_API_RATE_LIMIT, DEFAULT_CONNECTION_LIMITS, DEFAULT_LIMITS, DEFAULT_PORT, type ApiRateLimit, type Config } from './config';

export type SettingKey =
  | 'host'
  | 'port'
  | 'publicUrl'
  | 'allowedHosts'
  | 'trustProxy'
  | 'maxConnections'
  | 'maxConnectionsPerAddress'
  | 'signup'
  | 'maxTarballBytes'
  | 'maxUnpackedBytes'
  | 'logLevel'
  | 'upstreams'
  | 'offline'
  | 'cacheMaxAge'
  | 'minReleaseAge'
  | 'policyWebhook'
  | 'upstreamTimeout'
  | 'upstreamMaxDocument'
  | 'upstreamMaxTarball'
  | 'cacheCap'
  | 'localScopes'
  | 'apiRateLimit'
  | 'allowPrivateRemotes'
  | 'unpublishReserve'
  | 'gcGrace'
  | 'minFreeSpace'
  | 'blobs'
  | 'database'
  | 's3Endpoint'
  | 's3Region'
  | 's3PathStyle';

export interface SettingSpec {
  key: SettingKey;
  flag: string;
  env: string;
  description: string;
  /** Shown in --help; undefined means "derived" (described in the text). */
  defaultText: string;
  parse(raw: string): unknown;
  /** A flag that takes no value (present means true). */
  boolean?: boolean;
  /** A flag that may be given several times; the values are joined with commas. */
  repeatable?: boolean;
}

function parsePort(raw: string): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`'${raw}' is not a port number (0–65535; 0 picks a free one)`);
  return n;
}

function parseSize(raw: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*(b|kb|k|mb|m|gb|g)?$/i.exec(raw.trim());
  if (!match) throw new Error(`'${raw}' is not a size; write bytes or a number with kb, mb or gb (e.g. 50mb)`);
  const unit = (match[2] ?? 'b').toLowerCase()[0];
  const factor = unit === 'k' ? 1024 : unit === 'm' ? 1024 ** 2 : unit === 'g' ? 1024 ** 3 : 1;
  return Math.floor(Number(match[1]) * factor);
}

function parseUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error(`'${raw}' is not a URL; write it in full, e.g. https://registry.example.test/`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`'${raw}' must be an http or https URL`);
  return url.href.endsWith('/') ? url.href : `${url.href}/`;
}

/** A webhook's address exactly as written (a trailing slash can matter to the receiver). */
function parseWebhookUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error(`'${raw}' is not a URL; write it in full, e.g. https://hooks.example.test/shelf`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`'${raw}' must be an http or https URL`);
  return url.href;
}

function parseApiRateLimit(raw: string): ApiRateLimit {
  if (raw.trim() === 'off') return { ...DEFAULT_API_RATE_LIMIT, enabled: false };
  const limit = { ...DEFAULT_API_RATE_LIMIT };
  for (const part of list(raw)) {
    const [key, value] = part.split('=').map((s) => s.trim());
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new Error(`'${part}' needs a whole number above 0`);
    if (key === 'window') limit.windowMs = n * 1000;
    else if (key === 'anonymous' || key === 'authenticated' || key === 'login' || key === 'publish') limit[key] = n;
    else throw new Error(`unknown budget '${key}'; use anonymous, authenticated, login, publish or window (seconds)`);
  }
  return limit;
}

function oneOf<T extends string>(values: readonly T[]) {
  return (raw: string): T => {
    if (!(values as readonly string[]).includes(raw)) throw new Error(`'${raw}' must be one of ${values.join(', ')}`);
    return raw as T;
  };
}

function parseDuration(raw: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?$/i.exec(raw.trim());
  if (!match) throw new Error(`'${raw}' is not a duration; write a number with ms, s, m, h or d (e.g. 5m)`);
  const factor = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[(match[2] ?? 's').toLowerCase() as 'ms'];
  return Math.round(Number(match[1]) * factor);
}

function parseBoolean(raw: string): boolean {
  if (/^(1|true|yes|on)$/i.test(raw)) return true;
  if (/^(0|false|no|off)$/i.test(raw)) return false;
  throw new Error(`'${raw}' is not true or false`);
}

/** `URL` or `@scope=URL`, comma-separated; `none` turns the mirror off. */
export function parseUpstreams(raw: string): { url: string; scope?: string }[] {
  if (raw.trim() === 'none') return [];
  return list(raw).map((entry) => {
    const match = /^(@[a-z0-9][\w.-]*)=(.+)$/i.exec(entry);
    const url = parseUrl(match ? match[2]! : entry);
    return match ? { url, scope: match[1]!.toLowerCase() } : { url };
  });
}

function parseScopes(raw: string): string[] {
  return list(raw).map((scope) => {
    if (!/^@?[a-z0-9][\w.-]*$/i.test(scope)) throw new Error(`'${scope}' is not a scope; write it as @name`);
    return scope.startsWith('@') ? scope.toLowerCase() : `@${scope.toLowerCase()}`;
  });
}

/** IP addresses and CIDR ranges (v4 or v6), or 'loopback', comma-separated. */
function parseTrustProxy(raw: string): string[] {
  return list(raw).map((entry) => {
    if (entry === 'loopback') return entry;
    const valid = entry.includes('/') ? isCidr(entry) : ipaddr.isValid(entry);
    if (!valid) throw new Error(`'${entry}' is not an IP address or CIDR range (e.g. 10.0.0.5, 10.0.0.0/8, ::1 or loopback)`);
    return entry;
  });
}

function isCidr(entry: string): boolean {
  try {
    ipaddr.parseCIDR(entry);
    return true;
  } catch {
    return false;
  }
}

/** `s3://bucket[/prefix]`, or `folder` for the data folder (the default). Credentials in the URL are refused. */
export function parseBlobs(raw: string): { bucket: string; prefix: string } | 'folder' {
  const value = raw.trim();
  if (value === 'folder') return 'folder';
  const match = /^s3:\/\/([^/]*)(?:\/(.*))?$/.exec(value);
  if (!match) throw new Error(`'${raw}' is not a blob store; write s3://bucket or s3://bucket/prefix (or folder for the data folder)`);
  if (match[1]!.includes('@'))
    throw new Error(
      "S3 credentials are never read from Shelf's settings: remove them from the URL and set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE) in the environment",
    );
  const bucket = match[1]!;
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket))
    throw new Error(`'${bucket}' is not an S3 bucket name (3–63 lower-case letters, digits, dots, hyphens)`);
  const prefix = (match[2] ?? '').replace(/^\/+|\/+$/g, '');
  if (prefix.split('/').some((part) => part === '.' || part === '..' || (prefix !== '' && part === '')))
    throw new Error(`'${match[2]}' is not a usable key prefix (no empty, . or .. parts)`);
  return { bucket, prefix };
}

/**
 * `postgres://user:password@host:port/db` (or postgresql://), or `sqlite` for the data folder's shelf.db (the default).
 * Refused before anything listens: another scheme, no host, or no database name.
 */
export function parseDatabase(raw: string): string | 'sqlite' {
  const value = raw.trim();
  if (value === 'sqlite') return 'sqlite';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(
      `'${redactUrl(value)}' is not a database URL; write postgres://user:password@host:5432/database (or sqlite for the data folder)`,
    );
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:')
    throw new Error(`'${url.protocol}' databases are not supported; write postgres://user:password@host:5432/database (or sqlite)`);
  if (!url.hostname) throw new Error(`'${redactUrl(value)}' names no host; write postgres://user:password@host:5432/database`);
  if (url.pathname.replace(/^\//, '') === '')
    throw new Error(`'${redactUrl(value)}' names no database; write postgres://user:password@host:5432/database`);
  return value;
}

/** A URL with its password replaced, for messages (a typo in --database must not print the secret). */
function redactUrl(value: string): string {
  return value.replace(/(\/\/[^:/@]*:)[^@/]*@/, '$1***@');
}

function parseEndpoint(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error(`'${raw}' is not a URL; write the S3 server's address in full, e.g. http://127.0.0.1:7480`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`'${raw}' must be an http or https URL`);
  if (url.username || url.password)
    throw new Error(
      "S3 credentials are never read from Shelf's settings: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment",
    );
  return url.origin + url.pathname.replace(/\/+$/, '');
}

function parseCount(raw: string): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`'${raw}' must be a whole number above 0`);
  return n;
}

const list = (raw: string): string[] =>
  raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

export const SETTINGS: readonly SettingSpec[] = [
  {
    key: 'host',
    flag: '--host <address>',
    env: 'SHELF_HOST',
    description: 'address to listen on',
    defaultText: '127.0.0.1',
    parse: String,
  },
  {
    key: 'port',
    flag: '--port <port>',
    env: 'SHELF_PORT',
    description: 'port to listen on (0 picks a free port)',
    defaultText: String(DEFAULT_PORT),
    parse: parsePort,
  },
  {
    key: 'publicUrl',
    flag: '--public-url <url>',
    env: 'SHELF_PUBLIC_URL',
    description: 'base URL written into tarball links (behind a proxy or on a public name)',
    defaultText: 'http://<host>:<port>/',
    parse: parseUrl,
  },
  {
    key: 'allowedHosts',
    flag: '--allowed-hosts <names>',
    env: 'SHELF_ALLOWED_HOSTS',
    description: 'comma-separated extra Host names to answer to (DNS-rebinding guard)',
    defaultText: 'none',
    parse: list,
  },
  {
    key: 'trustProxy',
    flag: '--trust-proxy <addresses>',
    env: 'SHELF_TRUST_PROXY',
    description: 'comma-separated addresses or CIDR ranges of reverse proxies (or loopback) whose X-Forwarded-For/Proto/Host are believed',
    defaultText: 'none (forwarded headers are ignored)',
    parse: parseTrustProxy,
  },
  {
    key: 'maxConnections',
    flag: '--max-connections <n>',
    env: 'SHELF_MAX_CONNECTIONS',
    description: 'open connections accepted in total; more are answered 503 and closed',
    defaultText: String(DEFAULT_CONNECTION_LIMITS.total),
    parse: parseCount,
  },
  {
    key: 'maxConnectionsPerAddress',
    flag: '--max-connections-per-address <n>',
    env: 'SHELF_MAX_CONNECTIONS_PER_ADDRESS',
    description: 'open connections accepted from one client address (trusted proxies are exempt); more are answered 503 and closed',
    defaultText: String(DEFAULT_CONNECTION_LIMITS.perAddress),
    parse: parseCount,
  },
  {
    key: 'signup',
    flag: '--signup <policy>',
    env: 'SHELF_SIGNUP',
    description: 'whether `npm adduser` may create accounts: open or closed',
    defaultText: 'open when Shelf listens on loopback and --public-url (if set) is a loopback address too, closed otherwise',
    parse: oneOf(['open', 'closed'] as const),
  },
  {
    key: 'maxTarballBytes',
    flag: '--max-tarball-size <size>',
    env: 'SHELF_MAX_TARBALL_SIZE',
    description: 'largest tarball accepted, compressed',
    defaultText: `${DEFAULT_LIMITS.maxTarballBytes / 1024 ** 2}mb`,
    parse: parseSize,
  },
  {
    key: 'maxUnpackedBytes',
    flag: '--max-unpacked-size <size>',
    env: 'SHELF_MAX_UNPACKED_SIZE',
    description: 'largest tarball accepted, unpacked (guards against gzip bombs)',
    defaultText: `${DEFAULT_LIMITS.maxUnpackedBytes / 1024 ** 2}mb`,
    parse: parseSize,
  },
  {
    key: 'upstreams',
    flag: '--upstream <url>',
    env: 'SHELF_UPSTREAMS',
    description: 'upstream registry to mirror; repeat it, give @scope=URL to route a scope, or none to mirror nothing',
    defaultText: 'the registry your npm configuration names',
    parse: parseUpstreams,
    repeatable: true,
  },
  {
    key: 'offline',
    flag: '--offline',
    env: 'SHELF_OFFLINE',
    description: 'never contact an upstream; serve only cached packages',
    defaultText: 'off',
    parse: parseBoolean,
    boolean: true,
  },
  {
    key: 'cacheMaxAge',
    flag: '--cache-max-age <duration>',
    env: 'SHELF_CACHE_MAX_AGE',
    description: 'how long a cached upstream packument is served before it is revalidated',
    defaultText: '5m',
    parse: parseDuration,
  },
  {
    key: 'minReleaseAge',
    flag: '--min-release-age <duration>',
    env: 'SHELF_MIN_RELEASE_AGE',
    description: 'quarantine: hide upstream versions published less than this long ago (overrides policy.json; docs/POLICY.md)',
    defaultText: 'policy.json, else off',
    parse: parseDuration,
  },
  {
    key: 'policyWebhook',
    flag: '--policy-webhook <url>',
    env: 'SHELF_POLICY_WEBHOOK',
    description: 'POST a JSON notice here when the policy holds a version or a takedown purges one (docs/POLICY.md)',
    defaultText: 'none',
    parse: parseWebhookUrl,
  },
  {
    key: 'upstreamTimeout',
    flag: '--upstream-timeout <duration>',
    env: 'SHELF_UPSTREAM_TIMEOUT',
    description: 'time limit of one upstream request, retries and the whole body included',
    defaultText: '30s',
    parse: parseDuration,
  },
  {
    key: 'upstreamMaxDocument',
    flag: '--upstream-max-document <size>',
    env: 'SHELF_UPSTREAM_MAX_DOCUMENT',
    description: 'largest upstream packument accepted (as received, decompressed); larger ones are a 502',
    defaultText: '64mb',
    parse: parseSize,
  },
  {
    key: 'upstreamMaxTarball',
    flag: '--upstream-max-tarball <size>',
    env: 'SHELF_UPSTREAM_MAX_TARBALL',
    description: 'largest upstream tarball fetched into the cache; a larger one is a 502 and the transfer is stopped',
    defaultText: 'the larger of --max-tarball-size and 1gb',
    parse: parseSize,
  },
  {
    key: 'cacheCap',
    flag: '--cache-cap <size>',
    env: 'SHELF_CACHE_CAP',
    description: 'cap on cached upstream tarballs; least recently used unpinned ones are evicted',
    defaultText: 'none',
    parse: parseSize,
  },
  {
    key: 'localScopes',
    flag: '--local-scopes <scopes>',
    env: 'SHELF_LOCAL_SCOPES',
    description: 'comma-separated scopes never looked up upstream',
    defaultText: 'none',
    parse: parseScopes,
  },
  {
    key: 'logLevel',
    flag: '--log-level <level>',
    env: 'SHELF_LOG_LEVEL',
    description: 'silent, error, warn, info or debug',
    defaultText: 'info',
    parse: oneOf(['silent', 'error', 'warn', 'info', 'debug'] as const),
  },
  {
    key: 'allowPrivateRemotes',
    flag: '--allow-private-remotes',
    env: 'SHELF_ALLOW_PRIVATE_REMOTES',
    description:
      'let admins add remote registries on loopback, private or link-local addresses (refused by default: no requests into your network)',
    defaultText: 'off',
    parse: parseBoolean,
    boolean: true,
  },
  {
    key: 'apiRateLimit',
    flag: '--api-rate-limit <budgets>',
    env: 'SHELF_API_RATE_LIMIT',
    description:
      "REST API requests per client and per token in each window: 'off', or e.g. anonymous=300,authenticated=1200,login=20,publish=60,window=60",
    defaultText: `anonymous=${DEFAULT_API_RATE_LIMIT.anonymous},authenticated=${DEFAULT_API_RATE_LIMIT.authenticated},login=${DEFAULT_API_RATE_LIMIT.login},publish=${DEFAULT_API_RATE_LIMIT.publish},window=${DEFAULT_API_RATE_LIMIT.windowMs / 1000}`,
    parse: parseApiRateLimit,
  },
  {
    key: 'unpublishReserve',
    flag: '--unpublish-reserve <duration>',
    env: 'SHELF_UNPUBLISH_RESERVE',
    description: 'how long a wholly unpublished name stays reserved for its former owners',
    defaultText: '24h',
    parse: parseDuration,
  },
  {
    key: 'gcGrace',
    flag: '--gc-grace <duration>',
    env: 'SHELF_GC_GRACE',
    description: 'age at which a tarball no row points at is garbage (younger ones may be publishes in progress)',
    defaultText: '1h',
    parse: parseDuration,
  },
  {
    key: 'minFreeSpace',
    flag: '--min-free-space <size>',
    env: 'SHELF_MIN_FREE_SPACE',
    description: 'warn (log, /health, the UI) when the data folder has less free disk space than this',
    defaultText: '500mb',
    parse: parseSize,
  },
  {
    key: 'blobs',
    flag: '--blobs <url>',
    env: 'SHELF_BLOBS',
    description:
      'where tarballs are stored: s3://bucket[/prefix] for S3-compatible object storage (credentials from AWS_* variables or ~/.aws only), or folder',
    defaultText: 'folder (<data-dir>/blobs)',
    parse: parseBlobs,
  },
  {
    key: 'database',
    flag: '--database <url>',
    env: 'SHELF_DATABASE',
    description:
      'where the registry metadata is stored: postgres://user:password@host:5432/database for several nodes on one PostgreSQL, or sqlite',
    defaultText: 'sqlite (<data-dir>/shelf.db)',
    parse: parseDatabase,
  },
  {
    key: 's3Endpoint',
    flag: '--s3-endpoint <url>',
    env: 'SHELF_S3_ENDPOINT',
    description: 'URL of an S3-compatible server (Ceph RGW, MinIO…) for --blobs s3://',
    defaultText: "AWS's endpoint for the region",
    parse: parseEndpoint,
  },
  {
    key: 's3Region',
    flag: '--s3-region <region>',
    env: 'SHELF_S3_REGION',
    description: 'S3 region for --blobs s3://',
    defaultText: 'AWS_REGION, else us-east-1',
    parse: String,
  },
  {
    key: 's3PathStyle',
    flag: '--s3-path-style',
    env: 'SHELF_S3_PATH_STYLE',
    description: 'address the bucket in the path (http://host/bucket/key), as most self-hosted S3 servers need',
    defaultText: 'off (bucket.host)',
    parse: parseBoolean,
    boolean: true,
  },
];

export type SettingValues = Partial<Pick<Config, 'host' | 'port' | 'publicUrl' | 'allowedHosts' | 'signup' | 'logLevel'>> & {
  maxTarballBytes?: number;
  maxUnpackedBytes?: number;
  upstreams?: { url: string; scope?: string }[];
  offline?: boolean;
  cacheMaxAge?: number;
  minReleaseAge?: number;
  policyWebhook?: string;
  upstreamTimeout?: number;
  upstreamMaxDocument?: number;
  upstreamMaxTarball?: number;
  cacheCap?: number;
  localScopes?: string[];
  apiRateLimit?: ApiRateLimit;
  allowPrivateRemotes?: boolean;
  unpublishReserve?: number;
  trustProxy?: string[];
  maxConnections?: number;
  maxConnectionsPerAddress?: number;
  gcGrace?: number;
  minFreeSpace?: number;
  blobs?: { bucket: string; prefix: string } | 'folder';
  database?: string | 'sqlite';
  s3Endpoint?: string;
  s3Region?: string;
  s3PathStyle?: boolean;
};
