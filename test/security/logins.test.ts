// Logins (issue 11, item 14), against a real `shelf serve`: scrypt at N=2^17 with old hashes replaced at the next
// login, failed logins throttled per address and per account without locking the owner out from their own address,
// sign-ups limited per address on every door, and a made-up Authorization header buying no larger request budget.
// Clients at different addresses are different loopback addresses (127.0.0.x) talking to the same server.
import Database from 'better-sqlite3';
import { randomBytes, scryptSync } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestFrom, startAttacked, type Attacked, type Reply } from './support';

let s: Attacked;

beforeAll(async () => {
  s = await startAttacked();
});
afterAll(async () => s?.close());

const db = (readonly: boolean) => new Database(join(s.shelf.dataDir, 'shelf.db'), { readonly, fileMustExist: true });

function storedHash(name: string): string {
  const conn = db(true);
  try {
    return (conn.prepare('SELECT password_hash FROM users WHERE name = ?').get(name) as { password_hash: string }).password_hash;
  } finally {
    conn.close();
  }
}

const couchFrom = (address: string, name: string, password: string) =>
  requestFrom(address, s.url, 'PUT', `/-/user/org.couchdb.user:${name}`, {
    body: { _id: `org.couchdb.user:${name}`, name, password, email: `${name}@example.test`, type: 'user', roles: [] },
  });

async function refused(run: () => Promise<Reply>, status: number, message: RegExp): Promise<Reply> {
  const before = s.snapshot();
  const reply = await run();
  expect(reply.status).toBe(status);
  expect(reply.body.message ?? reply.body.error).toMatch(message);
  expect(s.snapshot()).toEqual(before);
  return reply;
}

describe('password hashes', () => {
  it('hashes new passwords with scrypt N=2^17, r=8, p=1', () => {
    expect(storedHash('mallory')).toMatch(/^scrypt\$131072\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]{88}$/);
  });

  it('replaces a hash made at the old cost (N=2^15) at the next successful login, and the new one verifies', async () => {
    const password = 'an-old-accounts-password';
    const salt = randomBytes(16);
    const key = scryptSync(password, salt, 64, { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 });
    const old = `scrypt$32768$8$1$${salt.toString('base64')}$${key.toString('base64')}`;
    const conn = db(false);
    try {
      conn
        .prepare('INSERT INTO users (name, email, password_hash, is_admin, created_at) VALUES (?, ?, ?, 0, ?)')
        .run('veteran', 'veteran@example.test', old, new Date().toISOString());
    } finally {
      conn.close();
    }
    // A wrong password changes nothing.
    await refused(() => s.couchLogin('veteran', 'not-the-password'), 401, /incorrect username or password/);
    expect(storedHash('veteran')).toBe(old);

    const login = await s.couchLogin('veteran', password);
    expect(login.status).toBe(201);
    const rehashed = storedHash('veteran');
    expect(rehashed).not.toBe(old);
    expect(rehashed).toMatch(/^scrypt\$131072\$8\$1\$/);
    expect((await s.couchLogin('veteran', password)).status).toBe(201);
    expect(storedHash('veteran')).toBe(rehashed);
  });
});

describe('login throttling', () => {
  it('refuses an address that failed too often, for every account, while other addresses sign in', async () => {
    const attacker = '127.0.0.6';
    for (let i = 0; i < 5; i++) expect((await couchFrom(attacker, 'root-admin', `guess-number-${i}`)).status).toBe(401);
    const blocked = await refused(
      () => couchFrom(attacker, 'root-admin', s.admin.password),
      429,
      /too many failed sign-in attempts from this client/,
    );
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
    // The same address is refused for another account too, even with its right password…
    await refused(() => couchFrom(attacker, 'mallory', s.user.password), 429, /from this client/);
    // …while the admin, elsewhere, is not affected.
    expect((await couchFrom('127.0.0.1', 'root-admin', s.admin.password)).status).toBe(201);
  });

  it('backs an account off after failures from many addresses, but not for the address its owner signs in from', async () => {
    // Ten failures against mallory, spread over three addresses so that none of them trips the per-address limit.
    const spread: Array<[string, number]> = [
      ['127.0.0.2', 4],
      ['127.0.0.3', 4],
      ['127.0.0.4', 2],
    ];
    for (const [address, count] of spread) {
      for (let i = 0; i < count; i++) expect((await couchFrom(address, 'mallory', `spray-${address}-${i}`)).status).toBe(401);
    }
    // A fresh address now waits, whatever it sends: no password is checked, no token made.
    const backedOff = await refused(
      () => couchFrom('127.0.0.5', 'mallory', s.user.password),
      429,
      /too many failed sign-in attempts for this account/,
    );
    expect(Number(backedOff.headers.get('retry-after'))).toBeGreaterThan(0);
    const viaApi = await refused(
      () => requestFrom('127.0.0.5', s.url, 'POST', '/api/v1/auth/login', { body: { username: 'mallory', password: s.user.password } }),
      429,
      /for this account/,
    );
    expect(viaApi.body.error).toBe('rate_limit_exceeded');
    // mallory signed in from 127.0.0.1 before (the UI session at the start): there she is not held back, at any door.
    expect((await couchFrom('127.0.0.1', 'mallory', s.user.password)).status).toBe(201);
    const api = await s.request('POST', '/api/v1/auth/login', { body: { username: 'mallory', password: s.user.password } });
    expect(api.status).toBe(200);
    expect((await s.rpc('session.signIn', { username: 'mallory', password: s.user.password }, 'user')).status).toBe(200);
  });
});

describe('sign-up limits', () => {
  it('counts accounts made from one address across the npm and /api/v1 doors and refuses past the budget', async () => {
    const address = '127.0.0.7';
    for (let i = 0; i < 5; i++) expect((await couchFrom(address, `npm-newcomer-${i}`, 'a-long-password-1')).status).toBe(201);
    for (let i = 0; i < 5; i++) {
      const registered = await requestFrom(address, s.url, 'POST', '/api/v1/auth/register', {
        body: { username: `api-newcomer-${i}`, password: 'a-long-password-1' },
      });
      expect(registered.status).toBe(201);
    }
    const npm = await refused(
      () => couchFrom(address, 'npm-newcomer-9', 'a-long-password-1'),
      429,
      /too many accounts were created from this address/,
    );
    expect(Number(npm.headers.get('retry-after'))).toBeGreaterThan(0);
    const api = await refused(
      () =>
        requestFrom(address, s.url, 'POST', '/api/v1/auth/register', {
          body: { username: 'api-newcomer-9', password: 'a-long-password-1' },
        }),
      429,
      /too many accounts were created from this address/,
    );
    expect(api.body.error).toBe('rate_limit_exceeded');
    // Another address still may.
    expect((await couchFrom('127.0.0.8', 'npm-newcomer-9', 'a-long-password-1')).status).toBe(201);
  });
});

describe('request budgets of /api/v1', () => {
  let limited: Attacked;
  beforeAll(async () => {
    limited = await startAttacked(['--api-rate-limit', 'anonymous=3,authenticated=50,login=20,publish=5,window=600']);
  });
  afterAll(async () => limited?.close());

  it('counts a made-up Authorization header against the anonymous budget, not the larger one', async () => {
    const address = '127.0.0.9';
    for (let i = 0; i < 3; i++) {
      const anonymous = await requestFrom(address, limited.url, 'GET', '/api/v1/health');
      expect(anonymous.status).toBe(200);
      expect(anonymous.headers.get('x-ratelimit-limit')).toBe('3');
    }
    for (const authorization of ['Bearer shelf_made-up-token', 'Bearer another-one', 'Token nonsense']) {
      const reply = await requestFrom(address, limited.url, 'GET', '/api/v1/health', { headers: { authorization } });
      expect(reply.status).toBe(429);
      expect(reply.headers.get('x-ratelimit-limit')).toBe('3');
      expect(reply.body.message).toMatch(/too many anonymous requests/);
    }
    // A real token is counted on its own, larger budget.
    const real = await requestFrom(address, limited.url, 'GET', '/api/v1/health', { token: limited.user.token });
    expect(real.status).toBe(200);
    expect(real.headers.get('x-ratelimit-limit')).toBe('50');
  });
});
