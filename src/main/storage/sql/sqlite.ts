// The metadata store's SQLite adapter: the MetadataDb port over one better-sqlite3 connection (storage/db/connection.ts
// opens it with Shelf's pragmas, migrations and prepared-statement cache).
//
// better-sqlite3 is synchronous, so a statement runs at once and its promise is already settled: a request that only
// awaits statements keeps the event loop as it did before the port. A transaction holds the one connection from BEGIN
// IMMEDIATE to COMMIT; statements from other async contexts meanwhile wait for it to end (otherwise they would land
// inside it, and be rolled back with it), while statements made inside it find it through its async context
// (transaction-context.ts).
import type { Statement } from 'better-sqlite3';
import { openDatabase, type Db, type OpenOptions } from '../db/connection';
import type { GenerationFreshness, MetadataDb, SqlParams, SqlRunResult, TransactionOptions } from './port';
import { TransactionContext } from './transaction-context';

interface OpenTransaction {
  savepoints: number;
}

export class SqliteMetadataDb implements MetadataDb {
  readonly dialect = 'sqlite' as const;
  private readonly context = new TransactionContext<OpenTransaction>();
  /** The transaction holding the connection, if any. */
  private open: OpenTransaction | undefined;
  /** Settles when `open` ends; statements of other contexts wait on it. */
  private ended: Promise<void> = Promise.resolve();
  private generationStatements: { own: Statement; others: Statement } | undefined;

  /** `raw` stays reachable for what is SQLite's alone: the mirror worker's file, backups, read-only checks. */
  constructor(readonly raw: Db) {}

  async get<T>(sql: string, params?: SqlParams): Promise<T | undefined> {
    // Re-checked after every wait, with nothing awaited between the check and the statement.
    while (this.mustWait()) await this.ended;
    return bind(this.raw.prepare(sql), 'get', params) as T | undefined;
  }

  async all<T>(sql: string, params?: SqlParams): Promise<T[]> {
    while (this.mustWait()) await this.ended;
    return bind(this.raw.prepare(sql), 'all', params) as T[];
  }

  async run(sql: string, params?: SqlParams): Promise<SqlRunResult> {
    while (this.mustWait()) await this.ended;
    const info = bind(this.raw.prepare(sql), 'run', params) as { changes: number };
    return { changes: info.changes };
  }

  async transaction<T>(fn: () => Promise<T>, options: TransactionOptions = {}): Promise<T> {
    const current = this.context.current();
    if (current && current === this.open) return this.savepoint(current, fn);
    // Checked again after each wait and claimed in the same step: two transactions never both see the connection free.
    while (this.open) await this.ended;
    const tx: OpenTransaction = { savepoints: 0 };
    let end!: () => void;
    this.open = tx;
    this.ended = new Promise<void>((resolve) => (end = resolve));
    try {
      // IMMEDIATE takes the write lock at once, so a transaction that reads then writes cannot fail half-way on a busy file;
      // a read-only one takes none (WAL readers never block writers).
      this.raw.exec(options.readOnly ? 'BEGIN' : 'BEGIN IMMEDIATE');
      try {
        const result = await this.context.run(tx, fn);
        this.raw.exec('COMMIT');
        return result;
      } catch (error) {
        if (this.raw.inTransaction) this.raw.exec('ROLLBACK');
        throw error;
      }
    } finally {
      this.open = undefined;
      end();
    }
  }

  generation(freshness: GenerationFreshness = 'exact'): string {
    // Answered from the connection's own state, no table read: total_changes() counts this connection's writes,
    // data_version changes when any other connection (counters, the mirror worker, another process) commits.
    this.generationStatements ??= {
      own: this.raw.prepare('SELECT total_changes()').pluck(),
      others: this.raw.prepare('PRAGMA data_version').pluck(),
    };
    const own = this.generationStatements.own.get() as number;
    return `${own}:${freshness === 'turn' ? this.othersThisTurn() : this.othersNow()}`;
  }

  private othersNow(): number {
    this.othersSeen = this.generationStatements!.others.get() as number;
    return this.othersSeen;
  }

  /** data_version read at most once per event-loop turn (generation('turn')): forgotten in the turn's check phase. */
  private othersThisTurn(): number {
    if (this.othersSeen === undefined || !this.othersHeldThisTurn) {
      this.othersNow();
      this.othersHeldThisTurn = true;
      setImmediate(this.forgetOthers);
    }
    return this.othersSeen!;
  }

  private othersSeen: number | undefined;
  private othersHeldThisTurn = false;
  private readonly forgetOthers = (): void => {
    this.othersHeldThisTurn = false;
  };

  /** One process owns the file: the caller's in-process coalescing is the whole single flight. */
  exclusive<T>(_key: string, work: () => Promise<T>): Promise<T> {
    return work();
  }

  /** No other node shares this store, so there is no one to tell. */
  async broadcast(): Promise<void> {}

  onBroadcast(): () => void {
    return () => undefined;
  }

  async close(): Promise<void> {
    if (this.raw.open) this.raw.close();
  }

  private mustWait(): boolean {
    return this.open !== undefined && this.context.current() !== this.open;
  }

  private async savepoint<T>(tx: OpenTransaction, fn: () => Promise<T>): Promise<T> {
    const name = `shelf_sp${++tx.savepoints}`;
    this.raw.exec(`SAVEPOINT ${name}`);
    try {
      const result = await fn();
      this.raw.exec(`RELEASE ${name}`);
      return result;
    } catch (error) {
      this.raw.exec(`ROLLBACK TO ${name}`);
      this.raw.exec(`RELEASE ${name}`);
      throw error;
    }
  }
}

/** better-sqlite3 takes positional values spread and named ones (`@name`) as one object. */
function bind(statement: Statement, method: 'get' | 'all' | 'run', params: SqlParams | undefined): unknown {
  if (params === undefined) return statement[method]();
  if (Array.isArray(params)) return statement[method](...(params as unknown[]));
  return statement[method](params);
}

/** Opens the SQLite file (pragmas, migrations, statement cache: storage/db/connection.ts) as the metadata port. */
export function openSqliteMetadata(path: string, options: OpenOptions = {}): SqliteMetadataDb {
  return new SqliteMetadataDb(openDatabase(path, options));
}
