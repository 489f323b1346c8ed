// Coming from Verdaccio: a real Verdaccio 6 (6.8 runs on this Node 20; the Node 22 package the benchmarks use would put
// a `node` of another ABI first on npm scripts' PATH) fills a storage folder and an htpasswd file through the real npm; `shelf import verdaccio` moves it into a data folder; `shelf serve` then serves
// the same bytes, tags and readmes, lets the users in with their Verdaccio passwords, and npm installs from it.
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NpmUser, makePackage, run, tempDir, type ClientResult } from '../helpers/clients';
import { ROOT, cleanEnv, startShelf, type RunningShelf } from '../helpers/shelf-process';
import { freePort } from '../helpers/ports';

const VERDACCIO = join(ROOT, 'node_modules', 'verdaccio', 'bin', 'verdaccio');
const SHELF = join(ROOT, 'bin', 'shelf.js');

const USERS = {
  alice: { password: 'alice-verdaccio-pw-1', email: 'alice@example.test' },
  bob: { password: 'bob-verdaccio-pw-2', email: 'bob@example.test' },
} as const;

/** What each user publishes to Verdaccio, in order: [user, package folder manifest, readme, npm publish flags]. */
const PUBLISHES: [keyof typeof USERS, { name: string; version: string }, string, string[]][] = [
  ['alice', { name: 'vd-import-a', version: '1.0.0' }, '# vd-import-a\n\nThe first one.\n', []],
  ['alice', { name: 'vd-import-a', version: '1.1.0' }, '# vd-import-a\n\nNow with more.\n', []],
  ['alice', { name: 'vd-import-a', version: '2.0.0-beta.1' }, '# vd-import-a\n\nThe beta.\n', ['--tag', 'beta']],
  ['bob', { name: '@team/tool', version: '1.0.0' }, '# @team/tool\n', []],
  ['bob', { name: '@team/tool', version: '1.0.1' }, '# @team/tool\n\nFixed.\n', []],
  ['alice', { name: '@corp/secret', version: '0.1.0' }, '# secret\n', []],
];
const VERSION_COUNT = PUBLISHES.length;

let work: string;
let storage: string;
let htpasswd: string;
let configFile: string;
let dataDir: string;
let verdaccio: ChildProcess | undefined;
let shelf: RunningShelf | undefined;

async function waitForPing(url: string, output: () => string): Promise<void> {
  // Bounded: up to 300 tries, 100 ms apart.
  for (let i = 0; i < 300; i++) {
    try {
      if ((await fetch(`${url}/-/ping`)).ok) return;
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`Verdaccio did not answer /-/ping within 30 s:\n${output()}`);
}

function verdaccioConfig(): string {
  return `storage: ${storage}
auth:
  htpasswd:
    file: ${htpasswd}
    max_users: 100
uplinks: {}
packages:
  '@corp/*':
    access: $authenticated
    publish: alice
    unpublish: alice
  '@*/*':
    access: $all
    publish: $authenticated
    unpublish: $authenticated
  '**':
    access: $all
    publish: $authenticated
    unpublish: $authenticated
web:
  title: Our old registry
log: { type: stdout, format: json, level: error }
`;
}

function shelfImport(args: string[]): Promise<ClientResult> {
  return run(process.execPath, [SHELF, 'import', 'verdaccio', ...args, '--data-dir', dataDir], { cwd: work, env: cleanEnv() });
}

const fullImportArgs = () => [storage, '--htpasswd', htpasswd, '--config', configFile];

function storedPackument(name: string): any {
  return JSON.parse(readFileSync(join(storage, name, 'package.json'), 'utf8'));
}

function passwordHashOf(name: string): string {
  const db = new Database(join(dataDir, 'shelf.db'), { readonly: true, fileMustExist: true });
  try {
    return (db.prepare('SELECT password_hash FROM users WHERE name = ?').get(name) as { password_hash: string }).password_hash;
  } finally {
    db.close();
  }
}

/** Every table's row count, the blob files and config.json: what a refusal must leave as it was. */
function snapshot(): Record<string, unknown> {
  const db = new Database(join(dataDir, 'shelf.db'), { readonly: true, fileMustExist: true });
  try {
    const tables = (
      db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").all() as { name: string }[]
    )
      .map((row) => row.name)
      // Download counts are what the running server writes on its own, a second after a tarball is fetched.
      .filter((name) => !/download/i.test(name))
      .sort();
    const counts: Record<string, unknown> = {};
    for (const table of tables) counts[table] = (db.prepare(`SELECT count(*) AS n FROM "${table}"`).get() as { n: number }).n;
    counts.hashes = (db.prepare('SELECT name, password_hash FROM users ORDER BY name').all() as object[]).map((r) => JSON.stringify(r));
    counts.blobs = readdirSync(join(dataDir, 'blobs'), { recursive: true }).map(String).sort();
    counts.config = readFileSync(join(dataDir, 'config.json'), 'utf8');
    return counts;
  } finally {
    db.close();
  }
}

function couchLogin(name: string, password: string): Promise<Response> {
  return fetch(`${shelf!.url}/-/user/org.couchdb.user:${encodeURIComponent(name)}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ _id: `org.couchdb.user:${name}`, name, password, type: 'user', roles: [] }),
  });
}

beforeAll(async () => {
  work = tempDir('shelf-vd-');
  storage = join(work, 'storage');
  htpasswd = join(work, 'htpasswd');
  configFile = join(work, 'config.yaml');
  dataDir = join(work, 'shelf-data');
  mkdirSync(storage);
  writeFileSync(configFile, verdaccioConfig());
  const port = await freePort();
  const registry = `http://127.0.0.1:${port}/`;
  let out = '';
  verdaccio = spawn(process.execPath, [VERDACCIO, '--config', configFile, '--listen', `127.0.0.1:${port}`], {
    cwd: work,
    env: { ...cleanEnv(), NODE_ENV: 'production' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  verdaccio.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  verdaccio.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  await waitForPing(registry.slice(0, -1), () => out);

  const clients = { alice: new NpmUser(registry), bob: new NpmUser(registry) };
  for (const name of ['alice', 'bob'] as const) {
    const added = await clients[name].npmPrompted(['adduser', '--auth-type=legacy'], work, [
      [/Username:/, name],
      [/Password:/, USERS[name].password],
      [/Email/, USERS[name].email],
    ]);
    expect(added.code, added.stderr + added.stdout).toBe(0);
  }
  for (const [user, manifest, readme, flags] of PUBLISHES) {
    const dir = makePackage(join(work, 'src', `${manifest.name.replace('/', '+')}-${manifest.version}`), manifest, { 'README.md': readme });
    const published = await clients[user].npm(['publish', ...flags], dir);
    expect(published.code, `${manifest.name}@${manifest.version}: ${published.stderr}`).toBe(0);
  }
  const tagged = await clients.alice.npm(['dist-tag', 'add', 'vd-import-a@1.0.0', 'stable'], work);
  expect(tagged.code, tagged.stderr).toBe(0);

  const exited = new Promise((r) => verdaccio!.once('exit', r));
  verdaccio.kill('SIGTERM');
  await exited;
  verdaccio = undefined;
}, 240_000);

afterAll(async () => {
  verdaccio?.kill('SIGKILL');
  await shelf?.stop();
  rmSync(work, { recursive: true, force: true });
});

describe('shelf import verdaccio, on what a real Verdaccio 6 stored', () => {
  it('has a storage folder and an htpasswd file as Verdaccio writes them', () => {
    expect(readdirSync(storage).sort()).toEqual(expect.arrayContaining(['@corp', '@team', 'vd-import-a']));
    expect(storedPackument('vd-import-a')['dist-tags']).toEqual({ latest: '1.1.0', beta: '2.0.0-beta.1', stable: '1.0.0' });
    const lines = readFileSync(htpasswd, 'utf8').trim().split('\n');
    expect(lines.map((l) => l.split(':')[0]).sort()).toEqual(['alice', 'bob']);
    for (const line of lines) expect(line.split(':')[1]).toMatch(/^\$2[aby]\$/);
  });

  it('refuses a storage folder that does not exist before it opens the data folder', async () => {
    const missing = join(work, 'no-such-storage');
    const result = await shelfImport([missing, '--htpasswd', htpasswd]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`shelf: there is no folder ${missing}; pass the folder Verdaccio's config.yaml names as storage\n`);
    expect(result.stdout).toBe('');
    expect(existsSync(dataDir)).toBe(false);
  });

  it('refuses a damaged tarball and imports only what verifies, then a rerun finishes the rest', async () => {
    // A partial copy: one package, one of its tarballs damaged (a flipped byte) and another missing.
    const partial = join(work, 'partial');
    cpSync(join(storage, 'vd-import-a'), join(partial, 'vd-import-a'), { recursive: true });
    const damaged = join(partial, 'vd-import-a', 'vd-import-a-1.1.0.tgz');
    const bytes = readFileSync(damaged);
    bytes[bytes.length - 10] = bytes[bytes.length - 10]! ^ 0xff;
    writeFileSync(damaged, bytes);
    rmSync(join(partial, 'vd-import-a', 'vd-import-a-2.0.0-beta.1.tgz'));

    const first = await shelfImport([partial, '--htpasswd', htpasswd, '--json']);
    expect(first.code, first.stderr).toBe(1);
    const summary = JSON.parse(first.stdout);
    expect(summary.versions).toEqual({ imported: 1, alreadyPresent: 0, failed: 2 });
    expect(summary.problems).toEqual(
      expect.arrayContaining([
        {
          item: 'vd-import-a@1.1.0',
          message: expect.stringMatching(/does not match the packument's dist\.integrity .*damaged; it was not imported/),
        },
        { item: 'vd-import-a@2.0.0-beta.1', message: expect.stringMatching(/tarball .* is missing/) },
      ]),
    );
    expect(summary.users.imported).toBe(2);

    const rest = await shelfImport(['--json', ...fullImportArgs()]);
    expect(rest.code, rest.stderr + rest.stdout).toBe(0);
    const done = JSON.parse(rest.stdout);
    expect(done.versions).toEqual({ imported: VERSION_COUNT - 1, alreadyPresent: 1, failed: 0 });
    expect(done.users).toEqual({ imported: 0, alreadyPresent: 2, failed: 0, skipped: 0 });
    expect(done.problems).toEqual([]);
    // The rule Shelf has no equivalent for is named, not dropped; so is the key it knows nothing of.
    expect(done.notMapped).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^packages '@corp\/\*' access: \$authenticated — .*not applied$/),
        expect.stringMatching(/^packages '\*\*' publish: \$authenticated — /),
        expect.stringMatching(/^web: — no Shelf equivalent/),
      ]),
    );
    expect(done.mapped).toEqual(expect.arrayContaining([expect.stringMatching(/^packages '@corp\/\*' publish: alice → maintainers/)]));
    expect(done.usersOnImportedHash).toBe(2);
    // No uplinks at the source: Shelf mirrors nothing either.
    expect(JSON.parse(readFileSync(join(dataDir, 'config.json'), 'utf8'))).toEqual({ upstreams: [] });
  });

  it('serves every version with the same bytes, and the same dist-tags and readmes, from shelf serve', async () => {
    shelf = await startShelf([], { dataDir });
    for (const name of ['vd-import-a', '@team/tool', '@corp/secret']) {
      const source = storedPackument(name);
      const response = await fetch(`${shelf.url}/${name.replace('/', '%2f')}`);
      expect(response.status, name).toBe(200);
      const served: any = await response.json();
      expect(served['dist-tags'], name).toEqual(source['dist-tags']);
      expect(served.readme, name).toBe(source.readme);
      expect(Object.keys(served.versions).sort(), name).toEqual(Object.keys(source.versions).sort());
      for (const [version, manifest] of Object.entries<any>(source.versions)) {
        expect(served.time[version], `${name}@${version}`).toBe(source.time[version]);
        const tarballUrl: string = served.versions[version].dist.tarball;
        expect(tarballUrl.startsWith(shelf.registry), tarballUrl).toBe(true);
        const tarball = await fetch(tarballUrl);
        expect(tarball.status, tarballUrl).toBe(200);
        const file = join(storage, name, manifest.dist.tarball.split('/').pop());
        expect(Buffer.from(await tarball.arrayBuffer()).equals(readFileSync(file)), `${name}@${version}`).toBe(true);
        expect(served.versions[version].dist.integrity).toBe(manifest.dist.integrity);
      }
    }
    // config.yaml's publish rules became people: alice alone on @corp, everyone on the rest.
    const corp = await fetch(`${shelf.url}/@corp%2fsecret`).then((r) => r.json() as Promise<any>);
    expect(corp.maintainers.map((m: any) => m.name)).toEqual(['alice']);
    const tool = await fetch(`${shelf.url}/@team%2ftool`).then((r) => r.json() as Promise<any>);
    expect(tool.maintainers.map((m: any) => m.name).sort()).toEqual(['alice', 'bob']);
  });

  it('lets the users in with their Verdaccio passwords, and replaces the imported hash at that login', async () => {
    expect(passwordHashOf('bob')).toMatch(/^htpasswd:\$2[aby]\$/);
    const wrong = await couchLogin('bob', 'not-his-password');
    expect(wrong.status).toBe(401);
    expect(passwordHashOf('bob')).toMatch(/^htpasswd:/);

    const bob = await couchLogin('bob', USERS.bob.password);
    expect(bob.status, await bob.clone().text()).toBe(201);
    expect(((await bob.json()) as any).token).toMatch(/^shelf_/);
    expect(passwordHashOf('bob')).toMatch(/^scrypt\$/);
    // The replaced hash holds the same password.
    expect((await couchLogin('bob', USERS.bob.password)).status).toBe(201);

    const alice = new NpmUser(shelf!.registry);
    const login = await alice.npmPrompted(['login', '--auth-type=legacy'], work, [
      [/Username:/, 'alice'],
      [/Password:/, USERS.alice.password],
    ]);
    expect(login.code, login.stderr + login.stdout).toBe(0);
    const whoami = await alice.npm(['whoami'], work);
    expect(whoami.stdout.trim()).toBe('alice');
    expect(passwordHashOf('alice')).toMatch(/^scrypt\$/);
  });

  it('installs imported packages with npm from Shelf', async () => {
    const project = join(work, 'consumer');
    makePackage(project, { name: 'consumer', version: '1.0.0', private: true });
    const npm = new NpmUser(shelf!.registry);
    const result = await npm.npm(['install', 'vd-import-a@^1', '@team/tool', '--no-audit', '--no-fund'], project);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(project, 'node_modules', 'vd-import-a', 'package.json'), 'utf8')).version).toBe('1.1.0');
    expect(readFileSync(join(project, 'node_modules', '@team', 'tool', 'README.md'), 'utf8')).toBe('# @team/tool\n\nFixed.\n');
    expect(existsSync(join(project, 'package-lock.json'))).toBe(true);
  });

  it('adds nothing on a second run and says so', async () => {
    const again = await shelfImport(['--json', ...fullImportArgs()]);
    expect(again.code, again.stderr).toBe(0);
    const summary = JSON.parse(again.stdout);
    expect(summary.versions).toEqual({ imported: 0, alreadyPresent: VERSION_COUNT, failed: 0 });
    expect(summary.packages).toEqual({ imported: 0, updated: 0, alreadyPresent: 3, failed: 0 });
    expect(summary.distTags.set).toBe(0);
    expect(summary.readmes.set).toBe(0);
    expect(summary.users.imported).toBe(0);
    expect(summary.settings.applied).toEqual([]);

    const text = await shelfImport(fullImportArgs());
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^Nothing new: everything in this Verdaccio folder is already present in Shelf\./);
    expect(text.stdout).toMatch(/✗ packages '@corp\/\*' access: \$authenticated/);
  });

  it('refuses an --owner nobody has, and writes nothing', async () => {
    // The running server writes the earlier installs' download counts (and the search order they set) within a second;
    // a read of the counts writes them now, so the snapshot sees only what the refused import could write.
    expect((await fetch(`${shelf!.registry}api/v1/packages/vd-import-a`)).status).toBe(200);
    const before = snapshot();
    const result = await shelfImport([...fullImportArgs(), '--owner', 'nobody-here']);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      "shelf: there is no user 'nobody-here' in Shelf or in the htpasswd file; --owner names an existing account\n",
    );
    expect(snapshot()).toEqual(before);
  });
});
