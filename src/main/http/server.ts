// Builds the fastify server: the edge (connection caps, host and origin guards, body limits), body parsing, error mapping,
// the npm protocol, the REST API and the browser-mode UI.
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import { DEFAULT_CONNECTION_LIMITS } from '../config/config';
import type { Config } from '../config/config';
import type { Logger } from '../logger';
import type { Handlers } from '../rpc/dispatch';
import type { Services } from '../services';
import { hotPackument } from '../services/packages/read';
import { SHELF_VERSION } from '../version';
import { registerBackupDownload } from './backup-download';
import { bodyAdmission, bodyStream } from './body-limits';
import { HEADERS_TIMEOUT_MS, REQUEST_TIMEOUT_MS, limitConnections } from './connection-limits';
import { npmErrorHandler } from './errors';
import { allowedHostNames, hostGuard, hostNameOf } from './host-guard';
import { fastPath, fastPathEnabled, serveHotFirst, type FastPath } from './fast-path';
import { serveLazily } from './lazy-instance';
import { registerAttestationRoutes } from './npm/attestation-routes';
import { registerMiscRoutes } from './npm/misc-routes';
import { registerPackageMetaRoutes } from './npm/package-meta-routes';
import { registerPackageRoutes } from './npm/package-routes';
import { registerSearchRoutes } from './npm/search-routes';
import { registerTokenRoutes } from './npm/token-routes';
import { registerUserRoutes } from './npm/user-routes';
import { originGuard, isSameOrigin } from './origin-guard';
import { principalOf } from './request-auth';
import { trustedProxies } from './trust-proxy';
import { RPC_PATH } from './ui-paths';
import { registerUiRoutes } from './ui-routes';
import { UiSessionStore } from './ui-session';

export interface ServerDeps {
  config: Config;
  services: Services;
  /** The contract's handler table for browser-mode RPC, made on the first UI call. */
  handlers: () => Promise<Handlers>;
  now: () => Date;
  log: Logger;
  /** The port actually listened on, for the Origin check (known only after listen with port 0). */
  port: () => number;
}

export interface ShelfServer {
  app: FastifyInstance;
  /**
   * Loads what start-up left for first use (the REST API, the UI's handlers and files). A server that runs for long
   * calls it once it is listening: it then no longer needs the bundle's chunk files, which a rebuild or an upgrade
   * replaces under it.
   */
  warm(): Promise<void>;
}

export function buildServer(deps: ServerDeps): ShelfServer {
  const { config, services } = deps;
  // This instance listens; requests under the REST API's prefix are handed, unread, to the API's own instance, which
  // applies the same edge rules itself (in its own error shape).
  // One sign-in store for the UI's calls, its backup downloads (an admin's session is checked by both) and the edge's
  // check that a large UI upload comes from a signed-in page.
  const sessions = new UiSessionStore(services.auth.uiSessions);
  const baseUrlRules = { publicUrl: config.publicUrl, allowed: hostNames(config), fallback: () => services.packages.ctx.baseUrl() };
  const app = baseServer(deps, {
    listens: true,
    // Hot packument GETs are answered before fastify sees them (http/fast-path.ts); the package route answers the rest.
    fastPath: fastPathEnabled()
      ? fastPath({
          generation: () => services.packages.ctx.db.generation('turn'),
          published: (name, abbreviated, generation) => hotPackument(services.packages.ctx, name, abbreviated, generation),
          mirrored: (name, abbreviated, generation) => services.mirror.peekPackument(name, abbreviated, generation),
          rules: baseUrlRules,
          trustsProxies: (config.trustProxy?.length ?? 0) > 0,
          debug: config.logLevel === 'debug' ? deps.log.debug : undefined,
        })
      : undefined,
    handsOff: (url) => url.startsWith(`${API_PREFIX}/`),
    signedInUi: async (request) => (await sessions.userOf(request)) !== undefined,
  });

  // Liveness for monitors and load balancers: answers from memory, never waits on the database or the mirror. It takes
  // the root path space npm uses for packuments, so `health` is a reserved package name (services/packages/names.ts).
  app.get('/health', async (_request, reply) =>
    reply
      .header('Cache-Control', 'no-store')
      // disk (free space, low, read-only) and collector (its last run) come from memory too.
      .send({ status: 'ok', timestamp: deps.now().toISOString(), version: SHELF_VERSION, ...services.maintenance?.health() }),
  );
  registerMiscRoutes(app, services.mirror);
  registerUserRoutes(app, services);
  registerTokenRoutes(app, services, deps.now);
  registerSearchRoutes(app, services, deps.now);
  registerPackageMetaRoutes(app, services);
  registerAttestationRoutes(app, services);
  registerBackupDownload(app, { sessions, services, dataDir: config.dataDir });
  const warmUi = registerUiRoutes(app, {
    sessions,
    rendererDir: config.rendererDir,
    handlers: deps.handlers,
    log: deps.log.error,
    isOwnOrigin: (origin) => isOwnOrigin(origin, deps.port(), hostNames(config), config.publicUrl),
  });
  // The REST API (its routes, multipart parsing, OpenAPI document: some 20 ms of start-up here) is built on its first request.
  const warmApi = serveLazily(app, `${API_PREFIX}/*`, async () => {
    const { apiPlugin } = await import('./api/plugin');
    const api = baseServer(deps, { listens: false });
    await api.register(apiPlugin({ config, services, now: deps.now, log: deps.log }), { prefix: API_PREFIX });
    return api;
  });
  registerPackageRoutes(app, services, baseUrlRules);
  return {
    app,
    async warm() {
      await Promise.all([warmUi(), warmApi()]);
    },
  };
}

const API_PREFIX = '/api/v1';

const hostNames = (config: Config) => allowedHostNames(config.host, config.publicUrl, config.allowedHosts);

interface EdgeOptions {
  /** The instance that owns the listening socket: it also caps connections and sets the socket time limits. */
  listens: boolean;
  /** Requests another instance answers and checks: left to it. */
  handsOff?: (url: string) => boolean;
  /** Answers hot GETs ahead of fastify on the listening server (http/fast-path.ts). */
  fastPath?: FastPath;
  /** True when the request carries a live browser-mode session (the UI's uploads are read only then). */
  signedInUi?: (request: FastifyRequest) => Promise<boolean>;
}

/** A fastify instance with Shelf's edge checks, body parsing, npm-style errors and request log, and no routes yet. */
function baseServer(deps: ServerDeps, edge: EdgeOptions): FastifyInstance {
  const { config, services } = deps;
  // Publish bodies are base64 (4/3 larger) inside JSON; leave room for the manifest around it. This is the largest body
  // any route reads; body-limits.ts caps every other route far lower.
  const bodyLimit = Math.ceil(config.limits.maxTarballBytes * 1.4) + 1024 * 1024;
  const trusted = trustedProxies(config.trustProxy ?? []);
  const app = Fastify({
    bodyLimit,
    logger: false,
    // X-Forwarded-For/Proto/Host count only on connections from a proxy named with --trust-proxy; then request.ip is
    // the client's address for login throttling, rate limits and CIDR-bound tokens.
    trustProxy: config.trustProxy?.length ? (address: string) => trusted(address) : false,
    forceCloseConnections: true,
    requestTimeout: REQUEST_TIMEOUT_MS,
    // No route declares a validation or response schema, so fastify's compilers (ajv and fast-json-stringify, which it
    // would otherwise load and set up at start, some 15 ms here) are never needed. A route that declares one fails at
    // start with this message rather than loading them unnoticed.
    schemaController: { compilersFactory: { buildValidator: noSchemaCompiler, buildSerializer: noSchemaCompiler } },
  });

  if (edge.listens) {
    app.server.headersTimeout = HEADERS_TIMEOUT_MS;
    const connections = limitConnections(app.server, config.connectionLimits ?? DEFAULT_CONNECTION_LIMITS, trusted, deps.log.warn);
    // A refused socket has had its 503 written; a request parsed from it before it closes gets nothing more.
    app.addHook('onRequest', async (request, reply) => {
      if (connections.refused(request.raw.socket)) reply.hijack();
    });
    if (edge.fastPath) {
      // A closing server answers 503 from fastify (return503OnClosing); a refused socket gets nothing more from either.
      let closing = false;
      app.addHook('preClose', async () => {
        closing = true;
      });
      serveHotFirst(app.server, edge.fastPath, (request) => !closing && !connections.refused(request.socket));
    }
  }

  const handsOff = (url: string) => edge.handsOff?.(url) ?? false;
  const ownOrigin = (origin: string, request: FastifyRequest) =>
    isOwnOrigin(origin, deps.port(), hostNames(config), config.publicUrl) || isSameOrigin(origin, request);
  app.addHook('onRequest', hostGuard(hostNames(config)));
  // The UI's RPC has its own, stricter Origin check (it requires one).
  app.addHook('onRequest', originGuard({ isOwnOrigin: ownOrigin, skip: (url) => handsOff(url) || url.startsWith(`${RPC_PATH}/`) }));
  app.addHook(
    'onRequest',
    bodyAdmission({
      publishBytes: bodyLimit,
      authenticate: (request) => principalOf(services.auth, request),
      isOwnOrigin: ownOrigin,
      signedInUi: edge.signedInUi ?? (async () => false),
      handsOff,
      log: deps.log.warn,
    }),
  );
  app.addHook('preParsing', bodyStream(deps.log.warn));

  // JSON is parsed only from JSON content types. A web page can send text/plain (or a form) to another site without
  // asking first; reading such a body as JSON is what let a foreign page change state with a browser's saved credentials.
  // An empty body is "no body" (npm sends DELETEs with a JSON content type and nothing in it).
  const parseJson = (_request: unknown, body: string, done: (error: Error | null, value?: unknown) => void) => {
    if (body.trim() === '') return done(null, undefined);
    try {
      done(
        null,
        JSON.parse(body, (key, value) => (key === '__proto__' ? undefined : value)),
      );
    } catch {
      const error = new Error('the request body is not valid JSON') as Error & { statusCode: number };
      error.statusCode = 400;
      done(error);
    }
  };
  app.removeContentTypeParser(['application/json', 'text/plain']);
  app.addContentTypeParser('application/json', { parseAs: 'string' }, parseJson);
  app.addContentTypeParser(/^application\/[\w.+-]+\+json(?:\s*;|$)/i, { parseAs: 'string' }, parseJson);

  app.setErrorHandler(npmErrorHandler(bodyLimit, deps.log.error, config.dataDir));
  app.addHook('onResponse', async (request, reply) => {
    deps.log.debug(`${request.method} ${request.url} ${reply.statusCode} ${reply.elapsedTime.toFixed(1)}ms`);
  });
  app.setNotFoundHandler((_request, reply) => reply.code(404).send({ error: 'not found' }));
  return app;
}

function noSchemaCompiler(): never {
  throw new Error('route schemas are not compiled in Shelf: validate in the handler (see baseServer in src/main/http/server.ts)');
}

/** Browser-mode RPC accepts calls only from pages this server itself served. */
export function isOwnOrigin(origin: string, port: number, hosts: Set<string>, publicUrl: string | undefined): boolean {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  if (publicUrl && url.origin === new URL(publicUrl).origin) return true;
  return url.protocol === 'http:' && Number(url.port || 80) === port && hosts.has(hostNameOf(url.host));
}
