// Browser-mode sessions in the metadata database (SQLite here; PostgreSQL in test/team/multi-node-sessions.test.ts): only
// the cookie value's hash is stored, sessions end at their expiry and are deleted, each user keeps a bounded number, a
// sign-out or the user's deletion ends them, and they outlive a restart.
import { mkdtempSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UiSessionRecords } from '../../../src/main/services/auth/ui-sessions';
import { insertUser } from '../../../src/main/storage/db/users';
import { openSqliteMetadata, type SqliteMetadataDb } from '../../../src/main/storage/sql/sqlite';

let dir: string;
let db: SqliteMetadataDb;
let now: number;
let alice: number;
let bob: number;

const user = async (name: string) =>
  (await insertUser(db, { name, email: null, passwordHash: 'x', isAdmin: false, createdAt: new Date(0).toISOString() })).id;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'shelf-ui-sessions-'));
  db = openSqliteMetadata(join(dir, 'shelf.db'));
  now = Date.parse('2030-01-01T00:00:00Z');
  alice = await user('alice');
  bob = await user('bob');
});

afterEach(async () => {
  await db.close();
  rmSync(dir, { recursive: true, force: true });
});

const records = (ttlMs = 60_000, maxPerUser = 3) => new UiSessionRecords(db, () => now, ttlMs, maxPerUser);

describe('UiSessionRecords', () => {
  it('stores the SHA-256 of the cookie value, never the value itself', async () => {
    const id = await records().start(alice);
    expect(await records().userOf(id)).toBe(alice);
    await db.close();
    const bytes = ['shelf.db', 'shelf.db-wal']
      .map((name) => join(dir, name))
      .filter((path) => existsSync(path))
      .map((path) => readFileSync(path).toString('latin1'))
      .join('');
    expect(bytes).not.toContain(id);
    // The bytes looked at are the right ones: the hash is there.
    expect(bytes).toContain(createHash('sha256').update(id).digest('base64url'));
    db = openSqliteMetadata(join(dir, 'shelf.db'));
  });

  it('ends a session at its expiry and deletes the row when it is next seen', async () => {
    const id = await records().start(alice);
    now += 59_999;
    expect(await records().userOf(id)).toBe(alice);
    now += 1;
    expect(await records().userOf(id)).toBeUndefined();
    expect(await records().count()).toBe(0);
  });

  it("keeps at most maxPerUser sessions per user, ending that user's oldest, never another user's", async () => {
    const bobs = await records().start(bob);
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) {
      now += 1;
      ids.push(await records().start(alice));
    }
    expect(await records().userOf(ids[0])).toBeUndefined();
    for (const id of ids.slice(1)) expect(await records().userOf(id)).toBe(alice);
    expect(await records().count(alice)).toBe(3);
    expect(await records().userOf(bobs)).toBe(bob);
  });

  it('sweeps ended sessions of everyone at the next sign-in', async () => {
    await records().start(alice);
    await records().start(bob);
    now += 60_000;
    await records().start(bob);
    expect(await records().count()).toBe(1);
  });

  it('a fresh id replaces the one signed in with (no fixation); sign-out and the user’s deletion end sessions', async () => {
    const first = await records().start(alice);
    const second = await records().start(alice, first);
    expect(second).not.toBe(first);
    expect(await records().userOf(first)).toBeUndefined();
    expect(await records().userOf(second)).toBe(alice);
    await records().end(second);
    expect(await records().userOf(second)).toBeUndefined();

    const a = await records().start(alice);
    const b = await records().start(alice);
    expect(await records().endAllOf(alice)).toBe(2);
    expect([await records().userOf(a), await records().userOf(b)]).toEqual([undefined, undefined]);

    const bobs = await records().start(bob);
    await db.run('DELETE FROM users WHERE id = ?', [bob]);
    expect(await records().userOf(bobs)).toBeUndefined();
    expect(await records().count()).toBe(0);
  });

  it('outlives a restart (the database is reopened) until its expiry', async () => {
    const id = await records(12 * 60 * 60 * 1000).start(alice);
    await db.close();
    db = openSqliteMetadata(join(dir, 'shelf.db'));
    expect(await records().userOf(id)).toBe(alice);
  });
});

describe('UiSessionRecords in memory (a read-only start on a full disk)', () => {
  it('keeps the same rules without writing the database', async () => {
    const before = await db.all('SELECT * FROM ui_sessions');
    const memory = new UiSessionRecords(undefined, () => now, 60_000, 2);
    const ids = [await memory.start(alice), await memory.start(alice), await memory.start(alice)];
    const bobs = await memory.start(bob);
    expect(await memory.userOf(ids[0])).toBeUndefined();
    expect(await memory.userOf(ids[2])).toBe(alice);
    expect(await memory.count()).toBe(3);
    await memory.end(ids[2]);
    expect(await memory.userOf(ids[2])).toBeUndefined();
    now += 60_000;
    expect(await memory.userOf(bobs)).toBeUndefined();
    expect(await db.all('SELECT * FROM ui_sessions')).toEqual(before);
  });
});
