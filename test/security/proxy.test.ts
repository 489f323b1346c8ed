// Issue 11, item 11: behind a reverse proxy. X-Forwarded-For/Proto/Host are believed only from the addresses given
// with --trust-proxy (anyone can send them), so the client's own address is what login throttling, rate limits and
// CIDR-bound tokens see; and sign-up's default follows the address people use (--public-url), not only --host.
import Database from 'better-sqlite3';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startShelf } from '../helpers/shelf-process';
import { makeTarball, publishBody, startAttacked, type Attacked } from './support';

let direct: Attacked;
let proxied: Attacked;
beforeAll(async () => {
  [direct, proxied] = await Promise.all([
    startAttacked(),
    startAttacked(['--trust-proxy', '127.0.0.1', '--allowed-hosts', 'registry.example.test']),
  ]);
});
afterAll(async () => {
  await Promise.all([direct?.close(), proxied?.close()]);
});

/** A token the admin may only use from 10.9.8.0/24. */
async function cidrToken(a: Attacked): Promise<string> {
  const reply = await a.request('POST', '/-/npm/v1/tokens', {
    token: a.admin.token,
    body: { password: a.admin.password, readonly: true, cidr_whitelist: ['10.9.8.0/24'] },
  });
  expect(reply.status).toBe(201);
  return reply.body.token;
}

describe('X-Forwarded-For', () => {
  it('is ignored without --trust-proxy: a CIDR-bound token cannot be used by claiming an address', async () => {
    const token = await cidrToken(direct);
    const reply = await direct.request('GET', '/-/whoami', { token, headers: { 'x-forwarded-for': '10.9.8.7' } });
    expect(reply.status).toBe(403);
    expect(reply.body.error).toBe('this token may not be used from 127.0.0.1: it is limited to 10.9.8.0/24');
  });

  it('from a trusted proxy, names the client: the token works from its range and only from there', async () => {
    const token = await cidrToken(proxied);
    const inside = await proxied.request('GET', '/-/whoami', { token, headers: { 'x-forwarded-for': '10.9.8.7' } });
    expect(inside.status).toBe(200);
    expect(inside.body).toEqual({ username: proxied.admin.name });
    const outside = await proxied.request('GET', '/-/whoami', { token, headers: { 'x-forwarded-for': '192.0.2.44' } });
    expect(outside.status).toBe(403);
    expect(outside.body.error).toBe('this token may not be used from 192.0.2.44: it is limited to 10.9.8.0/24');
  });

  it('a client cannot slip an address in front of the one the proxy adds', async () => {
    const token = await cidrToken(proxied);
    // The proxy appends the address it saw; everything to its left came from the client.
    const reply = await proxied.request('GET', '/-/whoami', { token, headers: { 'x-forwarded-for': '10.9.8.7, 192.0.2.44' } });
    expect(reply.status).toBe(403);
    expect(reply.body.error).toBe('this token may not be used from 192.0.2.44: it is limited to 10.9.8.0/24');
  });
});

describe('X-Forwarded-Proto and X-Forwarded-Host', () => {
  const forwarded = { origin: 'https://registry.example.test', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'registry.example.test' };

  it("make a write from the proxied site's own page same-origin when they come from a trusted proxy", async () => {
    const tarball = await makeTarball({ 'package.json': JSON.stringify({ name: 'via-proxy', version: '1.0.0' }) });
    const reply = await proxied.request('PUT', '/via-proxy', {
      token: proxied.user.token,
      body: publishBody('via-proxy', '1.0.0', tarball),
      headers: forwarded,
    });
    expect(reply.status).toBe(201);
  });

  it('are ignored from anyone else: the same request is a cross-site write', async () => {
    const tarball = await makeTarball({ 'package.json': JSON.stringify({ name: 'via-proxy', version: '1.0.0' }) });
    const before = direct.snapshot();
    const reply = await direct.request('PUT', '/via-proxy', {
      token: direct.user.token,
      body: publishBody('via-proxy', '1.0.0', tarball),
      headers: forwarded,
    });
    expect(reply.status).toBe(403);
    expect(reply.body.error).toMatch(
      /^cross-site requests are refused: this PUT came from a web page at 'https:\/\/registry\.example\.test'/,
    );
    expect(direct.snapshot()).toEqual(before);
  });
});

describe('sign-up default behind a proxy', () => {
  const signUp = (url: string, name: string) =>
    fetch(`${url}/-/user/org.couchdb.user:${name}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        _id: `org.couchdb.user:${name}`,
        name,
        password: 'newbie-password-123',
        email: `${name}@example.test`,
        type: 'user',
        roles: [],
      }),
    });
  const users = (dataDir: string) => {
    const db = new Database(join(dataDir, 'shelf.db'), { readonly: true, fileMustExist: true });
    try {
      return (db.prepare('SELECT count(*) AS n FROM users').get() as { n: number }).n;
    } finally {
      db.close();
    }
  };

  /** A free loopback port: the server prints its public URL, so the test must know where it really listens. */
  const freePort = () =>
    new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as { port: number };
        server.close(() => resolve(port));
      });
    });
  const start = async (args: string[]) => {
    const port = await freePort();
    const shelf = await startShelf([...args, '--port', String(port)]);
    return { shelf, url: `http://127.0.0.1:${port}` };
  };

  it('is closed when --public-url is a public address, though Shelf listens on loopback', async () => {
    const { shelf, url } = await start(['--public-url', 'http://registry.example.test/', '--trust-proxy', '127.0.0.1']);
    try {
      expect(shelf.output()).toContain('(sign-up is closed)');
      const before = users(shelf.dataDir);
      const reply = await signUp(url, 'newbie');
      expect(reply.status).toBe(403);
      expect(((await reply.json()) as { error: string }).error).toBe(
        "there is no user 'newbie' and sign-up is closed on this registry; ask its admin for an account",
      );
      expect(users(shelf.dataDir)).toBe(before);
    } finally {
      await shelf.stop();
    }
  });

  it('stays open with a loopback --public-url, and --signup open still opens it behind a proxy', async () => {
    for (const args of [
      ['--public-url', 'http://localhost:4999/'],
      ['--public-url', 'http://registry.example.test/', '--signup', 'open'],
    ]) {
      const { shelf, url } = await start(args);
      try {
        expect(shelf.output(), args.join(' ')).toContain('(sign-up is open)');
        expect((await signUp(url, 'newbie')).status).toBe(201);
      } finally {
        await shelf.stop();
      }
    }
  });
});

describe('--trust-proxy values', () => {
  it('are checked at start: a name that is not an address or range is refused with the reason', async () => {
    await expect(startShelf(['--trust-proxy', 'proxy.internal'])).rejects.toThrow(
      /--trust-proxy: 'proxy\.internal' is not an IP address or CIDR range \(e\.g\. 10\.0\.0\.5, 10\.0\.0\.0\/8, ::1 or loopback\)/,
    );
  });
});
