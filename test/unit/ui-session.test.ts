// The desktop issue's contract rules over a real in-process Shelf: malformed arguments are refused by the schema, calls
// that need a user need a session (an HttpOnly, SameSite=Strict cookie in browser mode), other origins are refused, the
// IPC sender check, job progress events, and the credential store's fallback as the settings screen reports it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contract, RPC_PATH, SESSION_COOKIE, EVENTS_PATH } from '../../src/shared/contract';
import { JobBoard } from '../../src/main/rpc/jobs';
import { RemoteRegistries } from '../../src/main/services/remotes/registries';
import { openCredentialStore } from '../../src/main/services/credentials/credential-store';
import { startHarness, type Harness } from '../helpers/app-harness';

let h: Harness;
let origin: string;

async function post(name: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${origin}${RPC_PATH}/${name}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin, ...headers },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown>, cookie: response.headers.get('set-cookie') };
}

beforeAll(async () => {
  h = await startHarness();
  origin = h.url.replace(/\/$/, '');
  const token = (await h.app.setupLink())!.split('#setup=')[1]!;
  await post('setup.createAdmin', { setupToken: token, username: 'admin', email: 'a@example.test', password: 'correct horse battery' });
});

afterAll(async () => {
  await h?.close();
});

describe('contract schemas', () => {
  it('refuse malformed arguments: wrong types, unknown keys, out-of-range numbers', () => {
    expect(contract['tokens.create'].args.safeParse({ name: 'x', scope: 'root' }).success).toBe(false);
    expect(contract['search.query'].args.safeParse({ text: 'a', limit: 1000 }).success).toBe(false);
    expect(contract['session.signIn'].args.safeParse({ username: 'a', password: 'b', extra: 1 }).success).toBe(false);
    expect(contract['graph.resolve'].args.safeParse({ kind: 'url', path: '/x' }).success).toBe(false);
    expect(contract['registries.add'].args.safeParse({ url: 'file:///etc/passwd' }).success).toBe(false);
    expect(contract['search.query'].args.parse({ text: 'a' })).toEqual({ text: 'a', offset: 0, limit: 20 });
  });
});

describe('browser-mode session', () => {
  it('refuses a call that needs a user until signed in, with the code authentication_required', async () => {
    const answer = await post('tokens.list', {});
    expect(answer.status).toBe(401);
    expect(answer.body.code).toBe('authentication_required');
  });

  it('signs in with an HttpOnly, SameSite=Strict cookie scoped to Shelf’s private path, and the cookie authorises calls', async () => {
    const signIn = await post('session.signIn', { username: 'admin', password: 'correct horse battery' });
    expect(signIn.status).toBe(200);
    expect(signIn.cookie).toMatch(new RegExp(`^${SESSION_COOKIE}=[A-Za-z0-9_-]{40,};`));
    expect(signIn.cookie).toContain('HttpOnly');
    expect(signIn.cookie).toContain('SameSite=Strict');
    expect(signIn.cookie).toContain('Path=/-/shelf/');
    const cookie = signIn.cookie!.split(';')[0]!;
    const tokens = await post('tokens.list', {}, { cookie });
    expect(tokens.status).toBe(200);
    const who = await post('session.whoami', {}, { cookie });
    expect(who.body).toEqual({ user: { username: 'admin', isAdmin: true } });
    const out = await post('session.signOut', {}, { cookie });
    expect(out.cookie).toContain('Max-Age=0');
    expect((await post('tokens.list', {}, { cookie })).status).toBe(401);
  });

  it('refuses a wrong password with the same message whether or not the user exists', async () => {
    const a = await post('session.signIn', { username: 'admin', password: 'nope nope nope' });
    const b = await post('session.signIn', { username: 'nobody', password: 'nope nope nope' });
    expect(a.status).toBe(401);
    expect(a.body.error).toBe(b.body.error);
  });

  it('refuses a call from another origin even with a valid cookie', async () => {
    const cookie = (await post('session.signIn', { username: 'admin', password: 'correct horse battery' })).cookie!.split(';')[0]!;
    const answer = await post('tokens.list', {}, { cookie, origin: 'http://evil.example' });
    expect(answer.status).toBe(403);
  });

  it('refuses the event stream without a session', async () => {
    const response = await fetch(`${origin}${EVENTS_PATH}`);
    expect(response.status).toBe(401);
    await response.body?.cancel();
  });

  it('token views never carry the secret', async () => {
    const cookie = (await post('session.signIn', { username: 'admin', password: 'correct horse battery' })).cookie!.split(';')[0]!;
    const created = await post('tokens.create', { name: 'ci', scope: 'read' }, { cookie });
    const secret = created.body.secret as string;
    const list = await post('tokens.list', {}, { cookie });
    expect(JSON.stringify(list.body)).not.toContain(secret);
    expect(JSON.stringify(created.body.token)).not.toContain(secret.slice(10));
  });
});

describe('IPC sender check', () => {
  it('accepts only the top frame of Shelf’s own page', async () => {
    const { isTrustedSender } = await import('../../src/main/electron/trusted-sender');
    const own = (url: string) => url.startsWith('file:///app/');
    expect(isTrustedSender({ senderFrame: { parent: null, url: 'file:///app/index.html' } } as never, own)).toBe(true);
    expect(isTrustedSender({ senderFrame: { parent: null, url: 'https://evil.example/' } } as never, own)).toBe(false);
    expect(isTrustedSender({ senderFrame: { parent: {}, url: 'file:///app/index.html' } } as never, own)).toBe(false);
    expect(isTrustedSender({ senderFrame: null } as never, own)).toBe(false);
  });
});

describe('jobs', () => {
  it('report progress and a final summary to the owner, and only the owner may read or cancel them', async () => {
    const board = new JobBoard();
    const events: { state: string; done: number; owner: number | null }[] = [];
    board.subscribe((e, owner) => {
      if (e.type === 'job') events.push({ state: e.job.state, done: e.job.done, owner });
    });
    const job = board.start('prefetch', 'test', 7, async (report) => {
      report.progress({ done: 1, total: 2 });
      await new Promise((r) => setTimeout(r, 60));
      report.progress({ done: 2, total: 2 });
      return ['2 fetched'];
    });
    await new Promise((r) => setTimeout(r, 150));
    expect(board.get(job.id, 7)).toMatchObject({ state: 'succeeded', summary: ['2 fetched'], done: 2 });
    expect(events.at(-1)).toEqual({ state: 'succeeded', done: 2, owner: 7 });
    expect(() => board.get(job.id, 8)).toThrow(/another user/);
  });
});

describe('credentials', () => {
  it('fall back to memory with a visible warning when no keychain is reachable, and remotes still list', async () => {
    const store = await openCredentialStore({ loadKeytar: async () => Promise.reject(new Error('no D-Bus session')) });
    expect(store.backend).toBe('memory');
    expect(store.warning).toMatch(/kept in memory/);
    const remotes = new RemoteRegistries(h.app.config.dataDir, undefined, async () => store);
    expect(await remotes.list()).toEqual([]);
  });

  it('add a remote registry after testing it, keep the token out of the listing except its last four characters', async () => {
    const token = (await h.app.services.auth.createToken((await h.app.services.auth.findUser('admin'))!, { scope: 'read', name: 'remote' }))
      .secret;
    const store = await openCredentialStore({ loadKeytar: async () => Promise.reject(new Error('no D-Bus session')) });
    const remotes = new RemoteRegistries(h.app.config.dataDir, undefined, async () => store);
    // The stand-in remote is this test's own loopback server, which only an explicit policy lets Shelf reach.
    const added = await remotes.add({ url: h.url, token }, { allowPrivate: true });
    expect(added).toMatchObject({ online: true, signedInAs: 'admin', tokenLastFour: token.slice(-4), credentialBackend: 'memory' });
    expect(JSON.stringify(await remotes.list())).not.toContain(token);
    await expect(remotes.add({ url: h.url, token: 'shelf_wrong' }, { allowPrivate: true })).rejects.toThrow(/refused/);
  });
});
