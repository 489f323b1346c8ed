// The same handler table behind both transports, called through dispatch as each transport calls it: the desktop
// window (IPC, isLocalOwner) may name folders on its own machine even when its signed-in account is not an admin; the
// browser transport with that same account may not, and gets the one refusal whether the path exists or not. Remote
// registries follow the same split: the desktop owner's own network is reachable, a browser caller's is not.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dispatch, memorySession, toCallFailure, type CallContext, type Handlers } from '../../../src/main/rpc/dispatch';
import { startHarness, type Harness } from '../../helpers/app-harness';

let h: Harness;
let handlers: Handlers;
let work: string;
let folder: string;
let userId: number;
let adminId: number;
let remote: Server;
let remoteUrl: string;
let remoteRequests = 0;

const ipc = (id: number): CallContext => {
  const session = memorySession();
  session.signIn(id);
  return { transport: 'ipc', isLocalOwner: true, session, client: 'local' };
};
const browser = (id: number): CallContext => {
  const session = memorySession();
  session.signIn(id);
  return { transport: 'http', isLocalOwner: false, session, client: '127.0.0.1' };
};

async function failure(promise: Promise<unknown>) {
  try {
    await promise;
  } catch (error) {
    return toCallFailure(error);
  }
  throw new Error('expected the call to fail');
}

beforeAll(async () => {
  h = await startHarness();
  handlers = await h.app.handlers();
  const setupToken = (await h.app.setupLink())!.split('#setup=')[1]!;
  await dispatch(
    handlers,
    'setup.createAdmin',
    { setupToken, username: 'owner', password: 'owner-password-1', email: 'o@example.test' },
    browser(0),
  );
  adminId = (await h.app.services.auth.findUser('owner'))!.id;
  await h.login('desk-user');
  userId = (await h.app.services.auth.findUser('desk-user'))!.id;
  work = mkdtempSync(join(tmpdir(), 'shelf-ipc-paths-'));
  folder = join(work, 'desk-pkg');
  mkdirSync(folder);
  writeFileSync(join(folder, 'package.json'), JSON.stringify({ name: 'desk-pkg', version: '1.0.0', license: 'MIT', description: 'd' }));
  writeFileSync(join(folder, 'index.js'), 'module.exports = 1;\n');
  remote = createServer((req, res) => {
    remoteRequests++;
    req.resume();
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ username: 'lan-user' }));
  });
  remoteUrl = await new Promise<string>((r) =>
    remote.listen(0, '127.0.0.1', () => r(`http://127.0.0.1:${(remote.address() as AddressInfo).port}/`)),
  );
});

afterAll(async () => {
  await h?.close();
  await new Promise((r) => remote?.close(r));
  rmSync(work, { recursive: true, force: true });
});

describe('server paths through the same handlers', () => {
  it('the desktop window (IPC) inspects, publishes and resolves a folder on its machine, for a non-admin account too', async () => {
    const preview = (await dispatch(handlers, 'publish.inspect', { path: folder }, ipc(userId))) as { name: string; problems: string[] };
    expect(preview).toMatchObject({ name: 'desk-pkg', problems: [] });
    const outcome = await dispatch(handlers, 'publish.run', { path: folder }, ipc(userId));
    expect(outcome).toMatchObject({ name: 'desk-pkg', version: '1.0.0', verified: true });
    const graph = (await dispatch(handlers, 'graph.resolve', { kind: 'folder', path: folder }, ipc(userId))) as { nodes: unknown[] };
    expect(graph.nodes).toHaveLength(1);
  });

  it('the same account over the browser transport is refused, identically for an existing and a missing folder, nothing written', async () => {
    const before = await h.snapshot();
    const refusals = [];
    for (const path of [folder, join(work, 'missing')]) {
      refusals.push(await failure(dispatch(handlers, 'publish.inspect', { path }, browser(userId))));
      refusals.push(await failure(dispatch(handlers, 'publish.run', { path }, browser(userId))));
      refusals.push(await failure(dispatch(handlers, 'graph.resolve', { kind: 'folder', path }, browser(userId))));
    }
    for (const refusal of refusals)
      expect(refusal).toEqual({
        code: 'permission_denied',
        status: 403,
        message: "only an admin may have Shelf read a folder on the server's disk; upload the folder's files instead",
      });
    expect(await h.snapshot()).toEqual(before);
  });

  it("an admin over the browser transport may name the server's folders", async () => {
    expect(await dispatch(handlers, 'publish.inspect', { path: folder }, browser(adminId))).toMatchObject({ name: 'desk-pkg' });
  });
});

describe('remote registries through the same handlers', () => {
  it('the desktop owner may add a registry on their own network; a browser admin may not (no --allow-private-remotes)', async () => {
    remoteRequests = 0;
    const refused = await failure(dispatch(handlers, 'registries.add', { url: remoteUrl, token: 'lan-token' }, browser(adminId)));
    expect(refused.status).toBe(403);
    expect(refused.message).toContain('remote registries on loopback, private, link-local or multicast addresses are refused');
    expect(remoteRequests).toBe(0);

    const added = (await dispatch(handlers, 'registries.add', { url: remoteUrl, token: 'lan-token' }, ipc(adminId))) as { id: string };
    expect(added).toMatchObject({ url: remoteUrl, online: true, signedInAs: 'lan-user' });
    expect(remoteRequests).toBe(2);
    await dispatch(handlers, 'registries.remove', { id: added.id }, ipc(adminId));
  });

  it('a non-admin account may not add one even from the desktop window (remotes belong to the whole Shelf)', async () => {
    const refused = await failure(dispatch(handlers, 'registries.add', { url: remoteUrl, token: 't' }, ipc(userId)));
    expect(refused).toMatchObject({ code: 'permission_denied', status: 403 });
  });
});
