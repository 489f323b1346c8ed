// /api/v1 accounts and tokens over a real server: register, login, verify, refresh, the caller, tokens and their scopes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectRefusal, startApi, type ApiHarness } from './api-client';

let a: ApiHarness;
let alice: string;

beforeAll(async () => {
  a = await startApi({ loginThrottle: { maxFailures: 3, windowMs: 60_000 } });
  alice = await a.register('alice');
});
afterAll(async () => {
  expect(a.validated()).toBeGreaterThan(20);
  await a.close();
});

describe('registration', () => {
  it('creates an account and returns a token that identifies it', async () => {
    const response = await a.api('POST', '/auth/register', {
      body: { username: 'bob', password: 'another-good-one', email: 'bob@example.test' },
    });
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({ success: true, user: { username: 'bob', email: 'bob@example.test' } });
    const me = await a.api('GET', '/auth/me', { token: response.body.token });
    expect(me.body.username).toBe('bob');
  });

  it('refuses a missing field, a bad username and a weak password with 400', async () => {
    await expectRefusal(a, () => a.api('POST', '/auth/register', { body: { username: 'carol' } }), 400, 'invalid_request');
    await expectRefusal(
      a,
      () => a.api('POST', '/auth/register', { body: { username: 'x!', password: 'long-enough-pw' } }),
      400,
      'invalid_request',
    );
    await expectRefusal(
      a,
      () => a.api('POST', '/auth/register', { body: { username: 'carol', password: 'short' } }),
      400,
      'invalid_request',
    );
    await expectRefusal(
      a,
      () => a.api('POST', '/auth/register', { body: { username: 'carol', password: 'password123' } }),
      400,
      'invalid_request',
    );
  });

  it('refuses a taken username or email with 409', async () => {
    await expectRefusal(
      a,
      () => a.api('POST', '/auth/register', { body: { username: 'alice', password: 'long-enough-pw' } }),
      409,
      'conflict',
    );
    await expectRefusal(
      a,
      () => a.api('POST', '/auth/register', { body: { username: 'alice2', password: 'long-enough-pw', email: 'ALICE@example.test' } }),
      409,
      'conflict',
    );
  });
});

describe('login', () => {
  it('signs in by username or by email and returns an expiring token', async () => {
    const byName = await a.api('POST', '/auth/login', { body: { username: 'alice', password: 'correct-horse-battery' } });
    expect(byName.status).toBe(200);
    expect(byName.body.user).toEqual({ id: expect.any(Number), username: 'alice', email: 'alice@example.test', is_admin: false });
    expect(Date.parse(byName.body.expires_at)).toBeGreaterThan(Date.now());
    const byEmail = await a.api('POST', '/auth/login', { body: { email: 'alice@example.test', password: 'correct-horse-battery' } });
    expect(byEmail.status).toBe(200);
  });

  it('gives the same 401 for a wrong password and an unknown user, then throttles with 429', async () => {
    const wrong = await expectRefusal(
      a,
      () => a.api('POST', '/auth/login', { body: { username: 'alice', password: 'not-the-password' } }),
      401,
      'authentication_required',
    );
    const unknown = await expectRefusal(
      a,
      () => a.api('POST', '/auth/login', { body: { email: 'nobody@example.test', password: 'not-the-password' } }),
      401,
      'authentication_required',
    );
    expect(unknown.body.message).toBe(wrong.body.message);
    await a.api('POST', '/auth/login', { body: { username: 'nobody', password: 'x' } });
    const throttled = await expectRefusal(
      a,
      () => a.api('POST', '/auth/login', { body: { username: 'alice', password: 'correct-horse-battery' } }),
      429,
      'rate_limit_exceeded',
    );
    expect(throttled.body.retry_after).toBeGreaterThan(0);
    await a.h.app.services.auth.throttle.clearAddress('127.0.0.1');
  });

  it('refuses a login without a name or email with 400', async () => {
    await expectRefusal(a, () => a.api('POST', '/auth/login', { body: { password: 'x' } }), 400, 'invalid_request');
  });
});

describe('verify and refresh', () => {
  it('says whether a token is valid without failing', async () => {
    expect((await a.api('POST', '/auth/verify', { body: { token: alice } })).body).toMatchObject({
      valid: true,
      user: { username: 'alice' },
    });
    expect((await a.api('POST', '/auth/verify', { body: { token: 'shelf_nope' } })).body).toEqual({ valid: false });
  });

  it('replaces the calling token; the old one stops working', async () => {
    const old = (await a.api('POST', '/auth/login', { body: { username: 'alice', password: 'correct-horse-battery' } })).body.token;
    const refreshed = await a.api('POST', '/auth/refresh', { token: old });
    expect(refreshed.status).toBe(200);
    expect((await a.api('GET', '/users/me', { token: refreshed.body.token })).status).toBe(200);
    await expectRefusal(a, () => a.api('GET', '/users/me', { token: old }), 401, 'authentication_required');
    await expectRefusal(a, () => a.api('POST', '/auth/refresh'), 401, 'authentication_required');
  });
});

describe('tokens', () => {
  it('creates a token with scopes, shows the secret once, lists it without secrets and revokes it', async () => {
    const created = await a.api('POST', '/users/me/tokens', {
      token: alice,
      body: { name: 'ci', scopes: ['read', 'yank'], expires_in_days: 7 },
    });
    expect(created.status).toBe(201);
    expect(created.body.token).toMatch(/^shelf_/);
    expect(created.body.scopes).toEqual(['read', 'yank']);
    const listed = await a.api('GET', '/auth/tokens', { token: alice });
    const entry = listed.body.tokens.find((t: { id: string }) => t.id === created.body.id);
    expect(entry).toMatchObject({ name: 'ci', scopes: ['read', 'yank'] });
    expect(JSON.stringify(listed.body)).not.toContain(created.body.token);
    const me = await a.api('GET', '/auth/me', { token: alice });
    expect(me.body.tokens.length).toBe(listed.body.tokens.length);
    expect((await a.api('DELETE', `/users/me/tokens/${created.body.id}`, { token: alice })).status).toBe(200);
    await expectRefusal(a, () => a.api('GET', '/users/me', { token: created.body.token }), 401, 'authentication_required');
  });

  it('refuses unknown scopes, a missing name and a read-only caller', async () => {
    await expectRefusal(
      a,
      () => a.api('POST', '/users/me/tokens', { token: alice, body: { name: 'x', scopes: ['root'] } }),
      400,
      'invalid_request',
    );
    await expectRefusal(a, () => a.api('POST', '/users/me/tokens', { token: alice, body: { scopes: ['read'] } }), 400, 'invalid_request');
    const read = (await a.api('POST', '/auth/tokens', { token: alice, body: { name: 'ro', scopes: ['read'] } })).body.token;
    await expectRefusal(
      a,
      () => a.api('POST', '/auth/tokens', { token: read, body: { name: 'escalate', scopes: ['admin'] } }),
      403,
      'permission_denied',
    );
    await expectRefusal(a, () => a.api('GET', '/auth/tokens'), 401, 'authentication_required');
    await expectRefusal(a, () => a.api('DELETE', '/auth/tokens/not-a-token', { token: alice }), 404, 'not_found');
  });
});

describe('profiles', () => {
  it('shows a user without their email', async () => {
    const response = await a.api('GET', '/users/alice');
    expect(response.body).toMatchObject({ username: 'alice', packages: [], total_downloads: 0 });
    expect(JSON.stringify(response.body)).not.toContain('@example.test');
    await expectRefusal(a, () => a.api('GET', '/users/nobody'), 404, 'not_found');
  });
});
