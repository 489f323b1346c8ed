// Issue 11, item 9: a web page must not change state with credentials a browser has saved. Browsers send any site's
// text/plain or form bodies without asking first, and always name the sending page in Origin on writes; command-line
// clients send no Origin. Against a real `shelf serve`: text/plain is not read as JSON on either door, a write from a
// foreign Origin is refused whatever its credentials, and npm (no Origin) and Shelf's own page keep working.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NpmUser, makePackage, tempDir } from '../helpers/clients';
import { makeTarball, publishBody, startAttacked, type Attacked } from './support';

const EVIL = 'http://evil.example.test';

let a: Attacked;
beforeAll(async () => {
  a = await startAttacked();
});
afterAll(async () => {
  await a?.close();
});

const couchDocument = (name: string) => ({
  _id: `org.couchdb.user:${name}`,
  name,
  password: 'eve-password-123',
  email: `${name}@example.test`,
  type: 'user',
  roles: [],
});

describe('JSON only from JSON content types', () => {
  it('an npm sign-up sent as text/plain (what a page can send without asking) is refused and creates no account', async () => {
    const before = a.snapshot();
    const reply = await a.request('PUT', '/-/user/org.couchdb.user:eve', {
      rawBody: JSON.stringify(couchDocument('eve')),
      headers: { 'content-type': 'text/plain' },
    });
    expect(reply.status).toBe(415);
    expect(reply.body.error).toBe("unsupported content type 'text/plain'; send JSON");
    expect(a.snapshot()).toEqual(before);
  });

  it('a publish sent as text/plain with a valid token writes nothing', async () => {
    const tarball = await makeTarball({ 'package.json': JSON.stringify({ name: 'plain-victim', version: '1.0.0' }) });
    const before = a.snapshot();
    const reply = await a.request('PUT', '/plain-victim', {
      token: a.user.token,
      rawBody: JSON.stringify(publishBody('plain-victim', '1.0.0', tarball)),
      headers: { 'content-type': 'text/plain;charset=UTF-8' },
    });
    expect(reply.status).toBe(415);
    expect(reply.body.error).toMatch(/^unsupported content type 'text\/plain;charset=UTF-8'; send JSON/);
    expect(a.snapshot()).toEqual(before);
    expect((await a.request('GET', '/plain-victim')).status).toBe(404);
  });

  it('the REST API does not read text/plain as JSON either', async () => {
    const before = a.snapshot();
    const reply = await a.request('POST', '/api/v1/auth/register', {
      rawBody: JSON.stringify({ username: 'eve2', password: 'eve-password-123', email: 'eve2@example.test' }),
      headers: { 'content-type': 'text/plain' },
    });
    expect(reply.status).toBe(415);
    expect(reply.body).toMatchObject({ error: 'invalid_request', status: 415 });
    expect(reply.body.message).toMatch(/unsupported content type 'text\/plain'/);
    expect(a.snapshot()).toEqual(before);
  });

  it('application/*+json types are JSON', async () => {
    const tarball = await makeTarball({ 'package.json': JSON.stringify({ name: 'suffix-json', version: '1.0.0' }) });
    const reply = await a.request('PUT', '/suffix-json', {
      token: a.user.token,
      body: publishBody('suffix-json', '1.0.0', tarball),
      headers: { 'content-type': 'application/vnd.npm.publish+json; charset=utf-8' },
    });
    expect(reply.status).toBe(201);
  });
});

describe('writes from a foreign Origin', () => {
  it('a publish with a valid token from another site is refused and writes nothing', async () => {
    const tarball = await makeTarball({ 'package.json': JSON.stringify({ name: 'csrf-victim', version: '1.0.0' }) });
    const before = a.snapshot();
    const reply = await a.request('PUT', '/csrf-victim', {
      token: a.user.token,
      body: publishBody('csrf-victim', '1.0.0', tarball),
      headers: { origin: EVIL },
    });
    expect(reply.status).toBe(403);
    expect(reply.body.error).toBe(
      `cross-site requests are refused: this PUT came from a web page at '${EVIL}', not from Shelf or a command-line client; nothing was changed`,
    );
    expect(a.snapshot()).toEqual(before);
  });

  it('a logout (DELETE of a token) from another site leaves the token working', async () => {
    const before = a.snapshot();
    const reply = await a.request('DELETE', `/-/user/token/${encodeURIComponent(a.user.token)}`, { headers: { origin: EVIL } });
    expect(reply.status).toBe(403);
    expect(reply.body.error).toMatch(/^cross-site requests are refused: this DELETE came from a web page at/);
    expect(a.snapshot()).toEqual(before);
    expect((await a.request('GET', '/-/whoami', { token: a.user.token })).body).toEqual({ username: a.user.name });
  });

  it("'Origin: null' (sandboxed frames, file: pages) counts as foreign", async () => {
    const before = a.snapshot();
    const reply = await a.request('PUT', '/-/user/org.couchdb.user:eve', { body: couchDocument('eve'), headers: { origin: 'null' } });
    expect(reply.status).toBe(403);
    expect(reply.body.error).toMatch(/web page at 'null'/);
    expect(a.snapshot()).toEqual(before);
  });

  it('a REST API registration from another site is refused in the API error shape', async () => {
    const before = a.snapshot();
    const reply = await a.request('POST', '/api/v1/auth/register', {
      body: { username: 'eve3', password: 'eve-password-123', email: 'eve3@example.test' },
      headers: { origin: EVIL },
    });
    expect(reply.status).toBe(403);
    expect(reply.body).toMatchObject({ error: 'permission_denied', status: 403 });
    expect(reply.body.message).toMatch(/^cross-site requests are refused: this POST came from a web page at/);
    expect(a.snapshot()).toEqual(before);
  });

  it('a look-alike origin (same host, other port or scheme) is foreign too', async () => {
    const url = new URL(a.url);
    for (const origin of [`http://${url.hostname}:${Number(url.port) + 1}`, `https://${url.host}`]) {
      const before = a.snapshot();
      const reply = await a.request('DELETE', `/-/user/token/${encodeURIComponent(a.user.token)}`, { headers: { origin } });
      expect(reply.status, origin).toBe(403);
      expect(a.snapshot()).toEqual(before);
    }
  });

  it('reads answer whatever the Origin (they change nothing)', async () => {
    const reply = await a.request('GET', '/-/ping', { headers: { origin: EVIL } });
    expect(reply.status).toBe(200);
  });

  it("writes from Shelf's own page and from clients that send no Origin are accepted", async () => {
    const own = await a.publish(a.user.token, 'own-origin-ok', '1.0.0');
    expect(own.status).toBe(201);
    const tarball = await makeTarball({ 'package.json': JSON.stringify({ name: 'own-page-ok', version: '1.0.0' }) });
    const fromPage = await a.request('PUT', '/own-page-ok', {
      token: a.user.token,
      body: publishBody('own-page-ok', '1.0.0', tarball),
      headers: { origin: a.url },
    });
    expect(fromPage.status).toBe(201);
  });

  it('the real npm client (no Origin header) publishes and installs as before', async () => {
    const npm = new NpmUser(a.shelf.registry);
    npm.setToken(a.user.token);
    const work = tempDir();
    const pkg = makePackage(join(work, 'pkg'), { name: 'npm-no-origin', version: '1.0.0' });
    const published = await npm.npm(['publish'], pkg);
    expect(published.stderr).not.toMatch(/cross-site/);
    expect(published.code).toBe(0);
    const app = join(work, 'app');
    mkdirSync(app);
    makePackage(app, { name: 'app', version: '1.0.0', private: true });
    const installed = await npm.npm(['install', 'npm-no-origin@1.0.0', '--no-audit'], app);
    expect(installed.code).toBe(0);
  });
});
