// Namespaces (issue 11 item 7): a scope is its first publisher's (admins grant others), and a wholly unpublished name
// stays reserved for its former owners (--unpublish-reserve), so nobody takes it over the moment it frees.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTarball, startAttacked, type Attacked, type Reply } from './support';

let t: Attacked;
let alice: string;

async function refusedUnchanged(attempt: () => Promise<Reply>, status: number, message: RegExp): Promise<void> {
  const before = t.snapshot();
  const reply = await attempt();
  expect(reply.status, reply.text).toBe(status);
  expect(reply.text).toMatch(message);
  expect(t.snapshot()).toEqual(before);
}

const apiPublish = async (token: string, name: string, version: string) =>
  t.request('POST', '/api/v1/packages', {
    token,
    body: { name, version, tarball: (await makeTarball({ 'package.json': JSON.stringify({ name, version }) })).toString('base64') },
  });

beforeAll(async () => {
  t = await startAttacked();
  alice = (await t.couchLogin('alice', 'alice-password-123')).body.token;
  expect((await t.publish(alice, '@alice/first', '1.0.0')).status).toBe(201);
}, 60_000);
afterAll(async () => t?.close());

describe('scopes', () => {
  it("refuses a new package in another user's scope, through npm and /api/v1", async () => {
    const message = /the scope @alice belongs to alice, so you cannot publish new packages into it/;
    await refusedUnchanged(() => t.publish(t.user.token, '@alice/evil', '1.0.0'), 403, message);
    await refusedUnchanged(() => apiPublish(t.user.token, '@alice/evil', '1.0.0'), 403, message);
  });

  it('lets only an admin grant a scope, and the grantee then publishes', async () => {
    await refusedUnchanged(
      () => t.request('PUT', '/api/v1/scopes/@alice/owners', { token: t.user.token, body: { username: t.user.name } }),
      403,
      /only an admin may grant a scope to other users/,
    );
    await refusedUnchanged(
      () => t.request('PUT', '/api/v1/scopes/@alice/owners', { token: alice, body: { username: t.user.name } }),
      403,
      /only an admin may grant a scope/,
    );
    const granted = await t.request('PUT', '/api/v1/scopes/@alice/owners', { token: t.admin.token, body: { username: t.user.name } });
    expect(granted.status, granted.text).toBe(201);
    expect(granted.body.owners.map((o: { username: string }) => o.username)).toEqual(['alice', t.user.name]);
    expect((await t.publish(t.user.token, '@alice/granted', '1.0.0')).status).toBe(201);
  });

  it('gives an unowned scope to its first publisher', async () => {
    expect((await t.publish(t.user.token, '@mallory/tool', '1.0.0')).status).toBe(201);
    const owners = await t.request('GET', '/api/v1/scopes/@mallory/owners');
    expect(owners.body.owners.map((o: { username: string }) => o.username)).toEqual([t.user.name]);
    await refusedUnchanged(() => t.publish(alice, '@mallory/squat', '1.0.0'), 403, /the scope @mallory belongs to mallory/);
  });
});

describe('unpublished names', () => {
  it('stay reserved for their former owners', async () => {
    expect((await t.publish(alice, 'takeover-me', '1.0.0')).status).toBe(201);
    const rev = (await t.request('GET', '/takeover-me')).body._rev;
    expect((await t.request('DELETE', `/takeover-me/-rev/${rev}`, { token: alice })).status).toBe(200);
    await refusedUnchanged(
      () => t.publish(t.user.token, 'takeover-me', '2.0.0'),
      403,
      /'takeover-me' was unpublished recently and stays reserved for its former owners until \d{4}-/,
    );
    await refusedUnchanged(() => apiPublish(t.user.token, 'takeover-me', '2.0.0'), 403, /stays reserved for its former owners/);
    // Its owner may take it back (a new version: the old one stays retired, as on npm).
    expect((await t.publish(alice, 'takeover-me', '2.0.0')).status).toBe(201);
  });

  it('free up after the --unpublish-reserve time', async () => {
    const short = await startAttacked(['--unpublish-reserve', '1ms']);
    try {
      const owner = (await short.couchLogin('alice', 'alice-password-123')).body.token;
      expect((await short.publish(owner, 'brief', '1.0.0')).status).toBe(201);
      const rev = (await short.request('GET', '/brief')).body._rev;
      expect((await short.request('DELETE', `/brief/-rev/${rev}`, { token: owner })).status).toBe(200);
      // A publish is a round trip of many milliseconds, so the 1 ms reserve has passed when it arrives.
      expect((await short.publish(short.user.token, 'brief', '2.0.0')).status).toBe(201);
    } finally {
      await short.close();
    }
  });
});
