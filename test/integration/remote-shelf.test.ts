// The screens acting on a remote Shelf, through the forwarding client: two real `shelf serve` processes on loopback,
// the local one driven over its browser-mode RPC as its page would (its Origin, its session cookie). What the user may do
// on the remote is decided by the remote; its session ending, and the remote going away, each read as one clear message.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENTS_PATH, RPC_PATH } from '../../src/shared/contract';
import { couchUserDocument, packageTarball, publishBody } from '../helpers/app-harness';
import { startFakeUpstream } from '../helpers/fake-upstream';
import { startShelf, type RunningShelf } from '../helpers/shelf-process';

const ADMIN = { username: 'admin', email: 'admin@example.test', password: 'correct horse battery' };
const DEV = { username: 'dev', password: 'dev-password-on-remote' };

/** A page of `origin`: sends its Origin and keeps the session cookie it is given. */
function page(origin: string) {
  let cookie: string | undefined;
  const call = async (name: string, args: unknown = {}) => {
    const response = await fetch(`${origin}${RPC_PATH}/${name}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin, ...(cookie ? { cookie } : {}) },
      body: JSON.stringify(args),
    });
    for (const line of response.headers.getSetCookie()) cookie = line.split(';')[0];
    return { status: response.status, body: (await response.json()) as Record<string, unknown> & { error?: string } };
  };
  return { call, cookie: () => cookie };
}

async function createAdmin(shelf: RunningShelf): Promise<void> {
  const setupToken = new URL(shelf.setupLink!).hash.replace(/^#setup=/, '');
  const answer = await page(shelf.url).call('setup.createAdmin', { ...ADMIN, setupToken });
  expect(answer.status).toBe(200);
}

/** An npm user (couch login, as `npm adduser`), returning their token. */
async function npmUser(shelf: RunningShelf, name: string, password: string): Promise<string> {
  const response = await fetch(`${shelf.url}/-/user/org.couchdb.user:${name}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(couchUserDocument(name, password)),
  });
  const body = (await response.json()) as { token?: string };
  expect(response.status).toBe(201);
  return body.token!;
}

async function npmPublish(shelf: RunningShelf, token: string, name: string, version: string): Promise<void> {
  const response = await fetch(`${shelf.url}/${name}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'npm-command': 'publish' },
    body: JSON.stringify(publishBody(name, version, await packageTarball(name, version))),
  });
  expect(response.status).toBe(201);
}

/** Every file of a folder with its bytes: what "nothing was written" is checked against. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (at: string) => {
    for (const name of readdirSync(at)) {
      const path = join(at, name);
      if (statSync(path).isDirectory()) walk(path);
      // SQLite's shared-memory index is no data: readers move their read marks in it once a sign-in (a session row,
      // now in the database) has grown the log, so it is left out; the database and its log are compared.
      else if (!name.endsWith('-shm')) out[path.slice(dir.length)] = readFileSync(path).toString('base64');
    }
  };
  walk(dir);
  return out;
}

let local: RunningShelf;
let remote: RunningShelf;
let remoteDir: string;
let ui: ReturnType<typeof page>;
let remoteId: string;
let work: string;

beforeAll(async () => {
  remoteDir = mkdtempSync(join(tmpdir(), 'shelf-remote-'));
  work = mkdtempSync(join(tmpdir(), 'shelf-remote-work-'));
  // No D-Bus: nothing of the test may land in the keychain of the machine running it.
  const env = { DBUS_SESSION_BUS_ADDRESS: undefined };
  [local, remote] = await Promise.all([startShelf(['--allow-private-remotes'], { env }), startShelf([], { dataDir: remoteDir, env })]);
  await Promise.all([createAdmin(local), createAdmin(remote)]);
  const devToken = await npmUser(remote, DEV.username, DEV.password);
  const localToken = await npmUser(local, 'someone', 'someone-password-1');
  await npmPublish(remote, devToken, 'remote-only-pkg', '1.0.0');
  await npmPublish(local, localToken, 'local-only-pkg', '1.0.0');
  ui = page(local.url);
  expect((await ui.call('session.signIn', { username: ADMIN.username, password: ADMIN.password })).status).toBe(200);
  const added = await ui.call('registries.add', { url: remote.registry });
  expect(added.status).toBe(200);
  remoteId = added.body.id as string;
}, 60_000);

afterAll(async () => {
  await Promise.all([local?.stop(), remote?.stop()]);
  rmSync(remoteDir, { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
});

describe('a remote Shelf as the active registry', () => {
  it('refuses a wrong password with the remote’s message, and keeps nothing', async () => {
    const before = snapshot(local.dataDir);
    const answer = await ui.call('registries.signIn', { id: remoteId, username: DEV.username, password: 'not the password' });
    expect(answer.status).toBe(401);
    expect(answer.body.error).toBe(`signing in to ${remote.registry} failed: incorrect username or password`);
    const list = await ui.call('registries.list');
    expect(list.body.remoteSessions).toEqual([]);
    expect(list.body.activeId).toBe('local');
    // Without a sign-in the remote cannot become active either.
    const activate = await ui.call('registries.activate', { id: remoteId });
    expect(activate.status).toBe(401);
    expect(activate.body.error).toMatch(new RegExp(`^sign in to ${remote.registry} again`));
    expect(snapshot(local.dataDir)).toEqual(before);
  });

  it('lets only those who see the remotes (admins, the desktop app’s user) sign in to one or switch to it', async () => {
    const other = page(local.url);
    expect((await other.call('session.signIn', { username: 'someone', password: 'someone-password-1' })).status).toBe(200);
    const before = snapshot(local.dataDir);
    const signIn = await other.call('registries.signIn', { id: remoteId, username: DEV.username, password: DEV.password });
    expect(signIn.status).toBe(403);
    expect(signIn.body.error).toBe('only an admin may use a remote registry from this Shelf; ask its admin');
    const activate = await other.call('registries.activate', { id: remoteId });
    expect(activate.status).toBe(403);
    expect((await other.call('registries.list')).body).toMatchObject({ activeId: 'local', remoteSessions: [] });
    expect(snapshot(local.dataDir)).toEqual(before);
  });

  it('signs in as the user’s own account there and shows the remote’s packages, not this Shelf’s', async () => {
    const signedIn = await ui.call('registries.signIn', { id: remoteId, username: DEV.username, password: DEV.password });
    expect(signedIn.body).toEqual({ id: remoteId, url: remote.registry, username: 'dev', isAdmin: false });
    expect((await ui.call('registries.activate', { id: remoteId })).body).toEqual({ activeId: remoteId });
    const list = await ui.call('registries.list');
    expect(list.body.activeId).toBe(remoteId);
    expect(list.body.remoteSessions).toEqual([{ id: remoteId, url: remote.registry, username: 'dev', isAdmin: false }]);
    // The password is in no file of this Shelf.
    for (const text of Object.values(snapshot(local.dataDir)))
      expect(Buffer.from(text, 'base64').includes(Buffer.from(DEV.password))).toBe(false);

    const search = await ui.call('search.query', { text: 'pkg' });
    expect((search.body.results as { name: string }[]).map((r) => r.name)).toEqual(['remote-only-pkg']);
    const details = await ui.call('package.details', { name: 'remote-only-pkg' });
    expect(details.status).toBe(200);
    expect(details.body.name).toBe('remote-only-pkg');
    const missing = await ui.call('package.details', { name: 'local-only-pkg' });
    expect(missing.status).toBe(404);
    expect(missing.body.error).toMatch(new RegExp(`^${remote.registry}: `));
  });

  it('answers activity and the dependency graph from the remote, a project folder of this machine included', async () => {
    const activity = await ui.call('activity.summary');
    const published = (activity.body.recentPublishes as { name: string }[]).map((p) => p.name);
    expect(published).toContain('remote-only-pkg');
    expect(published).not.toContain('local-only-pkg');
    const graph = await ui.call('graph.resolve', { kind: 'package', name: 'remote-only-pkg' });
    expect(graph.status).toBe(200);
    expect((graph.body.nodes as { name: string }[]).map((n) => n.name)).toContain('remote-only-pkg');
    // A folder here: its package.json goes to the remote, which resolves the dependency from its own packages.
    const project = join(work, 'project');
    mkdirSync(join(project, 'node_modules', 'x'), { recursive: true });
    writeFileSync(
      join(project, 'package.json'),
      JSON.stringify({ name: 'project', version: '1.0.0', dependencies: { 'remote-only-pkg': '^1.0.0' } }),
    );
    writeFileSync(join(project, 'node_modules', 'x', 'package.json'), '{"name":"x","version":"1.0.0"}');
    const folder = await ui.call('graph.resolve', { kind: 'folder', path: project });
    expect(folder.status).toBe(200);
    expect((folder.body.nodes as { name: string; version: string }[]).map((n) => `${n.name}@${n.version}`)).toContain(
      'remote-only-pkg@1.0.0',
    );
  });

  it('leaves rights to the remote: a non-admin is refused its admin calls, with its message, and nothing changes there', async () => {
    const refused = await ui.call('mirror.setOffline', { offline: true });
    expect(refused.status).toBe(403);
    expect(refused.body.error).toBe(`${remote.registry}: only an admin may switch the mirror on or offline; ask the registry's admin`);
    const remoteAdmin = page(remote.url);
    await remoteAdmin.call('session.signIn', { username: ADMIN.username, password: ADMIN.password });
    expect((await remoteAdmin.call('mirror.status')).body.offline).toBe(false);
    // Yet the same user is this Shelf's admin: the local rights count for nothing on the remote.
    expect((await ui.call('session.whoami')).body.user).toEqual({ username: 'admin', isAdmin: true });
  });

  it('creates and lists the remote account’s tokens, which then work on the remote', async () => {
    const created = await ui.call('tokens.create', { name: 'from-desktop', scope: 'read' });
    expect(created.status).toBe(200);
    const secret = created.body.secret as string;
    const who = await fetch(`${remote.url}/-/whoami`, { headers: { authorization: `Bearer ${secret}` } });
    expect(((await who.json()) as { username: string }).username).toBe('dev');
    const listed = await ui.call('tokens.list');
    expect((listed.body.tokens as { name: string }[]).map((t) => t.name)).toContain('from-desktop');
  });

  it('publishes a folder of this machine to the remote, as the remote user, and relays the remote’s event', async () => {
    const events = await fetch(`${local.url}${EVENTS_PATH}`, { headers: { cookie: ui.cookie()! } });
    const reader = events.body!.getReader();
    const dir = join(work, 'pub');
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, 'package.json'),
      JSON.stringify({ name: 'from-desktop-pkg', version: '1.2.3', license: 'MIT', description: 'x' }),
    );
    writeFileSync(join(dir, 'index.js'), 'module.exports = 42;\n');
    const published = await ui.call('publish.run', { path: dir });
    expect(published.status).toBe(200);
    expect(published.body).toMatchObject({ name: 'from-desktop-pkg', version: '1.2.3', verified: true });
    const packument = await fetch(`${remote.url}/from-desktop-pkg`);
    expect(packument.status).toBe(200);
    expect(((await packument.json()) as { maintainers: { name: string }[] }).maintainers.map((m) => m.name)).toEqual(['dev']);
    expect((await fetch(`${local.url}/from-desktop-pkg`)).status).toBe(404);
    // The remote said "packages changed"; this Shelf passed it on to the user's page.
    let seen = '';
    for (let i = 0; i < 50 && !seen.includes('event: packages'); i++) {
      const { value, done } = await reader.read();
      if (done) break;
      seen += new TextDecoder().decode(value);
    }
    await reader.cancel();
    expect(seen).toContain('event: packages');
  });

  it('sends a folder over 1 MB as the remote’s large-upload rules require (its own origin, a signed-in session)', async () => {
    const dir = join(work, 'big');
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, 'package.json'),
      JSON.stringify({ name: 'big-desktop-pkg', version: '1.0.0', license: 'MIT', description: 'x' }),
    );
    // Random bytes do not compress: the request body is over 2 MB, past the remote's 1 MB small-body cap.
    writeFileSync(join(dir, 'blob.bin'), randomBytes(1536 * 1024));
    const published = await ui.call('publish.run', { path: dir });
    expect(published.status).toBe(200);
    expect(published.body).toMatchObject({ name: 'big-desktop-pkg', verified: true });
    expect((await fetch(`${remote.url}/big-desktop-pkg`)).status).toBe(200);
  });

  it('works for a remote admin: the mirror switch reaches the remote', async () => {
    await ui.call('registries.signIn', { id: remoteId, username: ADMIN.username, password: ADMIN.password });
    expect((await ui.call('mirror.setOffline', { offline: true })).status).toBe(200);
    expect((await ui.call('mirror.status')).body.offline).toBe(true);
    expect((await ui.call('mirror.setOffline', { offline: false })).status).toBe(200);
  });

  it('says once that the remote cannot be reached, keeps the session across its restart, then "sign in again" once it has ended', async () => {
    const port = new URL(remote.url).port;
    await remote.stop();
    const down = await ui.call('search.query', { text: 'pkg' });
    expect(down.status).toBe(502);
    expect(down.body.error).toBe(
      `could not reach ${remote.registry} (no answer in time, or the connection failed); check the address and that it is online`,
    );
    remote = await startShelf(['--port', port], { dataDir: remoteDir, env: { DBUS_SESSION_BUS_ADDRESS: undefined } });
    expect(remote.url).toBe(`http://127.0.0.1:${port}`);
    // Browser sessions are kept in the remote's database, so its restart did not end this one.
    expect((await ui.call('search.query', { text: 'pkg' })).status).toBe(200);
    // Ended on the remote's side (as its expiry or a sign-out elsewhere would): the next call says so.
    const remoteDb = new Database(join(remoteDir, 'shelf.db'));
    try {
      expect(remoteDb.prepare('DELETE FROM ui_sessions').run().changes).toBeGreaterThan(0);
    } finally {
      remoteDb.close();
    }
    const expired = await ui.call('search.query', { text: 'pkg' });
    expect(expired.status).toBe(401);
    expect(expired.body.error).toBe(
      `sign in to ${remote.registry} again: your session there has ended (it expired, was signed out, or the server restarted); use Sign in on the Registries screen`,
    );
    // Still the remote's, never this Shelf's data in its place.
    expect((await ui.call('search.query', { text: 'pkg' })).status).toBe(401);
    expect((await ui.call('registries.list')).body.activeId).toBe(remoteId);
  });

  it('tells another kind of npm registry apart: it has no Shelf sign-in, and the screens stay on this Shelf', async () => {
    const npmOnly = await startFakeUpstream();
    try {
      npmOnly.route('/-/ping', (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
      const added = await ui.call('registries.add', { url: npmOnly.url });
      expect(added.status).toBe(200);
      const before = snapshot(local.dataDir);
      const answer = await ui.call('registries.signIn', { id: added.body.id, username: 'dev', password: 'whatever-it-is' });
      expect(answer.status).toBe(502);
      expect(answer.body.error).toBe(
        `${npmOnly.url} did not answer as a Shelf does (404 from /-/shelf/rpc); the screens can act only on another Shelf — for another npm registry, publish to it with a token instead`,
      );
      expect(snapshot(local.dataDir)).toEqual(before);
      expect(npmOnly.requests).toContain('POST /-/shelf/rpc/session.signIn');
      expect((await ui.call('registries.remove', { id: added.body.id })).status).toBe(200);
    } finally {
      await npmOnly.close();
    }
  });

  it('switches back to this Shelf’s own data', async () => {
    expect((await ui.call('registries.activate', { id: 'local' })).body).toEqual({ activeId: 'local' });
    const search = await ui.call('search.query', { text: 'pkg' });
    expect((search.body.results as { name: string }[]).map((r) => r.name)).toEqual(['local-only-pkg']);
    // The token made while the remote was active is the remote's; this Shelf's account has none of that name.
    expect((await ui.call('tokens.list')).body.tokens).not.toContainEqual(expect.objectContaining({ name: 'from-desktop' }));
    expect(existsSync(join(local.dataDir, 'registries.json'))).toBe(true);
  });

  it('signing out of this Shelf ends the remote sign-ins with it', async () => {
    expect((await ui.call('registries.signIn', { id: remoteId, username: DEV.username, password: DEV.password })).status).toBe(200);
    expect((await ui.call('registries.activate', { id: remoteId })).status).toBe(200);
    expect((await ui.call('session.signOut')).status).toBe(200);
    expect((await ui.call('session.signIn', { username: ADMIN.username, password: ADMIN.password })).status).toBe(200);
    expect((await ui.call('registries.list')).body).toMatchObject({ activeId: 'local', remoteSessions: [] });
    expect((await ui.call('registries.activate', { id: remoteId })).status).toBe(401);
  });
});
