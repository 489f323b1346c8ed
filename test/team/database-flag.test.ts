// `shelf serve --database`: a PostgreSQL URL puts the registry's metadata there (the data folder holds no shelf.db), the
// banner names it without its password, and a URL that cannot be used stops the start with what to fix, before
// listening and before anything is written.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeTarball, publishBody } from '../helpers/app-harness';
import { ROOT, cleanEnv, startShelf, type RunningShelf } from '../helpers/shelf-process';
import { freshDatabase, type FreshDatabase } from './pg';

const cleanup: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const step of cleanup.reverse()) await step();
});

const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'shelf-dbflag-'));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
};

/** Runs `shelf serve` expecting it to refuse: its exit code and output (it must never get as far as listening). */
function refusedServe(dataDir: string, database: string): { status: number | null; output: string } {
  const run = spawnSync(
    process.execPath,
    [join(ROOT, 'bin', 'shelf.js'), 'serve', '--port', '0', '--data-dir', dataDir, '--upstream', 'none', '--database', database],
    { env: cleanEnv(), encoding: 'utf8', timeout: 60_000 },
  );
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

describe('shelf serve --database', () => {
  it('keeps the metadata in PostgreSQL: publish and read back, no shelf.db in the data folder, password hidden', async () => {
    const db: FreshDatabase = await freshDatabase('flag');
    cleanup.push(() => db.drop());
    const url = new URL(db.url);
    url.password = 'not-shown-anywhere';
    // The run's server trusts loopback connections, so the password is not checked; it must still never be printed.
    const shelf: RunningShelf = await startShelf(['--database', url.toString()], { dataDir: tempDir() });
    cleanup.push(() => shelf.stop());
    expect(shelf.output()).toMatch(/stores: database postgres:\/\/[^:]+:\*\*\*@/);
    expect(shelf.output()).not.toContain('not-shown-anywhere');

    const login = await fetch(`${shelf.url}/-/user/org.couchdb.user:alice`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'alice', password: 'correct-horse-battery', email: 'alice@example.test' }),
    });
    expect(login.status).toBe(201);
    const { token } = (await login.json()) as { token: string };
    const manifest = { name: 'in-pg', version: '1.0.0' };
    const tarball = await makeTarball({ 'package.json': JSON.stringify(manifest) });
    const put = await fetch(`${shelf.url}/in-pg`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify(publishBody('in-pg', '1.0.0', tarball, { manifest })),
    });
    expect(put.status).toBe(201);
    const doc = (await (await fetch(`${shelf.url}/in-pg`)).json()) as { 'dist-tags': Record<string, string> };
    expect(doc['dist-tags'].latest).toBe('1.0.0');
    expect(existsSync(join(shelf.dataDir, 'shelf.db'))).toBe(false);
  });

  it('refuses a URL of another scheme, and one whose database does not exist, before writing anything', async () => {
    const dir = tempDir();
    const scheme = refusedServe(dir, 'mysql://user:hunter2@127.0.0.1/db');
    expect(scheme.status).not.toBe(0);
    expect(scheme.output).toMatch(/--database: 'mysql:' databases are not supported; write postgres:\/\//);
    expect(scheme.output).not.toContain('listening on');

    const existing = await freshDatabase('flagmissing');
    cleanup.push(() => existing.drop());
    const missing = new URL(existing.url);
    missing.pathname = '/no_such_database_here';
    missing.password = 'hunter2';
    const absent = refusedServe(dir, missing.toString());
    expect(absent.status).not.toBe(0);
    expect(absent.output).toMatch(
      /could not open the PostgreSQL database .*no_such_database_here: database "no_such_database_here" does not exist/,
    );
    expect(absent.output).not.toContain('hunter2');
    expect(absent.output).not.toContain('listening on');
    // Nothing written: no SQLite file, no blobs, no config.
    expect(readdirSync(dir)).toEqual([]);
  });
});
