// Owns telling whether anything in the database may have changed since an earlier look, for in-memory copies of hot
// rows (served documents) that must never outlive a write.
//
// Two counters together cover every writer: `total_changes()` counts the rows this connection has written since it was
// opened, and `PRAGMA data_version` changes whenever any other connection commits (the stats connection, the mirror's
// worker, another `shelf` process on the same data folder). Both are answered from the connection's own state, without
// reading a table, so checking costs far less than the lookups the copy saves. The check is coarse (any write anywhere
// drops every copy) and therefore exact: a copy is never served after a write it did not see.
import type { Db } from './connection';

/** A value that differs from every earlier one once any connection has written to the database. */
export function changeGeneration(db: Db): string {
  const own = db.prepare('SELECT total_changes()').pluck().get() as number;
  const others = db.prepare('PRAGMA data_version').pluck().get() as number;
  return `${own}:${others}`;
}
