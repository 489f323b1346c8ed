// Both doors, one registry: a package published through /api/v1 installs with the real npm, and `npm publish` shows in /api/v1/search.
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTarball } from '../helpers/app-harness';
import { NpmUser, makePackage, tempDir } from '../helpers/clients';
import { startApi, type ApiHarness } from '../unit/api/api-client';

let a: ApiHarness;
let token: string;
let npm: NpmUser;
let work: string;

beforeAll(async () => {
  a = await startApi();
  token = await a.register('alice');
  npm = new NpmUser(`${a.h.url}/`);
  npm.setToken(token);
  work = tempDir();
});
afterAll(async () => {
  await a.close();
  rmSync(work, { recursive: true, force: true });
  rmSync(npm.home, { recursive: true, force: true });
});

describe('the REST API and npm see the same packages', () => {
  it('installs with npm a package published through /api/v1, and counts the download', async () => {
    const tarball = await makeTarball({
      'package.json': JSON.stringify({ name: 'api-made', version: '1.0.0', main: 'index.js' }),
      'index.js': "module.exports = 'made by the api';\n",
    });
    const published = await a.api('POST', '/packages', {
      token,
      body: { name: 'api-made', version: '1.0.0', description: 'published over REST', tarball: tarball.toString('base64') },
    });
    expect(published.status).toBe(201);

    const project = makePackage(join(work, 'consumer'), { name: 'consumer', version: '1.0.0', private: true });
    const installed = await npm.npm(['install', 'api-made'], project);
    expect(installed.code, installed.stderr).toBe(0);
    expect(readFileSync(join(project, 'node_modules', 'api-made', 'index.js'), 'utf8')).toContain('made by the api');
    const lock = JSON.parse(readFileSync(join(project, 'package-lock.json'), 'utf8'));
    expect(lock.packages['node_modules/api-made'].integrity).toMatch(/^sha512-/);
    expect((await a.api('GET', '/packages/api-made/stats')).body.downloads.total).toBe(1);
  });

  it('finds with /api/v1/search a package published with npm publish', async () => {
    const dir = makePackage(join(work, 'npm-made'), {
      name: 'npm-made',
      version: '2.0.0',
      description: 'published by the npm cli',
      keywords: ['cli'],
    });
    const published = await npm.npm(['publish'], dir);
    expect(published.code, published.stderr).toBe(0);
    const search = await a.api('GET', '/search?q=npm-made');
    expect(search.body.results[0]).toMatchObject({
      name: 'npm-made',
      version: '2.0.0',
      description: 'published by the npm cli',
      keywords: ['cli'],
    });
    expect((await a.api('GET', '/packages/npm-made')).body.owners).toEqual(['alice']);
  });

  it('never resolves a yanked version, but installs it from a lockfile', async () => {
    for (const version of ['1.1.0']) {
      const tgz = await makeTarball({
        'package.json': JSON.stringify({ name: 'api-made', version }),
        'index.js': `module.exports = '${version}';\n`,
      });
      expect(
        (await a.api('POST', '/packages', { token, body: { name: 'api-made', version, tarball: tgz.toString('base64') } })).status,
      ).toBe(201);
    }
    const locked = makePackage(join(work, 'locked'), { name: 'locked', version: '1.0.0', private: true });
    expect((await npm.npm(['install', 'api-made@^1.0.0'], locked)).code).toBe(0);
    expect(JSON.parse(readFileSync(join(locked, 'node_modules', 'api-made', 'package.json'), 'utf8')).version).toBe('1.1.0');
    expect((await a.api('POST', '/packages/api-made/1.1.0/yank', { token })).status).toBe(200);

    const fresh = makePackage(join(work, 'fresh'), { name: 'fresh', version: '1.0.0', private: true });
    const installed = await npm.npm(['install', 'api-made@^1.0.0', '--prefer-online'], fresh);
    expect(installed.code, installed.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(fresh, 'node_modules', 'api-made', 'package.json'), 'utf8')).version).toBe('1.0.0');

    rmSync(join(locked, 'node_modules'), { recursive: true, force: true });
    const ci = await npm.npm(['ci', '--prefer-online'], locked);
    expect(ci.code, ci.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(locked, 'node_modules', 'api-made', 'package.json'), 'utf8')).version).toBe('1.1.0');
  });
});
