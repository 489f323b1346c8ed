// Owns telling whether anything in the database may have changed since an earlier look, for in-memory copies of hot
// rows (served documents) that must never outlive a write.
//
// Two counters together cover every writer: `total_changes()` counts the rows this connection has written since it was
// opened, and `PRAGMA data_version` changes whenever any other connection commits (the stats connection, the mirror's
// worker, another `shelf` process on the same data folder). Both are answered from the connection's own state, without
// reading a table, so checking costs far less than the lookups the copy saves. The check is coarse (any write anywhere
// drops every copy) and therefore exact: a copy is never served after a write it did not see.
import type { Statement } from 'better-sqlite3';
import type { Db } from './connection';

/** The two statements per connection, prepared once: this runs on every hot read, and preparing costs more than running. */
const statements = new WeakMap<Db, { own: Statement; others: Statement }>();

/** A value that differs from every earlier one once any connection has written to the database. */
export function changeGeneration(db: Db): string {
  let prepared = statements.get(db);
  if (!prepared) {
    prepared = { own: db.prepare('SELECT total_changes()').pluck(), others: db.prepare('PRAGMA data_version').pluck() };
    statements.set(db, prepared);
  }
  return `${prepared.own.get() as number}:${prepared.others.get() as number}`;
}
