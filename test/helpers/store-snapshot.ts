// What a refusal test compares before and after: every table's row count and every stored blob's name, read from a
// data folder's real SQLite file (counters and logs that any request touches are left out: they are not writes).
import Database from 'better-sqlite3';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export function storeSnapshot(dataDir: string, extra?: (db: Database.Database) => Record<string, unknown>): Record<string, unknown> {
  const db = new Database(join(dataDir, 'shelf.db'), { readonly: true, fileMustExist: true });
  try {
    const tables = (
      db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").all() as { name: string }[]
    )
      .map((row) => row.name)
      .filter((name) => !/download|_fts|search_|activity|login_attempt|throttle/i.test(name))
      .sort();
    const counts: Record<string, unknown> = {};
    for (const table of tables) counts[table] = (db.prepare(`SELECT count(*) AS n FROM "${table}"`).get() as { n: number }).n;
    Object.assign(counts, extra?.(db));
    const blobs: string[] = [];
    const walk = (dir: string) => {
      if (!existsSync(dir)) return;
      for (const entry of readdirSync(dir)) {
        const path = join(dir, entry);
        if (statSync(path).isDirectory()) walk(path);
        else blobs.push(entry);
      }
    };
    walk(join(dataDir, 'blobs'));
    counts.blobs = blobs.sort();
    return counts;
  } finally {
    db.close();
  }
}
