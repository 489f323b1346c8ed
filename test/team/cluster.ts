// Pieces of a multi-node test: free ports, bounded polling, Debian's HAProxy, and a cluster of `shelf serve` nodes on one
// fresh PostgreSQL database and one S3 prefix.
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { couchUserDocument } from '../helpers/app-harness';
import { tempDir } from '../helpers/clients';
import { startShelf, type RunningShelf } from '../helpers/shelf-process';
import { freshDatabase, type FreshDatabase } from './pg';
import { awsEnv, freshPrefix, s3Args } from './s3';
import { deletePrefix } from './s3-bucket';
import { freePort } from '../helpers/ports';

export { freePort };

export const HAPROXY = '/usr/sbin/haproxy';
/** The bound for a change on one node to take effect on the others. */
export const PROPAGATION_BOUND_MS = 1000;

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `check` until it holds or `boundMs` has passed (bounded: at most boundMs / 25 + 1 tries); returns whether it held. */
export async function within(boundMs: number, check: () => Promise<boolean>): Promise<boolean> {
  const deadline = Date.now() + boundMs;
  for (let attempt = 0; attempt <= boundMs / 25; attempt++) {
    if (await check()) return true;
    if (Date.now() >= deadline) return false;
    await sleep(25);
  }
  return check();
}

export interface Proxy {
  url: string;
  stop(): Promise<void>;
}

/** HAProxy in front of the nodes: round-robin, health checks on /-/ping, idempotent requests retried on another node. */
export async function startHaproxy(port: number, nodes: RunningShelf[], dir: string): Promise<Proxy> {
  const servers = nodes.map((node, i) => `  server node${i} ${new URL(node.url).host} check inter 200ms fall 2 rise 2`).join('\n');
  const config = `
global
  maxconn 512
defaults
  mode http
  timeout connect 2s
  timeout client 60s
  timeout server 60s
  retries 3
  option redispatch
  retry-on conn-failure empty-response response-timeout 502 503 504
frontend shelf
  bind 127.0.0.1:${port}
  option forwardfor
  default_backend nodes
backend nodes
  balance roundrobin
  option httpchk
  # HTTP/1.1 with a Host header: Shelf's host guard refuses requests that name no host it serves.
  http-check send meth GET uri /-/ping ver HTTP/1.1 hdr Host 127.0.0.1
${servers}
`;
  const file = join(dir, 'haproxy.cfg');
  writeFileSync(file, config);
  const child: ChildProcess = spawn(HAPROXY, ['-f', file, '-db'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const url = `http://127.0.0.1:${port}`;
  const up = await within(10_000, async () => {
    if (child.exitCode !== null) throw new Error(`haproxy exited with ${child.exitCode}:\n${out}`);
    return fetch(`${url}/-/ping`).then(
      (r) => r.ok,
      () => false,
    );
  });
  if (!up) {
    child.kill('SIGTERM');
    throw new Error(`haproxy did not answer on ${url} within 10 s:\n${out}`);
  }
  return {
    url,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
    },
  };
}

/** Nodes of one registry: one fresh PostgreSQL database and one S3 prefix, optionally behind HAProxy. */
export interface Cluster {
  database: FreshDatabase;
  prefix: string;
  nodes: RunningShelf[];
  /** HAProxy in front of the first nodes (options.proxy), which every node names as its public address. */
  proxy: Proxy | undefined;
  /** A client of the cluster's database, for checks behind the nodes' backs. */
  admin: pg.Client;
  /** Another node on the same stores and arguments; not behind the proxy, and not added to `nodes`. */
  startNode(): Promise<RunningShelf>;
  stop(): Promise<void>;
}

export interface ClusterOptions {
  nodes?: number;
  proxy?: boolean;
  /** Arguments after --database and the S3 ones, for every node. */
  args?: string[];
}

/**
 * Starts `nodes` (3) nodes together, so their migrations meet at the advisory lock. Each listens on a port chosen here:
 * with --public-url, `shelf serve` announces the proxy's address, so the node's own address is set by the test.
 */
export async function startCluster(label: string, options: ClusterOptions = {}): Promise<Cluster> {
  const database = await freshDatabase(label);
  const prefix = freshPrefix(label);
  awsEnv();
  const proxyPort = options.proxy ? await freePort() : undefined;
  const proxyDir = options.proxy ? tempDir('shelf-haproxy-') : undefined;
  const nodeArgs = [
    '--database',
    database.url,
    ...s3Args(prefix),
    // Clients are sent to the proxy for tarballs, whichever node renders the document.
    ...(proxyPort ? ['--public-url', `http://127.0.0.1:${proxyPort}/`, '--trust-proxy', '127.0.0.1'] : []),
    ...(options.args ?? []),
  ];
  const startNode = async (): Promise<RunningShelf> => {
    const port = await freePort();
    const shelf = await startShelf([...nodeArgs, '--port', String(port)], { env: awsEnv() });
    return { ...shelf, url: `http://127.0.0.1:${port}`, registry: `http://127.0.0.1:${port}/` };
  };
  const nodes: RunningShelf[] = [];
  const admin = new pg.Client({ connectionString: database.url });
  let proxy: Proxy | undefined;
  const stop = async () => {
    await proxy?.stop();
    await Promise.all(nodes.map((node) => node.stop()));
    await admin.end().catch(() => undefined);
    await database.drop();
    await deletePrefix(prefix);
    if (proxyDir) rmSync(proxyDir, { recursive: true, force: true });
  };
  try {
    const started = await Promise.allSettled(Array.from({ length: options.nodes ?? 3 }, () => startNode()));
    // Nodes that did start are stopped even when another did not.
    for (const node of started) if (node.status === 'fulfilled') nodes.push(node.value);
    const failed = started.find((node) => node.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
    if (proxyPort) proxy = await startHaproxy(proxyPort, nodes, proxyDir!);
    await admin.connect();
  } catch (error) {
    await stop();
    throw error;
  }
  return { database, prefix, nodes, proxy, admin, startNode, stop };
}

/** Creates a user through a node's npm door (`npm adduser`'s request); returns the token it answers with. */
export async function signUp(node: RunningShelf, name: string, password: string): Promise<string> {
  const response = await fetch(`${node.url}/-/user/org.couchdb.user:${name}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(couchUserDocument(name, password)),
  });
  const text = await response.text();
  if (response.status !== 201) throw new Error(`could not create the test user ${name}: ${response.status} ${text}`);
  return (JSON.parse(text) as { token: string }).token;
}
