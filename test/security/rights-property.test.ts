// The rights table as a property (issue 11): for random sequences of operations by random users, with full or read-only
// credentials, through random doors (npm protocol, /api/v1, the UI's calls), no operation ever succeeds or changes
// anything unless the table gives the caller's role that right. The caller's role is read from the tables with SQL
// before each operation, independently of the code under test; the table itself is the one the services enforce.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allows, RIGHTS, type Action, type Role } from '../../src/main/services/packages/rights';
import { makeTarball, publishBody, startHarness, type Harness } from '../helpers/app-harness';

const USERS = ['root', 'alice', 'bob', 'carol'] as const;
type UserName = (typeof USERS)[number];
/** Seeded packages (p1, @alice/p2, b1) and names nobody has published yet (n1, @carol/n2). */
type PackageName = 'p1' | '@alice/p2' | 'b1' | 'n1' | '@carol/n2';
const VERSIONS = ['1.0.0', '1.1.0', '2.0.0'] as const;
type Door = 'npm' | 'api' | 'rpc';

interface Op {
  kind:
    | 'publish'
    | 'dist-tag'
    | 'deprecate'
    | 'yank'
    | 'unpublish-version'
    | 'unpublish-package'
    | 'add-owner'
    | 'remove-owner'
    | 'set-owners'
    | 'access';
  actor: UserName;
  readOnly: boolean;
  door: Door;
  pkg: PackageName;
  version: (typeof VERSIONS)[number];
  target: UserName;
  role: 'owner' | 'maintainer';
}

/** Which doors offer each operation (the UI has no publish from bytes, the REST API no dist-tags or access). */
const DOORS: Record<Op['kind'], Door[]> = {
  publish: ['npm', 'api'],
  'dist-tag': ['npm', 'rpc'],
  deprecate: ['npm', 'rpc'],
  yank: ['api', 'rpc'],
  'unpublish-version': ['npm', 'api', 'rpc'],
  'unpublish-package': ['npm'],
  'add-owner': ['npm', 'api', 'rpc'],
  'remove-owner': ['npm', 'api', 'rpc'],
  'set-owners': ['npm'],
  access: ['npm'],
};

/** Weighted toward the seeded packages and their people, so most operations meet a role that matters. */
const weighted = <T>(...pairs: [T, number][]) => fc.oneof(...pairs.map(([value, weight]) => ({ arbitrary: fc.constant(value), weight })));

const opArb: fc.Arbitrary<Op> = fc
  .record({
    kind: fc.constantFrom(...(Object.keys(DOORS) as Op['kind'][])),
    actor: weighted<UserName>(['bob', 3], ['alice', 2], ['carol', 2], ['root', 1]),
    readOnly: weighted([false, 3], [true, 1]),
    doorPick: fc.nat(),
    pkg: weighted<Op['pkg']>(['p1', 5], ['@alice/p2', 2], ['b1', 2], ['n1', 1], ['@carol/n2', 1]),
    version: fc.constantFrom(...VERSIONS),
    target: fc.constantFrom(...USERS),
    role: fc.constantFrom('owner' as const, 'maintainer' as const),
  })
  .map(({ doorPick, ...op }) => {
    const doors = DOORS[op.kind];
    const door = doors[doorPick % doors.length]!;
    // A UI session always carries the account's full rights.
    return { ...op, door, readOnly: door === 'rpc' ? false : op.readOnly };
  });

interface World {
  h: Harness;
  tokens: Record<UserName, { full: string; read: string }>;
  cookies: Record<UserName, string>;
}

/** The server and its four accounts, made once: sign-ups and sign-ins cost a password hash each. */
async function world(): Promise<World> {
  const h = await startHarness();
  await h.app.services.auth.createAdmin({
    isLocalOwner: true,
    username: 'root',
    password: 'correct-horse-battery',
    email: 'root@example.test',
  });
  const tokens = {} as World['tokens'];
  const cookies = {} as World['cookies'];
  for (const name of USERS) {
    const full = await h.login(name);
    const read = (await h.call('POST', '/api/v1/users/me/tokens', { token: full, body: { name: 'ro', scopes: ['read'] } })).body.token;
    tokens[name] = { full, read };
    const signedIn = await fetch(`${h.url}/-/shelf/rpc/session.signIn`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: h.url },
      body: JSON.stringify({ username: name, password: 'correct-horse-battery' }),
    });
    if (!signedIn.ok) throw new Error(`sign-in of ${name}: ${signedIn.status} ${await signedIn.text()}`);
    cookies[name] = signedIn.headers.get('set-cookie')!.split(';')[0]!;
  }
  return { h, tokens, cookies };
}

/**
 * Every run starts from the same packages: the admin unpublishes whatever the last run left (through the service),
 * the records that outlive a package are cleared, and the seed is published again: alice owns p1 (two versions) and
 * @alice/p2, with bob as a maintainer of p1; bob owns b1.
 */
async function reset(w: World): Promise<void> {
  const { packages } = w.h.app.services;
  const db = packages.ctx.db;
  const root = await w.h.app.services.auth.authenticateToken(w.tokens.root.full, '127.0.0.1');
  for (const { name } of (await db.all('SELECT name FROM packages')) as { name: string }[]) {
    await packages.unpublishPackage(root, name, undefined);
  }
  for (const table of ['retired_versions', 'scope_owners', 'unpublished_names']) await db.run(`DELETE FROM ${table}`);
  for (const [who, name, version] of [
    ['alice', 'p1', '1.0.0'],
    ['alice', 'p1', '1.1.0'],
    ['alice', '@alice/p2', '1.0.0'],
    ['bob', 'b1', '1.0.0'],
  ] as const) {
    expect((await npmPublish(w, w.tokens[who].full, name, version)).status).toBe(201);
  }
  const added = await w.h.call('PUT', '/api/v1/packages/p1/owners', {
    token: w.tokens.alice.full,
    body: { username: 'bob', role: 'maintainer' },
  });
  expect(added.status).toBe(201);
}

const enc = (name: string) => name.replace('/', '%2f');

async function npmPublish(w: World, token: string, name: string, version: string) {
  const manifest = { name, version };
  const tarball = await makeTarball({ 'package.json': JSON.stringify(manifest) });
  return w.h.call('PUT', `/${enc(name)}`, { token, body: publishBody(name, version, tarball, { manifest, body: { 'dist-tags': {} } }) });
}

async function rpc(w: World, as: UserName, call: string, args: unknown) {
  const response = await fetch(`${w.h.url}/-/shelf/rpc/${call}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: w.h.url, cookie: w.cookies[as] },
    body: JSON.stringify(args),
  });
  await response.arrayBuffer();
  return { status: response.status };
}

/** The caller's role, read straight from the tables (not through the code under test). */
async function roleOf(w: World, user: UserName, name: string): Promise<Role> {
  const db = w.h.app.services.packages.ctx.db;
  const u = (await db.get('SELECT id, is_admin FROM users WHERE name = ?', [user])) as { id: number; is_admin: number };
  if (u.is_admin) return 'admin';
  const pkg = (await db.get('SELECT id FROM packages WHERE name = ?', [name])) as { id: number } | undefined;
  if (!pkg) return 'user';
  const m = await db.get('SELECT 1 FROM maintainers WHERE package_id = ? AND user_id = ?', [pkg.id, u.id]);
  if (!m) return 'user';
  const r = (await db.get('SELECT role FROM owner_roles WHERE package_id = ? AND user_id = ?', [pkg.id, u.id])) as
    { role: Role } | undefined;
  return r?.role ?? 'owner';
}

/** Everything a package operation could change, as one comparable value. */
function state(w: World): string {
  const db = w.h.app.services.packages.ctx.db;
  const q = async (sql: string) => JSON.stringify(await db.all(sql));
  return [
    q('SELECT name, access, rev FROM packages ORDER BY name'),
    q('SELECT package_id, version, deprecated FROM versions ORDER BY package_id, version'),
    q('SELECT * FROM dist_tags ORDER BY package_id, tag'),
    q('SELECT * FROM maintainers ORDER BY package_id, user_id'),
    q('SELECT * FROM owner_roles ORDER BY package_id, user_id'),
    q('SELECT package_id, version FROM yanked_versions ORDER BY package_id, version'),
  ].join('\n');
}

/** The table's action for an operation, given the state before it. */
async function actionOf(w: World, op: Op): Promise<Action> {
  switch (op.kind) {
    case 'publish':
      return (await exists(w, op.pkg)) ? 'publish-version' : 'publish-new-package';
    case 'dist-tag':
      return 'dist-tag';
    case 'deprecate':
      return 'deprecate';
    case 'yank':
      return 'yank';
    case 'unpublish-version':
      return 'unpublish-version';
    case 'unpublish-package':
      return 'unpublish-package';
    case 'access':
      return 'change-access';
    default:
      return 'change-owners';
  }
}

async function exists(w: World, name: string): Promise<boolean> {
  return (await w.h.app.services.packages.ctx.db.get('SELECT 1 FROM packages WHERE name = ?', [name])) !== undefined;
}

async function perform(w: World, op: Op): Promise<{ status: number }> {
  const token = op.readOnly ? w.tokens[op.actor].read : w.tokens[op.actor].full;
  const { h } = w;
  const name = op.pkg;
  const path = `/${enc(name)}`;
  const api = `/api/v1/packages/${encodeURIComponent(name)}`;
  const doc = async () => (await h.call('GET', path, { token: w.tokens.root.full })).body;
  switch (op.kind) {
    case 'publish':
      if (op.door === 'npm') return npmPublish(w, token, name, op.version);
      return h.call('POST', '/api/v1/packages', {
        token,
        body: {
          name,
          version: op.version,
          tarball: (await makeTarball({ 'package.json': JSON.stringify({ name, version: op.version }) })).toString('base64'),
        },
      });
    case 'dist-tag':
      if (op.door === 'rpc') return rpc(w, op.actor, 'package.setDistTag', { name, tag: 'beta', version: op.version });
      return h.call('PUT', `/-/package/${enc(name)}/dist-tags/beta`, { token, body: op.version });
    case 'deprecate':
      if (op.door === 'rpc') return rpc(w, op.actor, 'package.deprecate', { name, version: op.version, message: 'old' });
      return h.call('PUT', path, { token, body: { name, versions: { [op.version]: { deprecated: 'old' } } } });
    case 'yank':
      if (op.door === 'rpc') return rpc(w, op.actor, 'package.yank', { name, version: op.version, yanked: true });
      return h.call('POST', `${api}/${op.version}/yank`, { token });
    case 'unpublish-version': {
      if (op.door === 'rpc') return rpc(w, op.actor, 'package.unpublishVersion', { name, version: op.version });
      if (op.door === 'api')
        return h.call('DELETE', `${api}/${op.version}?hard=true&confirm=${encodeURIComponent(`${name}@${op.version}`)}`, { token });
      const current = await doc();
      if (!current?.versions?.[op.version] || Object.keys(current.versions).length < 2) return { status: 0 };
      delete current.versions[op.version];
      return h.call('PUT', `${path}/-rev/${current._rev}`, { token, body: current });
    }
    case 'unpublish-package': {
      const current = await doc();
      return h.call('DELETE', `${path}/-rev/${current?._rev ?? '1-x'}`, { token });
    }
    case 'add-owner':
      if (op.door === 'rpc') return rpc(w, op.actor, 'package.addOwner', { name, username: op.target });
      if (op.door === 'api') return h.call('PUT', `${api}/owners`, { token, body: { username: op.target, role: op.role } });
      return h.call('PUT', `/-/package/${enc(name)}/owners`, { token, body: { user: op.target } });
    case 'remove-owner':
      if (op.door === 'rpc') return rpc(w, op.actor, 'package.removeOwner', { name, username: op.target });
      if (op.door === 'api') return h.call('DELETE', `${api}/owners/${op.target}`, { token });
      return h.call('DELETE', `/-/package/${enc(name)}/owners/${op.target}`, { token });
    case 'set-owners': {
      const current = await doc();
      return h.call('PUT', `${path}/-rev/${current?._rev ?? '1-x'}`, { token, body: { _id: name, maintainers: [{ name: op.target }] } });
    }
    case 'access':
      return h.call('POST', `/-/package/${enc(name)}/access`, {
        token,
        body: { access: op.version === '1.0.0' ? 'restricted' : 'public' },
      });
  }
}

let w: World;
beforeAll(async () => {
  w = await world();
}, 120_000);
afterAll(async () => w?.h.close());

describe('the rights table holds for random operations through random doors', () => {
  it('no operation succeeds or changes anything unless the table gives the caller that right', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 15 }), async (ops) => {
        await reset(w);
        for (const op of ops) {
          const action = await actionOf(w, op);
          const role = await roleOf(w, op.actor, op.pkg);
          // A read-only token carries no write right at all (not even yank, which needs its own scope).
          const granted = !op.readOnly && allows(role, action);
          const before = state(w);
          const reply = await perform(w, op);
          const changed = state(w) !== before;
          const succeeded = reply.status >= 200 && reply.status < 300;
          if ((changed || succeeded) && !granted) {
            throw new Error(
              `${op.actor} (${role}${op.readOnly ? ', read-only token' : ''}) got '${action}' on ${op.pkg} through ${op.door}: ` +
                `status ${reply.status}, changed ${changed}; the table gives it to ${RIGHTS[action].roles.join(', ')}`,
            );
          }
          // Whatever happened, every package still has an owner.
          const ownerless = await w.h.app.services.packages.ctx.db
            .all(`SELECT p.name FROM packages p WHERE NOT EXISTS (SELECT 1 FROM maintainers m LEFT JOIN owner_roles r
                 ON r.package_id = m.package_id AND r.user_id = m.user_id WHERE m.package_id = p.id AND coalesce(r.role, 'owner') = 'owner')`);
          expect(ownerless, `after ${JSON.stringify(op)}`).toEqual([]);
        }
      }),
      { numRuns: 40, endOnFailure: true },
    );
  }, 600_000);
});
