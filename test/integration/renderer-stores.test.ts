// The renderer's zustand stores, run in Node against a real Shelf (startHarness) over the browser-mode transport: the
// renderer's own httpClient, with a fetch that behaves like the page (sends its Origin, keeps the session cookie). No mocks:
// every state below comes from the server's answers, including its error messages.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { CALL_NAMES, type CallName, type ShelfBridge } from '../../src/shared/contract';
import { httpClient, setClient } from '../../src/renderer/src/client';
import { useActivityStore } from '../../src/renderer/src/stores/activity';
import { useGraphStore } from '../../src/renderer/src/stores/graph';
import { useJobsStore } from '../../src/renderer/src/stores/jobs';
import { useMirrorStore } from '../../src/renderer/src/stores/mirror';
import { usePackageStore } from '../../src/renderer/src/stores/package';
import { usePackagesStore } from '../../src/renderer/src/stores/packages';
import { usePublishStore } from '../../src/renderer/src/stores/publish';
import { useRegistriesStore } from '../../src/renderer/src/stores/registries';
import { useRegistryStore } from '../../src/renderer/src/stores/registry';
import { SEARCH_DEBOUNCE_MS, queryText, useSearchStore } from '../../src/renderer/src/stores/search';
import { useSessionStore } from '../../src/renderer/src/stores/session';
import { useSettingsStore } from '../../src/renderer/src/stores/settings';
import { useSetupStore } from '../../src/renderer/src/stores/setup';
import { useTokensStore } from '../../src/renderer/src/stores/tokens';
import { packageTarball, publishBody, startHarness, type Harness } from '../helpers/app-harness';

const ADMIN = { username: 'admin', email: 'admin@example.test', password: 'correct horse battery' };

/** What a page on `origin` does that Node's fetch does not: send its Origin, and keep and send the cookies it is given. */
function pageFetch(origin: string): typeof fetch & { cookies: Map<string, string> } {
  const cookies = new Map<string, string>();
  const fetchLike = async (input: Parameters<typeof fetch>[0], init?: RequestInit) => {
    const headers = new Headers(init?.headers);
    headers.set('Origin', origin);
    if (cookies.size) headers.set('Cookie', [...cookies].map(([k, v]) => `${k}=${v}`).join('; '));
    const response = await fetch(input, { ...init, headers });
    for (const line of response.headers.getSetCookie()) {
      const [pair = '', ...attributes] = line.split(';');
      const at = pair.indexOf('=');
      const name = pair.slice(0, at).trim();
      const value = pair.slice(at + 1).trim();
      if (!value || attributes.some((a) => /^\s*max-age=0\s*$/i.test(a))) cookies.delete(name);
      else cookies.set(name, value);
    }
    return response;
  };
  return Object.assign(fetchLike, { cookies });
}

/** The real HTTP client, recording each call's name and arguments; `hold(name, ms)` delays that call's next answer. */
function recordingClient(inner: ShelfBridge) {
  const calls: { name: CallName; args: unknown }[] = [];
  const holds = new Map<CallName, number[]>();
  const client = {} as Record<CallName, (args: unknown) => Promise<unknown>>;
  for (const name of CALL_NAMES) {
    const send = inner[name] as (args: unknown) => Promise<unknown>;
    client[name] = async (args) => {
      calls.push({ name, args });
      const answer = send(args);
      const ms = holds.get(name)?.shift();
      if (ms) await new Promise((r) => setTimeout(r, ms));
      return answer;
    };
  }
  return {
    client: client as unknown as ShelfBridge,
    calls,
    named: (name: CallName) => calls.filter((c) => c.name === name),
    hold: (name: CallName, ms: number) => holds.set(name, [...(holds.get(name) ?? []), ms]),
  };
}

function writePackage(dir: string, manifest: Record<string, unknown>, files: Record<string, string> = {}): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ license: 'MIT', main: 'index.js', ...manifest }, null, 2));
  writeFileSync(join(dir, 'index.js'), 'module.exports = 1;\n');
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

/** Every store back to its first state, so one test's leftovers cannot make another pass. */
const STORES = [
  useActivityStore,
  useGraphStore,
  useMirrorStore,
  usePackageStore,
  usePackagesStore,
  usePublishStore,
  useRegistriesStore,
  useRegistryStore,
  useSearchStore,
  useSettingsStore,
  useSetupStore,
  useTokensStore,
] as const;
function resetStores(): void {
  for (const store of STORES) (store as { setState(s: unknown, replace: true): void }).setState(store.getInitialState(), true);
}

let harness: Harness;
let remote: Harness;
let work: string;
let page: ReturnType<typeof pageFetch>;
let rec: ReturnType<typeof recordingClient>;
let savedBus: string | undefined;

beforeAll(async () => {
  // Remote registry tokens must not land in a keychain of the machine running the tests: no D-Bus, memory store.
  savedBus = process.env.DBUS_SESSION_BUS_ADDRESS;
  delete process.env.DBUS_SESSION_BUS_ADDRESS;
  // The remote is a second Shelf on loopback, which Shelf reaches only when its operator allows private addresses.
  [harness, remote] = await Promise.all([startHarness({ allowPrivateRemotes: true }), startHarness()]);
  work = mkdtempSync(join(tmpdir(), 'shelf-stores-'));
  page = pageFetch(harness.url);
  rec = recordingClient(httpClient(page, harness.url));
  setClient(rec.client);
});

afterAll(async () => {
  useJobsStore.getState().stop();
  setClient(undefined);
  await Promise.all([harness?.close(), remote?.close()]);
  rmSync(work, { recursive: true, force: true });
  if (savedBus !== undefined) process.env.DBUS_SESSION_BUS_ADDRESS = savedBus;
});

afterEach(() => {
  resetStores();
});

// The tests run in order: first-run setup, then signed-in work on what the earlier tests published.
describe.sequential('renderer stores against a real server', () => {
  it('registry: loading while the call is in flight, then the status; an unreachable server is an error with what to do', async () => {
    const loading = useRegistryStore.getState().load();
    expect(useRegistryStore.getState().loading).toBe(true);
    await loading;
    const s = useRegistryStore.getState();
    expect(s).toMatchObject({ loading: false, error: undefined });
    expect(s.status).toMatchObject({ needsSetup: true, packageCount: 0, userCount: 0, mode: 'browser', url: `${harness.url}/` });

    setClient(httpClient(fetch, 'http://127.0.0.1:1'));
    try {
      await useRegistryStore.getState().load();
    } finally {
      setClient(rec.client);
    }
    expect(useRegistryStore.getState()).toMatchObject({
      loading: false,
      error: 'Shelf did not answer; check that `shelf serve` is still running, then retry',
    });
  });

  it('setup: a wrong setup token keeps the form with the server message; the right one creates the admin, signs in and refreshes the status', async () => {
    useSetupStore.getState().setToken('not-the-token');
    expect(await useSetupStore.getState().createAdmin(ADMIN)).toBe(false);
    expect(useSetupStore.getState().submitting).toBe(false);
    expect(useSetupStore.getState().error).toMatch(/setup/i);
    expect(page.cookies.size).toBe(0);

    const token = new URL((await harness.app.setupLink())!).hash.replace('#setup=', '');
    useSetupStore.getState().setToken(token);
    const creating = useSetupStore.getState().createAdmin(ADMIN);
    expect(useSetupStore.getState().submitting).toBe(true);
    expect(await creating).toBe(true);
    expect(useSetupStore.getState()).toMatchObject({ submitting: false, error: undefined, token: undefined });
    // createAdmin reloads the registry status itself: the app leaves the setup screen without another call.
    expect(useRegistryStore.getState().status).toMatchObject({ needsSetup: false, userCount: 1 });
    expect(page.cookies.has('shelf_session')).toBe(true);
  });

  it('session: whoami after setup, sign-out, a refused password with the server message, a signed-out call refused, sign-in again', async () => {
    await useSessionStore.getState().check();
    expect(useSessionStore.getState()).toMatchObject({ checked: true, loading: false, user: { username: 'admin', isAdmin: true } });

    await useSessionStore.getState().signOut();
    expect(useSessionStore.getState().user).toBeNull();
    expect(page.cookies.size).toBe(0);

    expect(await useSessionStore.getState().signIn('admin', 'wrong password')).toBe(false);
    expect(useSessionStore.getState()).toMatchObject({ user: null, loading: false });
    expect(useSessionStore.getState().error).toContain('incorrect username or password');

    await useTokensStore.getState().load();
    expect(useTokensStore.getState()).toMatchObject({ loaded: false, loading: false });
    expect(useTokensStore.getState().error).toBe('sign in to Shelf first: tokens.list needs a signed-in user');

    expect(await useSessionStore.getState().signIn(ADMIN.username, ADMIN.password)).toBe(true);
    expect(useSessionStore.getState()).toMatchObject({ user: { username: 'admin', isAdmin: true }, error: undefined });
  });

  it('packages: the empty state is only reported after the first load has finished', async () => {
    expect(usePackagesStore.getState()).toMatchObject({ loaded: false, packages: [] });
    const loading = usePackagesStore.getState().load();
    expect(usePackagesStore.getState()).toMatchObject({ loading: true, loaded: false });
    await loading;
    expect(usePackagesStore.getState()).toMatchObject({ loading: false, loaded: true, packages: [], total: 0, error: undefined });
  });

  it('publish: a missing folder is an error; a valid one previews files, size, integrity and a secret warning, then publishes verified', async () => {
    const p = usePublishStore.getState();
    p.setPath(join(work, 'does-not-exist'));
    await usePublishStore.getState().inspect();
    expect(usePublishStore.getState()).toMatchObject({ inspecting: false, preview: undefined });
    expect(usePublishStore.getState().error).toContain('is not a folder Shelf can read');

    const dir = writePackage(
      join(work, 'greeter-lib'),
      { name: 'greeter-lib', version: '1.0.0', description: 'greets', keywords: ['greeting'] },
      { '.env': 'SECRET=1\n', 'README.md': '# greeter-lib\n' },
    );
    usePublishStore.getState().setPath(dir);
    const inspecting = usePublishStore.getState().inspect();
    expect(usePublishStore.getState().inspecting).toBe(true);
    await inspecting;
    const preview = usePublishStore.getState().preview!;
    expect(usePublishStore.getState().error).toBeUndefined();
    expect(preview).toMatchObject({
      name: 'greeter-lib',
      version: '1.0.0',
      problems: [],
      alreadyPublished: false,
      registryUrl: `${harness.url}/`,
    });
    expect(preview.files.map((f) => f.path)).toEqual(expect.arrayContaining(['package.json', 'index.js', 'README.md', '.env']));
    expect(preview.files.find((f) => f.path === '.env')?.suspicious).toBe(true);
    expect(preview.warnings.join(' ')).toContain('.env');
    expect(preview.integrity).toMatch(/^sha512-/);

    usePublishStore.getState().setTag('  ');
    const publishing = usePublishStore.getState().publish();
    expect(usePublishStore.getState().publishing).toBe(true);
    await publishing;
    // A blank tag falls back to latest. The .env is left out by default, so the tarball is not the previewed one.
    expect(usePublishStore.getState().excluded).toEqual(['.env']);
    expect(usePublishStore.getState().outcome).toEqual({
      name: 'greeter-lib',
      version: '1.0.0',
      tag: 'latest',
      integrity: expect.stringMatching(/^sha512-/),
      verified: true,
      registryId: 'local',
      registryUrl: `${harness.url}/`,
    });

    // Checking the same folder again: already published, with what to do.
    await usePublishStore.getState().inspect();
    expect(usePublishStore.getState().preview).toMatchObject({ alreadyPublished: true });
    expect(usePublishStore.getState().preview!.problems.join(' ')).toContain('already published to this registry; raise "version"');
    await usePublishStore.getState().publish();
    expect(usePublishStore.getState().publishing).toBe(false);
    // Publishing anyway (no re-check) is refused by the registry itself.
    expect(usePublishStore.getState().error).toMatch(/^cannot publish over the previously published version/);
    expect(usePublishStore.getState().outcome).toBeUndefined();

    // Changing the path drops the old preview and outcome.
    usePublishStore.getState().setPath(join(work, 'other'));
    expect(usePublishStore.getState()).toMatchObject({ preview: undefined, outcome: undefined, error: undefined });
  });

  it('search: typing is debounced into one call; results, filters, the empty result, and a refused query with the server message', async () => {
    // Fixtures through the same contract the Publish screen uses.
    for (const [name, keywords] of [
      ['greeter-cli', ['greeting', 'cli']],
      ['weather-report', ['weather']],
    ] as const) {
      usePublishStore
        .getState()
        .setPath(writePackage(join(work, name), { name, version: '1.0.0', description: `${name} package`, keywords }));
      await usePublishStore.getState().publish();
      expect(usePublishStore.getState().outcome?.verified).toBe(true);
    }

    const before = rec.named('search.query').length;
    const s = useSearchStore.getState();
    s.setText('g');
    s.setText('gr');
    s.setText('greeter');
    expect(useSearchStore.getState().text).toBe('greeter');
    await new Promise((r) => setTimeout(r, SEARCH_DEBOUNCE_MS / 2));
    expect(rec.named('search.query').length).toBe(before);
    await vi.waitFor(() => expect(useSearchStore.getState().loaded).toBe(true));
    expect(rec.named('search.query').slice(before)).toEqual([{ name: 'search.query', args: { text: 'greeter', limit: 50, offset: 0 } }]);
    expect(useSearchStore.getState()).toMatchObject({ loading: false, error: undefined, total: 2 });
    expect(
      useSearchStore
        .getState()
        .results.map((r) => r.name)
        .sort(),
    ).toEqual(['greeter-cli', 'greeter-lib']);

    useSearchStore.getState().setFilter('keyword', 'cli');
    await vi.waitFor(() => expect(rec.named('search.query').at(-1)?.args).toMatchObject({ text: 'greeter keywords:cli' }));
    await vi.waitFor(() => expect(useSearchStore.getState().results.map((r) => r.name)).toEqual(['greeter-cli']));

    useSearchStore.getState().setFilter('keyword', '');
    useSearchStore.getState().setText('nothing-like-this-exists');
    await vi.waitFor(() => expect(rec.named('search.query').at(-1)?.args).toMatchObject({ text: 'nothing-like-this-exists' }));
    await vi.waitFor(() => expect(useSearchStore.getState()).toMatchObject({ loading: false, loaded: true, results: [], total: 0 }));

    useSearchStore.getState().setText('x'.repeat(501));
    await vi.waitFor(() => expect(useSearchStore.getState().error).toBeDefined());
    expect(useSearchStore.getState().error).toMatch(/^invalid arguments for search\.query: text: /);
    expect(useSearchStore.getState().loading).toBe(false);
  });

  it('search: a slower, older answer never replaces a newer one', async () => {
    rec.hold('search.query', 400);
    useSearchStore.setState({ text: 'weather' });
    const older = useSearchStore.getState().run();
    useSearchStore.setState({ text: 'greeter' });
    await useSearchStore.getState().run();
    expect(
      useSearchStore
        .getState()
        .results.map((r) => r.name)
        .sort(),
    ).toEqual(['greeter-cli', 'greeter-lib']);
    await older;
    expect(
      useSearchStore
        .getState()
        .results.map((r) => r.name)
        .sort(),
    ).toEqual(['greeter-cli', 'greeter-lib']);
    expect(queryText(' a ', { scope: '@corp', keyword: 'k', author: 'me' })).toBe('a scope:corp keywords:k author:me');
  });

  it("package: a missing package is an error from the server; an existing one loads details, the latest version's files, dependencies and dependents", async () => {
    await usePackageStore.getState().open('no-such-package');
    expect(usePackageStore.getState()).toMatchObject({ loading: false, details: undefined });
    expect(usePackageStore.getState().error).toBe("package 'no-such-package' is not in this registry");

    for (const [name, version, dependencies] of [
      ['greeter-lib', '1.1.0', { 'left-pad': '^1.3.0' }],
      ['greeter-app', '2.0.0', { 'greeter-lib': '^1.0.0', 'left-pad': '^1.3.0' }],
      ['old-user', '1.0.0', { 'greeter-lib': '~1.0.0' }],
    ] as const) {
      usePublishStore.getState().setPath(writePackage(join(work, `${name}-${version}`), { name, version, dependencies }));
      await usePublishStore.getState().publish();
      expect(usePublishStore.getState().error).toBeUndefined();
    }
    // A dependent that later dropped the dependency is not one any more (only the latest version counts).
    usePublishStore.getState().setPath(writePackage(join(work, 'old-user-2'), { name: 'old-user', version: '2.0.0' }));
    await usePublishStore.getState().publish();

    const opening = usePackageStore.getState().open('greeter-lib');
    expect(usePackageStore.getState()).toMatchObject({ loading: true, name: 'greeter-lib' });
    await opening;
    const p = usePackageStore.getState();
    expect(p).toMatchObject({ loading: false, error: undefined, version: '1.1.0', relationsLoading: false, relationsError: undefined });
    expect(p.details!.versions.map((v) => v.version)).toEqual(['1.1.0', '1.0.0']);
    expect(p.details!.dependentsCount).toBe(1);
    expect(p.files).toMatchObject({ name: 'greeter-lib', version: '1.1.0' });
    expect(p.relations).toEqual({
      name: 'greeter-lib',
      version: '1.1.0',
      dependencies: [{ name: 'left-pad', range: '^1.3.0', type: 'prod', local: false }],
      dependents: [{ name: 'greeter-app', version: '2.0.0', range: '^1.0.0' }],
      dependentsTotal: 1,
    });

    // Another version: its own files and dependencies (none), the same dependents.
    await usePackageStore.getState().selectVersion('1.0.0');
    expect(usePackageStore.getState().files?.version).toBe('1.0.0');
    expect(usePackageStore.getState().relations).toMatchObject({ version: '1.0.0', dependencies: [], dependentsTotal: 1 });

    // From the dependent's side: greeter-lib is local (the screen links it), left-pad is not.
    await usePackageStore.getState().open('greeter-app');
    expect(usePackageStore.getState().relations).toMatchObject({
      dependencies: [
        { name: 'greeter-lib', range: '^1.0.0', type: 'prod', local: true },
        { name: 'left-pad', range: '^1.3.0', type: 'prod', local: false },
      ],
      dependents: [],
      dependentsTotal: 0,
    });
    expect(usePackageStore.getState().files).toMatchObject({ name: 'greeter-app', version: '2.0.0' });
  });

  it('package: a relations failure is its own error; the details stay', async () => {
    await usePackageStore.getState().open('greeter-lib');
    await usePackageStore.getState().selectVersion('9.9.9');
    const p = usePackageStore.getState();
    expect(p.details?.name).toBe('greeter-lib');
    expect(p.error).toBeUndefined();
    expect(p.relationsError).toBe('greeter-lib has no version 9.9.9');
    expect(p.filesError).toBe('greeter-lib has no version 9.9.9');
  });

  it('package: an action shows a notice with its undo and reloads; undo restores; a refused action keeps the server message', async () => {
    await usePackageStore.getState().open('greeter-lib');
    const ok = await usePackageStore
      .getState()
      .act({ kind: 'deprecate', version: '1.0.0', message: 'use 1.1' }, { kind: 'deprecate', version: '1.0.0', message: '' });
    expect(ok).toBe(true);
    let p = usePackageStore.getState();
    expect(p.notice).toBe('1.0.0 deprecated.');
    expect(p.undo).toEqual({ kind: 'deprecate', version: '1.0.0', message: '' });
    expect(p.details!.versions.find((v) => v.version === '1.0.0')?.deprecated).toBe('use 1.1');
    // The version being shown survives the reload.
    expect(p.version).toBe('1.1.0');

    expect(await usePackageStore.getState().act(p.undo!)).toBe(true);
    p = usePackageStore.getState();
    expect(p.notice).toBe('1.0.0 is no longer deprecated.');
    expect(p.undo).toBeUndefined();
    expect(p.details!.versions.find((v) => v.version === '1.0.0')?.deprecated).toBeNull();

    await usePackageStore.getState().act({ kind: 'setDistTag', tag: 'next', version: '1.0.0' }, { kind: 'removeDistTag', tag: 'next' });
    expect(usePackageStore.getState().details!.distTags).toEqual({ latest: '1.1.0', next: '1.0.0' });

    expect(await usePackageStore.getState().act({ kind: 'addOwner', username: 'nobody-by-this-name' })).toBe(false);
    p = usePackageStore.getState();
    expect(p.actionError).toMatch(/nobody-by-this-name/);
    expect(p.notice).toBeUndefined();
    expect(p.details!.owners).toEqual(['admin']);

    usePackageStore.getState().clearNotice();
    expect(usePackageStore.getState()).toMatchObject({ notice: undefined, undo: undefined });
  });

  it('tokens: empty list, create shows the secret once, the list never holds it, dismiss forgets it, revoke empties the list; a refusal has the server message', async () => {
    await useTokensStore.getState().load();
    expect(useTokensStore.getState()).toMatchObject({ loaded: true, loading: false, tokens: [], error: undefined });

    expect(await useTokensStore.getState().create({ name: 'ci', scope: 'publish', cidr: ['not-a-cidr'] })).toBe(false);
    // A refused create is kept apart from the list's errors, with the field it is about.
    expect(useTokensStore.getState().createError).toEqual({ field: 'cidr', message: expect.stringMatching(/not-a-cidr/) });
    expect(useTokensStore.getState().error).toBeUndefined();
    expect(useTokensStore.getState().created).toBeUndefined();

    expect(await useTokensStore.getState().create({ name: 'ci', scope: 'publish', expiresInDays: 30 })).toBe(true);
    const { created, tokens } = useTokensStore.getState();
    expect(created!.secret).toMatch(/^shelf_/);
    expect(created!.token).toMatchObject({ name: 'ci', scope: 'publish', hint: `…${created!.secret.slice(-4)}` });
    expect(tokens).toEqual([created!.token]);
    expect(JSON.stringify(tokens)).not.toContain(created!.secret);

    useTokensStore.getState().dismissSecret();
    expect(useTokensStore.getState().created).toBeUndefined();
    await useTokensStore.getState().load();
    expect(JSON.stringify(useTokensStore.getState())).not.toContain(created!.secret);

    // The secret works against the registry, and stops working once revoked.
    expect((await harness.call('GET', '/-/whoami', { token: created!.secret })).status).toBe(200);
    expect(await useTokensStore.getState().revoke(created!.token.key)).toBe(true);
    expect(useTokensStore.getState()).toMatchObject({ tokens: [], loading: false, error: undefined });
    expect((await harness.call('GET', '/-/whoami', { token: created!.secret })).status).toBe(401);

    expect(await useTokensStore.getState().revoke(created!.token.key)).toBe(false);
    expect(useTokensStore.getState().error).toBeDefined();
  });

  it('registries: only this Shelf at first; an unreachable remote is refused with the reason; a good one is added, listed and forgotten', async () => {
    await useRegistriesStore.getState().load();
    expect(useRegistriesStore.getState()).toMatchObject({ loaded: true, loading: false, activeId: 'local' });
    expect(useRegistriesStore.getState().registries).toEqual([
      expect.objectContaining({ id: 'local', kind: 'local', signedInAs: 'admin' }),
    ]);

    expect(await useRegistriesStore.getState().add({ url: 'http://127.0.0.1:1/' })).toBe(false);
    expect(useRegistriesStore.getState()).toMatchObject({ adding: false });
    expect(useRegistriesStore.getState().addError).toContain('could not reach http://127.0.0.1:1/');

    expect(await useRegistriesStore.getState().add({ url: remote.url, token: 'shelf_wrong' })).toBe(false);
    expect(useRegistriesStore.getState().addError).toMatch(/token was refused \(401/);

    const token = await remote.login('alice');
    expect(await useRegistriesStore.getState().add({ url: remote.url, token })).toBe(true);
    const added = useRegistriesStore.getState().registries.find((r) => r.kind === 'remote')!;
    expect(added).toMatchObject({ url: `${remote.url}/`, online: true, signedInAs: 'alice', tokenLastFour: token.slice(-4) });
    expect(JSON.stringify(useRegistriesStore.getState())).not.toContain(token);

    // A remote reached with a token only (no sign-in there) cannot become the active registry.
    expect(await useRegistriesStore.getState().activate(added.id)).toBe(false);
    expect(useRegistriesStore.getState().switchError).toMatch(/^sign in to .* again/);
    await useRegistriesStore.getState().remove(added.id);
    expect(useRegistriesStore.getState().activeId).toBe('local');
    expect(useRegistriesStore.getState().registries.map((r) => r.id)).toEqual(['local']);
  });

  it('publish to a remote registry: inspect checks the remote, publish PUTs with the stored token and verifies; a refusal has the remote message', async () => {
    const token = await remote.login('bob');
    expect(await useRegistriesStore.getState().add({ url: remote.url, token })).toBe(true);
    const target = useRegistriesStore.getState().registries.find((r) => r.kind === 'remote')!;

    const dir = writePackage(join(work, 'remote-pkg'), { name: '@team/remote-pkg', version: '0.1.0', description: 'published elsewhere' });
    usePublishStore.getState().setPath(dir);
    await usePublishStore.getState().inspect();
    expect(usePublishStore.getState().preview!.registryUrl).toBe(`${harness.url}/`);
    usePublishStore.getState().setRegistry(target.id);
    // The old preview was checked against another registry.
    expect(usePublishStore.getState()).toMatchObject({ registryId: target.id, preview: undefined });
    await usePublishStore.getState().inspect();
    expect(usePublishStore.getState().preview).toMatchObject({ registryUrl: `${remote.url}/`, alreadyPublished: false, problems: [] });

    usePublishStore.getState().setTag('beta');
    await usePublishStore.getState().publish();
    expect(usePublishStore.getState().error).toBeUndefined();
    expect(usePublishStore.getState().outcome).toMatchObject({
      name: '@team/remote-pkg',
      version: '0.1.0',
      tag: 'beta',
      verified: true,
      registryId: target.id,
      registryUrl: `${remote.url}/`,
    });
    // It is on the remote, published by the token's owner, and not here.
    const doc = await remote.call('GET', '/@team%2fremote-pkg');
    expect(doc.status).toBe(200);
    // A package's first version also becomes latest, as on npm.
    expect(doc.body['dist-tags']).toEqual({ beta: '0.1.0', latest: '0.1.0' });
    expect(doc.body.versions['0.1.0'].dist.integrity).toBe(usePublishStore.getState().outcome!.integrity);
    expect(doc.body.maintainers.map((m: { name: string }) => m.name)).toEqual(['bob']);
    expect((await harness.call('GET', '/@team%2fremote-pkg')).status).toBe(404);

    await usePublishStore.getState().inspect();
    expect(usePublishStore.getState().preview!.problems.join(' ')).toContain(`already published to ${remote.url}/`);
    // Straight to publish (no re-check): the remote's own refusal comes back, with what to do.
    await usePublishStore.getState().publish();
    expect(usePublishStore.getState().error).toMatch(
      new RegExp(`^${remote.url}/ refused the publish of @team/remote-pkg@0\\.1\\.0 \\(40[39]`),
    );

    // Another user's package on the remote: the remote refuses bob's token.
    usePublishStore.getState().setPath(writePackage(join(work, 'greeter-lib-remote'), { name: 'greeter-lib', version: '5.0.0' }));
    await remote.call('PUT', '/greeter-lib', {
      token: await remote.login('carol'),
      body: publishBody('greeter-lib', '0.0.1', await packageTarball('greeter-lib', '0.0.1')),
    });
    await usePublishStore.getState().publish();
    expect(usePublishStore.getState().error).toMatch(/refused the publish of greeter-lib@5\.0\.0 \(403/);
    expect(usePublishStore.getState().error).toContain('add the registry again');

    await useRegistriesStore.getState().remove(target.id);
    await usePublishStore.getState().inspect();
    expect(usePublishStore.getState().error).toBe(`there is no remote registry '${target.id}'; add it on the Registries screen first`);
  });

  it("graph: a missing dependency is the server's error; a package resolves to its nodes; a conflict carries the explanation", async () => {
    const resolving = useGraphStore.getState().resolve({ kind: 'package', name: 'greeter-app', range: 'latest' });
    expect(useGraphStore.getState().loading).toBe(true);
    await resolving;
    // left-pad is neither here nor upstream (there is none): the server's message, and no graph.
    expect(useGraphStore.getState().loading).toBe(false);
    expect(useGraphStore.getState().graph).toBeUndefined();
    expect(useGraphStore.getState().error).toBe(
      `package left-pad is not in the registry ${harness.url}/; check the name, or publish it there first`,
    );

    await useGraphStore.getState().resolve({ kind: 'package', name: 'old-user', range: '1.0.0' });
    expect(useGraphStore.getState()).toMatchObject({ loading: false, error: undefined });
    const graph = useGraphStore.getState().graph!;
    expect(graph.conflict).toBeNull();
    // The root is what the user asked for, not the resolver's stand-in manifest.
    expect(graph.nodes.find((n) => n.isRoot)!.name).toBe('old-user@1.0.0');
    const installed = graph.nodes.filter((n) => !n.isRoot).map((n) => `${n.name}@${n.version}`);
    expect(installed.sort()).toEqual(['greeter-lib@1.0.0', 'old-user@1.0.0']);

    usePublishStore
      .getState()
      .setPath(writePackage(join(work, 'wants-two'), { name: 'wants-two', version: '1.0.0', dependencies: { 'greeter-lib': '^2.0.0' } }));
    await usePublishStore.getState().publish();
    await useGraphStore.getState().resolve({ kind: 'package', name: 'wants-two', range: 'latest' });
    expect(useGraphStore.getState().graph!.conflict).toMatchObject({ involved: expect.arrayContaining(['greeter-lib']) });
    expect(useGraphStore.getState().graph!.conflict!.explanation.join(' ')).toContain('greeter-lib');
  });

  it('activity and settings: real figures from the server', async () => {
    await useActivityStore.getState().load();
    expect(useActivityStore.getState()).toMatchObject({ loading: false, error: undefined });
    expect(useActivityStore.getState().summary!.totals).toMatchObject({ packages: 6, users: 1 });
    expect(useActivityStore.getState().summary!.recentPublishes[0]).toMatchObject({ name: 'wants-two', version: '1.0.0' });

    await useSettingsStore.getState().load();
    expect(useSettingsStore.getState().settings).toMatchObject({ dataDir: harness.dataDir, mode: 'browser', url: `${harness.url}/` });
    useSettingsStore.getState().setTheme('dark');
    expect(useSettingsStore.getState().theme).toBe('dark');
  });

  it('mirror and jobs: status, offline switch, verify, a refused prefetch, and a prefetch job followed to its failure by polling', async () => {
    await useMirrorStore.getState().load();
    expect(useMirrorStore.getState().status).toMatchObject({ offline: false, upstreams: [], cache: { totalBytes: 0, packages: [] } });
    await useMirrorStore.getState().setOffline(true);
    expect(useMirrorStore.getState()).toMatchObject({ actionError: undefined, status: { offline: true } });
    await useMirrorStore.getState().setOffline(false);
    expect(useMirrorStore.getState().status!.offline).toBe(false);

    const verifying = useMirrorStore.getState().runVerify();
    expect(useMirrorStore.getState().verifying).toBe(true);
    await verifying;
    expect(useMirrorStore.getState()).toMatchObject({ verifying: false, verify: { checked: 0, ok: 0, quarantined: [] } });

    await useMirrorStore.getState().prefetch(join(work, 'no-project-here'));
    expect(useMirrorStore.getState().actionError).toMatch(/no-project-here/);
    expect(useMirrorStore.getState().prefetchJobId).toBeUndefined();

    const project = writePackage(join(work, 'project'), { name: 'project', version: '1.0.0', dependencies: { 'greeter-lib': '1.1.0' } });
    writeFileSync(
      join(project, 'package-lock.json'),
      JSON.stringify({
        name: 'project',
        lockfileVersion: 3,
        packages: { '': { dependencies: { 'greeter-lib': '1.1.0' } }, 'node_modules/greeter-lib': { version: '1.1.0' } },
      }),
    );
    await useMirrorStore.getState().prefetch(project);
    const id = useMirrorStore.getState().prefetchJobId!;
    expect(useMirrorStore.getState().actionError).toBeUndefined();
    expect(useJobsStore.getState().jobs[id]).toMatchObject({ kind: 'prefetch', title: expect.stringContaining('package-lock.json') });
    // Node has no EventSource: the store's slow poll is what follows the job here.
    await vi.waitFor(() => expect(useJobsStore.getState().jobs[id]!.state).not.toBe('running'), { timeout: 15_000, interval: 100 });
    // This Shelf mirrors nothing, so the job fails, and says why.
    expect(useJobsStore.getState().jobs[id]).toMatchObject({
      state: 'failed',
      total: 1,
      error: expect.stringContaining('there is no upstream registry to mirror from'),
    });

    await expect(useJobsStore.getState().refresh('no-such-job')).rejects.toThrow("there is no job 'no-such-job'");
  });
});
