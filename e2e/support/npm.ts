// Publishes packages to a running Shelf with the machine's real npm CLI, from throw-away folders.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { cleanEnv, type ShelfServer } from './server';

const run = promisify(execFile);

/** Creates a registry user through npm's couch login endpoint and returns their token. */
export async function createNpmUser(server: ShelfServer, name: string, password = 'publish-password-1'): Promise<string> {
  const response = await fetch(`${server.url}/-/user/org.couchdb.user:${encodeURIComponent(name)}`, {
    method: 'PUT',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ name, password, email: `${name}@example.test`, type: 'user', roles: [], date: new Date().toISOString() }),
  });
  const body = (await response.json()) as { token?: string; error?: string };
  if (!response.ok || !body.token) throw new Error(`couch login for ${name} answered ${response.status}: ${JSON.stringify(body)}`);
  return body.token;
}

export interface PackageSpec {
  name: string;
  version: string;
  description: string;
}

/** `npm publish` of each package, with its own .npmrc (registry + token) and cache so nothing of the machine's leaks in. */
export async function publishWithNpm(server: ShelfServer, token: string, packages: PackageSpec[]): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'shelf-e2e-npm-'));
  try {
    const npmrc = join(work, '.npmrc');
    const host = new URL(server.url).host;
    writeFileSync(npmrc, `registry=${server.registry}\n//${host}/:_authToken=${token}\n`);
    for (const pkg of packages) {
      const dir = join(work, pkg.name.replace(/[@/]/g, '_'));
      mkdirSync(dir);
      writeFileSync(join(dir, 'package.json'), JSON.stringify({ ...pkg, main: 'index.js', license: 'MIT' }, null, 2));
      writeFileSync(join(dir, 'index.js'), `module.exports = ${JSON.stringify(pkg.name)};\n`);
      await run(
        'npm',
        ['publish', '--userconfig', npmrc, '--cache', join(work, 'cache'), '--registry', server.registry, '--no-audit', '--no-fund'],
        {
          cwd: dir,
          env: cleanEnv(),
          timeout: 60_000,
        },
      ).catch((error: { stderr?: string; message: string }) => {
        throw new Error(`npm publish of ${pkg.name} failed: ${error.stderr || error.message}`);
      });
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
