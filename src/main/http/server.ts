// Builds the fastify server: body parsing, host guard, error mapping, the npm protocol, the REST API and the browser-mode UI.
import { createGunzip, createInflate } from 'node:zlib';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Config } from '../config/config';
import type { Logger } from '../logger';
import type { Handlers } from '../rpc/dispatch';
import type { Services } from '../services';
import { SHELF_VERSION } from '../version';
import { npmErrorHandler } from './errors';
import { allowedHostNames, hostGuard, hostNameOf } from './host-guard';
import { serveLazily } from './lazy-instance';
import { registerMiscRoutes } from './npm/misc-routes';
import { registerPackageMetaRoutes } from './npm/package-meta-routes';
import { registerPackageRoutes } from './npm/package-routes';
import { registerSearchRoutes } from './npm/search-routes';
import { registerTokenRoutes } from './npm/token-routes';
import { registerUserRoutes } from './npm/user-routes';
import { registerUiRoutes } from './ui-routes';

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
  const app = baseServer(deps);

  // Liveness for monitors and load balancers: answers from memory, never waits on the database or the mirror. It takes
  // the root path space npm uses for packuments, so `health` is a reserved package name (services/packages/names.ts).
  app.get('/health', async (_request, reply) =>
    reply.header('Cache-Control', 'no-store').send({ status: 'ok', timestamp: deps.now().toISOString(), version: SHELF_VERSION }),
  );
  registerMiscRoutes(app, services.mirror);
  registerUserRoutes(app, services);
  registerTokenRoutes(app, services, deps.now);
  registerSearchRoutes(app, services, deps.now);
  registerPackageMetaRoutes(app, services);
  const warmUi = registerUiRoutes(app, {
    rendererDir: config.rendererDir,
    handlers: deps.handlers,
    log: deps.log.error,
    isOwnOrigin: (origin) =>
      isOwnOrigin(origin, deps.port(), allowedHostNames(config.host, config.publicUrl, config.allowedHosts), config.publicUrl),
  });
  // The REST API (its routes, multipart parsing, OpenAPI document: some 20 ms of start-up here) is built on its first request.
  const warmApi = serveLazily(app, `${API_PREFIX}/*`, async () => {
    const { apiPlugin } = await import('./api/plugin');
    const api = baseServer(deps);
    await api.register(apiPlugin({ config, services, now: deps.now, log: deps.log }), { prefix: API_PREFIX });
    return api;
  });
  registerPackageRoutes(app, services);
  return {
    app,
    async warm() {
      await Promise.all([warmUi(), warmApi()]);
    },
  };
}

const API_PREFIX = '/api/v1';

/** A fastify instance with Shelf's body parsing, host guard, npm-style errors and request log, and no routes yet. */
function baseServer(deps: ServerDeps): FastifyInstance {
  const { config } = deps;
  // Publish bodies are base64 (4/3 larger) inside JSON; leave room for the manifest around it.
  const bodyLimit = Math.ceil(config.limits.maxTarballBytes * 1.4) + 1024 * 1024;
  const app = Fastify({
    bodyLimit,
    logger: false,
    trustProxy: false,
    forceCloseConnections: true,
    // No route declares a validation or response schema, so fastify's compilers (ajv and fast-json-stringify, which it
    // would otherwise load and set up at start, some 15 ms here) are never needed. A route that declares one fails at
    // start with this message rather than loading them unnoticed.
    schemaController: { compilersFactory: { buildValidator: noSchemaCompiler, buildSerializer: noSchemaCompiler } },
  });

  // npm and yarn gzip audit bodies; inflate them before the JSON parser sees them.
  app.addHook('preParsing', async (request, _reply, payload) => {
    const encoding = request.headers['content-encoding'];
    if (encoding === 'gzip' || encoding === 'deflate') {
      delete request.headers['content-length'];
      return payload.pipe(encoding === 'gzip' ? createGunzip() : createInflate());
    }
    return payload;
  });

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
  app.addContentTypeParser(['application/json', 'text/plain'], { parseAs: 'string' }, parseJson);

  app.addHook('onRequest', hostGuard(allowedHostNames(config.host, config.publicUrl, config.allowedHosts)));
  app.setErrorHandler(npmErrorHandler(bodyLimit, deps.log.error));
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
