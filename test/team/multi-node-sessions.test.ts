// Three `shelf serve` nodes on one PostgreSQL database and one S3 prefix share the browser UI's sessions, the login
// throttle, the sign-up limit and /api/v1's rate limits: a cookie issued by one node works on the others, a sign-out on one
// ends it on all at once, a session outlives a node's restart, and every limit counts for the cluster, not per node.
// Requests go to each node directly (not through a proxy), so which node answers is known. Each limit test uses its own
// client address (X-Forwarded-For from the trusted loopback), so one test's budget never spills into another's.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { couchUserDocument } from '../helpers/app-harness';
import type { RunningShelf } from '../helpers/shelf-process';
import { signUp, startCluster, type Cluster } from './cluster';

const RPC = '/-/shelf/rpc';
const PASSWORD = 'correct-horse-battery';

let cluster: Cluster;
let nodes: RunningShelf[];
let db: pg.Client;

interface Answer {
  status: number;
  body: any;
  cookie: string | null;
  headers: Headers;
}

/** A UI call as the node's own page makes it (its Origin), with an optional cookie and client address. */
async function rpc(node: RunningShelf, call: string, body: unknown, options: { cookie?: string; client?: string } = {}): Promise<Answer> {
  const response = await fetch(`${node.url}${RPC}/${call}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      origin: node.url,
      ...(options.cookie && { cookie: options.cookie }),
      ...(options.client && { 'x-forwarded-for': options.client }),
    },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: await response.json(), cookie: response.headers.get('set-cookie'), headers: response.headers };
}

async function http(node: RunningShelf, method: string, path: string, options: { body?: unknown; client?: string } = {}): Promise<Answer> {
  const response = await fetch(`${node.url}${path}`, {
    method,
    headers: {
      ...(options.body !== undefined && { 'content-type': 'application/json' }),
      ...(options.client && { 'x-forwarded-for': options.client }),
    },
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const text = await response.text();
  let body: any = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    /* not JSON */
  }
  return { status: response.status, body, cookie: response.headers.get('set-cookie'), headers: response.headers };
}

/** What a refusal must leave as it was: accounts, tokens and sessions. */
async function snapshot() {
  // One after another: a pg.Client runs one query at a time.
  const users = (await db.query('SELECT id, name, password_hash FROM users ORDER BY id')).rows;
  const tokens = (await db.query('SELECT key FROM tokens ORDER BY key')).rows;
  const sessions = (await db.query('SELECT id_hash, user_id, expires_at FROM ui_sessions ORDER BY id_hash')).rows;
  return { users, tokens, sessions };
}

const cookieOf = (answer: Answer) => answer.cookie!.split(';')[0]!;
const whoami = async (node: RunningShelf, cookie: string) =>
  (await rpc(node, 'session.whoami', {}, { cookie })).body.user?.username ?? null;

beforeAll(async () => {
  cluster = await startCluster('sessions', {
    args: [
      '--trust-proxy',
      '127.0.0.1',
      // Small budgets, so the shared count is visible in a few requests.
      '--api-rate-limit',
      'anonymous=6,authenticated=1000,login=3,publish=60,window=600',
    ],
  });
  ({ nodes, admin: db } = cluster);
  await signUp(nodes[0]!, 'alice', PASSWORD);
}, 120_000);

afterAll(async () => cluster?.stop());

describe('browser sessions across three nodes', () => {
  it('a cookie issued by node A works on B and C; the database holds only its hash', async () => {
    const [a, b, c] = nodes as [RunningShelf, RunningShelf, RunningShelf];
    const signIn = await rpc(a, 'session.signIn', { username: 'alice', password: PASSWORD });
    expect(signIn.status).toBe(200);
    const cookie = cookieOf(signIn);
    expect(await whoami(b, cookie)).toBe('alice');
    expect(await whoami(c, cookie)).toBe('alice');
    expect((await rpc(c, 'tokens.list', {}, { cookie })).status).toBe(200);
    const raw = cookie.split('=')[1]!;
    const stored = await db.query('SELECT id_hash FROM ui_sessions');
    expect(stored.rows.length).toBe(1);
    expect(JSON.stringify(stored.rows)).not.toContain(raw);
  });

  it('signing out on B ends the session on A and C at once; their refusals write nothing', async () => {
    const [a, b, c] = nodes as [RunningShelf, RunningShelf, RunningShelf];
    const cookie = cookieOf(await rpc(a, 'session.signIn', { username: 'alice', password: PASSWORD }));
    expect(await whoami(c, cookie)).toBe('alice');
    const out = await rpc(b, 'session.signOut', {}, { cookie });
    expect(out.status).toBe(200);
    expect(out.cookie).toContain('Max-Age=0');
    const before = await snapshot();
    for (const node of [a, c]) {
      const refused = await rpc(node, 'tokens.create', { name: 'after sign-out', scope: 'read' }, { cookie });
      expect(refused.status).toBe(401);
      expect(refused.body.code).toBe('authentication_required');
      expect(refused.body.error).toMatch(/sign in to Shelf first: tokens\.create needs a signed-in user/);
      expect(await whoami(node, cookie)).toBeNull();
    }
    expect(await snapshot()).toEqual(before);
  });

  it('a session outlives a restart of the node that issued it', async () => {
    const cookie = cookieOf(await rpc(nodes[2]!, 'session.signIn', { username: 'alice', password: PASSWORD }));
    await nodes[2]!.stop();
    nodes[2] = await cluster.startNode();
    expect(await whoami(nodes[2]!, cookie)).toBe('alice');
    expect(await whoami(nodes[0]!, cookie)).toBe('alice');
  });
});

describe('limits shared by the cluster', () => {
  it('the login throttle locks an address after 5 failures spread over the three nodes (not 5 per node)', async () => {
    const client = '10.20.0.1';
    for (let i = 0; i < 5; i++) {
      const failed = await rpc(nodes[i % 3]!, 'session.signIn', { username: 'alice', password: 'wrong-horse-battery' }, { client });
      expect(failed.status).toBe(401);
    }
    const before = await snapshot();
    for (const node of nodes) {
      // The right password too: the address is locked, whichever node it asks.
      const refused = await rpc(node, 'session.signIn', { username: 'alice', password: PASSWORD }, { client });
      expect(refused.status).toBe(429);
      expect(refused.body.error).toMatch(/too many failed sign-in attempts from this client; try again in \d+ seconds/);
      expect(refused.cookie).toBeNull();
    }
    expect(await snapshot()).toEqual(before);
    // Another address is not affected.
    expect((await rpc(nodes[1]!, 'session.signIn', { username: 'alice', password: PASSWORD }, { client: '10.20.0.2' })).status).toBe(200);
  });

  it("/api/v1's anonymous budget (6) is counted across nodes: the 7th request gets 429 on any node", async () => {
    const client = '10.30.0.1';
    for (let i = 0; i < 6; i++) {
      const answer = await http(nodes[i % 3]!, 'GET', '/api/v1/categories', { client });
      expect(answer.status).toBe(200);
      expect(answer.headers.get('x-ratelimit-limit')).toBe('6');
      expect(answer.headers.get('x-ratelimit-remaining')).toBe(String(5 - i));
    }
    for (const node of nodes) {
      const refused = await http(node, 'GET', '/api/v1/categories', { client });
      expect(refused.status).toBe(429);
      expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(JSON.stringify(refused.body)).toMatch(/too many anonymous requests from this client; try again in \d+ seconds/);
    }
  });

  it('the counter tables are unlogged and send no change notifications (a counted request never drops cached documents)', async () => {
    const tables = await db.query(
      `SELECT c.relname AS name, c.relpersistence AS persistence,
              EXISTS (SELECT 1 FROM pg_trigger t WHERE t.tgrelid = c.oid AND t.tgname = 'shelf_changes') AS notifies
       FROM pg_class c WHERE c.relname IN ('rate_windows', 'throttle_events', 'ui_sessions') ORDER BY 1`,
    );
    expect(tables.rows).toEqual([
      { name: 'rate_windows', persistence: 'u', notifies: false },
      { name: 'throttle_events', persistence: 'u', notifies: false },
      // Sessions are written at sign-in and sign-out only, and are durable.
      { name: 'ui_sessions', persistence: 'p', notifies: true },
    ]);
  });

  it("/api/v1's login budget (3) across nodes: a 4th registration is refused and creates no account", async () => {
    const client = '10.30.0.2';
    for (let i = 0; i < 3; i++) {
      const made = await http(nodes[i]!, 'POST', '/api/v1/auth/register', {
        client,
        body: { username: `api-user-${i}`, password: PASSWORD },
      });
      expect(made.status).toBe(201);
    }
    const before = await snapshot();
    const refused = await http(nodes[0]!, 'POST', '/api/v1/auth/register', {
      client,
      body: { username: 'api-user-3', password: PASSWORD },
    });
    expect(refused.status).toBe(429);
    expect(JSON.stringify(refused.body)).toMatch(/too many login requests from this client/);
    expect(await snapshot()).toEqual(before);
  });

  it('the sign-up limit (10 accounts per address per hour) is counted across nodes', async () => {
    const client = '10.40.0.1';
    for (let i = 0; i < 10; i++) {
      const made = await http(nodes[i % 3]!, 'PUT', `/-/user/org.couchdb.user:npm-user-${i}`, {
        client,
        body: couchUserDocument(`npm-user-${i}`, PASSWORD),
      });
      expect(made.status).toBe(201);
    }
    const before = await snapshot();
    const refused = await http(nodes[1]!, 'PUT', '/-/user/org.couchdb.user:npm-user-10', {
      client,
      body: couchUserDocument('npm-user-10', PASSWORD),
    });
    expect(refused.status).toBe(429);
    expect(JSON.stringify(refused.body)).toMatch(/too many accounts were created from this address; try again in \d+ seconds/);
    expect(await snapshot()).toEqual(before);
  });
});
