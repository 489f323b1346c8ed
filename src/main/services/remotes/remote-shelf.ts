// Another Shelf, used from this one's UI as if it were this one: the main process signs in on the remote with the
// user's own account there (through the remote's own browser-mode sign-in call), keeps the remote's session cookie in
// memory only, and forwards contract calls to the remote's RPC endpoint. The remote applies its own rights table to
// every call, so nothing about what the user may do there is decided here.
//
// As a client it is honest about what it is: it sends the remote's own origin as Origin (the remote's RPC refuses a
// missing or foreign one, as it must for browsers), a user agent naming Shelf, and the session cookie only to the
// remote's origin. Every request goes through the address guard (address-guard.ts), like the Registries screen's probes.
import { RPC_PATH, SESSION_COOKIE } from '../../../shared/contract';
import { ShelfError, type ShelfErrorCode } from '../../errors';
import { unreachable, type FetchLike } from './address-guard';
import { registryBase } from './names';

/** A remote as the Registries screen keeps it. */
export interface RemoteAddress {
  id: string;
  url: string;
}

/** One sign-in on a remote Shelf: the remote's session cookie (memory only) and who the remote says the user is. */
export interface RemoteShelfSession extends RemoteAddress {
  username: string;
  isAdmin: boolean;
  cookie: string;
  /** When the remote's cookie stops being valid (its Max-Age), as Date.now() counts. */
  expires: number;
}

/** Forwarded calls wait this long; a publish (megabytes uploaded, then verified by the remote) waits longer. */
const CALL_TIMEOUT_MS = 30_000;
const SLOW_CALL_TIMEOUT_MS = 120_000;
const SIGN_OUT_TIMEOUT_MS = 5_000;
const SLOW_CALLS = new Set(['publish.run', 'publish.inspect', 'graph.resolve', 'graph.compare', 'mirror.verify']);
/** A remote's message is shown to the user: one line, bounded, so a remote cannot flood the screen. */
const MAX_MESSAGE = 500;
const USER_AGENT = 'shelf-desktop (forwarding the UI to a remote Shelf)';

const KNOWN_CODES = new Set<ShelfErrorCode>([
  'invalid_request',
  'authentication_required',
  'permission_denied',
  'not_found',
  'not_acceptable',
  'conflict',
  'payload_too_large',
  'rate_limit_exceeded',
  'upstream_failed',
  'upstream_timeout',
  'unavailable',
  'insufficient_storage',
]);

/** How the remote is named in messages: its address as added. */
export const remoteName = (url: string): string => registryBase(url);

/** The message for a session the remote no longer honours (expired, signed out there, or the remote restarted). */
export function signInAgain(url: string): ShelfError {
  return new ShelfError(
    'authentication_required',
    `sign in to ${remoteName(url)} again: your session there has ended (it expired, was signed out, or the server restarted); use Sign in on the Registries screen`,
  );
}

export class RemoteShelfClient {
  constructor(
    private readonly remote: RemoteAddress,
    private readonly fetchImpl: FetchLike,
    private readonly now: () => number = Date.now,
  ) {}

  /** The remote's RPC address for a call, below the address the remote was added with (a proxy may serve it under a path). */
  private rpcUrl(call: string): string {
    return new URL(`${RPC_PATH.slice(1)}/${encodeURIComponent(call)}`, registryBase(this.remote.url)).toString();
  }

  private async post(call: string, args: unknown, cookie?: string, timeoutMs?: number): Promise<Response> {
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      accept: 'application/json',
      origin: new URL(this.remote.url).origin,
      'user-agent': USER_AGENT,
    };
    if (cookie) headers.cookie = `${SESSION_COOKIE}=${cookie}`;
    try {
      return await this.fetchImpl(this.rpcUrl(call), {
        method: 'POST',
        headers,
        body: JSON.stringify(args ?? {}),
        signal: AbortSignal.timeout(timeoutMs ?? (SLOW_CALLS.has(call) ? SLOW_CALL_TIMEOUT_MS : CALL_TIMEOUT_MS)),
      });
    } catch (error) {
      // A refused address (private, without permission) keeps its reason; every network failure reads the same.
      if (error instanceof ShelfError && error.code === 'permission_denied') throw error;
      throw unreachable(remoteName(this.remote.url));
    }
  }

  /** Signs in through the remote's own `session.signIn`; the password goes to the remote and is kept nowhere. */
  async signIn(username: string, password: string): Promise<RemoteShelfSession> {
    const response = await this.post('session.signIn', { username, password });
    const body = await readJson(response);
    if (!response.ok) {
      if (!isShelfAnswer(body, response.status)) throw notAShelf(this.remote.url, response.status);
      throw new ShelfError(
        codeOf(body, response.status),
        `signing in to ${remoteName(this.remote.url)} failed: ${messageOf(body)}${originHint(body)}`,
      );
    }
    const user = body as { username?: unknown; isAdmin?: unknown };
    const cookie = sessionCookieOf(response.headers, this.now());
    if (typeof user.username !== 'string' || typeof user.isAdmin !== 'boolean' || !cookie)
      throw notAShelf(this.remote.url, response.status);
    return { ...this.remote, username: user.username.slice(0, 64), isAdmin: user.isAdmin, ...cookie };
  }

  /**
   * Ends the session on the remote too, waiting a few seconds at most: a remote that cannot be reached just keeps it
   * until it expires there, and signing out here must not hang on it.
   */
  async signOut(session: RemoteShelfSession): Promise<void> {
    const response = await this.post('session.signOut', {}, session.cookie, SIGN_OUT_TIMEOUT_MS).catch(() => undefined);
    await response?.arrayBuffer().catch(() => undefined);
  }

  /**
   * One contract call on the remote, as the signed-in user there. Its answer is returned as is (the caller checks it
   * against the contract); a refusal becomes a ShelfError carrying the remote's own message, naming the remote.
   */
  async call(session: RemoteShelfSession, call: string, args: unknown): Promise<unknown> {
    if (session.expires <= this.now()) throw signInAgain(this.remote.url);
    const response = await this.post(call, args, session.cookie);
    const body = await readJson(response);
    if (response.ok) {
      if (body === undefined) throw notAShelf(this.remote.url, response.status);
      return body;
    }
    if (!isShelfAnswer(body, response.status)) throw notAShelf(this.remote.url, response.status);
    if (response.status === 401) throw signInAgain(this.remote.url);
    const retryAfter = Number(response.headers.get('retry-after'));
    throw new ShelfError(codeOf(body, response.status), `${remoteName(this.remote.url)}: ${messageOf(body)}${originHint(body)}`, {
      retryAfter: Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : undefined,
    });
  }
}

async function readJson(response: Response): Promise<unknown> {
  const text = await response.text().catch(() => '');
  try {
    return text ? (JSON.parse(text) as unknown) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Shelf's RPC refusals are `{error, code}` (its Origin check answers `{error}` alone); anything else — an HTML page, a
 * proxy's text, another registry's 404 for a path it does not have — is not a Shelf answering.
 */
function isShelfAnswer(body: unknown, status: number): body is { error: string; code?: string } {
  const b = body as { error?: unknown; code?: unknown } | undefined;
  if (typeof b !== 'object' || b === null || typeof b.error !== 'string') return false;
  return typeof b.code === 'string' || status === 403;
}

function notAShelf(url: string, status: number): ShelfError {
  return new ShelfError(
    'upstream_failed',
    `${remoteName(url)} did not answer as a Shelf does (${status} from ${RPC_PATH}); the screens can act only on another Shelf — for another npm registry, publish to it with a token instead`,
  );
}

function codeOf(body: { code?: string }, status: number): ShelfErrorCode {
  if (KNOWN_CODES.has(body.code as ShelfErrorCode)) return body.code as ShelfErrorCode;
  if (status === 403) return 'permission_denied';
  return status >= 500 ? 'upstream_failed' : 'invalid_request';
}

/**
 * The remote's Origin check refused the origin of the address it was added with: behind a proxy its pages live at
 * another address (its --public-url), which is the one to add.
 */
function originHint(body: { code?: string }): string {
  return body.code === undefined ? '; add the remote by the address its own pages are served from (its --public-url)' : '';
}

function messageOf(body: { error: string }): string {
  const flat = body.error.replace(/\s+/g, ' ').trim();
  return flat.length > MAX_MESSAGE ? `${flat.slice(0, MAX_MESSAGE - 3)}...` : flat;
}

/** The remote's session cookie and its lifetime, from its Set-Cookie headers. */
function sessionCookieOf(headers: Headers, now: number): { cookie: string; expires: number } | undefined {
  for (const line of headers.getSetCookie()) {
    const [pair = '', ...attributes] = line.split(';').map((part) => part.trim());
    const eq = pair.indexOf('=');
    if (eq < 0 || pair.slice(0, eq) !== SESSION_COOKIE) continue;
    const cookie = pair.slice(eq + 1);
    // Only the cookie's own characters: it is sent back in a header, so nothing that could split one is accepted.
    if (!/^[A-Za-z0-9_-]{16,256}$/.test(cookie)) return undefined;
    const maxAge = attributes.map((a) => /^max-age=(\d+)$/i.exec(a)?.[1]).find((v) => v !== undefined);
    // Without a Max-Age the remote decides when it ends; a 401 then says so.
    return { cookie, expires: now + (maxAge === undefined ? 12 * 3600 : Number(maxAge)) * 1000 };
  }
  return undefined;
}
