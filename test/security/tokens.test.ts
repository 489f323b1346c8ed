// Token escalation (issue 11, items 1 and 6), against a real `shelf serve`: a token never mints a token wider than
// itself at any door (couch login, `npm token create`, /api/v1 tokens and refresh), re-login needs the password, and a
// refreshed token keeps every restriction of the one it replaces.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestFrom, startAttacked, type Attacked, type Reply } from './support';

let s: Attacked;
/** mallory's admin-scope token that expires in a day and only works from loopback (made in the UI, which allows it). */
let bounded: { secret: string; expires: string };
/** mallory's read-only token, also bounded in time and address. */
let readOnly: string;

async function uiToken(args: { name: string; scope: string; expiresInDays?: number; cidr?: string[] }) {
  const created = await s.rpc('tokens.create', args, 'user');
  expect(created.status).toBe(200);
  return created.body as { secret: string; token: { expires: string | null } };
}

/** Runs a request that must be refused: status, message, and no row written anywhere (tokens included). */
async function refused(run: () => Promise<Reply>, status: number, message: RegExp): Promise<Reply> {
  const before = s.snapshot();
  const reply = await run();
  expect(reply.status).toBe(status);
  expect(reply.body.message ?? reply.body.error).toMatch(message);
  expect(s.snapshot()).toEqual(before);
  return reply;
}

/** The npm view of mallory's tokens (scope, expiry, CIDR), found by the secret's visible prefix. */
async function npmTokenOf(secret: string) {
  const list = await s.request('GET', '/-/npm/v1/tokens', { token: s.user.token });
  expect(list.status).toBe(200);
  return list.body.objects.find((t: { token: string }) => secret.startsWith(t.token));
}

beforeAll(async () => {
  s = await startAttacked();
  const made = await uiToken({ name: 'bounded', scope: 'admin', expiresInDays: 1, cidr: ['127.0.0.0/8'] });
  bounded = { secret: made.secret, expires: made.token.expires! };
  readOnly = (await uiToken({ name: 'ro', scope: 'read', expiresInDays: 1, cidr: ['127.0.0.0/8'] })).secret;
});
afterAll(async () => s?.close());

const couchBody = (name: string, extra: Record<string, unknown> = {}) => ({
  _id: `org.couchdb.user:${name}`,
  name,
  type: 'user',
  roles: [],
  date: new Date().toISOString(),
  ...extra,
});

describe('couch login never mints a token from a token', () => {
  it('refuses yarn-style re-login (PUT …/-rev/…) with a read-only, expiring, CIDR-bound token and no password', async () => {
    for (const token of [readOnly, bounded.secret]) {
      await refused(
        () => s.request('PUT', '/-/user/org.couchdb.user:mallory/-rev/1-1', { token, body: couchBody('mallory') }),
        401,
        /logging in again as mallory needs the password/,
      );
    }
  });

  it('refuses a plain couch login that brings a token but no password', async () => {
    await refused(
      () => s.request('PUT', '/-/user/org.couchdb.user:mallory', { token: readOnly, body: couchBody('mallory') }),
      401,
      /a password is required to log in/,
    );
  });

  it('logs in again over …/-rev/… when the password is given, as a password login', async () => {
    const again = await s.request('PUT', '/-/user/org.couchdb.user:mallory/-rev/1-1', {
      token: readOnly,
      body: couchBody('mallory', { password: s.user.password }),
    });
    expect(again.status).toBe(201);
    expect((await s.request('GET', '/-/whoami', { token: again.body.token })).body).toEqual({ username: 'mallory' });
  });

  it('does not create an account on the re-login path', async () => {
    await refused(
      () =>
        s.request('PUT', '/-/user/org.couchdb.user:newcomer/-rev/1-1', {
          body: couchBody('newcomer', { password: 'a-long-password-1' }),
        }),
      401,
      /incorrect username or password/,
    );
  });
});

describe('npm token create stays within the presenting token', () => {
  it('refuses a wider address range than the token has', async () => {
    await refused(
      () =>
        s.request('POST', '/-/npm/v1/tokens', {
          token: bounded.secret,
          body: { password: s.user.password, readonly: false, cidr_whitelist: ['0.0.0.0/0'] },
        }),
      403,
      /limited to 127\.0\.0\.0\/8; 0\.0\.0\.0\/0 lies outside that/,
    );
  });

  it('refuses a later expiry than the token has', async () => {
    await refused(
      () => s.request('POST', '/-/npm/v1/tokens', { token: bounded.secret, body: { password: s.user.password, expires: 30 } }),
      403,
      /cannot make a token that outlives it/,
    );
  });

  it('refuses a read-only token outright', async () => {
    await refused(
      () => s.request('POST', '/-/npm/v1/tokens', { token: readOnly, body: { password: s.user.password, readonly: true } }),
      403,
      /read-only and cannot create tokens/,
    );
  });

  it('gives a token made without limits the presenting token’s expiry and range, and accepts a narrower range', async () => {
    const made = await s.request('POST', '/-/npm/v1/tokens', {
      token: bounded.secret,
      body: { password: s.user.password, readonly: false, cidr_whitelist: [] },
    });
    expect(made.status).toBe(201);
    expect(made.body).toMatchObject({ expires: bounded.expires, cidr_whitelist: ['127.0.0.0/8'], scope: 'publish' });
    const ok = await s.request('POST', '/-/npm/v1/tokens', {
      token: bounded.secret,
      body: { password: s.user.password, readonly: true, cidr_whitelist: ['127.0.0.1/32'] },
    });
    expect(ok.status).toBe(201);
    expect(ok.body).toMatchObject({ readonly: true, cidr_whitelist: ['127.0.0.1/32'], expires: bounded.expires });
  });
});

describe('/api/v1 tokens stay within the presenting token', () => {
  it('refuses a token that would outlive the presenting one', async () => {
    await refused(
      () =>
        s.request('POST', '/api/v1/auth/tokens', { token: bounded.secret, body: { name: 'long', scopes: ['read'], expires_in_days: 30 } }),
      403,
      /cannot make a token that outlives it/,
    );
  });

  it('refuses scopes the presenting token does not have', async () => {
    const narrow = await s.request('POST', '/api/v1/auth/tokens', {
      token: s.user.token,
      body: { name: 'narrow', scopes: ['read', 'admin'] },
    });
    expect(narrow.status).toBe(201);
    await refused(
      () => s.request('POST', '/api/v1/auth/tokens', { token: narrow.body.token, body: { name: 'wider', scopes: ['publish'] } }),
      403,
      /does not have the scope publish/,
    );
  });

  it('refuses a read-only token', async () => {
    await refused(
      () => s.request('POST', '/api/v1/auth/tokens', { token: readOnly, body: { name: 'x', scopes: ['read'] } }),
      403,
      /read-only and cannot create tokens/,
    );
  });
});

describe('/api/v1/auth/refresh keeps every restriction', () => {
  it('keeps the scope, the address range and the expiry, and retires the old secret', async () => {
    const original = await uiToken({ name: 'ci', scope: 'publish', expiresInDays: 2, cidr: ['127.0.0.2/32'] });
    const before = s.snapshot();
    const refreshed = await requestFrom('127.0.0.2', s.url, 'POST', '/api/v1/auth/refresh', { token: original.secret });
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.expires_at).toBe(original.token.expires);
    // One token in place of another: no net row.
    expect(s.snapshot()).toEqual(before);

    const fresh = refreshed.body.token as string;
    expect(await npmTokenOf(fresh)).toMatchObject({ scope: 'publish', expires: original.token.expires, cidr_whitelist: ['127.0.0.2/32'] });
    // The range still holds: the new secret works from 127.0.0.2 only.
    expect((await requestFrom('127.0.0.2', s.url, 'GET', '/-/whoami', { token: fresh })).body).toEqual({ username: 'mallory' });
    const outside = await s.request('GET', '/-/whoami', { token: fresh });
    expect(outside.status).toBe(403);
    expect(outside.body.error).toMatch(/limited to 127\.0\.0\.2\/32/);
    const old = await requestFrom('127.0.0.2', s.url, 'GET', '/-/whoami', { token: original.secret });
    expect(old.status).toBe(401);
  });

  it('keeps a read-only token read-only and an API token its scope list', async () => {
    const refreshedRead = await s.request('POST', '/api/v1/auth/refresh', { token: readOnly });
    expect(refreshedRead.status).toBe(200);
    expect(await npmTokenOf(refreshedRead.body.token)).toMatchObject({ readonly: true, cidr_whitelist: ['127.0.0.0/8'] });
    readOnly = refreshedRead.body.token;

    const yanker = await s.request('POST', '/api/v1/auth/tokens', {
      token: s.user.token,
      body: { name: 'yanker', scopes: ['read', 'yank'], expires_in_days: 3 },
    });
    expect(yanker.status).toBe(201);
    const refreshed = await s.request('POST', '/api/v1/auth/refresh', { token: yanker.body.token });
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.expires_at).toBe(yanker.body.expires_at);
    const listed = await s.request('GET', '/api/v1/auth/tokens', { token: s.user.token });
    const entry = listed.body.tokens.find((t: { prefix: string }) => refreshed.body.token.startsWith(t.prefix));
    expect(entry).toMatchObject({ scopes: ['read', 'yank'], expires_at: yanker.body.expires_at });
  });
});
