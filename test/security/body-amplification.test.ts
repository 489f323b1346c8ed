// Issue 11, item 10: a 61 kB gzip-encoded request inflated to the 71 MB publish limit on any route, before any check,
// and cost the server some 60 MB. Against a real `shelf serve`: anonymous bombs at a publish route are refused before a
// byte is inflated, every other route stops inflating at its own small cap, at most a few large bodies are read at
// once, and 20 bombs at once leave the server's memory where it was.
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAttacked, type Attacked } from './support';

/** 60 MB of a JSON string, gzipped to about 60 kB: what the attacker sent. */
const BOMB = gzipSync(Buffer.concat([Buffer.from('{"name":"'), Buffer.alloc(60 * 1024 * 1024, 0x61), Buffer.from('"}')]), { level: 9 });

let a: Attacked;
beforeAll(async () => {
  a = await startAttacked();
});
afterAll(async () => {
  await a?.close();
});

const bomb = (method: string, path: string, token?: string) =>
  a.request(method, path, { token, rawBody: BOMB, headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' } });

function rssMB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024;
}

describe('gzip bombs', () => {
  it('the bomb is what the issue describes', () => {
    expect(BOMB.length).toBeLessThan(70 * 1024);
  });

  it('an anonymous bomb at the publish route is refused before it is inflated', async () => {
    const before = a.snapshot();
    const reply = await bomb('PUT', '/bomb-target');
    expect(reply.status).toBe(401);
    expect(reply.body.error).toBe(
      'log in before sending a body over 1 MB (`npm login`, or a Bearer token): Shelf reads large uploads only from signed-in users',
    );
    expect(a.snapshot()).toEqual(before);
  });

  it('a bomb with a made-up token is refused as the bad credential it is', async () => {
    const before = a.snapshot();
    const reply = await bomb('PUT', '/bomb-target', 'npm_not-a-real-token');
    expect(reply.status).toBe(401);
    expect(a.snapshot()).toEqual(before);
  });

  it('a bomb at a sign-up stops inflating at 1 MB and creates no account', async () => {
    const before = a.snapshot();
    const reply = await bomb('PUT', '/-/user/org.couchdb.user:bomber');
    expect(reply.status).toBe(413);
    expect(reply.body.error).toBe('the request body is larger than this endpoint accepts (1 MB, after decompression)');
    expect(a.snapshot()).toEqual(before);
  });

  it('a bomb at the REST API login stops at 1 MB, in the API error shape', async () => {
    const before = a.snapshot();
    const reply = await bomb('POST', '/api/v1/auth/login');
    expect(reply.status).toBe(413);
    expect(reply.body).toMatchObject({
      error: 'payload_too_large',
      message: 'the request body is larger than this endpoint accepts (1 MB, after decompression)',
    });
    expect(a.snapshot()).toEqual(before);
  });

  it('a bomb at the audit endpoint stops at its 8 MB cap', async () => {
    const reply = await bomb('POST', '/-/npm/v1/security/advisories/bulk');
    expect(reply.status).toBe(413);
    expect(reply.body.error).toBe('the request body is larger than this endpoint accepts (8 MB, after decompression)');
  });

  it('a body that is not gzip at all is a 400 that says so', async () => {
    const reply = await a.request('PUT', '/-/user/org.couchdb.user:bomber', {
      rawBody: 'not gzip',
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
    });
    expect(reply.status).toBe(400);
    expect(reply.body.error).toBe('the request body is not valid gzip data');
  });

  it("20 bombs at once, at every kind of route, leave the server's memory within 100 MB of where it was", async () => {
    const pid = a.shelf.pid!;
    // Load what the first requests load (the REST API's instance, zlib) so that it is not counted as growth.
    await Promise.all([bomb('POST', '/api/v1/auth/login'), bomb('PUT', '/-/user/org.couchdb.user:warm')]);
    const before = rssMB(pid);
    const targets: [string, string][] = [
      ['PUT', '/bomb-target'],
      ['PUT', '/-/user/org.couchdb.user:bomber'],
      ['POST', '/api/v1/auth/login'],
      ['POST', '/-/npm/v1/security/advisories/bulk'],
      ['POST', '/-/npm/v1/tokens'],
    ];
    const replies = await Promise.all(Array.from({ length: 20 }, (_, i) => bomb(...targets[i % targets.length]!)));
    const after = rssMB(pid);
    // Each is refused: unauthenticated (401), over its cap (413), or turned away while 4 large bodies are read (503).
    for (const reply of replies) expect([401, 413, 503]).toContain(reply.status);
    expect(after - before, `RSS ${before.toFixed(1)} → ${after.toFixed(1)} MB`).toBeLessThan(100);
    expect((await a.request('GET', '/-/ping')).status).toBe(200);
  });
});

describe('browser-mode uploads', () => {
  const big = { path: 'x'.repeat(2 * 1024 * 1024) };

  it('over 1 MB are read only from a signed-in page of Shelf', async () => {
    const before = a.snapshot();
    const anonymous = await a.request('POST', '/-/shelf/rpc/publish.inspect', { body: big, headers: { origin: a.url } });
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.error).toBe("sign in to Shelf's UI before uploading more than 1 MB");
    // A made-up session cookie is not a session.
    const forged = await a.request('POST', '/-/shelf/rpc/publish.inspect', {
      body: big,
      headers: { origin: a.url, cookie: 'shelf_session=made-up' },
    });
    expect(forged.status).toBe(401);
    expect(a.snapshot()).toEqual(before);
  });

  it("a signed-in page's large call gets past the edge to the call's own checks", async () => {
    const reply = await a.rpc('publish.inspect', big, 'user');
    expect([401, 413, 503]).not.toContain(reply.status);
  });
});

describe('large bodies at once', () => {
  it('while 4 large uploads are being read, a fifth is answered 503 with Retry-After; the slots free up afterwards', async () => {
    const port = Number(new URL(a.url).port);
    const size = 2 * 1024 * 1024;
    const held: http.ClientRequest[] = [];
    const answered: number[] = [];
    const open = () => {
      const request = http.request({
        host: '127.0.0.1',
        port,
        method: 'PUT',
        path: '/slow-large-upload',
        agent: false,
        headers: { authorization: `Bearer ${a.user.token}`, 'content-type': 'application/json', 'content-length': String(size) },
      });
      request.on('response', (response) => {
        answered.push(response.statusCode ?? 0);
        response.resume();
      });
      request.on('error', () => undefined);
      request.write(Buffer.alloc(64 * 1024, 0x20));
      return request;
    };
    for (let i = 0; i < 4; i++) held.push(open());
    try {
      // The fifth is tried until the first four have been admitted (each attempt that gets in is dropped at once).
      let refused: Awaited<ReturnType<Attacked['request']>> | undefined;
      for (let attempt = 0; attempt < 40 && !refused; attempt++) {
        const reply = await a.request('PUT', '/slow-large-upload', {
          token: a.user.token,
          rawBody: Buffer.alloc(size, 0x20),
          headers: { 'content-type': 'application/json' },
        });
        if (reply.status === 503) refused = reply;
        else await new Promise((r) => setTimeout(r, 100));
      }
      expect(refused?.status).toBe(503);
      expect(refused!.headers.get('retry-after')).toBe('5');
      expect(refused!.body.error).toBe('Shelf is already receiving 4 large uploads; try again in a few seconds (npm retries by itself)');
      // The four held uploads were admitted and are still being read, not refused.
      expect(answered).toEqual([]);
    } finally {
      for (const request of held) request.destroy();
    }
    // Once they are gone, a large upload is read again (and refused for what it is: not a publish document).
    let after = 503;
    for (let attempt = 0; attempt < 40 && after === 503; attempt++) {
      const reply = await a.request('PUT', '/slow-large-upload', {
        token: a.user.token,
        rawBody: Buffer.alloc(size, 0x20),
        headers: { 'content-type': 'application/json' },
      });
      after = reply.status;
      if (after === 503) await new Promise((r) => setTimeout(r, 100));
    }
    expect(after).toBe(400);
  });
});
