// The real npm CLI of this machine against `shelf serve`: every operation of the npm protocol, in the order a person would use them.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NpmUser, makePackage, tempDir } from '../helpers/clients';
import { startShelf, type RunningShelf } from '../helpers/shelf-process';

let shelf: RunningShelf;
let alice: NpmUser;
let bob: NpmUser;
let work: string;

const PASSWORD = 'correct-horse-battery';

async function getJson(path: string, token?: string): Promise<{ status: number; body: any }> {
  const response = await fetch(`${shelf.url}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  return { status: response.status, body: await response.json().catch(() => undefined) };
}

function tokenOf(user: NpmUser): string {
  const match = /:_authToken=(\S+)/.exec(readFileSync(user.npmrc, 'utf8'));
  if (!match) throw new Error(`no token in ${user.npmrc}`);
  return match[1]!;
}

/** npm adduser over the couch protocol, answering its prompts on stdin. */
async function adduser(user: NpmUser, name: string, email: string) {
  return user.npmPrompted(['adduser', '--auth-type=legacy'], work, [
    [/Username:/, name],
    [/Password:/, PASSWORD],
    [/Email/, email],
  ]);
}

beforeAll(async () => {
  shelf = await startShelf();
  alice = new NpmUser(shelf.registry);
  bob = new NpmUser(shelf.registry);
  work = tempDir();
});

afterAll(async () => {
  await shelf?.stop();
  rmSync(work, { recursive: true, force: true });
});

describe('npm CLI against shelf serve', () => {
  it('answers npm ping', async () => {
    const result = await alice.npm(['ping'], work);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/PONG/);
  });

  it('creates an account with npm adduser and knows who is logged in', async () => {
    const added = await adduser(alice, 'alice', 'alice@example.test');
    expect(added.code, added.stderr + added.stdout).toBe(0);
    expect(tokenOf(alice)).toMatch(/^shelf_/);
    const whoami = await alice.npm(['whoami'], work);
    expect(whoami.stdout.trim()).toBe('alice');
  });

  it('refuses whoami without a login, with a 401', async () => {
    const result = await bob.npm(['whoami'], work);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/401|not logged in|ENEEDAUTH/i);
  });

  it('publishes an unscoped package and serves its packument', async () => {
    const dir = makePackage(join(work, 'a1'), {
      name: 'shelf-it-a',
      version: '1.0.0',
      description: 'first test package',
      keywords: ['shelf', 'test'],
    });
    const result = await alice.npm(['publish'], dir);
    expect(result.code, result.stderr).toBe(0);
    const { status, body } = await getJson('/shelf-it-a');
    expect(status).toBe(200);
    expect(body['dist-tags']).toEqual({ latest: '1.0.0' });
    expect(body.versions['1.0.0'].dist.tarball).toBe(`${shelf.registry}shelf-it-a/-/shelf-it-a-1.0.0.tgz`);
    expect(body.versions['1.0.0'].dist.integrity).toMatch(/^sha512-/);
    expect(body.time['1.0.0']).toBeTruthy();
    expect(body._rev).toMatch(/^\d+-/);
    expect(body.maintainers).toEqual([{ name: 'alice', email: 'alice@example.test' }]);
  });

  it('refuses to publish the same version twice with 409 and keeps the first', async () => {
    const dir = makePackage(join(work, 'a1-again'), { name: 'shelf-it-a', version: '1.0.0', description: 'changed' });
    const result = await alice.npm(['publish'], dir);
    expect(result.code).not.toBe(0);
    // npm 11 reads the packument first and refuses by itself; the server's own 409 is covered by the unpublish test below.
    expect(result.stderr).toMatch(/cannot publish over the previously published versions: 1\.0\.0/i);
    const { body } = await getJson('/shelf-it-a');
    expect(body.versions['1.0.0'].description).toBe('first test package');
  });

  it('publishes a scoped package that depends on the first', async () => {
    const dir = makePackage(
      join(work, 'lib'),
      { name: '@team/lib', version: '1.0.0', description: 'scoped test package', dependencies: { 'shelf-it-a': '^1.0.0' } },
      { 'index.js': "module.exports = 'lib uses ' + require('shelf-it-a');\n" },
    );
    const result = await alice.npm(['publish', '--access', 'public'], dir);
    expect(result.code, result.stderr).toBe(0);
    const { status, body } = await getJson('/@team%2flib');
    expect(status).toBe(200);
    expect(body.versions['1.0.0'].dist.tarball).toBe(`${shelf.registry}@team/lib/-/lib-1.0.0.tgz`);
    // pnpm sends %2F; both spellings name the same package.
    expect((await getJson('/@team%2Flib')).status).toBe(200);
  });

  it('publishes a prerelease under a dist-tag without moving latest', async () => {
    const dir = makePackage(join(work, 'a2'), { name: 'shelf-it-a', version: '2.0.0-beta.1', description: 'beta' });
    const result = await alice.npm(['publish', '--tag', 'beta'], dir);
    expect(result.code, result.stderr).toBe(0);
    const { body } = await getJson('/shelf-it-a');
    expect(body['dist-tags']).toEqual({ latest: '1.0.0', beta: '2.0.0-beta.1' });
  });

  it('installs a dependency chain published to Shelf into a fresh project', async () => {
    const project = makePackage(join(work, 'app'), { name: 'app', version: '1.0.0', private: true });
    const result = await alice.npm(['install', '@team/lib'], project);
    expect(result.code, result.stderr).toBe(0);
    expect(existsSync(join(project, 'node_modules', '@team', 'lib', 'package.json'))).toBe(true);
    expect(JSON.parse(readFileSync(join(project, 'node_modules', 'shelf-it-a', 'package.json'), 'utf8')).version).toBe('1.0.0');
    const lock = JSON.parse(readFileSync(join(project, 'package-lock.json'), 'utf8'));
    expect(lock.packages['node_modules/shelf-it-a'].integrity).toMatch(/^sha512-/);
    const { execFileSync } = await import('node:child_process');
    expect(execFileSync(process.execPath, ['-e', "console.log(require('@team/lib'))"], { cwd: project }).toString().trim()).toBe(
      'lib uses shelf-it-a',
    );
  });

  it('shows a package with npm view', async () => {
    const result = await alice.npm(['view', 'shelf-it-a', '--json'], work);
    expect(result.code, result.stderr).toBe(0);
    const view = JSON.parse(result.stdout);
    expect(view.name).toBe('shelf-it-a');
    expect(view.versions).toEqual(['1.0.0', '2.0.0-beta.1']);
    expect(view['dist-tags'].beta).toBe('2.0.0-beta.1');
    expect(view._npmUser).toMatch(/^alice/);
  });

  it('adds, lists and removes dist-tags', async () => {
    expect((await alice.npm(['dist-tag', 'add', 'shelf-it-a@1.0.0', 'stable'], work)).code).toBe(0);
    const ls = await alice.npm(['dist-tag', 'ls', 'shelf-it-a'], work);
    expect(ls.stdout).toMatch(/stable: 1\.0\.0/);
    expect((await alice.npm(['dist-tag', 'rm', 'shelf-it-a', 'stable'], work)).code).toBe(0);
    const { body } = await getJson('/-/package/shelf-it-a/dist-tags');
    expect(body).toEqual({ latest: '1.0.0', beta: '2.0.0-beta.1' });
  });

  it('refuses a dist-tag on a version that does not exist', async () => {
    const result = await alice.npm(['dist-tag', 'add', 'shelf-it-a@9.9.9', 'nope'], work);
    expect(result.code).not.toBe(0);
    const { body } = await getJson('/-/package/shelf-it-a/dist-tags');
    expect(body.nope).toBeUndefined();
  });

  it('deprecates and undeprecates a version', async () => {
    const dep = await alice.npm(['deprecate', 'shelf-it-a@1.0.0', 'use 2.x instead'], work);
    expect(dep.code, dep.stderr).toBe(0);
    let { body } = await getJson('/shelf-it-a');
    expect(body.versions['1.0.0'].deprecated).toBe('use 2.x instead');
    const abbreviated = await fetch(`${shelf.url}/shelf-it-a`, { headers: { accept: 'application/vnd.npm.install-v1+json' } });
    expect(((await abbreviated.json()) as any).versions['1.0.0'].deprecated).toBe('use 2.x instead');
    const undep = await alice.npm(['undeprecate', 'shelf-it-a@1.0.0'], work);
    expect(undep.code, undep.stderr).toBe(0);
    ({ body } = await getJson('/shelf-it-a'));
    expect(body.versions['1.0.0'].deprecated).toBeUndefined();
  });

  it('adds and removes an owner', async () => {
    const added = await adduser(bob, 'bob', 'bob@example.test');
    expect(added.code, added.stderr).toBe(0);
    // bob is not an owner yet: his publish is refused with 403 and nothing is stored.
    const bobDir = makePackage(join(work, 'a3-bob'), { name: 'shelf-it-a', version: '3.0.0' });
    const refused = await bob.npm(['publish'], bobDir);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/403/);
    expect((await getJson('/shelf-it-a')).body.versions['3.0.0']).toBeUndefined();

    expect((await alice.npm(['owner', 'add', 'bob', 'shelf-it-a'], work)).code).toBe(0);
    const ls = await alice.npm(['owner', 'ls', 'shelf-it-a'], work);
    expect(ls.stdout).toMatch(/alice <alice@example\.test>/);
    expect(ls.stdout).toMatch(/bob <bob@example\.test>/);
    expect((await alice.npm(['owner', 'rm', 'bob', 'shelf-it-a'], work)).code).toBe(0);
    const after = await alice.npm(['owner', 'ls', 'shelf-it-a'], work);
    expect(after.stdout).not.toMatch(/bob/);
  });

  it('restricts a scoped package so only its owners can read it', async () => {
    const set = await alice.npm(['access', 'set', 'status=private', '@team/lib'], work);
    expect(set.code, set.stderr).toBe(0);
    const get = await alice.npm(['access', 'get', 'status', '@team/lib'], work);
    expect(get.stdout).toMatch(/private/);
    expect((await getJson('/@team%2flib')).status).toBe(404);
    expect((await getJson('/@team/lib/-/lib-1.0.0.tgz')).status).toBe(404);
    expect((await getJson('/@team%2flib', tokenOf(alice))).status).toBe(200);
    expect((await getJson('/@team%2flib', tokenOf(bob))).status).toBe(404);
    const pub = await alice.npm(['access', 'set', 'status=public', '@team/lib'], work);
    expect(pub.code, pub.stderr).toBe(0);
    expect((await getJson('/@team%2flib')).status).toBe(200);
  });

  it('finds packages with npm search', async () => {
    const result = await alice.npm(['search', 'shelf-it', '--json'], work);
    expect(result.code, result.stderr).toBe(0);
    const hits = JSON.parse(result.stdout) as { name: string }[];
    expect(hits.map((h) => h.name)).toContain('shelf-it-a');
    const scoped = await alice.npm(['search', 'scope:team', '--json'], work);
    expect((JSON.parse(scoped.stdout) as { name: string }[]).map((h) => h.name)).toEqual(['@team/lib']);
  });

  it('creates, lists and revokes tokens', async () => {
    // npm 11 asks for a read-only token with --packages-and-scopes-permission (its older --read-only is ignored on create).
    const created = await alice.npmPrompted(
      ['token', 'create', '--name', 'ci-read', '--packages-and-scopes-permission', 'read-only', '--json'],
      work,
      [[/[Pp]assword/, PASSWORD]],
    );
    expect(created.code, created.stderr + created.stdout).toBe(0);
    // The password prompt is echoed on stdout before the JSON.
    const token = JSON.parse(created.stdout.slice(created.stdout.indexOf('{')));
    expect(token.token).toMatch(/^shelf_/);
    expect(token.readonly).toBe(true);
    // The read-only token reads but cannot publish.
    expect((await getJson('/-/whoami', token.token)).body).toEqual({ username: 'alice' });
    const listed = await alice.npm(['token', 'list', '--json'], work);
    expect(listed.code, listed.stderr).toBe(0);
    const entry = (JSON.parse(listed.stdout) as { key: string; name: string; readonly: boolean; token: string }[]).find(
      (t) => t.name === 'ci-read',
    );
    expect(entry?.readonly).toBe(true);
    // The list shows a recognisable prefix, never the secret.
    expect(listed.stdout).not.toContain(token.token);
    const revoked = await alice.npm(['token', 'revoke', entry!.key], work);
    expect(revoked.code, revoked.stderr).toBe(0);
    expect((await getJson('/-/whoami', token.token)).status).toBe(401);
  });

  it('answers npm audit', async () => {
    const result = await alice.npm(['audit', '--json', '--audit'], join(work, 'app'));
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout).metadata.vulnerabilities.total).toBe(0);
  });

  it('unpublishes one version, and refuses to publish it again', async () => {
    const result = await alice.npm(['unpublish', 'shelf-it-a@2.0.0-beta.1'], work);
    expect(result.code, result.stderr).toBe(0);
    const { body } = await getJson('/shelf-it-a');
    expect(Object.keys(body.versions)).toEqual(['1.0.0']);
    expect(body['dist-tags']).toEqual({ latest: '1.0.0' });
    expect((await getJson('/shelf-it-a/-/shelf-it-a-2.0.0-beta.1.tgz')).status).toBe(404);
    const again = await alice.npm(['publish', '--tag', 'beta'], join(work, 'a2'));
    expect(again.code).not.toBe(0);
    expect(again.stderr).toMatch(/409/);
  });

  it('unpublishes a whole package', async () => {
    const result = await alice.npm(['unpublish', '@team/lib', '--force'], work);
    expect(result.code, result.stderr).toBe(0);
    expect((await getJson('/@team%2flib')).status).toBe(404);
    const view = await alice.npm(['view', '@team/lib'], work);
    expect(view.code).not.toBe(0);
    expect(view.stderr).toMatch(/404/);
  });

  it('logs out, revoking the token', async () => {
    const token = tokenOf(bob);
    const result = await bob.npm(['logout'], work);
    expect(result.code, result.stderr).toBe(0);
    expect((await getJson('/-/whoami', token)).status).toBe(401);
    writeFileSync(join(work, 'done'), '');
  });
});
