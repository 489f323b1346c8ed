// Browser-mode sign-in sessions (migration 10's ui_sessions), shared by every node on one database. Rows are keyed by the
// SHA-256 of the cookie value, never the value itself: a copy of the database (a backup, a store copy) signs no one in.
// Times are epoch milliseconds.
import type { SqlExecutor as Db } from '../sql/port';

/** How many ended sessions one sweep deletes at most, so a sign-in never waits on a large delete. */
export const SWEEP_BATCH = 500;

/** The user of a live session: one primary-key probe. An ended row is deleted when seen (lazily, besides the sweep). */
export async function sessionUser(db: Db, idHash: string, at: number): Promise<number | undefined> {
  const row = await db.get<{ user_id: number; expires_at: number }>('SELECT user_id, expires_at FROM ui_sessions WHERE id_hash = ?', [
    idHash,
  ]);
  if (!row) return undefined;
  if (row.expires_at > at) return row.user_id;
  await db.run('DELETE FROM ui_sessions WHERE id_hash = ? AND expires_at <= ?', [idHash, at]);
  return undefined;
}

export async function insertSession(
  db: Db,
  session: { idHash: string; userId: number; createdAt: number; expiresAt: number },
): Promise<void> {
  await db.run('INSERT INTO ui_sessions (id_hash, user_id, expires_at, created_at) VALUES (?, ?, ?, ?)', [
    session.idHash,
    session.userId,
    session.expiresAt,
    session.createdAt,
  ]);
}

/** Ends the user's oldest sessions beyond the newest `keep`. */
export async function trimSessions(db: Db, userId: number, keep: number): Promise<number> {
  const { changes } = await db.run(
    `DELETE FROM ui_sessions WHERE user_id = ? AND id_hash NOT IN
       (SELECT id_hash FROM ui_sessions WHERE user_id = ? ORDER BY created_at DESC, id_hash DESC LIMIT ?)`,
    [userId, userId, keep],
  );
  return changes;
}

export async function deleteSession(db: Db, idHash: string): Promise<void> {
  await db.run('DELETE FROM ui_sessions WHERE id_hash = ?', [idHash]);
}

/** Ends every session of one user (a password change; deleting the user cascades on its own). */
export async function deleteSessionsOf(db: Db, userId: number): Promise<number> {
  return (await db.run('DELETE FROM ui_sessions WHERE user_id = ?', [userId])).changes;
}

/** Deletes up to `limit` ended sessions; returns how many. */
export async function sweepSessions(db: Db, at: number, limit = SWEEP_BATCH): Promise<number> {
  const { changes } = await db.run(
    'DELETE FROM ui_sessions WHERE id_hash IN (SELECT id_hash FROM ui_sessions WHERE expires_at <= ? ORDER BY expires_at LIMIT ?)',
    [at, limit],
  );
  return changes;
}

export async function countSessions(db: Db, userId?: number): Promise<number> {
  const row =
    userId === undefined
      ? await db.get<{ n: number }>('SELECT count(*) AS n FROM ui_sessions')
      : await db.get<{ n: number }>('SELECT count(*) AS n FROM ui_sessions WHERE user_id = ?', [userId]);
  return Number(row?.n ?? 0);
}
