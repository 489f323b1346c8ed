// The composition root: builds every service from a Config, and the HTTP server on top of them.
// Tests, the CLI and the Electron shell all start Shelf through createApp and nothing else.
import type { SecretCipher } from './services/credentials/credential-store';
import { randomBytes as nodeRandomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { listenUrl, type Config } from './config/config';
import { buildServer } from './http/server';
import type { Handlers } from './rpc/dispatch';
import type { Services } from './services';
import { AuthService } from './services/auth/auth-service';
import type { PackageContext } from './services/packages/context';
import { PackageService } from './services/packages/package-service';
import { MirrorService } from './services/mirror/mirror-service';
import { PolicyService } from './services/policy/policy-service';
import type { PolicyNotice } from './services/policy/notify';
import type { FetchLike } from './services/mirror/upstream-client';
import { SearchService } from './services/search/search-service';
import { ApiService } from './services/api/api-service';
import { DownloadStats } from './services/packages/downloads';
import { DEFAULT_MIN_FREE_BYTES, FULL_DISK_BYTES } from './services/maintenance/disk-space';
import { DEFAULT_GC_GRACE_MS, Maintenance } from './services/maintenance/maintenance';
import { freeBytesAt, ShelfError } from './errors';
import { openBlobStore } from './storage/blobs/open-blob-store';
import { openSqliteMetadata } from './storage/sql/sqlite';
import { redactDatabaseUrl } from './storage/sql/database-url';
import type { MetadataDb } from './storage/sql/port';
import { createLogger } from './logger';
import { SHELF_VERSION } from './version';
import { PackageEvents } from './services/events';

export interface AppOptions {
  /** How the UI reaches the services: the desktop window over IPC, or a browser over HTTP. */
  mode: 'desktop' | 'browser';
  /** Injected so tests control time. */
  now?: () => Date;
  /** Injected so tests control randomness (tokens, setup links). */
  randomBytes?: (size: number) => Buffer;
  /** The network, for upstream registries; injected so tests can count or fail requests. */
  fetch?: FetchLike;
  /** Where log lines go; defaults to stderr. */
  writeLog?: (line: string) => void;
  /** Compiled addons to load instead of node_modules' (the desktop app's Electron-ABI builds). */
  nativeAddons?: NativeAddons;
  /** The desktop app's OS-keyed encryption (Electron's safeStorage), for secrets when the keychain is out of reach. */
  secretCipher?: SecretCipher;
}

export interface NativeAddons {
  /** better-sqlite3's better_sqlite3.node */
  sqlite: string;
  /** keytar's keytar.node */
  keytar: string;
}

export interface ShelfApp {
  readonly config: Config;
  readonly services: Services;
  /**
   * The contract's handler table, made on first use: it brings zod, the resolver, lockfile parsers and packing, which
   * `shelf serve` need not load before it answers npm (the bundle keeps them in their own chunk).
   */
  handlers(): Promise<Handlers>;
  /** Starts the HTTP server (registry, plus the UI when config.rendererDir is set) and resolves with its base URL. */
  listen(): Promise<string>;
  /**
   * Loads what start-up deferred to first use (REST API, UI handlers and files), so that a long-running server no
   * longer depends on the bundle's chunk files, which a rebuild or an upgrade replaces under it.
   */
  warm(): Promise<void>;
  /** The registry's base URL (ends in '/'); the configured one until listen() knows the real port. */
  url(): string;
  /**
   * Starts the background upkeep (the collector now and hourly, the free-space watch); for long-running servers, not for
   * one-off commands. Stopped by close().
   */
  startMaintenance(): void;
  /**
   * Which stores this Shelf uses (`shelf serve` prints them): the SQLite file or the PostgreSQL URL (password hidden), and
   * the blob folder or s3://bucket/prefix.
   */
  readonly stores: { database: string; blobs: string };
  /** While no admin account exists: a fresh one-time link that lets the owner create it (browser mode prints it). */
  setupLink(): Promise<string | undefined>;
  close(): Promise<void>;
}

/**
 * Checks that the configured blob store answers (an S3 bucket: reachable, credentials accepted) before anything is
 * opened or written; rejects with what to fix. `shelf serve` runs it first.
 */
export async function checkStores(config: Config): Promise<void> {
  if (!config.blobs) return;
  const blobs = openBlobStore(config.dataDir, config.blobs);
  try {
    await blobs.check();
  } finally {
    await blobs.close();
  }
}

/** The UI's address below the base URL; '/-/' paths can never be package names. */
export const UI_PATH = '-/ui/';

export async function createApp(config: Config, options: AppOptions): Promise<ShelfApp> {
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const now = options.now ?? (() => new Date());
  const randomBytes = options.randomBytes ?? nodeRandomBytes;
  const log = createLogger(config.logLevel, options.writeLog);
  // On a full disk SQLite cannot even open its WAL index: start read-only then, serving reads, refusing writes with 507.
  const free = freeBytesAt(config.dataDir);
  const readOnly = free !== undefined && free < FULL_DISK_BYTES;
  // PostgreSQL (team mode): opening it also migrates (once across nodes) and starts listening for other nodes' changes.
  const db: MetadataDb = config.database
    ? await openPostgres(config.database, log.warn)
    : openSqliteMetadata(join(config.dataDir, 'shelf.db'), { nativeBinding: options.nativeAddons?.sqlite, readOnly });
  const blobs = openBlobStore(config.dataDir, config.blobs, { readOnly });

  let port = config.port;
  const url = () => config.publicUrl ?? listenUrl(config.host, port);

  // Package events also reach the UI streams of the other nodes on the same PostgreSQL (services/events.ts).
  const events = new PackageEvents(db, log.warn);
  const ctx: PackageContext = { db, blobs, limits: config.limits, now, baseUrl: url, randomBytes, events };
  const auth = new AuthService(db, {
    signup: config.signup,
    loginThrottle: config.loginThrottle,
    signupLimit: config.signupLimit,
    // Several nodes share one PostgreSQL: the limits count there, for the whole cluster.
    sharedCounters: config.database ? await pgCounters(db) : undefined,
    sessionsInMemory: readOnly,
    now,
    randomBytes,
  });
  // Read-only, the one connection holds the database exclusively; counts then wait in memory (and are dropped past a cap).
  // On PostgreSQL the pool serves counts too (a commit there is the server's business, not this disk's).
  const counterDb =
    readOnly || config.database
      ? db
      : openSqliteMetadata(join(config.dataDir, 'shelf.db'), { synchronous: 'NORMAL', nativeBinding: options.nativeAddons?.sqlite });
  const stats = new DownloadStats(ctx, counterDb, log.warn);
  const search = new SearchService(db, ctx, { downloads: stats });
  const policy = new PolicyService({
    db,
    blobs,
    dataDir: config.dataDir,
    now,
    minReleaseAgeMs: config.mirror.minReleaseAgeMs,
    webhook: config.mirror.policyWebhook,
    warn: log.warn,
  });
  const services: Services = {
    auth,
    packages: new PackageService(ctx),
    search,
    stats,
    api: new ApiService(ctx, auth, search, stats),
    mirror: new MirrorService({
      db,
      dataDir: config.dataDir,
      blobs,
      config: config.mirror,
      now,
      baseUrl: url,
      // Upstream tarballs may be far larger than what Shelf accepts for publishing; cap them generously.
      maxTarballBytes: Math.max(config.limits.maxTarballBytes, 1024 ** 3),
      fetch: options.fetch,
      warn: log.warn,
      policy,
      sqliteBinding: options.nativeAddons?.sqlite,
    }),
    policy,
    maintenance: new Maintenance({
      db,
      blobs,
      dataDir: config.dataDir,
      graceMs: config.gcGraceMs ?? DEFAULT_GC_GRACE_MS,
      minFreeBytes: config.minFreeBytes ?? DEFAULT_MIN_FREE_BYTES,
      readOnly,
      now,
      log,
    }),
  };
  // Attestations the policy has not kept are asked of the upstream through the mirror's one client.
  policy.useUpstreams((name) => services.mirror.policyUpstreamFor(name));
  // A hold or takedown decided on one node shows as a toast on the pages open on every node.
  events.share<PolicyNotice>(
    'policy.notice',
    (listener) => policy.subscribe(listener),
    (notice) => policy.hear(notice),
  );
  const startedAt = now().toISOString();
  let handlerTable: Promise<Handlers> | undefined;
  const handlers = () =>
    (handlerTable ??= import('./rpc/handlers').then(({ createHandlers }) =>
      createHandlers({
        services,
        config,
        mode: options.mode,
        version: SHELF_VERSION,
        startedAt,
        url,
        keytarBinding: options.nativeAddons?.keytar,
        secretCipher: options.secretCipher,
        sqliteBinding: options.nativeAddons?.sqlite,
      }),
    ));
  const { app: server, warm } = buildServer({ config, services, handlers, now, log, port: () => port });
  let listening = false;

  return {
    config,
    services,
    handlers,
    warm,
    url,
    stores: { database: config.database ? redactDatabaseUrl(config.database) : join(config.dataDir, 'shelf.db'), blobs: blobs.location },
    async listen() {
      await server.listen({ host: config.host, port: config.port });
      listening = true;
      port = (server.server.address() as AddressInfo).port;
      return url();
    },
    startMaintenance() {
      services.maintenance?.start();
    },
    async setupLink() {
      const token = await services.auth.issueSetupToken();
      return token && `${url()}${UI_PATH}#setup=${token}`;
    },
    async close() {
      if (listening) await server.close();
      await services.mirror.close();
      await services.maintenance?.stop();
      await stats.flush();
      if (counterDb !== db) await counterDb.close();
      await db.close();
      await blobs.close();
    },
  };
}

/** The shared counters' SQL on the PostgreSQL adapter's pool (loaded only in team mode, as the adapter is). */
async function pgCounters(db: MetadataDb) {
  const [{ pgCounterSql }, { PostgresMetadataDb }] = await Promise.all([
    import('./storage/sql/pg-counters'),
    import('./storage/sql/postgres'),
  ]);
  if (!(db instanceof PostgresMetadataDb)) throw new Error('team-mode counters need the PostgreSQL adapter');
  return pgCounterSql(db);
}

/** Opens PostgreSQL, turning a refusal into what to fix (the URL shown without its password). */
async function openPostgres(url: string, warn: (message: string) => void): Promise<MetadataDb> {
  try {
    // Loaded only here: a SQLite server never loads the PostgreSQL client.
    const { PostgresMetadataDb } = await import('./storage/sql/postgres');
    return await PostgresMetadataDb.open(url, { warn });
  } catch (error) {
    throw new ShelfError(
      'unavailable',
      `could not open the PostgreSQL database ${redactDatabaseUrl(url)}: ${(error as Error).message}; check --database (host, port, user, password, database name) and that the server accepts connections`,
      { cause: error },
    );
  }
}
