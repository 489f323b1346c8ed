// Three `shelf serve` nodes on one PostgreSQL database and one S3 prefix, with a slow loopback upstream: the mirror
// fetches an uncached document or tarball once however many nodes are asked at the same moment (an advisory lock per
// item, held for the fetch), a failed fetch or a node killed mid-fetch leaves no one waiting; a change made through
// one node reaches the browser event stream open on another; download counts made on every node add up.
import { createHash } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import pg from 'pg';
import ssri from 'ssri';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENTS_PATH, RPC_PATH } from '../../src/shared/contract';
import { advisoryKey } from '../../src/main/storage/sql/postgres';
import { packageTarball, publishBody } from '../helpers/app-harness';
import { startFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream';
import type { RunningShelf } from '../helpers/shelf-process';
import { PROPAGATION_BOUND_MS, signUp, sleep, startCluster, within, type Cluster } from './cluster';
import type { FreshDatabase } from './pg';

/** Long enough that every request of a round reaches its node while the first fetch is still under way. */
const UPSTREAM_DELAY_MS = 500;
const PASSWORD = 'correct-horse-battery';

let cluster: Cluster;
let database: FreshDatabase;
let upstream: FakeUpstream;
let nodes: RunningShelf[];
let admin: pg.Client;
let token: string;

/** Upstream packages: name → version → tarball bytes. */
const tarballs = new Map<string, Map<string, Buffer>>();
/** When an upstream package's versions were published (the nodes hold versions younger than MIN_RELEASE_AGE). */
const publishedAt = new Map<string, string>();
const MIN_RELEASE_AGE = '3d';

function packumentOf(name: string): Record<string, unknown> {
  const versions: Record<string, unknown> = {};
  const time: Record<string, string> = { created: '2020-01-01T00:00:00.000Z', modified: '2020-01-02T00:00:00.000Z' };
  for (const [version, bytes] of tarballs.get(name)!) {
    versions[version] = {
      name,
      version,
      dist: {
        tarball: `${upstream.url}${name}/-/${name}-${version}.tgz`,
        integrity: ssri.fromData(bytes, { algorithms: ['sha512'] }).toString(),
        shasum: createHash('sha1').update(bytes).digest('hex'),
      },
    };
    time[version] = publishedAt.get(name) ?? '2020-01-01T00:00:00.000Z';
  }
  const latest = [...tarballs.get(name)!.keys()].at(-1)!;
  return { name, 'dist-tags': { latest }, versions, time };
}

const answerLater = (response: ServerResponse, status: number, body: Buffer | string, type: string) =>
  setTimeout(() => response.writeHead(status, { 'content-type': type }).end(body), UPSTREAM_DELAY_MS);

/** An upstream package served slowly; its packument's requests can be made to fail (403: no retry) while `failing` says so. */
async function addUpstreamPackage(
  name: string,
  versions: string[],
  options: { failing?: () => boolean; publishedAt?: string } = {},
): Promise<void> {
  if (options.publishedAt) publishedAt.set(name, options.publishedAt);
  const byVersion = new Map<string, Buffer>();
  for (const version of versions) byVersion.set(version, await packageTarball(name, version));
  tarballs.set(name, byVersion);
  upstream.route(`/${name}`, (_request, response) => {
    if (options.failing?.()) answerLater(response, 403, '{"error":"forbidden"}', 'application/json');
    else answerLater(response, 200, JSON.stringify(packumentOf(name)), 'application/json');
  });
  for (const [version, bytes] of byVersion)
    upstream.route(`/${name}/-/${name}-${version}.tgz`, (_request, response) =>
      answerLater(response, 200, bytes, 'application/octet-stream'),
    );
}

const upstreamRequests = (path: string) => upstream.requests.filter((r) => r === `GET ${path}`).length;

/**
 * The mirror's advisory locks on an item (`p:<name>` or `t:<name>@<version>`), held or waited for, on the test database.
 * pg_locks shows a bigint key as its high and low 32 bits (classid, objid).
 */
async function mirrorLocks(item: string): Promise<{ granted: boolean }[]> {
  const key = BigInt.asUintN(64, BigInt(advisoryKey(`mirror:${item}`)));
  return (
    await admin.query<{ granted: boolean }>(
      `SELECT granted FROM pg_locks l JOIN pg_database d ON d.oid = l.database
        WHERE l.locktype = 'advisory' AND d.datname = $1 AND l.classid = $2 AND l.objid = $3 AND l.objsubid = 1`,
      [database.name, String(key >> 32n), String(key & 0xffffffffn)],
    )
  ).rows;
}

async function get(url: string): Promise<{ status: number; body: Buffer }> {
  const response = await fetch(url);
  return { status: response.status, body: Buffer.from(await response.arrayBuffer()) };
}

beforeAll(async () => {
  upstream = await startFakeUpstream();
  // Behind the proxy, every node names one address in its documents, so the bytes can be compared across nodes.
  cluster = await startCluster('mirror', { proxy: true, args: ['--upstream', upstream.url, '--min-release-age', MIN_RELEASE_AGE] });
  ({ nodes, admin, database } = cluster);
  token = await signUp(nodes[0]!, 'alice', PASSWORD);
}, 120_000);

afterAll(async () => {
  await cluster?.stop();
  await upstream?.close();
});

describe('the mirror on three nodes fetches each upstream item once', () => {
  it('an uncached packument asked of three nodes at once (four requests each): one upstream request, identical bytes', async () => {
    await addUpstreamPackage('slow-doc', ['1.0.0', '1.1.0']);
    const answers = await Promise.all(nodes.flatMap((node) => [0, 1, 2, 3].map(() => get(`${node.url}/slow-doc`))));
    expect(answers.map((a) => a.status)).toEqual(answers.map(() => 200));
    expect(upstreamRequests('/slow-doc')).toBe(1);
    const first = answers[0]!.body;
    for (const answer of answers) expect(answer.body.equals(first)).toBe(true);
    const doc = JSON.parse(first.toString()) as { versions: Record<string, { dist: { tarball: string; integrity: string } }> };
    expect(doc.versions['1.1.0']!.dist.tarball).toBe(`${cluster.proxy!.url}/slow-doc/-/slow-doc-1.1.0.tgz`);
    expect(doc.versions['1.1.0']!.dist.integrity).toBe(ssri.fromData(tarballs.get('slow-doc')!.get('1.1.0')!).toString());
    // Nothing stays locked once the fetch is done.
    expect(await mirrorLocks('p:slow-doc')).toEqual([]);
  });

  it('an uncached tarball asked of three nodes at once: one upstream request, every client gets the published bytes', async () => {
    await addUpstreamPackage('slow-tar', ['2.0.0']);
    // The document first (one request), so the round below is about the tarball alone.
    expect((await get(`${nodes[0]!.url}/slow-tar`)).status).toBe(200);
    const path = '/slow-tar/-/slow-tar-2.0.0.tgz';
    const answers = await Promise.all(nodes.flatMap((node) => [0, 1, 2, 3].map(() => get(`${node.url}${path}`))));
    expect(answers.map((a) => a.status)).toEqual(answers.map(() => 200));
    expect(upstreamRequests(path)).toBe(1);
    const expected = tarballs.get('slow-tar')!.get('2.0.0')!;
    const integrity = ssri.fromData(expected, { algorithms: ['sha512'] });
    for (const answer of answers) {
      expect(answer.body.equals(expected)).toBe(true);
      expect(ssri.checkData(answer.body, integrity)).toBeTruthy();
    }
    expect(await mirrorLocks('t:slow-tar@2.0.0')).toEqual([]);
  });

  it('an upstream error releases the lock: the next request, on another node, fetches again and succeeds', async () => {
    let failing = true;
    await addUpstreamPackage('flaky-doc', ['1.0.0'], { failing: () => failing });
    const before = (await admin.query('SELECT count(*)::int AS n FROM upstream_packuments')).rows[0].n as number;
    const failed = await fetch(`${nodes[0]!.url}/flaky-doc`);
    expect(failed.status).toBe(502);
    expect(((await failed.json()) as { error: string }).error).toMatch(/refused .* with 403/);
    expect(upstreamRequests('/flaky-doc')).toBe(1);
    // Nothing was stored, and no lock is left behind by the failed fetch.
    expect((await admin.query('SELECT count(*)::int AS n FROM upstream_packuments')).rows[0].n).toBe(before);
    expect(await mirrorLocks('p:flaky-doc')).toEqual([]);
    failing = false;
    const retried = await get(`${nodes[1]!.url}/flaky-doc`);
    expect(retried.status).toBe(200);
    expect(upstreamRequests('/flaky-doc')).toBe(2);
    expect(nodes[1]!.output()).not.toMatch(/doing it here too/);
  });

  it('a node killed while it fetches does not hold up the others: its lock goes with its connection', async () => {
    await addUpstreamPackage('hung-doc', ['1.0.0']);
    // The first request's answer never comes: the node asked first is still "fetching" when it is killed.
    let hung: ServerResponse | undefined;
    upstream.route('/hung-doc', (_request, response) => {
      if (!hung) hung = response;
      else answerLater(response, 200, JSON.stringify(packumentOf('hung-doc')), 'application/json');
    });
    const victim = nodes[2]!;
    void fetch(`${victim.url}/hung-doc`).catch(() => undefined);
    expect(await within(10_000, async () => hung !== undefined)).toBe(true);
    // Another node asks for the same document: it waits for the victim's lock rather than fetching too.
    const waiting = get(`${nodes[0]!.url}/hung-doc`);
    expect(await within(10_000, async () => (await mirrorLocks('p:hung-doc')).some((lock) => !lock.granted))).toBe(true);
    expect(upstreamRequests('/hung-doc')).toBe(1);
    await victim.kill('SIGKILL');
    const answer = await waiting;
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body.toString()).name).toBe('hung-doc');
    expect(upstreamRequests('/hung-doc')).toBe(2);
    // Released by the victim's death, not by giving up after the wait's bound.
    expect(nodes[0]!.output()).not.toMatch(/doing it here too/);
    expect(await mirrorLocks('p:hung-doc')).toEqual([]);
    hung!.destroy();
    await victim.stop();
    // The victim comes back for the tests below (same database and bucket: a joining node).
    nodes[2] = await cluster.startNode();
  });
});

/** Signs in to a node's browser UI and opens its event stream; `next` reads until an event of `type` or `boundMs` passes. */
async function openEventStream(node: RunningShelf) {
  let cookie: string | undefined;
  const signIn = await fetch(`${node.url}${RPC_PATH}/session.signIn`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: node.url },
    body: JSON.stringify({ username: 'alice', password: PASSWORD }),
  });
  expect(signIn.status, await signIn.clone().text()).toBe(200);
  for (const line of signIn.headers.getSetCookie()) cookie = line.split(';')[0];
  const controller = new AbortController();
  const stream = await fetch(`${node.url}${EVENTS_PATH}`, { headers: { cookie: cookie! }, signal: controller.signal });
  expect(stream.status).toBe(200);
  const reader = stream.body!.getReader();
  let buffer = '';
  let pending: ReturnType<typeof reader.read> | undefined;
  const decoder = new TextDecoder();
  return {
    /** The data of the next event of `type`, or undefined when none came within `boundMs`. */
    async next(type: string, boundMs: number): Promise<unknown> {
      const deadline = Date.now() + boundMs;
      for (let i = 0; i < 1000; i++) {
        const match = new RegExp(`event: ${type}\\ndata: (.*)\\n\\n`).exec(buffer);
        if (match) {
          buffer = buffer.slice(match.index + match[0].length);
          return JSON.parse(match[1]!);
        }
        const left = deadline - Date.now();
        if (left <= 0) return undefined;
        pending ??= reader.read();
        const read = await Promise.race([pending, sleep(left).then(() => undefined)]);
        if (!read) return undefined;
        pending = undefined;
        if (read.done) return undefined;
        buffer += decoder.decode(read.value, { stream: true });
      }
      return undefined;
    },
    close: () => controller.abort(),
  };
}

async function publish(node: RunningShelf, name: string, version: string): Promise<void> {
  const response = await fetch(`${node.url}/${name}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'npm-command': 'publish' },
    body: JSON.stringify(publishBody(name, version, await packageTarball(name, version))),
  });
  expect(response.status, await response.text()).toBe(201);
}

describe('changes made through one node reach the UI event streams open on the others', () => {
  it('a publish and a dist-tag on node A are heard on node B’s stream within the bound, without the package name', async () => {
    const stream = await openEventStream(nodes[1]!);
    try {
      await publish(nodes[0]!, 'heard-elsewhere', '1.0.0');
      const published = await stream.next('packages', PROPAGATION_BOUND_MS);
      expect(published).toEqual({ type: 'packages' });
      const tagged = await fetch(`${nodes[2]!.url}/-/package/heard-elsewhere/dist-tags/stable`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify('1.0.0'),
      });
      expect(tagged.status).toBe(201);
      expect(await stream.next('packages', PROPAGATION_BOUND_MS)).toEqual({ type: 'packages' });
    } finally {
      stream.close();
    }
  });

  it('a version the policy holds on node A shows as a toast on node B’s page', async () => {
    await addUpstreamPackage('too-fresh', ['1.0.0'], { publishedAt: new Date().toISOString() });
    const stream = await openEventStream(nodes[1]!);
    try {
      // Whatever the answer (the only version is held), the decision was made on node A.
      await get(`${nodes[0]!.url}/too-fresh`);
      expect(await stream.next('policy', PROPAGATION_BOUND_MS)).toMatchObject({
        type: 'policy',
        action: 'held',
        name: 'too-fresh',
        version: '1.0.0',
      });
    } finally {
      stream.close();
    }
  });

  it('a node does not hear its own event twice (no echo through the database)', async () => {
    const stream = await openEventStream(nodes[0]!);
    try {
      await publish(nodes[0]!, 'heard-once', '1.0.0');
      expect(await stream.next('packages', PROPAGATION_BOUND_MS)).toEqual({ type: 'packages' });
      // An echo would arrive as fast as another node's event does; none comes within the same bound.
      expect(await stream.next('packages', PROPAGATION_BOUND_MS)).toBeUndefined();
    } finally {
      stream.close();
    }
  });
});

describe('download counts are batched per node and merged', () => {
  it('downloads of one tarball spread over the three nodes add up after each node flushes', async () => {
    await publish(nodes[0]!, 'counted', '1.0.0');
    const path = '/counted/-/counted-1.0.0.tgz';
    const perNode = [2, 3, 4];
    const answers = await Promise.all(nodes.flatMap((node, i) => Array.from({ length: perNode[i]! }, () => get(`${node.url}${path}`))));
    expect(answers.map((a) => a.status)).toEqual(answers.map(() => 200));
    const total = async () =>
      (
        await admin.query<{ total: number }>(
          `SELECT d.total::int AS total FROM package_downloads d JOIN packages p ON p.id = d.package_id WHERE p.name = 'counted'`,
        )
      ).rows[0]?.total;
    // Each node writes its batch within a second of its first count; an overwrite would leave one node's count.
    expect(await within(5_000, async () => (await total()) === 9)).toBe(true);
    const api = (await (await fetch(`${nodes[1]!.url}/api/v1/packages/counted`)).json()) as { downloads: { total: number } };
    expect(api.downloads.total).toBe(9);
  });
});
