// Privilege per door (issue 11 item 5, issue 12 item 2): a package's maintainer is not its owner, whichever door she
// uses — npm protocol, /api/v1 or the UI's calls — and a refused publish leaves no blob behind.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAttacked, makeTarball, publishBody, type Attacked, type Reply } from './support';

let t: Attacked;
/** The owner of the packages under attack: an ordinary user, so admin rights never blur the result. */
let alice: string;

const revOf = async (name: string) => (await t.request('GET', `/${name.replace('/', '%2f')}`, { token: alice })).body._rev as string;

async function refusedUnchanged(attempt: () => Promise<Reply>, status: number, message: RegExp): Promise<Reply> {
  const before = t.snapshot();
  const reply = await attempt();
  expect(reply.status, reply.text).toBe(status);
  expect(reply.text).toMatch(message);
  expect(t.snapshot()).toEqual(before);
  return reply;
}

beforeAll(async () => {
  t = await startAttacked();
  const login = await t.couchLogin('alice', 'alice-password-123');
  expect(login.status).toBe(201);
  alice = login.body.token;
  for (const name of ['lib-a', '@alice/scoped', 'solo']) expect((await t.publish(alice, name, '1.0.0')).status).toBe(201);
  expect((await t.publish(alice, 'lib-a', '1.1.0')).status).toBe(201);
  for (const name of ['lib-a', '@alice/scoped']) {
    const added = await t.request('PUT', `/api/v1/packages/${encodeURIComponent(name)}/owners`, {
      token: alice,
      body: { username: t.user.name, role: 'maintainer' },
    });
    expect(added.status, added.text).toBe(201);
  }
}, 60_000);
afterAll(async () => t?.close());

const notOwner = /you are a maintainer of 'lib-a', and only its owners \(or an admin\) may/;

describe('a maintainer is refused what the table keeps for owners, through every door', () => {
  it('npm protocol: cannot replace the owners (the reported attack), unpublish the package or a version', async () => {
    const rev = await revOf('lib-a');
    await refusedUnchanged(
      () =>
        t.request('PUT', `/lib-a/-rev/${rev}`, {
          token: t.user.token,
          body: { _id: 'lib-a', _rev: rev, maintainers: [{ name: t.user.name }] },
        }),
      403,
      notOwner,
    );
    await refusedUnchanged(
      () => t.request('DELETE', `/lib-a/-rev/${rev}`, { token: t.user.token }),
      403,
      /only its owners \(or an admin\) may unpublish the whole package/,
    );
    const doc = (await t.request('GET', '/lib-a', { token: alice })).body;
    delete doc.versions['1.1.0'];
    await refusedUnchanged(
      () => t.request('PUT', `/lib-a/-rev/${rev}`, { token: t.user.token, body: doc }),
      403,
      /only its owners \(or an admin\) may unpublish its versions/,
    );
    await refusedUnchanged(() => t.request('DELETE', '/-/package/lib-a/owners/alice', { token: t.user.token }), 403, notOwner);
    await refusedUnchanged(
      () => t.request('POST', '/-/package/@alice%2fscoped/access', { token: t.user.token, body: { access: 'restricted' } }),
      403,
      /only its owners \(or an admin\) may change its access/,
    );
  });

  it('/api/v1: cannot remove the owner, add owners or delete a version outright', async () => {
    await refusedUnchanged(() => t.request('DELETE', '/api/v1/packages/lib-a/owners/alice', { token: t.user.token }), 403, notOwner);
    await refusedUnchanged(
      () => t.request('PUT', '/api/v1/packages/lib-a/owners', { token: t.user.token, body: { username: t.admin.name } }),
      403,
      notOwner,
    );
    await refusedUnchanged(
      () => t.request('DELETE', '/api/v1/packages/lib-a/1.0.0?hard=true&confirm=lib-a@1.0.0', { token: t.user.token }),
      403,
      /only its owners \(or an admin\) may unpublish its versions/,
    );
  });

  it('UI calls: cannot remove the owner or unpublish a version', async () => {
    await refusedUnchanged(() => t.rpc('package.removeOwner', { name: 'lib-a', username: 'alice' }, 'user'), 403, notOwner);
    await refusedUnchanged(
      () => t.rpc('package.unpublishVersion', { name: 'lib-a', version: '1.0.0' }, 'user'),
      403,
      /only its owners \(or an admin\) may unpublish its versions/,
    );
  });

  it('may still do what the table gives maintainers: tag and publish versions', async () => {
    expect((await t.request('PUT', '/-/package/lib-a/dist-tags/beta', { token: t.user.token, body: '1.0.0' })).status).toBe(201);
    expect((await t.publish(t.user.token, 'lib-a', '1.2.0')).status).toBe(201);
    // A deprecation sent as the whole document with its revision (as some clients do) removes no version: allowed.
    const doc = (await t.request('GET', '/lib-a', { token: alice })).body;
    doc.versions['1.0.0'].deprecated = 'use 1.2.0';
    expect((await t.request('PUT', `/lib-a/-rev/${doc._rev}`, { token: t.user.token, body: doc })).status).toBe(200);
    expect((await t.request('GET', '/lib-a/1.0.0')).body.deprecated).toBe('use 1.2.0');
  });
});

describe('owners', () => {
  it('never lose the last owner, even when an owner asks through npm', async () => {
    const rev = await revOf('lib-a');
    // alice is the only owner; mallory only maintains: a list without alice leaves no owner.
    await refusedUnchanged(
      () =>
        t.request('PUT', `/lib-a/-rev/${rev}`, { token: alice, body: { _id: 'lib-a', _rev: rev, maintainers: [{ name: t.user.name }] } }),
      400,
      /would leave 'lib-a' without an owner; add another owner first/,
    );
    await refusedUnchanged(
      () => t.request('DELETE', '/-/package/lib-a/owners/alice', { token: alice }),
      400,
      /alice is the last owner of lib-a/,
    );
  });
});

describe('a refused publish is refused before its tarball is stored (issue 12 item 2)', () => {
  it('a stranger publishing a version of a package leaves no blob', async () => {
    const tarball = await makeTarball({
      'package.json': JSON.stringify({ name: 'solo', version: '2.0.0' }),
      'big.txt': 'x'.repeat(50_000),
    });
    await refusedUnchanged(
      () => t.request('PUT', '/solo', { token: t.user.token, body: publishBody('solo', '2.0.0', tarball) }),
      403,
      /you are not a maintainer of 'solo', so you cannot publish it/,
    );
    const api = { name: 'solo', version: '2.0.0', tarball: tarball.toString('base64') };
    await refusedUnchanged(
      () => t.request('POST', '/api/v1/packages', { token: t.user.token, body: api }),
      403,
      /not a maintainer of 'solo'/,
    );
  });
});
