// The SQLite adapter's transactions (storage/sql/sqlite.ts over transaction-context.ts): statements made inside a
// transaction's async context join it; statements from elsewhere wait for it; nested calls are savepoints; and once no
// transaction is open, nothing still holds a transaction's context.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqliteMetadata, type SqliteMetadataDb } from '../../../src/main/storage/sql/sqlite';

const settings = (db: SqliteMetadataDb) =>
  db.all<{ key: string; value: string }>("SELECT key, value FROM settings WHERE key LIKE 'tx-%' ORDER BY key");

describe('SQLite adapter transactions', () => {
  let dir: string;
  let db: SqliteMetadataDb;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'shelf-sqlite-tx-'));
    db = openSqliteMetadata(join(dir, 'shelf.db'));
  });
  afterEach(async () => {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('rolls back every statement awaited inside a failed transaction, however deep', async () => {
    const insert = async (key: string) => {
      await new Promise((r) => setImmediate(r));
      await db.run('INSERT INTO settings (key, value) VALUES (?, ?)', [key, '1']);
    };
    await expect(
      db.transaction(async () => {
        await insert('tx-a');
        await Promise.all([insert('tx-b'), insert('tx-c')]);
        throw new Error('refused');
      }),
    ).rejects.toThrow('refused');
    expect(await settings(db)).toEqual([]);
  });

  it('makes a statement from another context wait until the transaction ends, then see its commit', async () => {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const tx = db.transaction(async () => {
      await db.run("INSERT INTO settings (key, value) VALUES ('tx-held', '1')");
      await held;
    });
    await new Promise((r) => setImmediate(r));
    let seen: unknown;
    const outside = settings(db).then((rows) => (seen = rows));
    await new Promise((r) => setTimeout(r, 20));
    expect(seen).toBeUndefined();
    release();
    await tx;
    await outside;
    expect(seen).toEqual([{ key: 'tx-held', value: '1' }]);
  });

  it('rolls back a failed nested transaction alone (a savepoint) and commits the rest', async () => {
    await db.transaction(async () => {
      await db.run("INSERT INTO settings (key, value) VALUES ('tx-outer', '1')");
      await expect(
        db.transaction(async () => {
          await db.run("INSERT INTO settings (key, value) VALUES ('tx-inner', '1')");
          throw new Error('inner refused');
        }),
      ).rejects.toThrow('inner refused');
    });
    expect(await settings(db)).toEqual([{ key: 'tx-outer', value: '1' }]);
  });

  it('lets a continuation left behind by an ended transaction run on its own, outside any transaction', async () => {
    let later!: Promise<void>;
    await db.transaction(async () => {
      // Started inside, finished after the commit: it must not count as inside the next transaction.
      later = new Promise<void>((r) => setTimeout(r, 30)).then(async () => {
        await db.run("INSERT INTO settings (key, value) VALUES ('tx-late', '1')");
      });
    });
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const next = db
      .transaction(async () => {
        await db.run("INSERT INTO settings (key, value) VALUES ('tx-next', '1')");
        await held;
        throw new Error('next refused');
      })
      .catch(() => undefined);
    // The late insert comes due (30 ms) while the next transaction is open: it waits for that one to end.
    await new Promise((r) => setTimeout(r, 80));
    release();
    await next;
    await later;
    // The late insert waited for the next transaction and was not rolled back with it.
    expect(await settings(db)).toEqual([{ key: 'tx-late', value: '1' }]);
  });
});
