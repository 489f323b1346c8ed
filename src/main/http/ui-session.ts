// Browser mode's login sessions: a random id in an HttpOnly, SameSite=Strict cookie scoped to Shelf's private paths,
// mapped in memory to the signed-in user (a restart signs everyone out, which is what a local tool should do).
import { randomBytes } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { UiSession } from '../rpc/dispatch';
import { SESSION_COOKIE } from './ui-paths';

const COOKIE_PATH = '/-/shelf/';
const DEFAULT_TTL_MS = 12 * 60 * 60 * 1000;
/**
 * Live sessions kept at most. Ended ones are dropped when seen or at the next sign-in; past this many, a sign-in ends the
 * oldest session, so memory stays bounded however often someone signs in (a local tool has a handful of users).
 */
export const MAX_SESSIONS = 10_000;

interface Entry {
  userId: number;
  expires: number;
}

export class UiSessionStore {
  private readonly sessions = new Map<string, Entry>();

  constructor(
    private readonly ttlMs = DEFAULT_TTL_MS,
    private readonly now: () => number = Date.now,
    private readonly maxSessions = MAX_SESSIONS,
  ) {}

  /** How many sessions are held (live, or ended but not yet dropped). */
  get size(): number {
    return this.sessions.size;
  }

  /** The user signed in with this cookie value, if the session is live. */
  userOf(id: string | undefined): number | undefined {
    if (!id) return undefined;
    const entry = this.sessions.get(id);
    if (!entry) return undefined;
    if (entry.expires <= this.now()) {
      this.sessions.delete(id);
      return undefined;
    }
    return entry.userId;
  }

  /** The session object one request works with; signing in always issues a fresh id (no session fixation). */
  forRequest(request: FastifyRequest, reply: FastifyReply, secure: boolean): UiSession {
    let id = readCookie(request.headers.cookie, SESSION_COOKIE);
    return {
      userId: () => this.userOf(id),
      signIn: (userId) => {
        if (id) this.sessions.delete(id);
        id = randomBytes(32).toString('base64url');
        this.add(id, userId);
        reply.header('Set-Cookie', sessionCookie(id, Math.floor(this.ttlMs / 1000), secure));
      },
      signOut: () => {
        if (id) this.sessions.delete(id);
        id = undefined;
        reply.header('Set-Cookie', sessionCookie('', 0, secure));
      },
    };
  }

  private add(id: string, userId: number): void {
    const at = this.now();
    if (this.sessions.size >= this.maxSessions) {
      for (const [key, entry] of this.sessions) if (entry.expires <= at) this.sessions.delete(key);
    }
    // Insertion order is issue order, so the first key is the oldest session.
    while (this.sessions.size >= this.maxSessions) this.sessions.delete(this.sessions.keys().next().value!);
    this.sessions.set(id, { userId, expires: at + this.ttlMs });
  }
}

export function sessionCookie(value: string, maxAgeSeconds: number, secure: boolean): string {
  return [
    `${SESSION_COOKIE}=${value}`,
    `Path=${COOKIE_PATH}`,
    'HttpOnly',
    'SameSite=Strict',
    `Max-Age=${maxAgeSeconds}`,
    ...(secure ? ['Secure'] : []),
  ].join('; ');
}

export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return rest.join('=') || undefined;
  }
  return undefined;
}
