// The run's PostgreSQL server (started once by test/global-setup-postgres.ts) as tests use it: a fresh database per
// Shelf instance, dropped when that instance is done.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';

export function postgresServer(): string {
  const url = inject('postgres');
  if (!url)
    throw new Error(
      'no PostgreSQL server in this run: test/global-setup-postgres.ts starts one for a full run, a run naming test/team/, or SHELF_TEST_DB=postgres',
    );
  return url;
}

async function admin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: postgresServer() });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export interface FreshDatabase {
  url: string;
  name: string;
  /** Drops the database, ending any session still on it (a killed node's connections, a pool not yet closed). */
  drop(): Promise<void>;
}

/** A new, empty database on the run's server (template0: no extension or table of another test's leaks in). */
export async function freshDatabase(label = 'it'): Promise<FreshDatabase> {
  const name = `shelf_${label.replace(/[^a-z0-9]/gi, '').toLowerCase()}_${process.pid}_${randomBytes(4).toString('hex')}`;
  await admin((client) => client.query(`CREATE DATABASE ${name} TEMPLATE template0`));
  const url = new URL(postgresServer());
  url.pathname = `/${name}`;
  let dropped = false;
  return {
    url: url.toString(),
    name,
    async drop() {
      if (dropped) return;
      dropped = true;
      // FORCE ends other sessions, but the test role may not end an autovacuum worker (no role, so "must be a member
      // of the role whose process is being terminated", SQLSTATE 42501); such a worker finishes in moments, so wait.
      for (let attempt = 0; ; attempt++) {
        try {
          await admin((client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
          return;
        } catch (error) {
          if ((error as { code?: string }).code !== '42501' || attempt >= 50) throw error;
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
      }
    },
  };
}

/** The URL of a fresh database; it is dropped by `dropFreshDatabases()` (or the server's teardown at the run's end). */
const created: FreshDatabase[] = [];
export async function freshDatabaseUrl(label = 'it'): Promise<string> {
  const db = await freshDatabase(label);
  created.push(db);
  return db.url;
}
export async function dropDatabase(url: string): Promise<void> {
  const index = created.findIndex((db) => db.url === url);
  if (index >= 0) await created.splice(index, 1)[0]!.drop();
}
