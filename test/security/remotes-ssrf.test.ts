// Issue 11, item 4 (remote registries): any signed-in user could add, change or remove remotes (overwriting the stored
// token), point Shelf at internal addresses, read what they answered in the error, and tell a closed port from an open
// one. Against a real `shelf serve` with a stand-in internal service on loopback that records every request: remotes
// are admin-only; loopback/private/link-local/multicast targets are refused (by literal and by what a name resolves
// to) with the internal service receiving nothing, unless the operator started Shelf with --allow-private-remotes;
// a remote's response body never appears in a message; every network failure reads the same.
import { existsSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isPublicAddress } from '../../src/main/services/remotes/address-guard';
import { startAttacked, type Attacked } from './support';

const INTERNAL_SECRET = 'internal-metadata-secret-51c9';

/** The internal service an attacker wants to reach: answers like a registry, with a secret in every body. */
let internal: Server;
let internalUrl: string;
let seen: { method: string; url: string }[] = [];
/** What the next whoami / login / publish answers. */
let whoamiStatus = 200;
let publishStatus = 201;

/** A port that accepts and drops every connection, and one nothing listens on. */
let dropping: Server;
let droppingUrl: string;
let closedUrl: string;

let shelf: Attacked;
let permissive: Attacked;

const listen = (server: Server) =>
  new Promise<string>((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`)),
  );

beforeAll(async () => {
  internal = createServer((req: IncomingMessage, res) => {
    seen.push({ method: req.method ?? '', url: req.url ?? '' });
    req.resume();
    const json = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (req.url === '/-/ping') return json(200, { secret: INTERNAL_SECRET });
    if (req.url === '/-/whoami')
      return whoamiStatus === 200 ? json(200, { username: 'remote-user' }) : json(whoamiStatus, { error: INTERNAL_SECRET });
    if (req.url?.startsWith('/-/user/')) return json(403, { error: INTERNAL_SECRET, reason: INTERNAL_SECRET });
    if (req.method === 'PUT') return json(publishStatus, { error: INTERNAL_SECRET });
    return res.writeHead(500, { 'content-type': 'text/plain' }).end(INTERNAL_SECRET);
  });
  internalUrl = await listen(internal);
  dropping = createServer();
  dropping.on('connection', (socket) => socket.destroy());
  droppingUrl = await listen(dropping);
  const closed = createServer();
  closedUrl = await listen(closed);
  await new Promise((r) => closed.close(r));
  [shelf, permissive] = await Promise.all([startAttacked(), startAttacked(['--allow-private-remotes'])]);
}, 60_000);

afterAll(async () => {
  await Promise.all([shelf?.close(), permissive?.close()]);
  await Promise.all([new Promise((r) => internal?.close(r)), new Promise((r) => dropping?.close(r))]);
});

beforeEach(() => {
  seen = [];
  whoamiStatus = 200;
  publishStatus = 201;
});

const remotesFile = (s: Attacked) => join(s.shelf.dataDir, 'registries.json');

describe('remote registries are for admins', () => {
  it('a non-admin cannot add one: refused before any request, nothing stored', async () => {
    const before = shelf.snapshot();
    const answer = await shelf.rpc('registries.add', { url: internalUrl, token: 'mallory-token' }, 'user');
    expect(answer.status).toBe(403);
    expect(answer.body).toEqual({
      error:
        "only an admin may add a remote registry (remotes and their stored tokens belong to the whole Shelf); ask the registry's admin",
      code: 'permission_denied',
    });
    expect(seen).toEqual([]);
    expect(existsSync(remotesFile(shelf))).toBe(false);
    expect(shelf.snapshot()).toEqual(before);
  });

  it("a non-admin cannot remove one or see them (so cannot replace another's token either)", async () => {
    whoamiStatus = 200;
    const added = await permissive.rpc('registries.add', { url: internalUrl, token: 'admins-token-1234' }, 'admin');
    expect(added.status).toBe(200);
    const removal = await permissive.rpc('registries.remove', { id: added.body.id }, 'user');
    expect(removal.status).toBe(403);
    expect(removal.body.error).toBe("only an admin may remove a remote registry; ask the registry's admin");
    const overwrite = await permissive.rpc('registries.add', { url: internalUrl, token: 'mallorys-token' }, 'user');
    expect(overwrite.status).toBe(403);
    const listed = await permissive.rpc('registries.list', {}, 'user');
    expect(listed.status).toBe(200);
    expect(listed.body.registries.map((r: { id: string }) => r.id)).toEqual(['local']);
    // The admin's remote and token are untouched.
    const adminView = await permissive.rpc('registries.list', {}, 'admin');
    expect(adminView.body.registries.find((r: { id: string }) => r.id === added.body.id)).toMatchObject({
      tokenLastFour: '1234',
      signedInAs: 'remote-user',
    });
    expect((await permissive.rpc('registries.remove', { id: added.body.id }, 'admin')).status).toBe(200);
  });
});

describe('internal targets are refused unless the operator allows them', () => {
  const port = () => new URL(internalUrl).port;
  const refusal = (host: string) =>
    `remote registries on loopback, private, link-local or multicast addresses are refused (${host}); ` +
    "the server's operator can allow them with --allow-private-remotes";

  it.each([
    ['loopback literal', () => internalUrl, () => `127.0.0.1:${port()}`],
    ['a name that resolves to loopback (checked at connection time)', () => `http://localhost:${port()}/`, () => `localhost:${port()}`],
    ['IPv6 loopback', () => `http://[::1]:${port()}/`, () => `[::1]:${port()}`],
    ['IPv4-mapped IPv6 loopback', () => `http://[::ffff:127.0.0.1]:${port()}/`, () => `[::ffff:7f00:1]:${port()}`],
    ['the unspecified address', () => `http://0.0.0.0:${port()}/`, () => `0.0.0.0:${port()}`],
    ['cloud metadata (link-local)', () => 'http://169.254.169.254/', () => '169.254.169.254'],
    ['a private network', () => 'http://10.1.2.3:8080/', () => '10.1.2.3:8080'],
    ['multicast', () => 'http://224.0.0.1/', () => '224.0.0.1'],
  ])('%s: 403 with the rule, no request reaches the service, nothing stored', async (_what, url, host) => {
    const before = shelf.snapshot();
    const answer = await shelf.rpc('registries.add', { url: url(), token: 'admins-token' }, 'admin');
    expect(answer.status).toBe(403);
    expect(answer.body).toEqual({ error: refusal(host()), code: 'permission_denied' });
    expect(seen).toEqual([]);
    expect(existsSync(remotesFile(shelf))).toBe(false);
    expect(shelf.snapshot()).toEqual(before);
  });

  it('the username/password form is refused the same way, before the password is sent anywhere', async () => {
    const answer = await shelf.rpc('registries.add', { url: internalUrl, username: 'root', password: 'hunter2' }, 'admin');
    expect(answer.status).toBe(403);
    expect(answer.body.error).toBe(refusal(`127.0.0.1:${port()}`));
    expect(seen).toEqual([]);
  });

  it('with --allow-private-remotes the same address is added (the operator chose it)', async () => {
    const answer = await permissive.rpc('registries.add', { url: internalUrl, token: 'operator-token' }, 'admin');
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ url: internalUrl, online: true, signedInAs: 'remote-user', tokenLastFour: 'oken' });
    expect(seen.map((r) => r.url)).toEqual(['/-/ping', '/-/whoami']);
    expect(existsSync(remotesFile(permissive))).toBe(true);
    expect((await permissive.rpc('registries.remove', { id: answer.body.id }, 'admin')).status).toBe(200);
  });
});

describe("a remote's answers are never reflected, and failures all read alike", () => {
  it('a refused token: the status, not the body', async () => {
    whoamiStatus = 401;
    const answer = await permissive.rpc('registries.add', { url: internalUrl, token: 'wrong-token' }, 'admin');
    expect(answer.status).toBe(400);
    expect(answer.body.error).toBe('the token was refused (401); paste a valid token');
    expect(answer.text).not.toContain(INTERNAL_SECRET);
  });

  it('a failed sign-in: the status, not the body', async () => {
    const answer = await permissive.rpc('registries.add', { url: internalUrl, username: 'u', password: 'p' }, 'admin');
    expect(answer.status).toBe(400);
    expect(answer.body.error).toBe(`signing in to ${internalUrl} failed (403); check the username and password`);
    expect(answer.text).not.toContain(INTERNAL_SECRET);
  });

  it('a refused publish: the status, not the body', async () => {
    const added = await permissive.rpc('registries.add', { url: internalUrl, token: 'publish-token' }, 'admin');
    expect(added.status).toBe(200);
    publishStatus = 400;
    const files = [{ path: 'package.json', data: Buffer.from(JSON.stringify({ name: 'to-remote', version: '1.0.0' })).toString('base64') }];
    const answer = await permissive.rpc('publish.run', { upload: { name: 'to-remote', files }, registryId: added.body.id }, 'admin');
    expect(answer.status).toBe(400);
    expect(answer.body.error).toBe(`${internalUrl} refused the publish of to-remote@1.0.0 (400)`);
    expect(answer.text).not.toContain(INTERNAL_SECRET);
    expect((await permissive.rpc('registries.remove', { id: added.body.id }, 'admin')).status).toBe(200);
  });

  it('a closed port and a port that drops the connection give the same answer (no port scanner)', async () => {
    const answers = [];
    for (const url of [closedUrl, droppingUrl]) {
      const answer = await permissive.rpc('registries.add', { url, token: 't' }, 'admin');
      answers.push({ status: answer.status, code: answer.body.code, error: answer.body.error.replace(url, 'URL') });
    }
    expect(answers[0]).toEqual({
      status: 502,
      code: 'upstream_failed',
      error: 'could not reach URL (no answer in time, or the connection failed); check the address and that it is online',
    });
    expect(answers[1]).toEqual(answers[0]);
  });
});

describe('which addresses count as public (the rule every resolved address is held to)', () => {
  it.each(['8.8.8.8', '1.1.1.1', '93.184.215.14', '2606:4700:4700::1111', '::ffff:8.8.8.8'])('%s is public', (address) => {
    expect(isPublicAddress(address)).toBe(true);
  });

  it.each([
    '127.0.0.1',
    '127.255.0.9',
    '10.0.0.1',
    '172.16.5.4',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '0.0.0.0',
    '255.255.255.255',
    '224.0.0.1',
    '::1',
    '::',
    'fe80::1',
    'fd00::1',
    'ff02::1',
    '::ffff:127.0.0.1',
    '::ffff:10.0.0.1',
    '64:ff9b::7f00:1',
    '2002:7f00:1::',
    'not-an-address',
  ])('%s is not', (address) => {
    expect(isPublicAddress(address)).toBe(false);
  });
});
