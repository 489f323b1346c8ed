// Accounts, tokens and request guards: refusals carry the right status and message, and store nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageTarball, publishBody, startHarness, type Harness } from '../../helpers/app-harness';

let h: Harness;
let clock = new Date('2026-01-01T00:00:00Z');

beforeAll(async () => {
  h = await startHarness({}, { now: () => clock });
});
afterAll(async () => h.close());

const couch = (name: string, password: string, extra: Record<string, unknown> = {}) =>
  h.call('PUT', `/-/user/org.couchdb.user:${name}`, {
    body: { name, password, email: `${name}@example.test`, type: 'user', roles: [], ...extra },
  });

async function refused(run: () => Promise<{ status: number; body: any; headers: Headers }>, status: number, message: RegExp) {
  const before = await h.snapshot();
  const response = await run();
  expect(response.status).toBe(status);
  expect(response.body.error).toMatch(message);
  expect(await h.snapshot()).toEqual(before);
  return response;
}

describe('accounts', () => {
  it('creates an account on first couch login and signs in with the same password later', async () => {
    const first = await couch('carol', 'a-long-password');
    expect(first.status).toBe(201);
    expect(first.body.token).toMatch(/^shelf_/);
    const again = await couch('carol', 'a-long-password');
    expect(again.status).toBe(201);
    expect(again.body.token).not.toBe(first.body.token);
  });

  it('refuses a wrong password with 401 and the same message as an unknown user', async () => {
    const wrong = await refused(() => couch('carol', 'not-her-password'), 401, /incorrect username or password/);
    expect(wrong.headers.get('www-authenticate')).toBeTruthy();
  });

  it('refuses weak passwords and bad usernames with 400', async () => {
    await refused(() => couch('dave', 'short'), 400, /at least 8 characters/);
    await refused(() => couch('erin', 'password123'), 400, /most common/);
    await refused(() => couch('x', 'a-long-password'), 400, /username 'x' is not allowed/);
  });

  it('refuses a body whose name differs from the URL with 400', async () => {
    await refused(
      () => h.call('PUT', '/-/user/org.couchdb.user:frank', { body: { name: 'grace', password: 'a-long-password' } }),
      400,
      /differs from the one in the URL/,
    );
  });

  it('throttles repeated failed logins from one client with 429 and Retry-After', async () => {
    await couch('heidi', 'a-long-password');
    // The throttle counts per client; earlier tests used some of this client's budget, so fail until it trips.
    let last = await couch('heidi', 'wrong-password-1');
    for (let i = 0; i < 6 && last.status === 401; i++) last = await couch('heidi', `wrong-password-${i}`);
    expect(last.status).toBe(429);
    expect(last.body.error).toMatch(/too many failed sign-in attempts/);
    expect(Number(last.headers.get('retry-after'))).toBeGreaterThan(0);
    // Even the right password is refused while throttled.
    await refused(() => couch('heidi', 'a-long-password'), 429, /try again in \d+ seconds/);
    // After the window passes, the right password works again.
    clock = new Date(clock.getTime() + 16 * 60 * 1000);
    expect((await couch('heidi', 'a-long-password')).status).toBe(201);
  });
});

describe('tokens', () => {
  it('refuses an expired token with 401', async () => {
    const token = (await couch('ivan', 'a-long-password')).body.token as string;
    const created = await h.call('POST', '/-/npm/v1/tokens', { token, body: { password: 'a-long-password', expires: 1 } });
    expect(created.status).toBe(201);
    expect((await h.call('GET', '/-/whoami', { token: created.body.token })).status).toBe(200);
    clock = new Date(clock.getTime() + 2 * 86_400_000);
    await refused(() => h.call('GET', '/-/whoami', { token: created.body.token }), 401, /expired/);
  });

  it('refuses a token used from outside its CIDR allowlist with 403', async () => {
    const token = (await couch('judy', 'a-long-password')).body.token as string;
    const created = await h.call('POST', '/-/npm/v1/tokens', {
      token,
      body: { password: 'a-long-password', cidr_whitelist: ['10.0.0.0/8'] },
    });
    expect(created.status).toBe(201);
    await refused(() => h.call('GET', '/-/whoami', { token: created.body.token }), 403, /limited to 10\.0\.0\.0\/8/);
    const local = await h.call('POST', '/-/npm/v1/tokens', {
      token,
      body: { password: 'a-long-password', cidr_whitelist: ['127.0.0.0/8'] },
    });
    expect((await h.call('GET', '/-/whoami', { token: local.body.token })).body).toEqual({ username: 'judy' });
  });

  it('refuses a malformed CIDR and a wrong password when creating a token', async () => {
    const token = (await couch('kim', 'a-long-password')).body.token as string;
    await refused(
      () => h.call('POST', '/-/npm/v1/tokens', { token, body: { password: 'a-long-password', cidr_whitelist: ['nonsense'] } }),
      400,
      /not an IP range/,
    );
    await refused(
      () => h.call('POST', '/-/npm/v1/tokens', { token, body: { password: 'wrong-password!' } }),
      401,
      /incorrect username or password/,
    );
  });

  it('lets a read-only token read but not publish', async () => {
    const token = (await couch('leo', 'a-long-password')).body.token as string;
    const ro = await h.call('POST', '/-/npm/v1/tokens', { token, body: { password: 'a-long-password', readonly: true } });
    const body = publishBody('leo-pkg', '1.0.0', await packageTarball('leo-pkg', '1.0.0'));
    await refused(() => h.call('PUT', '/leo-pkg', { token: ro.body.token, body }), 403, /read-only/);
    const list = await h.call('GET', '/-/npm/v1/tokens', { token });
    expect(list.body.urls).toEqual({ next: null });
    expect(list.body.objects.map((t: any) => t.readonly)).toContain(true);
    // Secrets never appear in the list, only a recognisable prefix.
    expect(JSON.stringify(list.body)).not.toContain(ro.body.token);
  });
});

describe('request guards', () => {
  it('refuses a Host header that is not one of its names with 403 (DNS rebinding)', async () => {
    const token = (await couch('mallory', 'a-long-password')).body.token as string;
    const body = publishBody('rebound', '1.0.0', await packageTarball('rebound', '1.0.0'));
    const { request } = await import('node:http');
    const port = new URL(h.url).port;
    const before = await h.snapshot();
    const status = await new Promise<number>((resolve) => {
      const req = request(
        {
          host: '127.0.0.1',
          port,
          path: '/rebound',
          method: 'PUT',
          headers: { host: `evil.example:${port}`, 'content-type': 'application/json', authorization: `Bearer ${token}` },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode!);
        },
      );
      req.end(JSON.stringify(body));
    });
    expect(status).toBe(403);
    expect(await h.snapshot()).toEqual(before);
  });

  it('sends no CORS headers', async () => {
    const response = await h.call('GET', '/-/ping', { headers: { origin: 'https://evil.example' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('closes sign-up when configured, refusing new accounts with 403', async () => {
    const closed = await startHarness({ signup: 'closed' });
    try {
      const before = await closed.snapshot();
      const response = await closed.call('PUT', '/-/user/org.couchdb.user:newbie', {
        body: { name: 'newbie', password: 'a-long-password' },
      });
      expect(response.status).toBe(403);
      expect(response.body.error).toMatch(/sign-up is closed/);
      expect(await closed.snapshot()).toEqual(before);
    } finally {
      await closed.close();
    }
  });
});
