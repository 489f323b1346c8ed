// Browser mode's login sessions: a random id in an HttpOnly, SameSite=Strict cookie scoped to Shelf's private paths,
// mapped to the signed-in user in the metadata database (services/auth/ui-sessions.ts, which stores only the id's
// SHA-256). So every node on one database knows every session, a sign-out on one node ends it on all, and a session
// outlives a restart until its 12 hours are up, as browser apps' sessions do.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { UiSession } from '../rpc/dispatch';
import type { UiSessionRecords } from '../services/auth/ui-sessions';
import { SESSION_COOKIE } from './ui-paths';

const COOKIE_PATH = '/-/shelf/';

export class UiSessionStore {
  constructor(private readonly records: UiSessionRecords) {}

  /** The user signed in with the request's cookie, if its session is live (one database probe; ask once per request). */
  async userOf(request: FastifyRequest): Promise<number | undefined> {
    return this.records.userOf(readCookie(request.headers.cookie, SESSION_COOKIE));
  }

  /**
   * The session object one request works with: its user is looked up once, here, before the call runs; signing in or out
   * is written to the database before the call answers. Signing in always issues a fresh id (no session fixation).
   */
  async forRequest(request: FastifyRequest, reply: FastifyReply, secure: boolean): Promise<UiSession> {
    let id = readCookie(request.headers.cookie, SESSION_COOKIE);
    let current = await this.records.userOf(id);
    return {
      userId: () => current,
      signIn: async (userId) => {
        id = await this.records.start(userId, id);
        current = userId;
        reply.header('Set-Cookie', sessionCookie(id, Math.floor(this.records.lifetimeMs / 1000), secure));
      },
      signOut: async () => {
        await this.records.end(id);
        id = undefined;
        current = undefined;
        reply.header('Set-Cookie', sessionCookie('', 0, secure));
      },
    };
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
