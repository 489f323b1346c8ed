// End to end: mirror a project's lockfile with `shelf mirror`, stop the upstream, and `npm ci` still succeeds against Shelf.
import { execFile } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NpmUser, makePackage, tempDir } from '../helpers/clients';
import { ROOT, cleanEnv, startShelf, type RunningShelf } from '../helpers/shelf-process';

const run = promisify(execFile);
let upstream: RunningShelf;
let mirror: RunningShelf;
let work: string;

beforeAll(async () => {
  work = tempDir();
  upstream = await startShelf();
  const publisher = new NpmUser(upstream.registry);
  const response = await fetch(`${upstream.url}/-/user/org.couchdb.user:uploader`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'uploader', password: 'correct-horse-battery' }),
  });
  publisher.setToken(((await response.json()) as { token: string }).token);
  const packages = [
    makePackage(join(work, 'p-base1'), { name: 'offline-base', version: '1.0.0' }),
    makePackage(join(work, 'p-base2'), { name: 'offline-base', version: '2.0.0' }),
    makePackage(
      join(work, 'p-mid'),
      { name: '@off/mid', version: '1.0.0', dependencies: { 'offline-base': '^1.0.0' } },
      { 'index.js': "module.exports = 'mid+' + require('offline-base');\n" },
    ),
  ];
  for (const dir of packages) {
    const published = await publisher.npm(['publish', '--access', 'public'], dir);
    expect(published.code, published.stderr).toBe(0);
  }
  mirror = await startShelf(['--upstream', upstream.registry]);
});

afterAll(async () => {
  await mirror?.stop();
  await upstream?.stop();
  rmSync(work, { recursive: true, force: true });
});

describe('offline install after a prefetch', () => {
  it('mirrors a lockfile, and npm ci works against Shelf with the upstream gone', async () => {
    const user = new NpmUser(mirror.registry);
    const project = makePackage(join(work, 'app'), {
      name: 'app',
      version: '1.0.0',
      private: true,
      dependencies: { '@off/mid': '^1.0.0', 'offline-base': '^2.0.0' },
    });
    const locked = await user.npm(['install', '--package-lock-only'], project);
    expect(locked.code, locked.stderr).toBe(0);

    const mirrored = await run(
      process.execPath,
      [join(ROOT, 'bin', 'shelf.js'), 'mirror', project, '--data-dir', mirror.dataDir, '--upstream', upstream.registry, '--json'],
      { env: cleanEnv() },
    ).catch((error: { code?: number; stdout?: string; stderr?: string }) => {
      throw new Error(`shelf mirror exited with ${error.code}:\n${error.stdout}\n${error.stderr}`);
    });
    const summary = JSON.parse(mirrored.stdout);
    expect(summary).toMatchObject({ total: 3, failed: [], interrupted: false });
    expect(summary.fetched + summary.alreadyCached).toBe(3);

    await upstream.stop();
    const offlineUser = new NpmUser(mirror.registry);
    const installed = await offlineUser.npm(['ci'], project);
    expect(installed.code, installed.stderr).toBe(0);
    expect(existsSync(join(project, 'node_modules', '@off', 'mid', 'node_modules', 'offline-base'))).toBe(true);
    const { stdout } = await run(
      process.execPath,
      ['-e', "console.log(require('@off/mid'), require('offline-base/package.json').version)"],
      { cwd: project },
    );
    expect(stdout.trim()).toBe('mid+offline-base 2.0.0');
  });
});
