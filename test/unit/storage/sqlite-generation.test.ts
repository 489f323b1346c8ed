// MetadataDb.generation() on SQLite: 'exact' sees every completed commit; 'turn' (the HTTP fast path's read) sees this
// connection's own commits at once and other connections' from the event loop's next turn on.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqliteMetadata, type SqliteMetadataDb } from '../../../src/main/storage/sql/sqlite';

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('SQLite generation()', () => {
  let dir: string;
  let db: SqliteMetadataDb;
  let other: Database.Database;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'shelf-generation-'));
    db = openSqliteMetadata(join(dir, 'shelf.db'));
    other = new Database(join(dir, 'shelf.db'));
    other.pragma('busy_timeout = 5000');
  });
  afterEach(async () => {
    other.close();
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("'exact' moves as soon as another connection commits", () => {
    const before = db.generation();
    expect(db.generation()).toBe(before);
    other.prepare("INSERT INTO settings (key, value) VALUES ('gen-test', '1')").run();
    expect(db.generation()).not.toBe(before);
  });

  it("'turn' sees another connection's commit from the next turn on, and its own writes at once", async () => {
    await nextTurn();
    const before = db.generation('turn');
    other.prepare("INSERT INTO settings (key, value) VALUES ('gen-test', '1')").run();
    // Same turn: the other connection's commit is not looked for again.
    expect(db.generation('turn')).toBe(before);
    // This connection's own write is seen at once, in the same turn.
    await db.run("INSERT INTO settings (key, value) VALUES ('gen-own', '1')");
    const afterOwn = db.generation('turn');
    expect(afterOwn).not.toBe(before);
    await nextTurn();
    const nextTurnGeneration = db.generation('turn');
    expect(nextTurnGeneration).not.toBe(afterOwn);
    expect(nextTurnGeneration).toBe(db.generation());
  });

  it("an 'exact' read in the turn refreshes what 'turn' returns", async () => {
    await nextTurn();
    const before = db.generation('turn');
    other.prepare("INSERT INTO settings (key, value) VALUES ('gen-test', '2')").run();
    const exact = db.generation();
    expect(exact).not.toBe(before);
    expect(db.generation('turn')).toBe(exact);
  });
});
