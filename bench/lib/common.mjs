// Shared pieces of the benchmarks: arguments, machine facts, statistics, starting Shelf / Verdaccio / a static server as
// separate processes, driving autocannon as a separate process, building npm publish bodies, and writing results.
// Every server listens on 127.0.0.1 only; every loop here is bounded.
import { spawn, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { ensurePeers, peerPaths, peerVersions } from './peers.mjs';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BENCH_DIR = join(ROOT, 'bench');
export const RESULTS_DIR = join(BENCH_DIR, 'results');
export const SHELF_BIN = join(ROOT, 'bin', 'shelf.js');
export const FIXTURES = resolve(ROOT, '..', 'shared', 'fixtures', 'trees');
/** Long-lived data (pre-filled mirrors, the 100k-package store) kept between runs so reruns do not refetch or reseed. */
/** The npm flags every npm run in the benchmarks uses: no scripts, audit, funding or update checks, errors only. */
export const NPM_FLAGS = ['--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error', '--no-update-notifier'];

export const CACHE_DIR = process.env.SHELF_BENCH_CACHE ?? join(os.tmpdir(), 'shelf-bench-cache');

export { ensurePeers, peerPaths, peerVersions };

// ---------------------------------------------------------------- arguments and machine facts

export function parseArgs(argv = process.argv.slice(2)) {
  const args = { quick: false, runs: undefined, keep: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') args.quick = true;
    else if (a === '--keep') args.keep = true;
    else if (a === '--runs') args.runs = Number(argv[++i]);
    else if (a.startsWith('--runs=')) args.runs = Number(a.slice(7));
  }
  args.runs ??= 3;
  return args;
}

let npmVersionCache;
export function npmVersion() {
  npmVersionCache ??= execFileSync('npm', ['-v'], { stdio: ['ignore', 'pipe', 'ignore'] })
    .toString()
    .trim();
  return npmVersionCache;
}

export function npmRegistry() {
  return execFileSync('npm', ['config', 'get', 'registry'], { stdio: ['ignore', 'pipe', 'ignore'] })
    .toString()
    .trim();
}

/** What the written results say instead of the registry's address: they name where it came from, never a public address. */
export const REGISTRY_PLACEHOLDER = '<npm config get registry>';

/** The text with the npm-configured registry's address replaced by REGISTRY_PLACEHOLDER (with or without its slash). */
export function withoutRegistryAddress(text, registry = npmRegistry()) {
  const bare = registry.replace(/\/+$/, '');
  return bare ? text.split(`${bare}/`).join(REGISTRY_PLACEHOLDER).split(bare).join(REGISTRY_PLACEHOLDER) : text;
}

export function machine() {
  const cpus = os.cpus();
  return {
    cpuCount: cpus.length,
    cpuModel: cpus[0]?.model ?? 'unknown',
    totalMemGB: Math.round(os.totalmem() / 1024 ** 3),
    node: process.version,
    npm: npmVersion(),
    platform: `${os.platform()} ${os.release()}`,
    loadavgAtStart: os.loadavg().map((x) => Math.round(x * 100) / 100),
  };
}

/** A run counts as "under load" when the 1-minute load average at its start was at least half the CPU count. */
export function underLoad(m) {
  return m.loadavgAtStart[0] >= m.cpuCount * 0.5;
}

// ---------------------------------------------------------------- statistics

export function median(values) {
  const v = values.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return undefined;
  const mid = v.length >> 1;
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

export function percentile(values, p) {
  const v = [...values].sort((a, b) => a - b);
  if (v.length === 0) return undefined;
  const idx = Math.min(v.length - 1, Math.max(0, Math.ceil((p / 100) * v.length) - 1));
  return v[idx];
}

/** Median of the runs with the spread: { median, min, max, runs }. */
export function summarize(values) {
  const v = values.filter((x) => typeof x === 'number' && Number.isFinite(x));
  return { median: median(v), min: v.length ? Math.min(...v) : undefined, max: v.length ? Math.max(...v) : undefined, runs: v };
}

export const round = (x, digits = 1) => (typeof x === 'number' && Number.isFinite(x) ? Math.round(x * 10 ** digits) / 10 ** digits : x);

export function ratio(a, b, digits = 2) {
  if (typeof a !== 'number' || typeof b !== 'number' || !b) return undefined;
  return round(a / b, digits);
}

// ---------------------------------------------------------------- processes

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export async function freePort() {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolvePort(port));
    });
  });
}

export function tempDir(prefix) {
  return mkdtempSync(join(os.tmpdir(), prefix));
}

/** RSS and peak RSS of a process, in MB, from /proc (Linux). */
export function rssOf(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)?.[1] ?? NaN);
    return { rssMB: round(kb('VmRSS') / 1024), peakMB: round(kb('VmHWM') / 1024) };
  } catch {
    return { rssMB: undefined, peakMB: undefined };
  }
}

/** Stops a child process: SIGTERM, then SIGKILL after 5 s; resolves once it has exited. */
export function stopper(child) {
  return async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };
}

/** Polls GET url until it answers 2xx; returns the time it first did (performance.now()), or throws after timeoutMs. */
export async function waitForOk(url, timeoutMs = 60_000, intervalMs = 10) {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      if (res.ok) return performance.now();
    } catch {
      /* not up yet */
    }
    await sleep(intervalMs);
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms`);
}

/**
 * Starts `shelf serve` (the built CLI) on a free loopback port.
 * Returns { url, pid, spawnedAt, listeningAt, logLines, stop }. With logLevel 'debug', request lines are collected.
 */
export async function startShelf({
  dataDir,
  upstream = 'none',
  offline = false,
  logLevel = 'warn',
  extraArgs = [],
  waitPing = false,
  /** Node's own flags (e.g. --cpu-prof), put before the CLI. */
  nodeArgs = [],
} = {}) {
  if (!existsSync(join(ROOT, 'out', 'main'))) throw new Error('Shelf is not built: run `npx electron-vite build` first');
  const args = [SHELF_BIN, 'serve', '--host', '127.0.0.1', '--port', '0', '--data-dir', dataDir, '--log-level', logLevel];
  if (upstream) args.push('--upstream', upstream);
  if (offline) args.push('--offline');
  args.push(...extraArgs);
  const spawnedAt = performance.now();
  const child = spawn(process.execPath, [...nodeArgs, ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, SHELF_LOG_LEVEL: logLevel },
  });
  const logLines = [];
  let buffer = '';
  const onData = (chunk) => {
    buffer += chunk.toString();
    let nl;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      logLines.push(buffer.slice(0, nl));
      buffer = buffer.slice(nl + 1);
    }
  };
  child.stderr.on('data', onData);
  const url = await new Promise((resolveUrl, reject) => {
    let out = '';
    const timer = setTimeout(
      () => reject(new Error(`shelf serve did not print its address within 60 s:\n${out}\n${logLines.join('\n')}`)),
      60_000,
    );
    child.stdout.on('data', (chunk) => {
      out += chunk.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolveUrl(m[1].replace(/\/$/, ''));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`shelf serve exited with ${code}:\n${out}\n${logLines.join('\n')}`));
    });
  });
  const listeningAt = performance.now();
  const pingAt = waitPing ? await waitForOk(`${url}/-/ping`, 60_000, 5) : undefined;
  return { name: 'shelf', url, pid: child.pid, child, spawnedAt, listeningAt, pingAt, logLines, stop: stopper(child) };
}

/** Verdaccio's config: no uplink (local serving), or one uplink to `uplink` (mirroring). */
export function verdaccioConfig(dir, { uplink } = {}) {
  const proxy = uplink ? '\n    proxy: upstream' : '';
  return `storage: ${join(dir, 'storage')}
auth:
  htpasswd:
    file: ${join(dir, 'htpasswd')}
    max_users: 1000000
uplinks:${
    uplink
      ? `
  upstream:
    url: ${uplink}
    maxage: 60m
    timeout: 60s
    cache: true`
      : ' {}'
  }
packages:
  '@*/*':
    access: $all
    publish: $authenticated
    unpublish: $authenticated${proxy}
  '**':
    access: $all
    publish: $authenticated
    unpublish: $authenticated${proxy}
max_body_size: 200mb
userRateLimit:
  windowMs: 1000
  max: 100000
log: { type: stdout, format: json, level: error }
`;
}

/** Starts Verdaccio 6 under the Node 22 binary from the peers folder, on a free loopback port; waits for /-/ping. */
export async function startVerdaccio({ dir, uplink } = {}) {
  const peers = peerPaths();
  mkdirSync(join(dir, 'storage'), { recursive: true });
  const config = join(dir, 'config.yaml');
  writeFileSync(config, verdaccioConfig(dir, { uplink }));
  const port = await freePort();
  const spawnedAt = performance.now();
  const child = spawn(peers.node22, [peers.verdaccio, '--config', config, '--listen', `127.0.0.1:${port}`], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NODE_ENV: 'production' },
  });
  const logLines = [];
  child.stdout.on('data', (c) => logLines.push(c.toString()));
  child.stderr.on('data', (c) => logLines.push(c.toString()));
  const url = `http://127.0.0.1:${port}`;
  let pingAt;
  try {
    pingAt = await waitForOk(`${url}/-/ping`, 60_000, 5);
  } catch (error) {
    child.kill('SIGKILL');
    throw new Error(`${error.message}\n${logLines.join('')}`);
  }
  return { name: 'verdaccio', url, pid: child.pid, child, spawnedAt, pingAt, logLines, stop: stopper(child) };
}

/** A plain static file server (node:http + fs.createReadStream) in its own process: the practical ceiling for tarballs. */
export async function startStatic(file) {
  const port = await freePort();
  const child = spawn(process.execPath, [join(BENCH_DIR, 'lib', 'static-server.mjs'), file, String(port)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  await waitForOk(`${url}/`, 20_000, 10);
  return { name: 'static', url, pid: child.pid, child, stop: stopper(child) };
}

// ---------------------------------------------------------------- load generation

/**
 * Runs autocannon in its own process against a loopback URL with fixed connections and duration; returns its figures.
 * { rps, p50, p99, latencyAvg, bytesPerSec, requests, errors, timeouts, non2xx }.
 */
export async function autocannon(
  url,
  { connections = 10, duration = 10, headers = {}, method = 'GET', body, timeout = 30, pipelining = 1 } = {},
) {
  assertLoopback(url);
  const args = [
    peerPaths().autocannon,
    '--json',
    '-c',
    String(connections),
    '-d',
    String(duration),
    '-t',
    String(timeout),
    '-p',
    String(pipelining),
    '-m',
    method,
  ];
  for (const [k, v] of Object.entries(headers)) args.push('-H', `${k}=${v}`);
  if (body) args.push('-b', body);
  args.push(url);
  const out = await runCapture(process.execPath, args, { timeoutMs: (duration + 60) * 1000 });
  const j = JSON.parse(out.stdout);
  return {
    rps: round(j.requests.average, 0),
    p50: j.latency.p50,
    p90: j.latency.p90,
    p99: j.latency.p99,
    latencyAvg: round(j.latency.average, 2),
    latencyMax: j.latency.max,
    bytesPerSec: j.throughput.average,
    requests: j.requests.total,
    errors: j.errors,
    timeouts: j.timeouts,
    non2xx: j.non2xx,
    connections,
    duration,
    command: `autocannon -c ${connections} -d ${duration} ${Object.entries(headers)
      .map(([k, v]) => `-H '${k}=${v}' `)
      .join('')}${url.replace(/127\.0\.0\.1:\d+/, '127.0.0.1:PORT')}`,
  };
}

export function assertLoopback(url) {
  const host = new URL(url).hostname;
  if (host !== '127.0.0.1' && host !== '[::1]' && host !== '::1' && host !== 'localhost')
    throw new Error(`load only targets loopback, not ${host}`);
}

/** Runs a command, capturing stdout/stderr; rejects on non-zero exit or timeout. Returns { stdout, stderr, ms }. */
export function runCapture(cmd, args, { cwd, env, timeoutMs = 600_000, allowFail = false } = {}) {
  return new Promise((resolveRun, reject) => {
    const started = performance.now();
    const child = spawn(cmd, args, { cwd, env: env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      const ms = performance.now() - started;
      if ((code !== 0 || signal) && !allowFail)
        reject(new Error(`${cmd} ${args.join(' ')} exited with ${code ?? signal}:\n${stderr.slice(-4000)}\n${stdout.slice(-2000)}`));
      else resolveRun({ stdout, stderr, ms, code, pid: child.pid });
    });
  });
}

/**
 * Runs a command and samples its peak RSS (the sum over the process tree) every 50 ms. Returns { ms, peakRssMB, code, stdout, stderr }.
 */
export async function runMeasured(cmd, args, options = {}) {
  const started = performance.now();
  const child = spawn(cmd, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c) => (stdout += c));
  child.stderr.on('data', (c) => (stderr += c));
  let peak = 0;
  const sample = () => {
    const total = treeRssMB(child.pid);
    if (total > peak) peak = total;
  };
  const sampler = setInterval(sample, 50);
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 900_000);
  const code = await new Promise((r) => child.on('exit', (c, s) => r(c ?? s)));
  const ms = performance.now() - started;
  clearInterval(sampler);
  clearTimeout(timer);
  return { ms, peakRssMB: round(peak), code, stdout, stderr };
}

function treeRssMB(rootPid) {
  let total = 0;
  const stack = [rootPid];
  const seen = new Set();
  while (stack.length) {
    const pid = stack.pop();
    if (seen.has(pid)) continue;
    seen.add(pid);
    const r = rssOf(pid).rssMB;
    if (typeof r === 'number' && Number.isFinite(r)) total += r;
    try {
      const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
      if (children) for (const c of children.split(/\s+/)) stack.push(Number(c));
    } catch {
      /* gone */
    }
  }
  return total;
}

// ---------------------------------------------------------------- registry clients

/** Creates an account through couch login (`npm adduser`), on Shelf or Verdaccio; returns its token. */
export async function couchLogin(url, name = 'bench', password = 'bench-password-123') {
  const res = await fetch(`${url}/-/user/org.couchdb.user:${encodeURIComponent(name)}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      _id: `org.couchdb.user:${name}`,
      name,
      password,
      email: `${name}@example.test`,
      type: 'user',
      roles: [],
      date: new Date().toISOString(),
    }),
  });
  const body = await res.json().catch(() => ({}));
  if (!res.ok || !body.token) throw new Error(`login to ${url} failed: ${res.status} ${JSON.stringify(body)}`);
  return body.token;
}

/** A minimal in-memory ustar archive, gzipped: files under package/, as `npm pack` writes them. */
export function makeTarball(files) {
  const blocks = [];
  for (const [path, content] of Object.entries(files)) {
    const data = Buffer.isBuffer(content) ? content : Buffer.from(content);
    const header = Buffer.alloc(512);
    header.write(`package/${path}`, 0, 100, 'utf8');
    header.write('0000644\0', 100);
    header.write('0000000\0', 108);
    header.write('0000000\0', 116);
    header.write(data.length.toString(8).padStart(11, '0') + '\0', 124);
    header.write('00000000000\0', 136);
    header.write('        ', 148);
    header.write('0', 156);
    header.write('ustar\0', 257);
    header.write('00', 263);
    let sum = 0;
    for (const b of header) sum += b;
    header.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
    blocks.push(header, data);
    const pad = (512 - (data.length % 512)) % 512;
    if (pad) blocks.push(Buffer.alloc(pad));
  }
  blocks.push(Buffer.alloc(1024));
  return gzipSync(Buffer.concat(blocks));
}

export function packageTarball(name, version, extraFiles = {}, extraPkg = {}) {
  return makeTarball({
    'package.json': JSON.stringify({ name, version, ...extraPkg }),
    'index.js': 'module.exports = 1;\n',
    ...extraFiles,
  });
}

/** The body `npm publish` sends for one version. */
export function publishBody(name, version, tarball, { manifest = {}, body = {} } = {}) {
  const integrity = `sha512-${createHash('sha512').update(tarball).digest('base64')}`;
  const shasum = createHash('sha1').update(tarball).digest('hex');
  const fileName = `${name.startsWith('@') ? name.split('/')[1] : name}-${version}.tgz`;
  return {
    _id: name,
    name,
    description: manifest.description ?? 'a benchmark package',
    'dist-tags': { latest: version },
    versions: {
      [version]: {
        name,
        version,
        description: 'a benchmark package',
        _id: `${name}@${version}`,
        dist: { integrity, shasum, tarball: `http://localhost/${name}/-/${fileName}` },
        ...manifest,
      },
    },
    access: null,
    _attachments: { [fileName]: { content_type: 'application/octet-stream', data: tarball.toString('base64'), length: tarball.length } },
    ...body,
  };
}

export async function publish(url, token, bodyObject) {
  const res = await fetch(`${url}/${bodyObject.name.replace('/', '%2f')}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'npm-command': 'publish' },
    body: JSON.stringify(bodyObject),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`publish of ${bodyObject.name} to ${url} failed: ${res.status} ${text.slice(0, 300)}`);
  return res.status;
}

/** A deterministic PRNG (mulberry32) for synthetic data with a fixed seed. */
export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// ---------------------------------------------------------------- results

/**
 * Writes bench/results/<id>.json. A result: { id, title, quick, machine, underLoad, upstream, notes[], tables[], raw }.
 * Each table: { title, measured, command, peer, rows: [{ metric, unit, shelf, peer, ratio, target, met }] }.
 */
export function writeResult(result) {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const full = { ...result, finishedAt: new Date().toISOString(), underLoad: underLoad(result.machine) };
  const file = join(RESULTS_DIR, `${result.id}.json`);
  writeFileSync(file, withoutRegistryAddress(JSON.stringify(full, null, 2)) + '\n');
  console.log(`[${result.id}] wrote ${file}`);
  return full;
}

export function log(id, ...parts) {
  console.error(`[${id}]`, ...parts);
}

export function cleanup(path, keep) {
  if (!keep) rmSync(path, { recursive: true, force: true });
}

/** Starts a benchmark result with the common fields filled in. */
/**
 * The warm mirror of a fixture that benchmark 7 fills (bench 8 and 10 read it): filled first by running bench 7 when it
 * is missing, which uses the default registry (NETWORK); returns its folder and whether it had to be filled.
 */
export async function warmMirror(id, fixture, args, registry) {
  const mirrorDir = join(CACHE_DIR, `mirror-${fixture}`);
  if (existsSync(join(mirrorDir, 'filled.json'))) return { mirrorDir, filled: false };
  log(id, `the warm mirror ${mirrorDir} is missing: filling it by running bench/07-install.mjs first (network: ${registry})`);
  await runCapture(process.execPath, [join(ROOT, 'bench', '07-install.mjs'), ...(args.quick ? ['--quick'] : []), '--runs', '1'], {
    cwd: ROOT,
    timeoutMs: 1_800_000,
  });
  return { mirrorDir, filled: true };
}

export function newResult(id, title, args) {
  return {
    id,
    title,
    quick: args.quick,
    startedAt: new Date().toISOString(),
    machine: machine(),
    peers: peerVersions(),
    notes: [],
    tables: [],
    raw: {},
  };
}

/**
 * Closed-loop load for large bodies (bench/lib/get-loop.mjs in its own process): autocannon's response parser tops out
 * near 60 MB/s on this machine, far below what the servers deliver, so tarball throughput is measured with this instead.
 */
export async function getLoop(url, { connections = 10, duration = 10 } = {}) {
  assertLoopback(url);
  const out = await runCapture(
    process.execPath,
    [join(BENCH_DIR, 'lib', 'get-loop.mjs'), url, '--c', String(connections), '--d', String(duration)],
    { timeoutMs: (duration + 60) * 1000 },
  );
  const j = JSON.parse(out.stdout);
  return {
    ...j,
    rps: round(j.rps, 0),
    p50: round(j.p50, 1),
    p99: round(j.p99, 1),
    command: `node bench/lib/get-loop.mjs ${url.replace(/127\.0\.0\.1:\d+/, '127.0.0.1:PORT')} --c ${connections} --d ${duration}`,
  };
}
