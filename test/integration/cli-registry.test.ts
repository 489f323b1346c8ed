// The registry commands of the `shelf` command line against an in-process Shelf: login, whoami, publish, info, search, tokens, logout.
import { Writable } from 'node:stream';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  loginCommand,
  logoutCommand,
  tokenCreateCommand,
  tokenListCommand,
  tokenRevokeCommand,
  whoamiCommand,
} from '../../src/main/cli/account';
import { infoCommand, searchCommand } from '../../src/main/cli/info-search';
import { treeCommand } from '../../src/main/cli/graph-reports';
import type { ProgressStream } from '../../src/main/cli/progress';
import { publishCommand } from '../../src/main/cli/publish';
import type { SessionIO } from '../../src/main/cli/registry-session';
import type { CredentialStore } from '../../src/main/services/credentials/credential-store';
import { RemoteRegistries } from '../../src/main/services/remotes/registries';
import { guardedFetch } from '../../src/main/services/remotes/address-guard';
import { startHarness, type Harness } from '../helpers/app-harness';
import { tempDir } from '../helpers/clients';

function memoryStore(): CredentialStore {
  const secrets = new Map<string, string>();
  return {
    backend: 'memory',
    get: async (k) => secrets.get(k),
    set: async (k, v) => void secrets.set(k, v),
    delete: async (k) => void secrets.delete(k),
  };
}

function sessionIO(cwd: string, credentials: CredentialStore, stdin = ''): SessionIO & { stdout: () => string; stderr: () => string } {
  let out = '';
  let err = '';
  return {
    out: (t) => void (out += t),
    err: (t) => void (err += t),
    tty: false,
    env: {},
    cwd,
    credentials,
    stdin: async () => stdin,
    stdout: () => out,
    stderr: () => err,
  };
}

/** A stand-in terminal for progress bars: records what is drawn on it. */
function fakeTerminal(): ProgressStream & { drawn: () => string } {
  let drawn = '';
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      drawn += chunk.toString();
      done();
    },
  }) as Writable & { isTTY: boolean; columns: number; drawn: () => string };
  stream.isTTY = true;
  stream.columns = 100;
  stream.drawn = () => drawn;
  return stream;
}

function writePackage(dir: string, name: string, version: string) {
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, version, license: 'MIT' }));
  writeFileSync(join(dir, 'index.js'), 'module.exports = 1;\n');
}

describe('shelf login, whoami, publish, info, search, token, logout', () => {
  let harness: Harness;
  let registry: string;
  const store = memoryStore();

  beforeAll(async () => {
    harness = await startHarness();
    registry = `${harness.url}/`;
  });
  afterAll(async () => harness?.close());

  it('logs in with the password on stdin, keeps the token, and whoami names the account', async () => {
    const io = sessionIO(tempDir(), store, 'a-long-password-123');
    expect(await loginCommand({ registry, username: 'cli-user' }, io), io.stderr()).toBe(0);
    expect(io.stdout()).toContain('logged in as cli-user');
    const who = sessionIO(tempDir(), store);
    expect(await whoamiCommand({ registry }, who), who.stderr()).toBe(0);
    expect(who.stdout().trim()).toBe('cli-user');
  });

  it('the token `shelf login` kept is the one the Registries screen shows for that address (one keychain account)', async () => {
    const dataDir = tempDir();
    const remotes = new RemoteRegistries(
      dataDir,
      () => guardedFetch({ allowPrivate: true }),
      async () => store,
    );
    const added = await remotes.add({ url: registry }, { allowPrivate: true });
    const kept = await store.get(`registry-token:${registry}`);
    expect(kept).toMatch(/.{4}/);
    expect(added).toMatchObject({ url: registry, signedInAs: 'cli-user', tokenLastFour: kept!.slice(-4), online: true });
    const [listed] = await remotes.list({ allowPrivate: true });
    expect(listed).toMatchObject({ signedInAs: 'cli-user', tokenLastFour: kept!.slice(-4) });
  });

  it('fails whoami with one clear line when there is no token', async () => {
    const io = sessionIO(tempDir(), memoryStore());
    expect(await whoamiCommand({ registry }, io)).toBe(1);
    expect(io.stderr()).toMatch(
      /^shelf: whoami needs you to be logged in to http:\/\/127\.0\.0\.1:\d+\/; run `shelf login` or pass --token\n$/,
    );
  });

  it('shows what would be published on --dry-run, publishes, and checks the published version', async () => {
    const dir = tempDir();
    writeFileSync(
      join(dir, 'package.json'),
      JSON.stringify({ name: 'cli-pkg', version: '1.0.0', description: 'from the cli', license: 'MIT', files: ['index.js'] }),
    );
    writeFileSync(join(dir, 'index.js'), 'module.exports = 42;\n');
    writeFileSync(join(dir, 'secret-notes.txt'), 'not included: outside "files"\n');

    const dry = sessionIO(dir, store);
    expect(await publishCommand(undefined, { registry, dryRun: true, json: true }, dry), dry.stderr()).toBe(0);
    const plan = JSON.parse(dry.stdout());
    expect(plan).toMatchObject({ name: 'cli-pkg', version: '1.0.0', dryRun: true });
    expect(plan.files.map((f: { path: string }) => f.path)).toEqual(['index.js', 'package.json']);
    expect(plan.integrity).toMatch(/^sha512-/);
    expect((await harness.call('GET', '/cli-pkg')).status).toBe(404);

    const io = sessionIO(dir, store);
    expect(await publishCommand(undefined, { registry }, io), io.stderr()).toBe(0);
    expect(io.stdout()).toContain('index.js');
    expect(io.stdout()).toContain(`integrity: ${plan.integrity}`);
    expect(io.stdout()).toContain('fetched back and its integrity checks out');

    const again = sessionIO(dir, store);
    expect(await publishCommand(undefined, { registry }, again)).toBe(1);
    expect(again.stderr()).toMatch(/^shelf: .* refused to publish cli-pkg@1\.0\.0 \(409/);
  });

  it('draws a progress bar while publishing on a terminal, and none with --json', async () => {
    const dir = tempDir();
    writePackage(dir, 'cli-progress-pkg', '1.0.0');
    const terminal = fakeTerminal();
    const io = { ...sessionIO(dir, store), tty: true, progressStream: terminal };
    expect(await publishCommand(undefined, { registry }, io), io.stderr()).toBe(0);
    expect(terminal.drawn()).toContain('packing');
    expect(terminal.drawn()).toContain('uploading');
    expect(io.stdout()).not.toContain('\x1b'); // the bar draws on its own stream, never into the listing

    writePackage(dir, 'cli-progress-pkg', '1.0.1');
    const quiet = fakeTerminal();
    const json = { ...sessionIO(dir, store), tty: true, progressStream: quiet };
    expect(await publishCommand(undefined, { registry, json: true }, json), json.stderr()).toBe(0);
    expect(quiet.drawn()).toBe('');
    expect(JSON.parse(json.stdout())).toMatchObject({ name: 'cli-progress-pkg', version: '1.0.1', published: true, verified: true });

    // Not a terminal: no bar either, whatever the mode.
    writePackage(dir, 'cli-progress-pkg', '1.0.2');
    const piped = Object.assign(fakeTerminal(), { isTTY: false });
    const plain = { ...sessionIO(dir, store), tty: false, progressStream: piped };
    expect(await publishCommand(undefined, { registry }, plain), plain.stderr()).toBe(0);
    expect(piped.drawn()).toBe('');
  });

  it('asks for the username and password at a prompt when there is a terminal', async () => {
    const asked: string[] = [];
    const io = {
      ...sessionIO(tempDir(), memoryStore()),
      prompt: async (question: string, options?: { silent?: boolean }) => {
        asked.push(`${question}${options?.silent ? '(hidden)' : ''}`);
        return question.startsWith('Username') ? 'cli-user' : 'a-long-password-123';
      },
    };
    expect(await loginCommand({ registry, json: true }, io), io.stderr()).toBe(0);
    expect(asked).toEqual(['Username: ', 'Password: (hidden)']);
    expect(JSON.parse(io.stdout())).toMatchObject({ username: 'cli-user', stored: 'memory' });
  });

  it('keeps a registry that answers with HTML to one clear line', async () => {
    const page = (status: number) =>
      (async () =>
        new Response('<!DOCTYPE html>\n<html>\n<body>\n<h1>Not here</h1>\n</body>\n</html>', {
          status,
          headers: { 'content-type': 'text/html' },
        })) as typeof fetch;
    const notFound = { ...sessionIO(tempDir(), store), fetch: page(404) };
    expect(await whoamiCommand({ registry, token: 't' }, notFound)).toBe(1);
    expect(notFound.stderr()).toMatch(/^shelf: .* refused to say who you are \(404: Not here\)\n$/);
    const ok = { ...sessionIO(tempDir(), store), fetch: page(200) };
    expect(await searchCommand('x', { registry }, ok)).toBe(1);
    expect(ok.stderr()).toMatch(
      /^shelf: .* answered the request to search for "x" with something that is not JSON; is it an npm registry\? \(--registry\)\n$/,
    );
  });

  it('refuses a --depth that is not a number of levels before resolving anything', async () => {
    const io = sessionIO(tempDir(), store);
    expect(await treeCommand({ registry, depth: 'deep' }, io)).toBe(1);
    expect(io.stderr()).toBe('shelf: --depth must be a whole number of levels (0 or more), not "deep"\n');
  });

  it('shows a package with info and finds it with search', async () => {
    const info = sessionIO(tempDir(), store);
    expect(await infoCommand('cli-pkg', { registry, json: true }, info), info.stderr()).toBe(0);
    expect(JSON.parse(info.stdout())).toMatchObject({ name: 'cli-pkg', version: '1.0.0', distTags: { latest: '1.0.0' }, yanked: [] });
    const missing = sessionIO(tempDir(), store);
    expect(await infoCommand('cli-pkg@^2', { registry }, missing)).toBe(1);
    expect(missing.stderr()).toContain('cli-pkg has no version matching "^2"');

    const search = sessionIO(tempDir(), store);
    expect(await searchCommand('cli', { registry }, search), search.stderr()).toBe(0);
    expect(search.stdout()).toContain('cli-pkg@1.0.0  from the cli');
  });

  it('creates, lists and revokes tokens, then logs out', async () => {
    const create = sessionIO(tempDir(), store, 'a-long-password-123');
    expect(await tokenCreateCommand({ registry, readOnly: true, json: true }, create), create.stderr()).toBe(0);
    const created = JSON.parse(create.stdout());
    expect(created.readonly).toBe(true);

    const list = sessionIO(tempDir(), store);
    expect(await tokenListCommand({ registry, json: true }, list), list.stderr()).toBe(0);
    expect(JSON.parse(list.stdout()).map((t: { key: string }) => t.key)).toContain(created.key);

    const revoke = sessionIO(tempDir(), store);
    expect(await tokenRevokeCommand(created.key, { registry }, revoke), revoke.stderr()).toBe(0);
    const readOnly = sessionIO(tempDir(), memoryStore());
    expect(await whoamiCommand({ registry, token: created.token }, readOnly)).toBe(1);

    const out = sessionIO(tempDir(), store);
    expect(await logoutCommand({ registry }, out), out.stderr()).toBe(0);
    const who = sessionIO(tempDir(), store);
    expect(await whoamiCommand({ registry }, who)).toBe(1);
    expect(who.stderr()).toContain('run `shelf login`');
  });
});
