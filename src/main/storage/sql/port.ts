export type SqlDialect = 'sqlite' | 'postgres';
/** Positional `?` params (array) or named `@name` params (object); adapters translate to their dialect once per SQL text. */
export type SqlParams = readonly unknown[] | Readonly<Record<string, unknown>>;
export interface SqlRunResult {
  changes: number;
}
export interface SqlExecutor {
  readonly dialect: SqlDialect;
  get<T>(sql: string, params?: SqlParams): Promise<T | undefined>;
  all<T>(sql: string, params?: SqlParams): Promise<T[]>;
  run(sql: string, params?: SqlParams): Promise<SqlRunResult>;
}
export interface MetadataDb extends SqlExecutor {
  /** One transaction; statements made through this MetadataDb inside `fn`'s async context join it (AsyncLocalStorage), nested calls become savepoints. No non-database awaits inside (the SQLite adapter holds the connection). */
  transaction<T>(fn: () => Promise<T>, options?: TransactionOptions): Promise<T>;
  /** Synchronous: a value that differs from every earlier one once anything in the store may have changed (any node). SQLite: total_changes()+data_version; PostgreSQL: a counter bumped by LISTEN shelf_changes notifications and own commits. Hot in-memory documents are keyed by it: zero queries per hot request. */
  generation(freshness?: GenerationFreshness): string;
  /**
   * Runs `work` while no other node runs work under the same key (the mirror's single flight across nodes). SQLite: one
   * process, so `work` runs at once (the caller's in-process coalescing already stands in front). PostgreSQL: a
   * session-level advisory lock on a connection of its own, held for `work` and released after it, also when it throws;
   * the wait is bounded (a stuck holder never blocks the others for longer), and a holder that dies loses the lock with
   * its connection. No transaction is held open meanwhile: `work` makes its own statements.
   */
  exclusive<T>(key: string, work: () => Promise<T>): Promise<T>;
  /** Tells the other nodes on this store (PostgreSQL: NOTIFY; SQLite: none, one process); never heard by this node itself. */
  broadcast(channel: string, payload: string): Promise<void>;
  /** Hears what other nodes broadcast; returns the unsubscribe function. */
  onBroadcast(listener: (channel: string, payload: string) => void): () => void;
  close(): Promise<void>;
}

/**
 * `readOnly`: the transaction only reads, for one consistent snapshot (SQLite: a deferred BEGIN, which takes no write lock
 * and so never holds up writers in WAL mode; PostgreSQL: READ ONLY, REPEATABLE READ).
 */
export interface TransactionOptions {
  readOnly?: boolean;
}

/**
 * How fresh generation() must be. 'exact' (the default): every commit that has completed is seen. 'turn' (the HTTP fast
 * path): this connection's own commits are seen at once, other connections' (another process, a worker's connection)
 * from the event loop's next turn on; every request answered in a turn arrived before the turn's first look, so it is
 * still answered with a state from after it arrived. SQLite's check of other connections (PRAGMA data_version, a read
 * of the WAL index) was the largest single cost of a hot GET; PostgreSQL's generation is in memory either way.
 */
export type GenerationFreshness = 'exact' | 'turn';
