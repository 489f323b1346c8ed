// Browser-mode sign-in sessions kept in the metadata database, so any node behind a load balancer knows every session and
// a sign-out on one node ends it on all of them at once (nothing is cached: each UI request asks the database, one
// primary-key probe). The cookie carries a random id; the database holds only its SHA-256.
import { createHash, randomBytes } from 'node:crypto';
import {
  countSessions,
  deleteSession,
  deleteSessionsOf,
  insertSession,
  sessionUser,
  sweepSessions,
  trimSessions,
} from '../../storage/db/ui-sessions';
import type { MetadataDb } from '../../storage/sql/port';

export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;
/**
 * Live sessions one user keeps at most; past this, a sign-in ends that user's oldest. Bounded per user rather than in
 * total, so one account signing in over and over cannot sign everyone else out. (Rows of all users together are bounded
 * by the accounts times this, and ended rows are deleted when seen and by the sweep at each sign-in.)
 */
export const MAX_SESSIONS_PER_USER = 100;

const hashOf = (id: string) => createHash('sha256').update(id).digest('base64url');

export class UiSessionRecords {
  constructor(
    private readonly db: MetadataDb,
    private readonly now: () => number,
    private readonly ttlMs = SESSION_TTL_MS,
    private readonly maxPerUser = MAX_SESSIONS_PER_USER,
  ) {}

  get lifetimeMs(): number {
    return this.ttlMs;
  }

  /** The user signed in with this cookie value, if its session is live. */
  async userOf(id: string | undefined): Promise<number | undefined> {
    if (!id) return undefined;
    return sessionUser(this.db, hashOf(id), this.now());
  }

  /** Starts a session for `userId` and returns the cookie value; `replacing` (the caller's old cookie) ends first. */
  async start(userId: number, replacing?: string): Promise<string> {
    const at = this.now();
    const id = randomBytes(32).toString('base64url');
    await this.db.transaction(async () => {
      if (replacing) await deleteSession(this.db, hashOf(replacing));
      await sweepSessions(this.db, at);
      await insertSession(this.db, { idHash: hashOf(id), userId, createdAt: at, expiresAt: at + this.ttlMs });
      await trimSessions(this.db, userId, this.maxPerUser);
    });
    return id;
  }

  async end(id: string | undefined): Promise<void> {
    if (id) await deleteSession(this.db, hashOf(id));
  }

  /** Signs a user out everywhere (a password change, an admin's action). */
  async endAllOf(userId: number): Promise<number> {
    return deleteSessionsOf(this.db, userId);
  }

  async count(userId?: number): Promise<number> {
    return countSessions(this.db, userId);
  }
}
