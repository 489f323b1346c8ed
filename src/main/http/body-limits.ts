// What a request body may cost before Shelf knows who sent it. Every body is capped per route after inflation (1 MB
// for everything but publishing), a body over 1 MB is read only from a caller who has already authenticated, at most
// MAX_LARGE_BODIES such bodies are read at once, and a body that stalls or trickles loses its connection. Without
// this, a 61 kB gzip-encoded request to any route inflated to the 71 MB publish limit and was parsed before any check.
import type { IncomingMessage } from 'node:http';
import { Transform, type Readable } from 'node:stream';
import { createGunzip, createInflate } from 'node:zlib';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ShelfError, badRequest, tooLarge, unauthorized } from '../errors';
import { formatBytes } from '../../shared/format-bytes';
import { RPC_PATH } from './ui-paths';

/** Every body but a publish's: login documents, dist-tags, tokens, UI calls. The largest real one is a few kB. */
export const SMALL_BODY_BYTES = 1024 * 1024;
/**
 * Audit bodies list the whole dependency tree (npm's bulk advisory request for a 2,000-package tree is about 100 kB;
 * yarn 1's full audit document can reach a few MB). They are anonymous, so they stay far below the publish limit.
 */
export const AUDIT_BODY_BYTES = 8 * 1024 * 1024;
/** Bodies over SMALL_BODY_BYTES being read at once; a publish holds its whole body (and its parse) in memory. */
export const MAX_LARGE_BODIES = 4;
/** Seconds a client is asked to wait when MAX_LARGE_BODIES are already being read. */
export const LARGE_BODY_RETRY_AFTER_S = 5;
/** A body that sends nothing for this long loses its connection. */
export const BODY_IDLE_MS = 10_000;
/** After BODY_GRACE_MS, a body must have averaged at least BODY_MIN_BYTES_PER_S (a 50 MB tarball then takes < 2 h). */
export const BODY_GRACE_MS = 10_000;
export const BODY_MIN_BYTES_PER_S = 8 * 1024;
/**
 * Before answering a refused body, Shelf reads and discards the rest of it (so the client, which sends its whole body
 * before it reads the answer, sees the 413 and its message instead of a reset), up to this many bytes and
 * DISCARD_MAX_MS; past either, the answer closes the connection.
 */
export const DISCARD_MAX_BYTES = 256 * 1024 * 1024;
export const DISCARD_MAX_MS = 60_000;

export type BodyRoute = 'publish' | 'upload' | 'audit' | 'small';

export interface BodyLimitOptions {
  /** The publish limit (base64 tarball inside JSON), the largest body Shelf reads. */
  publishBytes: number;
  /** Resolves the caller from the Authorization header (throws for a bad credential); undefined for anonymous. */
  authenticate(request: FastifyRequest): Promise<unknown>;
  /** True for an Origin that is one of Shelf's own pages (browser-mode UI uploads). */
  isOwnOrigin(origin: string, request: FastifyRequest): boolean;
  /** True when the request carries a live browser-mode session (asked of the database, only for a large upload). */
  signedInUi(request: FastifyRequest): Promise<boolean>;
  /** Requests another instance answers with these same rules (the lazily built REST API): left alone here. */
  handsOff?(path: string): boolean;
  log(message: string): void;
}

/** Which body rules a request falls under, by method and path alone (decided before a byte of the body is read). */
export function bodyRouteOf(method: string, url: string): BodyRoute {
  const path = url.split('?')[0]!;
  // npm's PUT /<name> carries a publish, and also the whole packument for deprecate, owner changes and unpublishing a
  // version, which for a package with many versions is well over 1 MB.
  if (method === 'PUT' && !path.startsWith('/-/') && !path.startsWith('/api/')) return 'publish';
  if (method === 'POST' && (path === '/api/v1/packages' || path === '/api/v1/packages/publish')) return 'publish';
  // Browser mode sends a folder's packed content with the publish calls, and a project's lockfile with the graph's.
  if (method === 'POST' && (path.startsWith(`${RPC_PATH}/publish.`) || path.startsWith(`${RPC_PATH}/graph.`))) return 'upload';
  if (method === 'POST' && path.startsWith('/-/npm/v1/security/')) return 'audit';
  return 'small';
}

function limitOf(route: BodyRoute, publishBytes: number): number {
  if (route === 'publish' || route === 'upload') return publishBytes;
  return route === 'audit' ? AUDIT_BODY_BYTES : SMALL_BODY_BYTES;
}

function tooLargeMessage(route: BodyRoute, limit: number): string {
  return route === 'publish' || route === 'upload'
    ? `the request body is larger than this registry accepts (${formatBytes(limit)}); raise --max-tarball-size if the package is meant to be this big`
    : `the request body is larger than this endpoint accepts (${formatBytes(limit)}, after decompression)`;
}

interface BodyState {
  route: BodyRoute;
  limit: number;
}

const states = new WeakMap<IncomingMessage, BodyState>();
let largeBodies = 0;

/** How many large bodies are being read right now (for tests and the benchmark's reasoning, not for decisions). */
export function largeBodiesInFlight(): number {
  return largeBodies;
}

function hasBody(raw: IncomingMessage): boolean {
  const length = raw.headers['content-length'];
  return raw.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

function isEncoded(raw: IncomingMessage): boolean {
  const encoding = raw.headers['content-encoding'];
  return encoding !== undefined && encoding !== 'identity';
}

/** The onRequest hook: runs before fastify reads any of the body. */
export function bodyAdmission(options: BodyLimitOptions) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const raw = request.raw;
    if (!hasBody(raw) || options.handsOff?.(request.url)) return;
    const route = bodyRouteOf(request.method, request.url);
    const limit = limitOf(route, options.publishBytes);
    states.set(raw, { route, limit });

    const declared = Number(raw.headers['content-length']);
    try {
      await admit(request, reply, route, limit, declared);
    } catch (error) {
      // Every refusal here comes before the body is read: the client is still sending it.
      await refuseGracefully(raw, reply, declared);
      throw error;
    }
  };

  async function admit(request: FastifyRequest, reply: FastifyReply, route: BodyRoute, limit: number, declared: number): Promise<void> {
    if (declared > limit) throw tooLarge(tooLargeMessage(route, limit));
    // A body that fits the small cap costs at most that much whoever sends it; only larger ones need the checks below.
    if (!isLarge(request.raw, limit, declared)) return;

    if (route === 'publish' && !(await options.authenticate(request))) {
      throw unauthorized(
        `log in before sending a body over ${formatBytes(SMALL_BODY_BYTES)} (\`npm login\`, or a Bearer token): Shelf reads large uploads only from signed-in users`,
      );
    }
    if (route === 'upload') {
      // Before reading megabytes: a page of ours, signed in (the handler then checks what the user may do).
      const origin = request.headers.origin;
      if (!origin || !options.isOwnOrigin(origin, request) || !(await options.signedInUi(request))) {
        throw unauthorized(`sign in to Shelf's UI before uploading more than ${formatBytes(SMALL_BODY_BYTES)}`);
      }
    }
    if (largeBodies >= MAX_LARGE_BODIES) {
      throw new ShelfError(
        'unavailable',
        `Shelf is already receiving ${MAX_LARGE_BODIES} large uploads; try again in a few seconds (npm retries by itself)`,
        { retryAfter: LARGE_BODY_RETRY_AFTER_S },
      );
    }
    // Counted in the same turn as the check above, so concurrent requests cannot both take the last slot. The response's
    // 'close' comes once it is sent or its connection is gone, whichever way the request ends.
    largeBodies += 1;
    reply.raw.once('close', () => {
      largeBodies -= 1;
    });
  }
}

function isLarge(raw: IncomingMessage, limit: number, declared: number): boolean {
  return limit > SMALL_BODY_BYTES && (isEncoded(raw) || Number.isNaN(declared) || declared > SMALL_BODY_BYTES);
}

/**
 * Reads and discards the rest of a refused body before the refusal is sent, so the client (which, like npm, writes its
 * whole body before it reads the answer) gets the message rather than EPIPE or a reset. Answering first and letting Node
 * discard the body afterwards raced: for a client that sent `Connection: close` (any client without keep-alive), Node
 * closes the socket as soon as the answer is written, with the client's bytes still unread in the kernel, and closing
 * with unread bytes makes the kernel send a reset, which can reach the client before it has read the 413. Bounded by
 * DISCARD_MAX_BYTES, DISCARD_MAX_MS and BODY_IDLE_MS; past a bound the answer says `Connection: close` and that
 * client may see the reset after all.
 */
async function refuseGracefully(raw: IncomingMessage, reply: FastifyReply, declared: number): Promise<void> {
  // A body of unknown length (chunked, declared is NaN) is read up to the same bounds.
  const whole = !(declared > DISCARD_MAX_BYTES) && (await discardRest(raw));
  if (!whole) void reply.header('Connection', 'close');
}

/** Reads the rest of a request body into nothing; true once all of it arrived, false past a bound or on a close. */
function discardRest(raw: IncomingMessage): Promise<boolean> {
  if (raw.complete) return Promise.resolve(true);
  return new Promise((resolve) => {
    let seen = 0;
    let lastDataAt = Date.now();
    const onData = (chunk: Buffer) => {
      seen += chunk.length;
      lastDataAt = Date.now();
      if (seen > DISCARD_MAX_BYTES) finish(false);
    };
    const onEnd = () => finish(true);
    const onClose = () => finish(raw.complete);
    const deadline = setTimeout(() => finish(false), DISCARD_MAX_MS).unref();
    const idle = setInterval(() => Date.now() - lastDataAt > BODY_IDLE_MS && finish(false), 1000).unref();
    function finish(whole: boolean): void {
      clearTimeout(deadline);
      clearInterval(idle);
      raw.off('data', onData);
      raw.off('end', onEnd);
      raw.off('close', onClose);
      if (!whole) raw.pause();
      resolve(whole);
    }
    raw.on('data', onData);
    raw.once('end', onEnd);
    raw.once('close', onClose);
    // A stream that was piped and then unpiped stays paused whatever listens to it: resume it explicitly.
    raw.resume();
  });
}

/** The preParsing hook: inflates gzip/deflate bodies and caps what comes out, and watches the body's pace. */
export function bodyStream(log: (message: string) => void) {
  return async (request: FastifyRequest, _reply: FastifyReply, payload: Readable): Promise<Readable> => {
    const raw = request.raw;
    const state = states.get(raw);
    if (!state) return payload;
    watchPace(raw, log);
    // @fastify/multipart reads the request itself (with its own part and file limits): a stream put in front of it here
    // would take bytes it needs.
    if (request.headers['content-type']?.toLowerCase().startsWith('multipart/')) return payload;
    const encoding = raw.headers['content-encoding'];
    const encoded = encoding === 'gzip' || encoding === 'deflate';
    // An identity body with a Content-Length was checked against the limit already, and Node ends it at that length.
    if (!encoded && raw.headers['content-length'] !== undefined) return payload;

    const inflater = encoded ? (encoding === 'gzip' ? createGunzip() : createInflate()) : undefined;
    const cap = capped(state.limit, tooLargeMessage(state.route, state.limit), () => {
      // Past the cap the client is still sending: stop feeding the cap (and the inflater, so a bomb is not inflated any
      // further), read the rest of the raw body into nothing, then refuse, so the client reads the 413 rather than the
      // reset that closing on its unread bytes would send (see refuseGracefully).
      payload.unpipe();
      inflater?.destroy();
      return discardRest(raw);
    });
    payload.on('error', (error) => cap.destroy(error));
    if (!inflater) return payload.pipe(cap);
    // npm and yarn gzip audit bodies; inflate them before the JSON parser sees them, stopping at the cap.
    delete request.headers['content-length'];
    inflater.on('error', () => cap.destroy(badRequest(`the request body is not valid ${encoding} data`)));
    cap.on('error', () => {
      payload.unpipe(inflater);
      inflater.destroy();
    });
    return payload.pipe(inflater).pipe(cap);
  };
}

/** Passes at most `limit` bytes; past it, waits for `drain` (the rest of the body read into nothing), then fails. */
function capped(limit: number, message: string, drain: () => Promise<unknown>): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      seen += chunk.length;
      if (seen <= limit) return done(null, chunk);
      void drain().then(() => done(tooLarge(message)));
    },
  });
}

interface Pace {
  startedAt: number;
  startBytes: number;
  lastBytes: number;
  lastProgressAt: number;
}

const paced = new Map<IncomingMessage, Pace>();
let sweeper: NodeJS.Timeout | undefined;

/**
 * Node's own time limits are per request (all of it, however large) and checked every 30 s; a client trickling a body
 * a byte at a time held a socket for the 300 s limit. This watches the socket's bytes once a second instead.
 */
function watchPace(raw: IncomingMessage, log: (message: string) => void): void {
  const socket = raw.socket;
  if (raw.complete || !socket || paced.has(raw)) return;
  const now = Date.now();
  paced.set(raw, { startedAt: now, startBytes: socket.bytesRead, lastBytes: socket.bytesRead, lastProgressAt: now });
  raw.once('end', () => paced.delete(raw));
  raw.once('close', () => paced.delete(raw));
  sweeper ??= setInterval(() => sweep(log), 1000).unref();
}

function sweep(log: (message: string) => void): void {
  const now = Date.now();
  for (const [raw, pace] of paced) {
    const socket = raw.socket;
    if (raw.complete || !socket || socket.destroyed) {
      paced.delete(raw);
      continue;
    }
    if (socket.bytesRead > pace.lastBytes) {
      pace.lastBytes = socket.bytesRead;
      pace.lastProgressAt = now;
    }
    const elapsed = now - pace.startedAt;
    const rate = ((pace.lastBytes - pace.startBytes) * 1000) / Math.max(elapsed, 1);
    const idle = now - pace.lastProgressAt > BODY_IDLE_MS;
    if (idle || (elapsed > BODY_GRACE_MS && rate < BODY_MIN_BYTES_PER_S)) {
      log(
        `closed the connection from ${socket.remoteAddress ?? 'an unknown address'}: its ${raw.method ?? ''} body ${idle ? `sent nothing for ${BODY_IDLE_MS / 1000} s` : `arrived at ${Math.round(rate)} B/s, under the ${BODY_MIN_BYTES_PER_S} B/s minimum`}`,
      );
      paced.delete(raw);
      socket.destroy();
    }
  }
  if (paced.size === 0 && sweeper) {
    clearInterval(sweeper);
    sweeper = undefined;
  }
}
