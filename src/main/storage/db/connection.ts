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
}

export function openDatabase(path: string, options: OpenOptions = {}): Db {
  const db = new Database(path);
  // WAL lets readers go on while one publish writes; FULL makes a committed publish survive power loss.
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${options.synchronous ?? 'FULL'}`);
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  migrate(db);
  return db;
}
