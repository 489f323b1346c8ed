// Benchmark 12b (issue 12, item 4): does a very large upstream packument hold Shelf's event loop? A generated 40 MB
// document (fixed seed, realistic manifests) is mirrored from a stand-in upstream on loopback, then read back from the
// cache, while one client pings Shelf back to back (GET /-/ping, one at a time on a keep-alive connection). A ping waits
// for whatever holds the event loop, so the slowest ping during each phase bounds the longest stall other requests saw.
// Phases: pings alone (the machine's noise floor), the first fetch (upstream fetch, transform and store: "miss"), 5 abbreviated GETs from the cache, 5 full GETs.
// Everything is on loopback and every loop ends with its phase.
// Run alone: node bench/12-large-packument.mjs [--quick]
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import {
  BENCH_DIR,
  cleanup,
  freePort,
  log,
  newResult,
  parseArgs,
  percentile,
  rng,
  round,
  rssOf,
  sleep,
  startShelf,
  tempDir,
  waitForOk,
  writeResult,
} from './lib/common.mjs';

const ID = '12-large-packument';
const args = parseArgs();
const result = newResult(ID, 'A 40 MB upstream packument: event-loop stalls while it is mirrored and served', args);
const NAME = 'bench-huge';
const TARGET_BYTES = (args.quick ? 10 : 40) * 1024 * 1024;
const READS = 5;
const ABBREVIATED = 'application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*';

function generate() {
  const random = rng(12);
  const words = ['core', 'util', 'parse', 'stream', 'async', 'http', 'json', 'cli', 'fs', 'path', 'test', 'build', 'type', 'map', 'cache'];
  const pick = () => words[Math.floor(random() * words.length)];
  const hex = (n) => Array.from({ length: n }, () => Math.floor(random() * 16).toString(16)).join('');
  const doc = {
    _id: NAME,
    name: NAME,
    description: 'a generated 40 MB packument',
    'dist-tags': {},
    versions: {},
    time: {},
    license: 'MIT',
  };
  let size = 0;
  for (let i = 0; size < TARGET_BYTES; i++) {
    const version = `${Math.floor(i / 100)}.${Math.floor(i / 10) % 10}.${i % 10}`;
    const deps = {};
    for (let d = 0; d < 12; d++) deps[`${pick()}-${pick()}-${d}`] = `^${Math.floor(random() * 9)}.${Math.floor(random() * 20)}.0`;
    const manifest = {
      name: NAME,
      version,
      description: `version ${version}: ${Array.from({ length: 40 }, pick).join(' ')}`,
      main: 'index.js',
      scripts: { test: 'node test.js', build: 'tsc -p .' },
      keywords: [pick(), pick(), pick()],
      license: 'MIT',
      dependencies: deps,
      devDependencies: { typescript: '^5.0.0', vitest: '^1.0.0' },
      engines: { node: '>=18' },
      _id: `${NAME}@${version}`,
      maintainers: [{ name: 'bench', email: 'bench@example.test' }],
      dist: {
        tarball: `http://127.0.0.1/${NAME}/-/${NAME}-${version}.tgz`,
        shasum: hex(40),
        integrity: `sha512-${Buffer.from(hex(128), 'hex').toString('base64')}`,
      },
    };
    doc.versions[version] = manifest;
    doc.time[version] = new Date(Date.UTC(2020, 0, 1) + i * 3600_000).toISOString();
    size += JSON.stringify(manifest).length + 60;
  }
  doc['dist-tags'].latest = Object.keys(doc.versions).at(-1);
  doc.time.modified = doc.time[doc['dist-tags'].latest];
  return Buffer.from(JSON.stringify(doc));
}

/** Pings back to back on one keep-alive connection until stopped; returns every latency (ms). */
function pinger(url) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const latencies = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const t0 = performance.now();
      await new Promise((resolve, reject) => {
        http
          .get(`${url}/-/ping`, { agent }, (res) => {
            res.resume();
            res.on('end', resolve);
          })
          .on('error', reject);
      });
      latencies.push(performance.now() - t0);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      agent.destroy();
      return latencies;
    },
  };
}

/** One GET of the large document, body discarded; resolves with its status, bytes and time. */
function getLarge(url, accept) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    http
      .get(`${url}/${NAME}`, { agent: false, headers: { accept, 'accept-encoding': 'gzip' } }, (res) => {
        let bytes = 0;
        res.on('data', (chunk) => (bytes += chunk.length));
        res.on('end', () => resolve({ status: res.statusCode, bytes, ms: performance.now() - t0, cache: res.headers['x-shelf-cache'] }));
      })
      .on('error', reject);
  });
}

async function phase(url, name, work) {
  const ping = pinger(url);
  await sleep(200);
  const t0 = performance.now();
  const answers = await work();
  const ms = performance.now() - t0;
  const latencies = await ping.stop();
  const entry = {
    name,
    ms: round(ms, 0),
    answers,
    pings: latencies.length,
    pingMax: round(Math.max(...latencies), 1),
    pingP99: round(percentile(latencies, 99), 1),
    pingP50: round(percentile(latencies, 50), 2),
  };
  log(ID, `${name}: ${entry.ms} ms; ${entry.pings} pings, p50 ${entry.pingP50} ms, p99 ${entry.pingP99} ms, max ${entry.pingMax} ms`);
  return entry;
}

const upstreamDir = tempDir('shelf-bench-12l-upstream-');
const dataDir = tempDir('shelf-bench-12l-data-');
const bytes = generate();
writeFileSync(join(upstreamDir, `${NAME}.json`), bytes);
log(ID, `generated ${NAME}: ${(bytes.length / 1024 / 1024).toFixed(1)} MB`);
const upstreamPort = await freePort();
const upstream = spawn(process.execPath, [join(BENCH_DIR, 'lib', 'fake-upstream.mjs'), upstreamDir, String(upstreamPort)], {
  stdio: 'inherit',
});
let shelf;
try {
  await waitForOk(`http://127.0.0.1:${upstreamPort}/-/ping`);
  shelf = await startShelf({
    dataDir,
    upstream: `http://127.0.0.1:${upstreamPort}/`,
    extraArgs: ['--cache-max-age', '1h'],
    waitPing: true,
  });
  await sleep(1500);
  const rssBefore = rssOf(shelf.pid).rssMB;
  const phases = [];
  // The machine's own noise: the same pings with nothing else asked of Shelf (on a shared machine, the run queue).
  phases.push(await phase(shelf.url, 'pings alone (3 s)', async () => (await sleep(3000), [])));
  phases.push(
    await phase(shelf.url, 'first fetch (upstream, transform, store)', async () => [await getLarge(shelf.url, 'application/json')]),
  );
  const rssAfterMiss = rssOf(shelf.pid).rssMB;
  phases.push(
    await phase(shelf.url, `${READS} abbreviated GETs from the cache`, async () => {
      const answers = [];
      for (let i = 0; i < READS; i++) answers.push(await getLarge(shelf.url, ABBREVIATED));
      return answers;
    }),
  );
  phases.push(
    await phase(shelf.url, `${READS} full GETs from the cache`, async () => {
      const answers = [];
      for (let i = 0; i < READS; i++) answers.push(await getLarge(shelf.url, 'application/json'));
      return answers;
    }),
  );
  const failed = phases.flatMap((p) => p.answers).filter((a) => a.status !== 200);
  if (failed.length) throw new Error(`large GETs failed: ${JSON.stringify(failed)}`);
  result.raw = { documentBytes: bytes.length, rssBefore, rssAfterMiss, phases };
  result.tables.push({
    title: `Pings (GET /-/ping, one at a time) while a ${(bytes.length / 1024 / 1024).toFixed(1)} MB upstream packument is mirrored, then read from the cache`,
    short: 'Large packument stalls',
    measured:
      'the slowest ping in each phase bounds the longest event-loop stall other requests saw; the phase time is the large GETs’ own',
    command: 'node bench/12-large-packument.mjs',
    peer: '—',
    rows: phases.flatMap((p) => [
      { metric: `${p.name}: time`, unit: 'ms', shelf: { median: p.ms } },
      { metric: `${p.name}: slowest ping`, unit: 'ms', shelf: { median: p.pingMax }, target: 'a few ms', met: p.pingMax < 20 },
      { metric: `${p.name}: ping p99`, unit: 'ms', shelf: { median: p.pingP99 } },
    ]),
  });
  result.notes.push(`RSS ${rssBefore} MB before, ${rssAfterMiss} MB after the first fetch.`);
} finally {
  await shelf?.stop();
  upstream.kill();
  cleanup(upstreamDir, args.keep);
  cleanup(dataDir, args.keep);
}
writeResult(result);
