// /api/v1 rate limits over a real server: headers, 429 with retry_after, separate budgets, per-token counting.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectRefusal, startApi, type ApiHarness } from './api-client';

let a: ApiHarness;
let clock = Date.parse('2030-01-01T00:00:00Z');

beforeAll(async () => {
  a = await startApi(
    { apiRateLimit: { enabled: true, windowMs: 60_000, anonymous: 3, authenticated: 4, login: 2, publish: 1 } },
    { now: () => new Date(clock) },
  );
});
afterAll(async () => a.close());

describe('rate limits', () => {
  it('reports the budget in X-RateLimit headers', async () => {
    // The client already fetched the OpenAPI document once, which counts too.
    const response = await a.api('GET', '/health');
    expect(response.headers.get('x-ratelimit-limit')).toBe('3');
    expect(response.headers.get('x-ratelimit-remaining')).toBe('1');
    expect(Number(response.headers.get('x-ratelimit-reset'))).toBe(Math.ceil((clock + 60_000) / 1000));
  });

  it('refuses with 429, Retry-After and retry_after once the anonymous budget is spent', async () => {
    expect((await a.api('GET', '/health')).headers.get('x-ratelimit-remaining')).toBe('0');
    const refused = await expectRefusal(a, () => a.api('GET', '/stats'), 429, 'rate_limit_exceeded');
    expect(refused.body.retry_after).toBe(60);
    expect(refused.headers.get('retry-after')).toBe('60');
    expect(refused.headers.get('x-ratelimit-remaining')).toBe('0');
  });

  it('keeps logins on their own budget', async () => {
    const login = await a.api('POST', '/auth/register', { body: { username: 'alice', password: 'correct-horse-battery' } });
    expect(login.status).toBe(201);
    expect(login.headers.get('x-ratelimit-limit')).toBe('2');
  });

  it('counts authenticated calls per token as well as per address', async () => {
    const token = (await a.api('POST', '/auth/login', { body: { username: 'alice', password: 'correct-horse-battery' } })).body.token;
    await expectRefusal(
      a,
      () => a.api('POST', '/auth/login', { body: { username: 'alice', password: 'correct-horse-battery' } }),
      429,
      'rate_limit_exceeded',
    );
    for (let i = 0; i < 4; i++) expect((await a.api('GET', '/users/me', { token })).status).toBe(200);
    await expectRefusal(a, () => a.api('GET', '/users/me', { token }), 429, 'rate_limit_exceeded');
  });

  it('gives publishes their own budget and starts afresh in the next window', async () => {
    clock += 61_000;
    const token = (await a.api('POST', '/auth/login', { body: { username: 'alice', password: 'correct-horse-battery' } })).body.token;
    const first = await a.api('POST', '/packages', { token, body: { name: 'x', version: '1.0.0', tarball: '***' } });
    expect(first.status).toBe(400);
    expect(first.headers.get('x-ratelimit-limit')).toBe('1');
    await expectRefusal(
      a,
      () => a.api('POST', '/packages', { token, body: { name: 'x', version: '1.0.0', tarball: '***' } }),
      429,
      'rate_limit_exceeded',
    );
    expect((await a.api('GET', '/health')).status).toBe(200);
  });
});
