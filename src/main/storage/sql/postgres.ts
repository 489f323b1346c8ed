// The metadata store's PostgreSQL adapter: the MetadataDb port over a node-postgres pool, for several Shelf nodes on
// one database (team mode, issue 17). The schema and its migrations are storage/postgres/migrations.ts.
//
// - SQL is written once for both dialects with `?` or `@name` placeholders; each text is translated to `$n` once and
//   kept (statements come from a fixed set of fragments, so the cache stays small).
// - A transaction holds one pooled client; statements made inside it find that client through AsyncLocalStorage.
//   Write transactions take one transaction-level advisory lock first: the same one-writer-at-a-time SQLite's
//   BEGIN IMMEDIATE gives, across every node, so what a publish re-checks inside its transaction still holds when it
//   commits (a unique version has exactly one winner; the losers get the same 409 as on one node).
// - Every committed write is heard as NOTIFY shelf_changes, sent by the statement trigger migratePostgres installs on
//   every table (so no extra round trip here, and writes from outside Shelf count too); each node LISTENs on a dedicated
//   connection and bumps its generation, which the in-memory copies of hot documents are keyed by. While that connection is down the generation
//   changes on every look, so nothing is served from memory that another node may have changed.
// - The same connection hears shelf_events: what other nodes broadcast (UI events), tagged with the sender's node id so
//   a node never hears itself. A broadcast made inside a transaction is sent after its COMMIT, when it is true.
// - exclusive(): session-level advisory locks on a small pool of their own, so a mirror fetch waiting for another node
//   never takes a connection its own statements need.
import { createHash, randomUUID } from 'node:crypto';
import pg from 'pg';
import { migratePostgres } from '../postgres/migrations';
import type { MetadataDb, SqlParams, SqlRunResult, TransactionOptions } from './port';
import { TransactionContext } from './transaction-context';

/** The channel every node listens on; the payload is empty (any change drops every copy). */
export const CHANGES_CHANNEL = 'shelf_changes';
/** The channel of broadcast(): `{ node, channel, payload }` as JSON. */
export const EVENTS_CHANNEL = 'shelf_events';
/** NOTIFY refuses payloads of 8000 bytes or more. */
const BROADCAST_MAX_BYTES = 7900;
/**
 * How long exclusive() waits for another node's work under the same key before running its own anyway: a holder that
 * is alive but stuck (an upstream that trickles) must not stall every node; a holder that died has already lost its
 * lock with its connection. Past this bound two nodes may fetch the same item, which costs a request, never correctness
 * (blobs are content-addressed, cache rows are upserts).
 */
export const EXCLUSIVE_WAIT_MS = 30_000;
/**
 * Connections for exclusive() per node, opened only as distinct items are fetched at once (one per key held or waited
 * for) and closed when idle. Past it a fetch waits for one, within the same bound; a nested lock (a tarball whose
 * version needs the packument first) always goes tarball then packument, so waits never form a cycle.
 */
const LOCK_POOL_MAX = 32;
/** The advisory lock write transactions take (an arbitrary constant, different from the migrations' lock). */
const WRITE_LOCK_KEY = 0x7368656c6677;
/** Distinct SQL texts kept translated. */
const TRANSLATION_LIMIT = 1000;
/** How long the listener waits before connecting again after losing its connection (doubling, capped). */
const LISTEN_RETRY_MIN_MS = 250;
const LISTEN_RETRY_MAX_MS = 10_000;

interface Translated {
  text: string;
  /** For named placeholders: the parameter name of each $n, in order. */
  names?: string[];
}

interface OpenTransaction {
  client: pg.PoolClient;
  savepoints: number;
  wrote: boolean;
  /** Broadcasts made inside the transaction, sent once it has committed. */
  afterCommit: (() => void)[];
}

/** int8 (counts, ids) and numeric (sums) as JavaScript numbers, as better-sqlite3 returns them. */
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === 20 || oid === 1700) return (value: string) => (value === null ? null : Number(value));
    return pg.types.getTypeParser(oid, format as 'text');
  },
} as unknown as pg.CustomTypesConfig;

export interface PostgresOptions {
  /** Warns about a lost change listener (the server keeps working, uncached, meanwhile). */
  warn?: (message: string) => void;
  /** Pool size per node. */
  max?: number;
  /** exclusive()'s bound on waiting for another node (EXCLUSIVE_WAIT_MS). */
  exclusiveWaitMs?: number;
}

export class PostgresMetadataDb implements MetadataDb {
  readonly dialect = 'postgres' as const;
  private readonly context = new TransactionContext<OpenTransaction>();
  private readonly translations = new Map<string, Translated>();
  private counter = 0;
  private listener: pg.Client | undefined;
  private listening = false;
  private closed = false;
  private retryMs = LISTEN_RETRY_MIN_MS;
  private retryTimer: NodeJS.Timeout | undefined;
  /** Tags this node's broadcasts, so that its own listener drops them. */
  private readonly nodeId = randomUUID();
  private readonly broadcastListeners = new Set<(channel: string, payload: string) => void>();
  private readonly lockPool: pg.Pool;

  private constructor(
    readonly pool: pg.Pool,
    private readonly url: string,
    private readonly warn: (message: string) => void,
    private readonly exclusiveWaitMs: number,
  ) {
    // lock_timeout bounds the wait inside pg_advisory_lock; connectionTimeoutMillis the wait for one of these connections.
    this.lockPool = new pg.Pool({
      connectionString: url,
      max: LOCK_POOL_MAX,
      types,
      lock_timeout: exclusiveWaitMs,
      connectionTimeoutMillis: exclusiveWaitMs,
    });
    this.lockPool.on('error', () => undefined);
  }

  /** Connects, brings the schema up to date (once across nodes, under the migrations' advisory lock) and starts listening. */
  static async open(url: string, options: PostgresOptions = {}): Promise<PostgresMetadataDb> {
    const pool = new pg.Pool({ connectionString: url, max: options.max ?? 10, types });
    // An idle client's error (the server restarted) must not end the process; the next query gets a fresh client.
    pool.on('error', () => undefined);
    try {
      await migratePostgres(pool);
      const db = new PostgresMetadataDb(pool, url, options.warn ?? (() => undefined), options.exclusiveWaitMs ?? EXCLUSIVE_WAIT_MS);
      await db.listen();
      return db;
    } catch (error) {
      await pool.end().catch(() => undefined);
      throw error;
    }
  }

  async get<T>(sql: string, params?: SqlParams): Promise<T | undefined> {
    return (await this.query(sql, params)).rows[0] as T | undefined;
  }

  async all<T>(sql: string, params?: SqlParams): Promise<T[]> {
    return (await this.query(sql, params)).rows as T[];
  }

  async run(sql: string, params?: SqlParams): Promise<SqlRunResult> {
    return { changes: (await this.query(sql, params)).rowCount ?? 0 };
  }

  async transaction<T>(fn: () => Promise<T>, options: TransactionOptions = {}): Promise<T> {
    const current = this.context.current();
    if (current) return this.savepoint(current, fn);
    const client = await this.pool.connect();
    const tx: OpenTransaction = { client, savepoints: 0, wrote: false, afterCommit: [] };
    let broken = false;
    try {
      if (options.readOnly) await client.query('BEGIN READ ONLY ISOLATION LEVEL REPEATABLE READ');
      else {
        await client.query('BEGIN');
        await client.query('SELECT pg_advisory_xact_lock($1)', [WRITE_LOCK_KEY]);
      }
      try {
        const result = await this.context.run(tx, fn);
        // The tables' triggers have queued NOTIFY shelf_changes; PostgreSQL delivers it at this commit, exactly when
        // the changes become visible to the other nodes.
        await client.query('COMMIT');
        if (tx.wrote) this.counter++;
        for (const send of tx.afterCommit) send();
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => (broken = true));
        throw error;
      }
    } catch (error) {
      broken ||= isConnectionError(error);
      throw error;
    } finally {
      client.release(broken);
    }
  }

  /** Kept in memory (LISTEN), so every freshness is the same read. */
  generation(): string {
    // Without the listener another node's change could go unheard: then every look is a new generation (no copy kept).
    if (!this.listening) return `unheard:${++this.counter}`;
    return `pg:${this.counter}`;
  }

  async exclusive<T>(key: string, work: () => Promise<T>): Promise<T> {
    const lock = advisoryKey(key);
    let client: pg.PoolClient | undefined;
    try {
      client = await this.lockPool.connect();
      // Blocks while another node's session holds the key; PostgreSQL ends that hold when the holder's connection ends
      // (a node killed mid-fetch), and lock_timeout ends the wait for a holder that lives but does not finish.
      await client.query('SELECT pg_advisory_lock($1)', [lock]);
    } catch (error) {
      client?.release(isConnectionError(error));
      // Waiting longer would stall this request on another node's trouble; fetching again only costs a request.
      this.warn(`waited ${this.exclusiveWaitMs} ms for another node's work on ${key} (${(error as Error).message}); doing it here too`);
      return work();
    }
    try {
      return await work();
    } finally {
      // Also after a failed fetch, so the next request (any node) tries again. A lost connection released the lock already.
      await client.query('SELECT pg_advisory_unlock($1)', [lock]).then(
        () => client.release(),
        () => client.release(true),
      );
    }
  }

  async broadcast(channel: string, payload: string): Promise<void> {
    const message = JSON.stringify({ node: this.nodeId, channel, payload });
    if (Buffer.byteLength(message) > BROADCAST_MAX_BYTES)
      throw new Error(`a broadcast on ${channel} of ${Buffer.byteLength(message)} bytes is over NOTIFY's limit of ${BROADCAST_MAX_BYTES}`);
    const send = () => this.pool.query('SELECT pg_notify($1, $2)', [EVENTS_CHANNEL, message]);
    const tx = this.context.current();
    // Inside a transaction: the other nodes hear it only once what it announces is visible to them (and not at all if it
    // rolls back). Sent on a pooled connection, never the transaction's: a failed NOTIFY must not abort the write.
    if (tx) tx.afterCommit.push(() => void send().catch((error: Error) => this.warn(`broadcast on ${channel} failed: ${error.message}`)));
    else await send();
  }

  onBroadcast(listener: (channel: string, payload: string) => void): () => void {
    this.broadcastListeners.add(listener);
    return () => this.broadcastListeners.delete(listener);
  }

  async close(): Promise<void> {
    // Idempotent, as the SQLite adapter's: a test or a shutdown path may close twice.
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.retryTimer);
    this.listening = false;
    this.broadcastListeners.clear();
    await this.listener?.end().catch(() => undefined);
    await this.lockPool.end().catch(() => undefined);
    await this.pool.end();
  }

  /** Another node's broadcast, to this node's listeners; a listener's failure is its own. */
  private heard(raw: string | undefined): void {
    let message: { node?: unknown; channel?: unknown; payload?: unknown };
    try {
      message = JSON.parse(raw ?? '') as typeof message;
    } catch {
      return;
    }
    if (message.node === this.nodeId || typeof message.channel !== 'string' || typeof message.payload !== 'string') return;
    for (const listener of [...this.broadcastListeners]) {
      try {
        listener(message.channel, message.payload);
      } catch (error) {
        this.warn(`a listener of ${message.channel} failed: ${(error as Error).message}`);
      }
    }
  }

  private async query(sql: string, params: SqlParams | undefined): Promise<pg.QueryResult> {
    const { text, values } = this.translate(sql, params);
    const tx = this.context.current();
    if (tx) {
      const result = await tx.client.query(text, values);
      if (isWrite(result)) tx.wrote = true;
      return fromPg(result);
    }
    const result = await this.pool.query(text, values);
    // Own writes count at once; the other nodes hear the trigger's notification.
    if (isWrite(result)) this.counter++;
    return fromPg(result);
  }

  private translate(sql: string, params: SqlParams | undefined): { text: string; values: unknown[] } {
    let translated = this.translations.get(sql);
    if (!translated) {
      if (this.translations.size >= TRANSLATION_LIMIT) this.translations.clear();
      translated = translatePlaceholders(sql);
      this.translations.set(sql, translated);
    }
    if (params === undefined) return { text: translated.text, values: [] };
    if (Array.isArray(params)) return { text: translated.text, values: (params as unknown[]).map(toPg) };
    const named = params as Record<string, unknown>;
    // As better-sqlite3 does: a name the statement uses but the caller did not give is a bug, never a silent NULL.
    const values = (translated.names ?? []).map((name) => {
      if (!Object.prototype.hasOwnProperty.call(named, name)) throw new Error(`no value for @${name} in: ${sql.slice(0, 80)}`);
      return toPg(named[name]);
    });
    return { text: translated.text, values };
  }

  private async savepoint<T>(tx: OpenTransaction, fn: () => Promise<T>): Promise<T> {
    const name = `shelf_sp${++tx.savepoints}`;
    await tx.client.query(`SAVEPOINT ${name}`);
    try {
      const result = await fn();
      await tx.client.query(`RELEASE SAVEPOINT ${name}`);
      return result;
    } catch (error) {
      await tx.client.query(`ROLLBACK TO SAVEPOINT ${name}`);
      throw error;
    }
  }

  /** Opens the dedicated LISTEN connection; on its loss, bumps the generation and connects again (bounded backoff). */
  private async listen(): Promise<void> {
    const client = new pg.Client({ connectionString: this.url });
    client.on('notification', (message) => {
      if (message.channel === EVENTS_CHANNEL) this.heard(message.payload);
      else this.counter++;
    });
    client.on('error', () => this.lost(client));
    client.on('end', () => this.lost(client));
    await client.connect();
    await client.query(`LISTEN ${CHANGES_CHANNEL}`);
    await client.query(`LISTEN ${EVENTS_CHANNEL}`);
    this.listener = client;
    this.listening = true;
    // Whatever changed while no one listened is unknown: a new generation drops every copy.
    this.counter++;
    this.retryMs = LISTEN_RETRY_MIN_MS;
  }

  private lost(client: pg.Client): void {
    if (this.listener !== client || this.closed) return;
    this.listener = undefined;
    this.listening = false;
    this.counter++;
    this.warn(`PostgreSQL change listener lost its connection; serving without in-memory copies until it is back`);
    const retry = () => {
      this.retryTimer = undefined;
      if (this.closed) return;
      this.listen().catch(() => {
        this.retryMs = Math.min(this.retryMs * 2, LISTEN_RETRY_MAX_MS);
        this.retryTimer = setTimeout(retry, this.retryMs).unref();
      });
    };
    this.retryTimer = setTimeout(retry, this.retryMs).unref();
  }
}

/** A 64-bit advisory lock key for a string, in a namespace of its own (the write and migration locks are small constants). */
export function advisoryKey(key: string): string {
  return createHash('sha256').update(`shelf:exclusive:${key}`).digest().readBigInt64BE(0).toString();
}

const isWrite = (result: pg.QueryResult): boolean =>
  (result.command === 'INSERT' || result.command === 'UPDATE' || result.command === 'DELETE') && (result.rowCount ?? 0) > 0;

const isConnectionError = (error: unknown): boolean => {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.startsWith('08') || code === 'ECONNRESET' || code === 'EPIPE');
};

/**
 * SQLite hands back what it was given; pg needs null for undefined (a missing named value). PostgreSQL text cannot hold
 * NUL, which the stored renderings' base_url column starts with (packument.ts's BASE_URL_TOKEN, chosen because no name
 * can contain it): NUL is stored as U+FFFF, a noncharacter, and turned back when a base_url is read (fromPg).
 */
const toPg = (value: unknown): unknown =>
  value === undefined ? null : typeof value === 'string' && value.includes('\0') ? value.replaceAll('\0', NUL_STAND_IN) : value;
const NUL_STAND_IN = '\uffff';

/** Only base_url columns ever hold the stand-in, so only they are looked at (manifests are never scanned). */
function fromPg(result: pg.QueryResult): pg.QueryResult {
  if (result.rows.length === 0 || !('base_url' in (result.rows[0] as object))) return result;
  for (const row of result.rows as { base_url: unknown }[]) {
    if (typeof row.base_url === 'string' && row.base_url.includes(NUL_STAND_IN)) row.base_url = row.base_url.replaceAll(NUL_STAND_IN, '\0');
  }
  return result;
}

/**
 * `?` (in order) or `@name` placeholders to `$n`, outside string literals, quoted identifiers and comments; a name used
 * twice is one parameter. `::type` casts and operators such as `@>` are left alone.
 */
export function translatePlaceholders(sql: string): Translated {
  let text = '';
  let positional = 0;
  const names: string[] = [];
  for (let i = 0; i < sql.length; i++) {
    const c = sql[i]!;
    if (c === "'" || c === '"') {
      const end = closingQuote(sql, i, c);
      text += sql.slice(i, end + 1);
      i = end;
    } else if (c === '-' && sql[i + 1] === '-') {
      const end = sql.indexOf('\n', i);
      const stop = end === -1 ? sql.length : end;
      text += sql.slice(i, stop);
      i = stop - 1;
    } else if (c === '?') {
      text += `$${++positional}`;
    } else if (c === '@' && /[A-Za-z_]/.test(sql[i + 1] ?? '')) {
      const name = /^[A-Za-z_]\w*/.exec(sql.slice(i + 1))![0];
      let index = names.indexOf(name);
      if (index === -1) index = names.push(name) - 1;
      text += `$${index + 1}`;
      i += name.length;
    } else text += c;
  }
  // One statement, one style: a mix would bind by position and by name over the same $n slots.
  if (names.length > 0 && positional > 0) throw new Error(`SQL mixes ? and @name placeholders: ${sql.slice(0, 80)}`);
  return names.length > 0 ? { text, names } : { text };
}

/** The index of the quote that closes the one at `start` (a doubled quote is an escaped one). */
function closingQuote(sql: string, start: number, quote: string): number {
  for (let i = start + 1; i < sql.length; i++) {
    if (sql[i] !== quote) continue;
    if (sql[i + 1] === quote) i++;
    else return i;
  }
  return sql.length - 1;
}
