// Opens the SQLite file with the settings Shelf relies on, and brings its schema up to date.
import Database from 'better-sqlite3';
import { migrate } from './migrations';

export type Db = Database.Database;

export interface OpenOptions {
  /**
   * FULL (the default) makes every commit survive power loss. NORMAL skips the fsync per commit (WAL stays
   * consistent; only the last commits before a power cut may be lost): for counters, which are written per request.
   */
  synchronous?: 'FULL' | 'NORMAL';
  /**
   * The compiled addon to load instead of the one in node_modules: the desktop app passes its Electron-ABI build
   * (native/electron-<version>/), since node_modules holds the build for Node's ABI that the CLI and tests use.
   */
  nativeBinding?: string;
  /**
   * The disk is full: open without SQLite's shared-memory file (which needs room a full disk does not have) and refuse
   * every write (query_only), so reads keep working. The connection holds the database exclusively meanwhile.
   */
  readOnly?: boolean;
}

/**
 * SQLite's page cache per connection, in KiB (a negative cache_size is KiB; this is SQLite's own default, made explicit).
 * Each connection's cache fills as pages are read and then stays at this size: with two connections, 4 MiB of the
 * server's resident memory under load is these caches, whatever the size of the database. Reads beyond it come from
 * the operating system's file cache.
 */
export const PAGE_CACHE_KIB = 2048;

export function openDatabase(path: string, options: OpenOptions = {}): Db {
  const db = new Database(path, options.nativeBinding ? { nativeBinding: options.nativeBinding } : undefined);
  // Set before the first access, the exclusive locking mode keeps WAL's index in memory instead of the -shm file.
  if (options.readOnly) db.pragma('locking_mode = EXCLUSIVE');
  // WAL lets readers go on while one publish writes; FULL makes a committed publish survive power loss.
  db.pragma('journal_mode = WAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  db.pragma(`cache_size = -${PAGE_CACHE_KIB}`);
  // Migrations commit without an fsync each (on a new data folder, one fsync per migration cost 25–55 ms of start-up here).
  // That is safe: each migration and its user_version commit together, so one lost in a power cut is simply applied
  // again at the next start, and the first FULL commit afterwards syncs the whole WAL, migrations included.
  db.pragma('synchronous = NORMAL');
  migrate(db);
  db.pragma(`synchronous = ${options.synchronous ?? 'FULL'}`);
  if (options.readOnly) db.pragma('query_only = ON');
  cachePreparedStatements(db);
  return db;
}

/** Distinct SQL texts kept prepared; queries are built from a fixed set of fragments, so this is never reached in use. */
const STATEMENT_CACHE_LIMIT = 1000;

/**
 * Every module writes `db.prepare(sql)` where it needs a query; compiling the same SQL again on every request was
 * about an eighth of a packument GET's CPU time. The connection keeps each statement once compiled (statements are
 * reusable; none is iterated concurrently). Applied after the migrations, which run DDL.
 */
function cachePreparedStatements(db: Db): void {
  const prepare = db.prepare.bind(db);
  const cache = new Map<string, ReturnType<typeof prepare>>();
  const cached = (sql: string) => {
    let statement = cache.get(sql);
    if (!statement) {
      if (cache.size >= STATEMENT_CACHE_LIMIT) cache.clear();
      statement = prepare(sql);
      cache.set(sql, statement);
    }
    return statement;
  };
  db.prepare = cached as typeof db.prepare;
}
