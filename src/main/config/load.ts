// Resolves a Config from command-line flags, then environment variables, then <dataDir>/config.json, then defaults.
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { DEFAULT_CONNECTION_LIMITS, DEFAULT_LIMITS, DEFAULT_PORT, isLoopbackHost, type Config } from './config';
import { SETTINGS, type SettingKey, type SettingValues } from './settings';

export const CONFIG_FILE_NAME = 'config.json';

export interface ConfigSources {
  /** Raw flag values by setting key, as the CLI parsed them (strings). */
  flags?: Partial<Record<SettingKey, string>>;
  /** --data-dir, if given. */
  dataDir?: string;
  env?: NodeJS.ProcessEnv;
  rendererDir?: string;
  platform?: NodeJS.Platform;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * The platform's user data folder for Shelf, the same one Electron's app.getPath('userData') gives,
 * so the desktop app and `shelf serve` share one registry.
 */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  const home = env.HOME ?? homedir();
  if (platform === 'win32') return join(env.APPDATA ?? join(home, 'AppData', 'Roaming'), 'Shelf');
  if (platform === 'darwin') return join(home, 'Library', 'Application Support', 'Shelf');
  return join(env.XDG_CONFIG_HOME ?? join(home, '.config'), 'Shelf');
}

function readConfigFile(dataDir: string): Record<string, unknown> {
  const path = join(dataDir, CONFIG_FILE_NAME);
  if (!existsSync(path)) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ConfigError(`${path} is not valid JSON (${(error as Error).message}); fix or remove it`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError(`${path} must hold a JSON object of settings`);
  }
  const known = new Set<string>(SETTINGS.map((s) => s.key));
  for (const key of Object.keys(parsed)) {
    if (CREDENTIAL_KEY.test(key))
      throw new ConfigError(
        `${path}: '${key}' looks like a credential, and Shelf never reads credentials from its config file (backups ` +
          'copy that file). Remove it, and give S3 its keys through AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY ' +
          '(or AWS_PROFILE with ~/.aws/credentials) in the environment of shelf',
      );
    if (!known.has(key)) throw new ConfigError(`${path}: unknown setting '${key}'; known settings are ${[...known].join(', ')}`);
  }
  return parsed as Record<string, unknown>;
}

/** Config-file keys that would hold a secret (S3's or anyone's); refused by name before anything else is read. */
const CREDENTIAL_KEY = /secret|password|credential|access.?key|session.?token|^aws/i;

function fileValueToRaw(value: unknown): string {
  if (Array.isArray(value))
    return value.map((v) => (typeof v === 'object' && v ? `${v.scope ? `${v.scope}=` : ''}${v.url}` : String(v))).join(',');
  return String(value);
}

export function resolveConfig(sources: ConfigSources = {}): Config {
  const env = sources.env ?? process.env;
  const dataDir = resolve(sources.dataDir ?? env.SHELF_DATA_DIR ?? defaultDataDir(env, sources.platform));
  const file = readConfigFile(dataDir);
  const values: SettingValues = {};
  for (const spec of SETTINGS) {
    const fromFlag = sources.flags?.[spec.key];
    const fromEnv = env[spec.env];
    const fromFile = file[spec.key];
    const [raw, origin] =
      fromFlag !== undefined
        ? [fromFlag, spec.flag.split(' ')[0]]
        : fromEnv !== undefined && fromEnv !== ''
          ? [fromEnv, spec.env]
          : fromFile !== undefined
            ? [fileValueToRaw(fromFile), `${CONFIG_FILE_NAME} "${spec.key}"`]
            : [undefined, ''];
    if (raw === undefined) continue;
    try {
      (values as Record<string, unknown>)[spec.key] = spec.parse(raw);
    } catch (error) {
      throw new ConfigError(`${origin}: ${(error as Error).message}`);
    }
  }
  const host = values.host ?? '127.0.0.1';
  return {
    dataDir,
    host,
    port: values.port ?? DEFAULT_PORT,
    publicUrl: values.publicUrl,
    allowedHosts: values.allowedHosts ?? [],
    // Open sign-up is for a registry only this machine reaches. Behind a reverse proxy Shelf listens on loopback while
    // the world reaches it through --public-url, so the address people use decides, not only the one listened on.
    signup:
      values.signup ??
      (isLoopbackHost(host) && (!values.publicUrl || isLoopbackHost(new URL(values.publicUrl).hostname)) ? 'open' : 'closed'),
    limits: {
      ...DEFAULT_LIMITS,
      ...(values.maxTarballBytes !== undefined && { maxTarballBytes: values.maxTarballBytes }),
      ...(values.maxUnpackedBytes !== undefined && { maxUnpackedBytes: values.maxUnpackedBytes }),
      ...(values.unpublishReserve !== undefined && { unpublishReserveMs: values.unpublishReserve }),
    },
    loginThrottle: { maxFailures: 5, windowMs: 15 * 60 * 1000 },
    rendererDir: sources.rendererDir,
    logLevel: values.logLevel ?? 'info',
    apiRateLimit: values.apiRateLimit,
    allowPrivateRemotes: values.allowPrivateRemotes ?? false,
    trustProxy: values.trustProxy ?? [],
    connectionLimits: {
      total: values.maxConnections ?? DEFAULT_CONNECTION_LIMITS.total,
      perAddress: values.maxConnectionsPerAddress ?? DEFAULT_CONNECTION_LIMITS.perAddress,
    },
    gcGraceMs: values.gcGrace,
    minFreeBytes: values.minFreeSpace,
    database: values.database && values.database !== 'sqlite' ? values.database : undefined,
    blobs:
      values.blobs && values.blobs !== 'folder'
        ? {
            kind: 's3',
            ...values.blobs,
            endpoint: values.s3Endpoint,
            region: values.s3Region,
            pathStyle: values.s3PathStyle ?? false,
          }
        : undefined,
    mirror: {
      upstreams: values.upstreams ?? [],
      useNpmRegistry: values.upstreams === undefined,
      offline: values.offline ?? false,
      maxAgeMs: values.cacheMaxAge ?? 5 * 60_000,
      minReleaseAgeMs: values.minReleaseAge,
      policyWebhook: values.policyWebhook,
      timeoutMs: values.upstreamTimeout ?? 30_000,
      maxDocumentBytes: values.upstreamMaxDocument,
      maxTarballBytes: values.upstreamMaxTarball,
      retries: 2,
      cacheCapBytes: values.cacheCap ?? null,
      localScopes: values.localScopes ?? [],
    },
  };
}
