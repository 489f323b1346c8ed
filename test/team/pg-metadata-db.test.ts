// The PostgreSQL adapter of the metadata port: the port's two parameter styles, transactions and savepoints, writers
// serialised across nodes, and a generation that changes on every node when any node writes (LISTEN/NOTIFY); exclusive()
// (one node at a time per key, released on failure, a bounded wait) and broadcast() between nodes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { PostgresMetadataDb, advisoryKey, translatePlaceholders as translate } from '../../src/main/storage/sql/postgres';
import { freshDatabase, type FreshDatabase } from './pg';

let database: FreshDatabase;
let a: PostgresMetadataDb;
let b: PostgresMetadataDb;

beforeAll(async () => {
  database = await freshDatabase('port');
  // Two "nodes" on one database, opened together: their migrations meet at the lock.
  [a, b] = await Promise.all([PostgresMetadataDb.open(database.url), PostgresMetadataDb.open(database.url)]);
  await a.run('CREATE TABLE counter_rows (n integer PRIMARY KEY, note text)');
});
afterAll(async () => {
  await a?.close();
  await b?.close();
  await database?.drop();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Polls until `check` holds, for at most `boundMs` (bounded tries); whether it held. */
async function within(boundMs: number, check: () => boolean): Promise<boolean> {
  for (let i = 0; i <= boundMs / 20; i++) {
    if (check()) return true;
    await sleep(20);
  }
  return check();
}

describe('PostgreSQL metadata adapter', () => {
  it('turns ? and @name into $n, leaving literals, identifiers, comments, @@ and :: alone', async () => {
    expect(translate('SELECT \'@x\', "@y", a @@ b, @p::text, @p -- @z\n').text).toBe('SELECT \'@x\', "@y", a @@ b, $1::text, $1 -- @z\n');
    expect(translate('SELECT \'?\', ?, "?", ? -- ?\n').text).toBe('SELECT \'?\', $1, "?", $2 -- ?\n');
    expect(() => translate('SELECT ?, @a')).toThrow(/mixes/);
    expect(await a.get("SELECT ?::int + ?::int AS n, 'it''s ?' AS s", [2, 3])).toEqual({ n: 5, s: "it's ?" });
    expect(await a.get('SELECT @x::int * @x::int AS n, @y::text AS y', { x: 4, y: 'why' })).toEqual({ n: 16, y: 'why' });
    await expect(a.get('SELECT @missing::int AS n', {})).rejects.toThrow(/no value for @missing/);
  });

  it('returns int8 (ids, counts) as numbers, as SQLite does', async () => {
    const row = await a.get<{ n: unknown; id: unknown }>(
      "WITH u AS (INSERT INTO users (name, password_hash, created_at) VALUES ('int8', 'x', 'now') RETURNING id) SELECT count(*) AS n, max(id) AS id FROM u",
    );
    expect(typeof row!.n).toBe('number');
    expect(typeof row!.id).toBe('number');
  });

  it('commits a transaction whole, rolls it back whole, and rolls back a failed savepoint alone', async () => {
    await a.transaction(async () => {
      await a.run('INSERT INTO counter_rows (n) VALUES (1)');
      await a.run('INSERT INTO counter_rows (n) VALUES (2)');
    });
    await expect(
      a.transaction(async () => {
        await a.run('INSERT INTO counter_rows (n) VALUES (3)');
        throw new Error('refused half-way');
      }),
    ).rejects.toThrow('refused half-way');
    await a.transaction(async () => {
      await a.run('INSERT INTO counter_rows (n) VALUES (4)');
      await expect(
        a.transaction(async () => {
          await a.run('INSERT INTO counter_rows (n) VALUES (5)');
          await a.run('INSERT INTO counter_rows (n) VALUES (1)'); // duplicate key: the savepoint rolls back
        }),
      ).rejects.toThrow(/duplicate key/);
    });
    expect((await b.all<{ n: number }>('SELECT n FROM counter_rows ORDER BY n')).map((r) => r.n)).toEqual([1, 2, 4]);
  });

  it("serialises writers across nodes: two nodes' read-then-write transactions never collide", async () => {
    // Each reads the highest n and inserts the next one; without the shared lock both read the same n and one fails.
    const next = (db: PostgresMetadataDb, note: string) =>
      db.transaction(async () => {
        const { top } = (await db.get<{ top: number }>('SELECT coalesce(max(n), 0) AS top FROM counter_rows'))!;
        await sleep(30); // a window for the other node, were it not waiting
        await db.run('INSERT INTO counter_rows (n, note) VALUES (?, ?)', [top + 1, note]);
      });
    await Promise.all(Array.from({ length: 6 }, (_, i) => next(i % 2 ? a : b, `w${i}`)));
    const rows = await a.all<{ n: number }>("SELECT n FROM counter_rows WHERE note LIKE 'w%' ORDER BY n");
    expect(rows.map((r) => r.n)).toEqual([5, 6, 7, 8, 9, 10]);
  });

  it("changes every node's generation when any node writes, and not on reads", async () => {
    await sleep(100); // earlier tests' notifications arrive
    const readsBefore = b.generation();
    await b.all('SELECT * FROM counter_rows');
    await a.get('SELECT count(*) FROM counter_rows');
    await sleep(100);
    expect(b.generation()).toBe(readsBefore);

    const before = { a: a.generation(), b: b.generation() };
    // settings, as every table the migrations make, notifies; counter_rows (made by this test) does not.
    await a.run("INSERT INTO settings (key, value) VALUES ('probe', 'one') ON CONFLICT (key) DO UPDATE SET value = excluded.value");
    // The writer knows at once; the other node within the second.
    expect(a.generation()).not.toBe(before.a);
    expect(await within(1000, () => b.generation() !== before.b)).toBe(true);

    const beforeTx = b.generation();
    await a.transaction(async () => {
      await a.run("UPDATE settings SET value = 'two' WHERE key = 'probe'");
    });
    expect(await within(1000, () => b.generation() !== beforeTx)).toBe(true);
  });

  it('exclusive(): one node at a time per key, keys apart run together, and a failed work releases its lock', async () => {
    const log: string[] = [];
    const work = (who: string, ms: number) => async () => {
      log.push(`${who} in`);
      await sleep(ms);
      log.push(`${who} out`);
      return who;
    };
    // a starts first (it holds the key when b asks); b waits for it however long a's work takes.
    const first = a.exclusive('k:same', work('a', 150));
    await within(1000, () => log.includes('a in'));
    const second = b.exclusive('k:same', work('b', 10));
    expect(await Promise.all([first, second])).toEqual(['a', 'b']);
    expect(log).toEqual(['a in', 'a out', 'b in', 'b out']);

    log.length = 0;
    await Promise.all([a.exclusive('k:one', work('one', 100)), b.exclusive('k:two', work('two', 100))]);
    expect(log.slice(0, 2).sort()).toEqual(['one in', 'two in']);

    await expect(
      a.exclusive('k:fails', async () => {
        throw new Error('upstream refused');
      }),
    ).rejects.toThrow('upstream refused');
    expect(await heldLocks('k:fails')).toBe(0);
    expect(await b.exclusive('k:fails', async () => 'after')).toBe('after');
  });

  it('exclusive(): a holder that never finishes holds the others up for the bound only, then they do the work too', async () => {
    const warnings: string[] = [];
    const c = await PostgresMetadataDb.open(database.url, { exclusiveWaitMs: 300, warn: (m) => warnings.push(m) });
    try {
      let release!: () => void;
      const held = a.exclusive('k:stuck', () => new Promise<void>((r) => (release = r)));
      await within(1000, () => release !== undefined);
      let ran = false;
      await c.exclusive('k:stuck', async () => {
        ran = true;
      });
      // c went ahead while a still held the key, and said why.
      expect(ran).toBe(true);
      expect(await heldLocks('k:stuck')).toBe(1);
      expect(warnings.join('\n')).toMatch(/k:stuck.*doing it here too/);
      release();
      await held;
      expect(await heldLocks('k:stuck')).toBe(0);
    } finally {
      await c.close();
    }
  });

  it('broadcast(): the other nodes hear it, the sender does not; inside a transaction only once it commits', async () => {
    const heardByA: string[] = [];
    const heardByB: string[] = [];
    const stopA = a.onBroadcast((channel, payload) => heardByA.push(`${channel}:${payload}`));
    const stopB = b.onBroadcast((channel, payload) => heardByB.push(`${channel}:${payload}`));
    try {
      await a.broadcast('test', 'one');
      expect(await within(1000, () => heardByB.includes('test:one'))).toBe(true);

      let seenInside: string[] | undefined;
      await a.transaction(async () => {
        await a.run("INSERT INTO settings (key, value) VALUES ('announced', 'yes') ON CONFLICT (key) DO UPDATE SET value = excluded.value");
        await a.broadcast('test', 'committed');
        await sleep(100);
        seenInside = [...heardByB];
      });
      expect(seenInside).not.toContain('test:committed');
      expect(await within(1000, () => heardByB.includes('test:committed'))).toBe(true);

      await expect(
        a.transaction(async () => {
          await a.broadcast('test', 'rolled-back');
          throw new Error('refused');
        }),
      ).rejects.toThrow('refused');
      // Notifications arrive in commit order: once the marker sent after the rollback is heard, the other would have been.
      await a.broadcast('test', 'marker');
      expect(await within(1000, () => heardByB.includes('test:marker'))).toBe(true);
      expect(heardByB).toEqual(['test:one', 'test:committed', 'test:marker']);
      expect(heardByA).toEqual([]);

      await expect(a.broadcast('test', 'x'.repeat(8000))).rejects.toThrow(/over NOTIFY's limit/);
    } finally {
      stopA();
      stopB();
    }
  });
});

/** Sessions holding the advisory lock of an exclusive() key (pg_locks shows a bigint key as classid/objid halves). */
async function heldLocks(key: string): Promise<number> {
  const k = BigInt.asUintN(64, BigInt(advisoryKey(key)));
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND granted AND classid = $1 AND objid = $2 AND objsubid = 1
          AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
      [String(k >> 32n), String(k & 0xffffffffn)],
    );
    return rows[0]!.n;
  } finally {
    await client.end();
  }
}
