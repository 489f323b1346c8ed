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

interface Row {
  idHash: string;
  userId: number;
  createdAt: number;
  expiresAt: number;
}

/** Where session rows live: the metadata database, or (a read-only start on a full disk) this process's memory. */
interface SessionRows {
  user(idHash: string, at: number): Promise<number | undefined>;
  add(row: Row, replacing: string | undefined, maxPerUser: number): Promise<void>;
  remove(idHash: string): Promise<void>;
  removeUser(userId: number): Promise<number>;
  count(userId?: number): Promise<number>;
}

function databaseRows(db: MetadataDb): SessionRows {
  return {
    user: (idHash, at) => sessionUser(db, idHash, at),
    add: (row, replacing, maxPerUser) =>
      db.transaction(async () => {
        if (replacing) await deleteSession(db, replacing);
        await sweepSessions(db, row.createdAt);
        await insertSession(db, row);
        await trimSessions(db, row.userId, maxPerUser);
      }),
    remove: (idHash) => deleteSession(db, idHash),
    removeUser: (userId) => deleteSessionsOf(db, userId),
    count: (userId) => countSessions(db, userId),
  };
}

/**
 * A read-only Shelf (started on a full disk: SQLite, one process) cannot write a session row, yet its UI must still let
 * people sign in to look around; its sessions then live in memory, with the same rules, and end with the process.
 */
function memoryRows(): SessionRows {
  const rows = new Map<string, Row>();
  return {
    user: async (idHash, at) => {
      const row = rows.get(idHash);
      if (row && row.expiresAt <= at) rows.delete(idHash);
      return row && row.expiresAt > at ? row.userId : undefined;
    },
    add: async (row, replacing, maxPerUser) => {
      if (replacing) rows.delete(replacing);
      for (const [key, other] of rows) if (other.expiresAt <= row.createdAt) rows.delete(key);
      rows.set(row.idHash, row);
      // Insertion order is issue order: the user's first rows are the oldest.
      const own = [...rows.values()].filter((other) => other.userId === row.userId);
      for (const old of own.slice(0, Math.max(0, own.length - maxPerUser))) rows.delete(old.idHash);
    },
    remove: async (idHash) => {
      rows.delete(idHash);
    },
    removeUser: async (userId) => {
      const own = [...rows.values()].filter((row) => row.userId === userId);
      for (const row of own) rows.delete(row.idHash);
      return own.length;
    },
    count: async (userId) => [...rows.values()].filter((row) => userId === undefined || row.userId === userId).length,
  };
}

export class UiSessionRecords {
  private readonly rows: SessionRows;

  /** `db` undefined: sessions in memory (a read-only start). */
  constructor(
    db: MetadataDb | undefined,
    private readonly now: () => number,
    private readonly ttlMs = SESSION_TTL_MS,
    private readonly maxPerUser = MAX_SESSIONS_PER_USER,
  ) {
    this.rows = db ? databaseRows(db) : memoryRows();
  }

  get lifetimeMs(): number {
    return this.ttlMs;
  }

  /** The user signed in with this cookie value, if its session is live. */
  async userOf(id: string | undefined): Promise<number | undefined> {
    if (!id) return undefined;
    return this.rows.user(hashOf(id), this.now());
  }

  /** Starts a session for `userId` and returns the cookie value; `replacing` (the caller's old cookie) ends first. */
  async start(userId: number, replacing?: string): Promise<string> {
    const at = this.now();
    const id = randomBytes(32).toString('base64url');
    await this.rows.add(
      { idHash: hashOf(id), userId, createdAt: at, expiresAt: at + this.ttlMs },
      replacing && hashOf(replacing),
      this.maxPerUser,
    );
    return id;
  }

  async end(id: string | undefined): Promise<void> {
    if (id) await this.rows.remove(hashOf(id));
  }

  /** Signs a user out everywhere (a password change, an admin's action). */
  async endAllOf(userId: number): Promise<number> {
    return this.rows.removeUser(userId);
  }

  async count(userId?: number): Promise<number> {
    return this.rows.count(userId);
  }
}
