// The cluster-wide login throttle, sign-up limit and request windows (PostgreSQL in team mode) over the same SQL on
// SQLite with a clock the test moves: the same rules, messages and Retry-After as the in-memory ones
// (login-throttle.test.ts), and two instances over one database share one budget, as two nodes do.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SharedLoginThrottle } from '../../../src/main/services/auth/login-throttle';
import { SharedWindowCounter } from '../../../src/main/services/auth/rate-windows';
import { SharedSignupLimit } from '../../../src/main/services/auth/signup-limit';
import { counterSqlOver, type CounterSql } from '../../../src/main/storage/db/counters';
import { openSqliteMetadata, type SqliteMetadataDb } from '../../../src/main/storage/sql/sqlite';

let dir: string;
let db: SqliteMetadataDb;
let sql: CounterSql;
let at: number;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'shelf-counters-'));
  db = openSqliteMetadata(join(dir, 'shelf.db'));
  sql = counterSqlOver(db);
  at = Date.parse('2030-01-01T00:00:00Z');
});

afterEach(async () => {
  await db.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Two "nodes": two throttles over one database. */
function nodes() {
  const make = () => new SharedLoginThrottle(sql, { maxFailures: 5, windowMs: 15 * 60_000 }, () => new Date(at));
  const [a, b] = [make(), make()];
  const fail = async (t: SharedLoginThrottle, client: string, account: string) => (await t.begin(client, account)).failed();
  return { a, b, fail };
}

describe('SharedLoginThrottle', () => {
  it('refuses an address after failures spread over nodes, until the window passes', async () => {
    const { a, b, fail } = nodes();
    for (let i = 0; i < 5; i++) await fail(i % 2 ? a : b, '10.0.0.1', `victim-${i}`);
    await expect(a.begin('10.0.0.1', 'someone-else')).rejects.toThrow(/from this client; try again in 900 seconds/);
    await expect(b.begin('10.0.0.1', 'someone-else')).rejects.toThrow(/from this client; try again in 900 seconds/);
    at += 15 * 60_000 + 1;
    await (await b.begin('10.0.0.1', 'someone-else')).succeeded();
  });

  it('counts attempts in progress on another node', async () => {
    const { a, b } = nodes();
    const open = await Promise.all(Array.from({ length: 5 }, (_, i) => (i % 2 ? a : b).begin('10.0.0.1', 'victim')));
    await expect(a.begin('10.0.0.1', 'victim')).rejects.toThrow(/from this client/);
    for (const attempt of open) await attempt.succeeded();
    await (await b.begin('10.0.0.1', 'victim')).succeeded();
  });

  it('clears only the failures against the account that signed in', async () => {
    const { a, b, fail } = nodes();
    for (let i = 0; i < 4; i++) await fail(a, '10.0.0.1', 'admin');
    await (await b.begin('10.0.0.1', 'own-account')).succeeded();
    await fail(b, '10.0.0.1', 'admin');
    await expect(a.begin('10.0.0.1', 'admin')).rejects.toThrow(/from this client/);
  });

  it('backs an account off after failures from many addresses, doubling, never beyond the window', async () => {
    const { a, b, fail } = nodes();
    for (let i = 0; i < 10; i++) await fail(i % 2 ? a : b, `10.0.1.${i}`, 'victim');
    await expect(a.begin('10.0.2.1', 'victim')).rejects.toThrow(/for this account; try again in 60 seconds/);
    at += 60_000;
    await fail(b, '10.0.2.1', 'victim');
    await expect(a.begin('10.0.2.2', 'Victim')).rejects.toThrow(/try again in 120 seconds/);
    at += 120_000;
    for (let i = 0; i < 6; i++) {
      await fail(a, `10.0.3.${i}`, 'victim');
      at += 15 * 60_000;
    }
    await fail(b, '10.0.4.1', 'victim');
    await expect(a.begin('10.0.4.2', 'victim')).rejects.toThrow(/try again in 900 seconds/);
  });

  it('lets the owner in from an address they signed in from before (on any node), while others wait', async () => {
    const { a, b, fail } = nodes();
    await (await a.begin('192.168.1.20', 'alice')).succeeded();
    for (let i = 0; i < 10; i++) await fail(b, `10.0.1.${i}`, 'alice');
    await expect(a.begin('10.9.9.9', 'alice')).rejects.toThrow(/for this account/);
    await (await b.begin('192.168.1.20', 'alice')).succeeded();
  });
});

describe('SharedSignupLimit', () => {
  it('shares one budget per address across nodes and refuses without counting', async () => {
    const make = () => new SharedSignupLimit(sql, { perAddress: 3, windowMs: 60_000 }, () => new Date(at));
    const [a, b] = [make(), make()];
    await a.take('10.0.0.1');
    at += 10_000;
    await b.take('10.0.0.1');
    await a.take('10.0.0.1');
    const before = await db.get<{ n: number }>("SELECT count(*) AS n FROM throttle_events WHERE kind = 'signup'");
    await expect(b.take('10.0.0.1')).rejects.toThrow(/too many accounts were created from this address; try again in 50 seconds/);
    expect(await db.get("SELECT count(*) AS n FROM throttle_events WHERE kind = 'signup'")).toEqual(before);
    await b.take('10.0.0.2');
    at += 50_000;
    await b.take('10.0.0.1');
  });
});

describe('SharedWindowCounter', () => {
  it('counts every key of a request in one window shared by nodes, and starts afresh when it ends', async () => {
    const [a, b] = [new SharedWindowCounter(sql, () => at), new SharedWindowCounter(sql, () => at)];
    expect(await a.hitAll(['ip|x', 'cred|y'], 1000)).toEqual([
      { count: 1, resetAt: at + 1000 },
      { count: 1, resetAt: at + 1000 },
    ]);
    at += 500;
    expect(await b.hitAll(['ip|x'], 1000)).toEqual([{ count: 2, resetAt: at + 500 }]);
    expect(await a.hitAll(['cred|y', 'ip|x'], 1000)).toEqual([
      { count: 2, resetAt: at + 500 },
      { count: 3, resetAt: at + 500 },
    ]);
    at += 500;
    expect(await b.hitAll(['ip|x'], 1000)).toEqual([{ count: 1, resetAt: at + 1000 }]);
  });
});
