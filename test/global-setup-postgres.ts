// Starts ONE real PostgreSQL (Debian's package, via ../shared/services/postgres/start-postgres.sh) for the whole vitest
// run and stops it afterwards. The PostgreSQL tests (test/team/) and, with SHELF_TEST_DB=postgres, every suite that
// starts Shelf use it, each Shelf in a database of its own (test/team/pg.ts).
//
// It starts when the run needs it: a full run (no file filters), a filter naming test/team/, or SHELF_TEST_DB=postgres.
// When it cannot start the run fails here, loudly; nothing is skipped.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The run's PostgreSQL server as a URL of its `shelf` database (its role may create databases), or null. */
    postgres: string | null;
  }
}

const SCRIPTS = resolve(__dirname, '..', '..', 'shared', 'services', 'postgres');

function needsPostgres(): boolean {
  if (process.env.SHELF_TEST_DB === 'postgres') return true;
  const filters = process.argv.slice(2).filter((arg) => !arg.startsWith('-') && arg !== 'run' && /[/.]/.test(arg));
  return filters.length === 0 || filters.some((filter) => filter.includes('team'));
}

/** A port the kernel just handed out, so free at that moment (start-postgres.sh binds it a second later). */
function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });
}

function script(name: string, args: string[], timeoutMs: number): Promise<{ stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    execFile(join(SCRIPTS, name), args, { timeout: timeoutMs, maxBuffer: 8 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) fail(new Error(`${name} ${args.join(' ')} failed (${error.message}):\n${stderr.slice(-4000)}`));
      else done({ stdout, stderr });
    });
  });
}

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  if (!needsPostgres()) {
    project.provide('postgres', null);
    return undefined;
  }
  const dir = mkdtempSync(join(tmpdir(), 'shelf-pg-'));
  let started;
  try {
    started = await script('start-postgres.sh', [dir, String(await freePort())], 180_000);
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(
      `the PostgreSQL test server did not start: ${(error as Error).message}\n` +
        'Install postgresql (apt), as .ci/run does; the PostgreSQL tests do not skip.',
    );
  }
  const url = /DATABASE_URL=(\S+)/.exec(started.stdout)?.[1];
  if (!url) throw new Error(`start-postgres.sh printed no DATABASE_URL line:\n${started.stdout}`);
  project.provide('postgres', url);
  return async () => {
    await script('stop-postgres.sh', [dir, '--purge'], 60_000).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  };
}
