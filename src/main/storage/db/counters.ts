// Counters shared by every node on one database (migration 10): fixed request windows for /api/v1's rate limits, and the
// timed events of the sliding-window limits (sign-in failures, sign-ups, addresses an account signed in from). Used only
// where several nodes share the database (PostgreSQL); one SQLite process keeps these in memory, which is faster and
// just as correct there. Times are epoch milliseconds.
import type { SqlExecutor } from '../sql/port';

/**
 * Where counters are written. `locked` runs `fn` in one transaction holding a lock per key (the same keys on another node
 * wait), so a check-then-record cannot let two nodes both take the last slot of a budget. On PostgreSQL the writes here
 * do not move MetadataDb.generation() (storage/sql/pg-counters.ts): no cached document depends on them.
 */
export interface CounterSql extends SqlExecutor {
  locked<T>(keys: string[], fn: (sql: SqlExecutor) => Promise<T>): Promise<T>;
}

/** One budget key's window after counting. */
export interface CountedWindow {
  count: number;
  resetAt: number;
}

/** Ended windows and aged events deleted per sweep at most (a sweep runs now and then beside a counted request). */
const SWEEP_BATCH = 1000;

/**
 * Counts one request against each key in one statement: a key whose window has ended starts a fresh one at 1.
 * Returns the windows in the order of `keys`.
 */
export async function hitWindows(sql: SqlExecutor, keys: string[], windowMs: number, at: number): Promise<CountedWindow[]> {
  const values = keys.map(() => '(?, 1, ?)').join(', ');
  const rows = await sql.all<{ key: string; count: number; reset_at: number }>(
    `INSERT INTO rate_windows (key, count, reset_at) VALUES ${values}
     ON CONFLICT (key) DO UPDATE SET
       count = CASE WHEN rate_windows.reset_at <= ? THEN 1 ELSE rate_windows.count + 1 END,
       reset_at = CASE WHEN rate_windows.reset_at <= ? THEN excluded.reset_at ELSE rate_windows.reset_at END
     RETURNING key, count, reset_at`,
    [...keys.flatMap((key) => [key, at + windowMs]), at, at],
  );
  const byKey = new Map(rows.map((row) => [row.key, { count: Number(row.count), resetAt: Number(row.reset_at) }]));
  return keys.map((key) => byKey.get(key)!);
}

export async function sweepWindows(sql: SqlExecutor, at: number): Promise<number> {
  return (
    await sql.run('DELETE FROM rate_windows WHERE key IN (SELECT key FROM rate_windows WHERE reset_at <= ? LIMIT ?)', [at, SWEEP_BATCH])
  ).changes;
}

/**
 * Kinds of timed events: 'fail' (a sign-in that failed or is still being checked; counts against its address and its
 * account), 'fail_account' (a failure its address has since been cleared of by signing in to that account; counts against
 * the account only), 'known' (an account signed in from this address), 'signup' (an account created from this address).
 */
export type EventKind = 'fail' | 'fail_account' | 'known' | 'signup';

export interface TimedEvent {
  id: number;
  account: string;
  at: number;
}

export async function eventsByAddress(sql: SqlExecutor, kind: EventKind, address: string, since: number): Promise<TimedEvent[]> {
  return (
    await sql.all<TimedEvent>('SELECT id, account, at FROM throttle_events WHERE kind = ? AND address = ? AND at > ? ORDER BY at, id', [
      kind,
      address,
      since,
    ])
  ).map(numeric);
}

/** An account's failures from any address ('fail' and 'fail_account'). */
export async function failuresOfAccount(sql: SqlExecutor, account: string, since: number): Promise<TimedEvent[]> {
  return (
    await sql.all<TimedEvent>(
      "SELECT id, account, at FROM throttle_events WHERE kind IN ('fail', 'fail_account') AND account = ? AND at > ? ORDER BY at, id",
      [account, since],
    )
  ).map(numeric);
}

export async function lastKnown(sql: SqlExecutor, account: string, address: string): Promise<number | undefined> {
  const row = await sql.get<{ at: number }>(
    "SELECT max(at) AS at FROM throttle_events WHERE kind = 'known' AND account = ? AND address = ?",
    [account, address],
  );
  return row?.at === null || row?.at === undefined ? undefined : Number(row.at);
}

export async function insertEvent(sql: SqlExecutor, kind: EventKind, address: string, account: string, at: number): Promise<number> {
  const row = await sql.get<{ id: number }>('INSERT INTO throttle_events (kind, address, account, at) VALUES (?, ?, ?, ?) RETURNING id', [
    kind,
    address,
    account,
    at,
  ]);
  return Number(row!.id);
}

export async function moveEvent(sql: SqlExecutor, id: number, at: number): Promise<void> {
  await sql.run('UPDATE throttle_events SET at = ? WHERE id = ?', [at, id]);
}

export async function deleteEvent(sql: SqlExecutor, id: number): Promise<void> {
  await sql.run('DELETE FROM throttle_events WHERE id = ?', [id]);
}

/** A successful sign-in clears its address's failures against that account (they still count against the account). */
export async function clearAddressFailures(sql: SqlExecutor, address: string, account?: string): Promise<void> {
  if (account === undefined) {
    await sql.run("UPDATE throttle_events SET kind = 'fail_account' WHERE kind = 'fail' AND address = ?", [address]);
  } else {
    await sql.run("UPDATE throttle_events SET kind = 'fail_account' WHERE kind = 'fail' AND address = ? AND account = ?", [
      address,
      account,
    ]);
  }
}

/** Records that `account` signed in from `address`, keeping the newest `keep` addresses per account. */
export async function rememberAddress(sql: SqlExecutor, account: string, address: string, at: number, keep: number): Promise<void> {
  await sql.run("DELETE FROM throttle_events WHERE kind = 'known' AND account = ? AND address = ?", [account, address]);
  await insertEvent(sql, 'known', address, account, at);
  await sql.run(
    `DELETE FROM throttle_events WHERE kind = 'known' AND account = ? AND id NOT IN
       (SELECT id FROM throttle_events WHERE kind = 'known' AND account = ? ORDER BY at DESC, id DESC LIMIT ?)`,
    [account, account, keep],
  );
}

/** Deletes up to a batch of events of `kinds` older than `before`. */
export async function sweepEvents(sql: SqlExecutor, kinds: EventKind[], before: number): Promise<number> {
  const marks = kinds.map(() => '?').join(', ');
  return (
    await sql.run(`DELETE FROM throttle_events WHERE id IN (SELECT id FROM throttle_events WHERE kind IN (${marks}) AND at <= ? LIMIT ?)`, [
      ...kinds,
      before,
      SWEEP_BATCH,
    ])
  ).changes;
}

const numeric = (row: TimedEvent): TimedEvent => ({ id: Number(row.id), account: row.account, at: Number(row.at) });

/**
 * The counters over a MetadataDb (SQLite in tests, or any adapter): `locked` is one MetadataDb transaction, which on
 * SQLite already admits one writer at a time.
 */
export function counterSqlOver(db: SqlExecutor & { transaction<T>(fn: () => Promise<T>): Promise<T> }): CounterSql {
  return {
    dialect: db.dialect,
    get: (text, params) => db.get(text, params),
    all: (text, params) => db.all(text, params),
    run: (text, params) => db.run(text, params),
    locked: (_keys, fn) => db.transaction(() => fn(db)),
  };
}
