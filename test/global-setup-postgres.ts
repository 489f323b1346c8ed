// Starts ONE real PostgreSQL (Debian's package, via ../shared/services/postgres/start-postgres.sh) for the whole vitest
// run and stops it afterwards. The PostgreSQL tests (test/team/) and, with SHELF_TEST_DB=postgres, every suite that
// starts Shelf use it, each Shelf in a database of its own (test/team/pg.ts).
//
// It starts when the run needs it: a full run (no file filters), a filter naming test/team/, or SHELF_TEST_DB=postgres.
// When it cannot start the run fails here, loudly; nothing is skipped.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { runNeedsTeamServers, serviceScript } from './helpers/shared-services';
import { freePort } from './helpers/ports';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The run's PostgreSQL server as a URL of its `shelf` database (its role may create databases), or null. */
    postgres: string | null;
  }
}

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  if (!runNeedsTeamServers(process.env.SHELF_TEST_DB === 'postgres')) {
    project.provide('postgres', null);
    return undefined;
  }
  const dir = mkdtempSync(join(tmpdir(), 'shelf-pg-'));
  let started;
  try {
    started = await serviceScript('postgres', 'start-postgres.sh', [dir, String(await freePort())], 180_000);
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
    await serviceScript('postgres', 'stop-postgres.sh', [dir, '--purge'], 60_000).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  };
}
