// Pieces of a multi-node test: free ports, bounded polling, and Debian's HAProxy in front of several `shelf serve` nodes.
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { RunningShelf } from '../helpers/shelf-process';

export const HAPROXY = '/usr/sbin/haproxy';
/** The bound for a change on one node to take effect on the others. */
export const PROPAGATION_BOUND_MS = 1000;

export function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });
}

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
