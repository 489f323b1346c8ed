// The metadata store's PostgreSQL adapter: the MetadataDb port (storage/sql/port.ts) over a node-postgres pool, so the
// services run unchanged on several nodes sharing one database.
//
// - Parameters: the port's `?` and `@name` become `$n`, once per SQL text (string literals, quoted identifiers, the
//   `@@` match operator and `::` casts are left alone).
// - Transactions: one pooled connection from BEGIN to COMMIT, found by the statements inside through AsyncLocalStorage;
//   nested calls become savepoints. Every transaction first takes one transaction-scoped advisory lock, so writers run
//   one at a time across all nodes as they do on SQLite (BEGIN IMMEDIATE): a service's "check, then write" stays
//   correct without each one knowing about isolation levels. Statements outside a transaction run on the pool.
// - generation(): every table carries a statement-level trigger that NOTIFYs `shelf_changes` (PostgreSQL sends it at
//   commit, once per transaction); each node LISTENs on one connection and counts what it hears, and counts its own
//   writes at once (its own notification arrives a moment later). While that connection is down the generation changes
//   on every call, so no in-memory copy is trusted until it is back.
import { AsyncLocalStorage } from 'node:async_hooks';
import pg from 'pg';
import type { MetadataDb, SqlParams, SqlRunResult } from '../sql/port';
import { migratePostgres } from './migrations';

/** Transaction-scoped advisory lock key that serialises writers across nodes (distinct from the migration lock). */
export const WRITE_LOCK_KEY = 0x73686c7772;
export const CHANGES_CHANNEL = 'shelf_changes';

const INT8 = 20;
/** ids and counts come back as numbers, as from SQLite; rank keys above 2^53 never leave SQL (storage/db/search.ts). */
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8 ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

interface OpenTransaction {
  client: pg.PoolClient;
  savepoints: number;
  wrote: boolean;
}

/** `?` / `@name` → `$n`, outside literals, quoted identifiers and comments. Named values are looked up at bind time. */
export function translate(sql: string): { text: string; names: string[] | null; positional: number } {
  let text = '';
  const names: string[] = [];
  let positional = 0;
  let i = 0;
  while (i < sql.length) {
    const c = sql[i]!;
    if (c === "'" || c === '"') {
      const end = sql.indexOf(c, i + 1);
      const stop = end < 0 ? sql.length : end + 1;
      // A doubled quote inside ('it''s') is two adjacent literals to this scan: the same text comes out.
      text += sql.slice(i, stop);
      i = stop;
    } else if (c === '-' && sql[i + 1] === '-') {
      const end = sql.indexOf('\n', i);
      const stop = end < 0 ? sql.length : end;
      text += sql.slice(i, stop);
      i = stop;
    } else if (c === '?') {
      text += `$${++positional}`;
      i++;
    } else if (c === '@' && /[A-Za-z_]/.test(sql[i + 1] ?? '') && sql[i - 1] !== '@') {
      const match = /^[A-Za-z_]\w*/.exec(sql.slice(i + 1))!;
      let index = names.indexOf(match[0]);
      if (index < 0) index = names.push(match[0]) - 1;
      text += `$${index + 1}`;
      i += 1 + match[0].length;
    } else {
      text += c;
      i++;
    }
  }
  if (positional > 0 && names.length > 0) throw new Error('a statement mixes ? and @name parameters');
  return { text, names: names.length > 0 ? names : null, positional };
}

export interface PostgresOptions {
  /** Connections per node (the pool; the listener is one more). */
  poolSize?: number;
  /** Called when the change listener loses its connection or gets it back (logging). */
  onListenerState?: (state: 'up' | 'down', error?: Error) => void;
}

export class PostgresMetadataDb implements MetadataDb {
  readonly dialect = 'postgres' as const;
  private readonly context = new AsyncLocalStorage<OpenTransaction>();
  private readonly translations = new Map<string, ReturnType<typeof translate>>();
  private own = 0;
  private heard = 0;
  private unheard = 0;
  private listening = false;
  private listener: pg.Client | undefined;
  private closed = false;
  private reconnect: NodeJS.Timeout | undefined;

  private constructor(
    readonly pool: pg.Pool,
    private readonly url: string,
    private readonly options: PostgresOptions,
  ) {}

  /** Connects, brings the schema up to date (under the migration lock) and starts listening for other nodes' changes. */
  static async open(url: string, options: PostgresOptions = {}): Promise<PostgresMetadataDb> {
    const pool = new pg.Pool({ connectionString: url, max: options.poolSize ?? 10, types });
    // An idle pooled connection that dies (a database restart) is dropped from the pool, not thrown at the process.
    pool.on('error', () => undefined);
    try {
      await migratePostgres(pool);
      const db = new PostgresMetadataDb(pool, url, options);
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
    const tx = this.context.getStore();
    const result = await this.query(sql, params);
    if (tx) tx.wrote = true;
    else this.own++;
    return { changes: result.rowCount ?? 0 };
  }

  async transaction<T>(fn: () => Promise<T>): Promise<T> {
    const current = this.context.getStore();
    if (current) return this.savepoint(current, fn);
    const client = await this.pool.connect();
    const tx: OpenTransaction = { client, savepoints: 0, wrote: false };
    let broken = false;
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock($1)', [WRITE_LOCK_KEY]);
      try {
        const result = await this.context.run(tx, fn);
        await client.query('COMMIT');
        if (tx.wrote) this.own++;
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => (broken = true));
        throw error;
      }
    } catch (error) {
      broken ||= !(error instanceof Error) || /Connection terminated|ECONNRESET/.test(error.message);
      throw error;
    } finally {
      client.release(broken);
    }
  }

  generation(): string {
    // Not listening: another node's change could go unheard, so no copy may be trusted (a fresh value each call).
    if (!this.listening) return `${this.own}:${this.heard}:unheard${++this.unheard}`;
    return `${this.own}:${this.heard}`;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.reconnect);
    await this.listener?.end().catch(() => undefined);
    await this.pool.end();
  }

  private async query(sql: string, params: SqlParams | undefined): Promise<pg.QueryResult> {
    let translated = this.translations.get(sql);
    if (!translated) {
      translated = translate(sql);
      if (this.translations.size >= 1000) this.translations.clear();
      this.translations.set(sql, translated);
    }
    let values: unknown[] = [];
    if (translated.names) {
      const named = (params ?? {}) as Record<string, unknown>;
      values = translated.names.map((name) => {
        if (!(name in named)) throw new Error(`no value for @${name} in: ${sql.slice(0, 200)}`);
        return named[name];
      });
    } else if (Array.isArray(params)) values = params as unknown[];
    const executor = this.context.getStore()?.client ?? this.pool;
    return executor.query(translated.text, values);
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
      await tx.client.query(`RELEASE SAVEPOINT ${name}`);
      throw error;
    }
  }

  /** One connection LISTENing for every node's commits; reconnects (bounded backoff) while the store is open. */
  private async listen(attempt = 0): Promise<void> {
    const client = new pg.Client({ connectionString: this.url, types });
    client.on('notification', () => this.heard++);
    client.on('error', (error) => this.lost(client, error));
    client.on('end', () => this.lost(client));
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANGES_CHANNEL}`);
    } catch (error) {
      await client.end().catch(() => undefined);
      if (attempt === 0) throw error;
      this.lost(client, error as Error, attempt);
      return;
    }
    this.listener = client;
    this.listening = true;
    // Whatever happened while nobody listened is unknown: count it as a change.
    this.heard++;
    this.options.onListenerState?.('up');
  }

  private lost(client: pg.Client, error?: Error, attempt = 0): void {
    if (this.closed || (this.listener !== client && attempt === 0)) return;
    this.listening = false;
    this.listener = undefined;
    this.options.onListenerState?.('down', error);
    const delay = Math.min(5000, 100 * 2 ** Math.min(attempt, 6));
    clearTimeout(this.reconnect);
    this.reconnect = setTimeout(() => void this.listen(attempt + 1), delay);
    this.reconnect.unref();
  }
}
