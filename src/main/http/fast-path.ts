// The fast path for hot packument GETs (issue 16): a GET or HEAD of /<name> whose document is in memory is answered at
// the node:http level, before fastify builds its request and reply, runs the edge hooks and routes the URL. Under load
// that bookkeeping (and the promises of an async handler, each one tracked by the SQLite adapter's AsyncLocalStorage)
// cost more than sending the bytes. The answer is built by the same function the route uses (documentAnswer in
// npm/stored-document.ts), so the two send the same headers and bytes; test/integration/fast-path.test.ts compares them.
//
// Anything this file is not sure of goes to fastify unchanged: other methods and URLs, a query string, a body, any
// Authorization header (the token must be checked and its use recorded), forwarded headers when a proxy is trusted, a
// Host the host guard refuses, a connection the connection cap refused, a server that is closing, a name not in memory,
// and a gzip copy for an address none was made for yet (the route makes it; the next request finds it).
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { isLoopbackHost } from '../config/config';
import type { StoredDocument } from '../services/packages/read';
import { POLICY_HEADER } from '../services/policy/policy-service';
import { hostNameOf } from './host-guard';
import { baseUrlFor, type BaseUrlRules } from './npm/base-url';
import { CACHE_HEADER } from './npm/package-routes';
import { acceptsAbbreviated, documentAnswer, type DocumentRequest } from './npm/stored-document';

export interface FastPathDeps {
  /** The database's generation (MetadataDb.generation('turn'): other connections' commits seen from the next turn on), read once per request for both caches below. */
  generation(): string;
  /** A published, public document in memory with nothing written since (services/packages/read.ts hotPackument). */
  published(name: string, abbreviated: boolean, generation: string): StoredDocument | undefined;
  /** A mirrored document the route would answer as a cache 'hit', from memory (MirrorService.peekPackument). */
  mirrored(name: string, abbreviated: boolean, generation: string): { doc: StoredDocument; held: string | undefined } | undefined;
  /** The base URL rules of the route (npm/base-url.ts); the host guard's list is `rules.allowed`. */
  rules: BaseUrlRules;
  /** Forwarded headers count (--trust-proxy): requests carrying them are left to fastify, which decides whom to trust. */
  trustsProxies: boolean;
  /** Logs each answer at debug level as the route's onResponse hook does, marked as the fast path's. */
  debug?: (line: string) => void;
}

export type FastPath = (request: IncomingMessage, response: ServerResponse) => boolean;

/**
 * `/<name>` or `/@scope/<name>` (the slash may be %2f): the only URLs served here. A name never starts with '-', '.' or
 * '_', so no other route's URL (`/-/…`, `/api/v1/…` has more segments) matches.
 */
const PACKUMENT_URL = /^\/(?:@[a-z0-9~][\w.~-]*(?:\/|%2f))?[a-z0-9~][\w.~-]*$/i;
const MAX_URL_LENGTH = 256;
const CACHE_HIT: [string, string] = [CACHE_HEADER.toLowerCase(), 'hit'];
const POLICY = POLICY_HEADER.toLowerCase();

/** Set SHELF_FAST_PATH=off to send every request through fastify (to compare the two, or to rule the fast path out). */
export function fastPathEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.SHELF_FAST_PATH !== 'off';
}

export function fastPath(deps: FastPathDeps): FastPath {
  const { rules } = deps;
  return (request, response) => {
    const method = request.method;
    if (method !== 'GET' && method !== 'HEAD') return false;
    const url = request.url;
    if (url === undefined || url.length > MAX_URL_LENGTH || url === '/health' || !PACKUMENT_URL.test(url)) return false;
    const headers = request.headers;
    if (headers.authorization !== undefined || headers['content-length'] !== undefined || headers['transfer-encoding'] !== undefined)
      return false;
    if (deps.trustsProxies && (headers['x-forwarded-host'] !== undefined || headers['x-forwarded-proto'] !== undefined)) return false;
    const host = headers.host;
    if (!host) return false;
    const hostName = hostNameOf(host);
    if (!rules.allowed.has(hostName) && !isLoopbackHost(hostName)) return false;

    const name = url.slice(1).replace(/%2f/i, '/');
    const abbreviated = acceptsAbbreviated(headers.accept);
    const leading: [string, string][] = [];
    const generation = deps.generation();
    let doc = deps.published(name, abbreviated, generation);
    if (!doc) {
      const mirrored = deps.mirrored(name, abbreviated, generation);
      if (!mirrored) return false;
      if (mirrored.held) leading.push([POLICY, mirrored.held]);
      leading.push(CACHE_HIT);
      doc = mirrored.doc;
    }
    const protocol = (request.socket as TLSSocket).encrypted ? 'https' : 'http';
    const answer = documentAnswer(headers as DocumentRequest, doc, abbreviated, baseUrlFor(host, protocol, rules), leading);
    if (!answer.ready) return false;
    // An object, not an array: writeHead takes an object's names as they are, where an array goes through
    // removeHeader/appendHeader name by name. The names are distinct and lower-case, so nothing merges.
    const out: Record<string, string | number> = {};
    for (const [key, value] of answer.headers) out[key] = value;
    if (answer.body) out['content-length'] = answer.body.length;
    response.writeHead(answer.status, out);
    // Node sends no body for HEAD or 304; Content-Length still says what a GET gets, as fastify's HEAD route does.
    response.end(answer.body);
    deps.debug?.(`${method} ${url} ${answer.status} (fast path)`);
    return true;
  };
}

/**
 * Puts the fast path in front of fastify's request handler on the listening server. `open()` false (the server is
 * closing, or the connection cap refused this socket) leaves the request to fastify, which answers those cases itself.
 */
export function serveHotFirst(server: Server, fast: FastPath, open: (request: IncomingMessage) => boolean): void {
  const handlers = server.listeners('request') as ((request: IncomingMessage, response: ServerResponse) => void)[];
  if (handlers.length !== 1) throw new Error(`the fast path expects fastify's one request handler, found ${handlers.length}`);
  const [fastify] = handlers as [(request: IncomingMessage, response: ServerResponse) => void];
  server.removeListener('request', fastify);
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    if (!(open(request) && answeredFast(fast, request, response))) fastify(request, response);
  });
}

/**
 * A throw here would escape every handler and end the process. The fast path throws only before it writes (the store
 * failing under generation(), say), so fastify takes the request and answers the failure in its usual shape.
 */
function answeredFast(fast: FastPath, request: IncomingMessage, response: ServerResponse): boolean {
  try {
    return fast(request, response);
  } catch {
    return response.headersSent;
  }
}
