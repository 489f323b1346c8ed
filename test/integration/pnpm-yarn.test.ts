// pnpm 10 and yarn 4 (berry) install from and publish to `shelf serve`, unchanged.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NpmUser, PNPM, YARN, makePackage, run, tempDir } from '../helpers/clients';
import { startShelf, type RunningShelf } from '../helpers/shelf-process';

let shelf: RunningShelf;
let npmUser: NpmUser;
let token: string;
let work: string;

beforeAll(async () => {
  shelf = await startShelf();
  work = tempDir();
  const response = await fetch(`${shelf.url}/-/user/org.couchdb.user:polly`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'polly', password: 'correct-horse-battery', email: 'polly@example.test', type: 'user', roles: [] }),
  });
  token = ((await response.json()) as { token: string }).token;
  npmUser = new NpmUser(shelf.registry);
  npmUser.setToken(token);
  // A small chain to install: base ← mid.
  const base = makePackage(join(work, 'base'), { name: 'chain-base', version: '1.0.0' });
  const mid = makePackage(
    join(work, 'mid'),
    { name: '@chain/mid', version: '1.0.0', dependencies: { 'chain-base': '^1.0.0' } },
    {
      'index.js': "module.exports = 'mid+' + require('chain-base');\n",
    },
  );
  for (const dir of [base, mid]) {
    const result = await npmUser.npm(['publish', '--access', 'public'], dir);
    expect(result.code, result.stderr).toBe(0);
  }
});

afterAll(async () => {
  await shelf?.stop();
  rmSync(work, { recursive: true, force: true });
});

async function packument(name: string) {
  return (await fetch(`${shelf.url}/${name.replace('/', '%2f')}`)).json() as Promise<any>;
}

describe('pnpm', () => {
  const pnpm = (args: string[], cwd: string) => run(process.execPath, [PNPM, ...args], { cwd, env: npmUser.env(), timeoutMs: 180_000 });

  it('installs a dependency chain from Shelf', async () => {
    const project = makePackage(join(work, 'pnpm-app'), {
      name: 'pnpm-app',
      version: '1.0.0',
      private: true,
      dependencies: { '@chain/mid': '^1.0.0' },
    });
    writeFileSync(join(project, '.npmrc'), `registry=${shelf.registry}\nstore-dir=${join(work, 'pnpm-store')}\n`);
    const result = await pnpm(['install', '--reporter', 'append-only'], project);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(existsSync(join(project, 'node_modules', '@chain', 'mid', 'package.json'))).toBe(true);
    const lock = readFileSync(join(project, 'pnpm-lock.yaml'), 'utf8');
    expect(lock).toMatch(/chain-base@1\.0\.0/);
    expect(lock).toMatch(/integrity: sha512-/);
  });

  it('publishes a package to Shelf', async () => {
    const dir = makePackage(join(work, 'pnpm-pkg'), { name: 'from-pnpm', version: '1.0.0', description: 'published by pnpm' });
    const result = await pnpm(['publish', '--no-git-checks'], dir);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    const doc = await packument('from-pnpm');
    expect(doc['dist-tags'].latest).toBe('1.0.0');
    expect(doc.versions['1.0.0']._npmUser.name).toBe('polly');
  });
});

describe('yarn 4', () => {
  const yarnEnv = (home: string) => ({
    ...npmUser.env(),
    HOME: home,
    YARN_ENABLE_TELEMETRY: '0',
    YARN_ENABLE_IMMUTABLE_INSTALLS: 'false',
    YARN_ENABLE_GLOBAL_CACHE: 'false',
    YARN_IGNORE_PATH: '1',
    CI: '',
  });
  const yarn = (args: string[], cwd: string) => run(process.execPath, [YARN, ...args], { cwd, env: yarnEnv(work), timeoutMs: 180_000 });
  const yarnrc = (dir: string) =>
    writeFileSync(
      join(dir, '.yarnrc.yml'),
      [
        `npmRegistryServer: "${shelf.url}"`,
        'unsafeHttpWhitelist: ["127.0.0.1"]',
        `npmAuthToken: "${token}"`,
        'nodeLinker: node-modules',
        'enableGlobalCache: false',
        // yarn 4.1x holds back versions younger than its age gate; these were published seconds ago.
        'npmMinimalAgeGate: 0',
        '',
      ].join('\n'),
    );

  it('installs a dependency chain from Shelf', async () => {
    const project = makePackage(join(work, 'yarn-app'), {
      name: 'yarn-app',
      version: '1.0.0',
      private: true,
      dependencies: { '@chain/mid': '^1.0.0' },
    });
    yarnrc(project);
    writeFileSync(join(project, 'yarn.lock'), '');
    const result = await yarn(['install'], project);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(existsSync(join(project, 'node_modules', 'chain-base', 'package.json'))).toBe(true);
    expect(readFileSync(join(project, 'yarn.lock'), 'utf8')).toMatch(/chain-base@npm:\^1\.0\.0/);
  });

  it('publishes a package to Shelf', async () => {
    const dir = makePackage(join(work, 'yarn-pkg'), { name: '@yarnies/from-yarn', version: '1.0.0', description: 'published by yarn' });
    yarnrc(dir);
    writeFileSync(join(dir, 'yarn.lock'), '');
    const install = await yarn(['install'], dir);
    expect(install.code, install.stdout + install.stderr).toBe(0);
    const result = await yarn(['npm', 'publish', '--access', 'public'], dir);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    const doc = await packument('@yarnies/from-yarn');
    expect(doc['dist-tags'].latest).toBe('1.0.0');
    expect(doc.versions['1.0.0'].description).toBe('published by yarn');
  });

  it('reads dist-tags with yarn npm tag list', async () => {
    const result = await yarn(['npm', 'tag', 'list', 'chain-base'], join(work, 'yarn-app'));
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toMatch(/latest.*1\.0\.0/);
  });
});
