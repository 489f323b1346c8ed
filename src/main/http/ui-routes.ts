// Browser mode's UI routes: the contract's HTTP RPC endpoint, and the built renderer (page + hashed assets) under /-/ui/.
// The routes are registered up front (a request must never miss them), but what answers them is imported on first use:
// the contract's zod schemas, the handler table (the resolver, lockfile parsers, packing) and static file serving were
// over 100 ms of `shelf serve`'s start-up here, and npm clients, which are most of its traffic, never need them.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import type { Handlers } from '../rpc/dispatch';
import { serveLazily } from './lazy-instance';
import { registerEventStream } from './ui-events';
import { RPC_PATH } from './ui-paths';
import type { UiSessionStore } from './ui-session';

/**
 * Where the page lives. Everything outside '/-/' is a package name, so the UI sits under it; the renderer is built with
 * relative asset URLs ('./assets/…'), which from here resolve to /-/ui/assets/. Must match UI_PATH in app.ts (not imported:
 * app.ts → server.ts → here would be a cycle).
 */
export const UI_BASE = '/-/ui/';

/** The HTML's policy: only this server's own scripts, styles and calls; no framing, no plugins, no <base> tricks. */
export const UI_CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

export interface UiRoutesOptions {
  /** The built renderer (holding index.html and assets/); unset serves no page, only the RPC endpoint. */
  rendererDir?: string;
  /** The contract's handler table, made on the first call that needs it. */
  handlers: () => Promise<Handlers>;
  /** True for an Origin that is this server's own page; every other origin's calls are refused. */
  isOwnOrigin(origin: string): boolean;
  /** Where unexpected (non-ShelfError) failures are reported; the caller only sees a generic message. */
  log?: (message: string) => void;
  /** Sign-in sessions (kept in the metadata database, shared by every node). */
  sessions: UiSessionStore;
}

/** Returns a function that loads now what the first UI requests would load. */
export function registerUiRoutes(app: FastifyInstance, opts: UiRoutesOptions): () => Promise<void> {
  const sessions = opts.sessions;
  registerRpc(app, opts, sessions);
  const jobs = async () => {
    const [handlers, { jobBoardOf }] = await Promise.all([opts.handlers(), import('../rpc/handlers')]);
    return jobBoardOf(handlers);
  };
  registerEventStream(app, sessions, jobs);
  const assets = opts.rendererDir ? registerPage(app, opts.rendererDir) : undefined;
  return async () => {
    await Promise.all([import('../rpc/dispatch'), jobs(), assets?.()]);
  };
}

function registerRpc(app: FastifyInstance, opts: UiRoutesOptions, sessions: UiSessionStore): void {
  app.post<{ Params: { call: string } }>(`${RPC_PATH}/:call`, async (request, reply) => {
    // Browsers always send Origin on POST; requiring it (and ours) is what stops another site's page from calling in.
    const origin = request.headers.origin;
    if (!origin || !opts.isOwnOrigin(origin)) {
      return reply.code(403).send({
        error: `cross-origin calls are refused: Shelf's UI calls are accepted only from pages this server served (origin ${origin ? `'${origin}'` : 'missing'})`,
      });
    }
    reply.header('Cache-Control', 'no-store');
    const { dispatch, toCallFailure } = await import('../rpc/dispatch');
    try {
      const session = await sessions.forRequest(request, reply, request.protocol === 'https');
      const result = await dispatch(await opts.handlers(), request.params.call, request.body ?? {}, {
        transport: 'http',
        isLocalOwner: false,
        session,
        client: request.ip,
      });
      return reply.code(200).send(result);
    } catch (error) {
      const failure = toCallFailure(error);
      if (failure.code === 'internal') opts.log?.(`error in UI call ${request.params.call}: ${(error as Error)?.stack ?? String(error)}`);
      return reply.code(failure.status).send({ error: failure.message, code: failure.code });
    }
  });
}

function registerPage(app: FastifyInstance, rendererDir: string): () => Promise<unknown> {
  const indexPath = join(rendererDir, 'index.html');
  // Read per request: a rebuild renames the hashed assets, and a cached page would point at files that are gone.
  const sendIndex = async (reply: FastifyReply) =>
    reply
      .header('Content-Type', 'text/html; charset=utf-8')
      .header('Cache-Control', 'no-cache')
      .header('Content-Security-Policy', UI_CONTENT_SECURITY_POLICY)
      .header('X-Content-Type-Options', 'nosniff')
      .header('Referrer-Policy', 'no-referrer')
      .send(await readFile(indexPath));

  app.get(UI_BASE, async (_request, reply) => sendIndex(reply));
  app.get(`${UI_BASE}index.html`, async (_request, reply) => sendIndex(reply));
  // Relative asset URLs only resolve from the folder form, so the bare forms redirect there (the #fragment survives).
  app.get(UI_BASE.slice(0, -1), async (_request, reply) => reply.redirect(UI_BASE, 302));
  app.get('/', async (_request, reply) => reply.redirect(UI_BASE, 302));

  // @fastify/static (with glob and send under it) is loaded by the first asset request, not at start-up.
  return serveLazily(app, `${UI_BASE}assets/*`, async () => {
    const { default: fastifyStatic } = await import('@fastify/static');
    const assets = Fastify({ logger: false });
    assets.setNotFoundHandler((_request, reply) => reply.code(404).send({ error: 'not found' }));
    await assets.register(fastifyStatic, {
      root: join(rendererDir, 'assets'),
      prefix: `${UI_BASE}assets/`,
      decorateReply: false,
      wildcard: true,
      index: false,
      // File names carry a content hash, so a cached copy can never be stale.
      immutable: true,
      maxAge: '365d',
      setHeaders: (res) => {
        res.setHeader('X-Content-Type-Options', 'nosniff');
      },
    });
    return assets;
  });
}
