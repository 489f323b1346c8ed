// Benchmark 12 (issue 12's benchmark for item 6, with issue 11's item 10): hostile traffic at the HTTP edge while normal
// clients read a packument. Phases of equal length: normal GETs alone; with gzip bombs (8 senders looping 60 kB bodies
// that inflate to 60 MB, at a publish route, a sign-up, the audit endpoint and a token route, all anonymous); with slow
// connections (100 bodies trickled a byte a second and 100 header sections a byte every two seconds, each reopened when
// Shelf closes it); and with both. Reported: the normal GETs' p99 in each phase and Shelf's RSS (before, peak during the
// abuse), against the targets: RSS growth < 100 MB, p99 < 20 ms.
// Everything is on loopback and every loop stops at the end of its phase. The slow connections stay under the default
// per-address cap (256) on purpose: the normal GETs come from the same address and must not be refused.
// Run alone: node bench/12-abuse.mjs [--quick]
import { readFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { gzipSync } from 'node:zlib';
import {
  cleanup,
  couchLogin,
  getLoop,
  log,
  newResult,
  packageTarball,
  parseArgs,
  publish,
  publishBody,
  round,
  rssOf,
  sleep,
  startShelf,
  tempDir,
  writeResult,
} from './lib/common.mjs';

const ID = '12-abuse';
const args = parseArgs();
const result = newResult(ID, 'Gzip bombs and slow connections at the HTTP edge: RSS and normal-GET p99', args);
const duration = args.quick ? 5 : 20;
const GET_CONNECTIONS = 4;
const BOMB_SENDERS = 8;
const SLOW_BODIES = 100;
const SLOW_HEADERS = 100;
const NAME = 'bench-abuse';

const BOMB = gzipSync(Buffer.concat([Buffer.from('{"name":"'), Buffer.alloc(60 * 1024 * 1024, 0x61), Buffer.from('"}')]), { level: 9 });
const BOMB_TARGETS = [
  ['PUT', '/bomb-target'],
  ['PUT', '/-/user/org.couchdb.user:bomber'],
  ['POST', '/-/npm/v1/security/advisories/bulk'],
  ['POST', '/-/npm/v1/tokens'],
];

/** 8 senders, each sending bombs back to back until stopped; counts the answers by status. */
function bombs(port) {
  const statuses = {};
  let running = true;
  let sent = 0;
  const one = (i) =>
    new Promise((resolve) => {
      const [method, path] = BOMB_TARGETS[i % BOMB_TARGETS.length];
      const request = http.request(
        {
          host: '127.0.0.1',
          port,
          method,
          path,
          agent: false,
          headers: { 'content-type': 'application/json', 'content-encoding': 'gzip', 'content-length': BOMB.length },
        },
        (response) => {
          statuses[response.statusCode] = (statuses[response.statusCode] ?? 0) + 1;
          response.resume();
          response.on('end', resolve);
          response.on('error', resolve);
        },
      );
      request.on('error', () => {
        statuses.reset = (statuses.reset ?? 0) + 1;
        resolve();
      });
      request.setTimeout(30_000, () => request.destroy());
      request.end(BOMB);
      sent++;
    });
  const workers = Array.from({ length: BOMB_SENDERS }, async (_, w) => {
    for (let i = w; running; i += BOMB_SENDERS) await one(i);
  });
  return {
    async stop() {
      running = false;
      await Promise.all(workers);
      return { sent, statuses };
    },
  };
}

/** Slow bodies and slow headers, each reopened when Shelf closes it, until stopped; counts Shelf's closes. */
function slowConnections(port) {
  let running = true;
  let closedByServer = 0;
  let opened = 0;
  const sockets = new Set();
  const timers = new Set();
  const open = (kind, n) => {
    if (!running) return;
    opened++;
    const socket = net.connect(port, '127.0.0.1');
    sockets.add(socket);
    const head =
      kind === 'body'
        ? `PUT /-/user/org.couchdb.user:slow${n} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{`
        : 'GET /-/ping HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ';
    socket.on('connect', () => socket.write(head));
    const timer = setInterval(() => socket.writable && socket.write(kind === 'body' ? ' ' : 'a'), kind === 'body' ? 1000 : 2000);
    timers.add(timer);
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearInterval(timer);
      timers.delete(timer);
      sockets.delete(socket);
      if (running) {
        closedByServer++;
        setTimeout(() => open(kind, n), 100);
      }
    });
  };
  for (let i = 0; i < SLOW_BODIES; i++) open('body', i);
  for (let i = 0; i < SLOW_HEADERS; i++) open('headers', i);
  return {
    async stop() {
      running = false;
      for (const timer of timers) clearInterval(timer);
      for (const socket of sockets) socket.destroy();
      return { opened, closedByServer };
    },
  };
}

/** CPU seconds a process has used (user + system), from /proc/<pid>/stat (Linux; clock ticks of 1/100 s). */
function cpuSeconds(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

const PHASES = [
  { name: 'normal GETs alone', abuse: [] },
  { name: 'with gzip bombs', abuse: ['bombs'] },
  { name: 'with slow connections', abuse: ['slow'] },
  { name: 'with both', abuse: ['bombs', 'slow'] },
];

const dir = tempDir('shelf-bench-12-');
const shelf = await startShelf({ dataDir: dir });
const port = Number(new URL(shelf.url).port);
const phases = [];
try {
  const token = await couchLogin(shelf.url);
  await publish(shelf.url, token, publishBody(NAME, '1.0.0', packageTarball(NAME, '1.0.0')));
  const url = `${shelf.url}/${NAME}`;
  // Warm-up: the first bombs load the REST API's instance and zlib; the first GETs warm the packument path.
  const warm = bombs(port);
  await getLoop(url, { connections: GET_CONNECTIONS, duration: args.quick ? 1 : 3 });
  await warm.stop();
  await sleep(1000);
  const before = rssOf(shelf.pid);
  log(ID, `Shelf RSS before the phases ${before.rssMB} MB; ${duration} s per phase; bomb ${BOMB.length} B → 60 MB`);
  for (const phase of PHASES) {
    const started = rssOf(shelf.pid).rssMB;
    const cpuBefore = cpuSeconds(shelf.pid);
    const t0 = performance.now();
    const samples = [];
    const sampler = setInterval(() => samples.push(rssOf(shelf.pid).rssMB), 250);
    const running = phase.abuse.map((kind) => (kind === 'bombs' ? bombs(port) : slowConnections(port)));
    // Let the abuse reach its full weight before the normal GETs are timed.
    if (phase.abuse.length) await sleep(1000);
    const load = await getLoop(url, { connections: GET_CONNECTIONS, duration });
    const abuse = {};
    for (const [i, kind] of phase.abuse.entries()) abuse[kind] = await running[i].stop();
    clearInterval(sampler);
    const peak = Math.max(started, ...samples);
    // Shelf answers on one thread: near 100% means its event loop was saturated and requests queued.
    const cpuPercent = round(((cpuSeconds(shelf.pid) - cpuBefore) * 100_000) / (performance.now() - t0), 0);
    const entry = { ...phase, load, abuse, cpuPercent, rssStartMB: started, rssPeakMB: peak, rssEndMB: rssOf(shelf.pid).rssMB };
    phases.push(entry);
    log(
      ID,
      `${phase.name}: ${load.requests} GETs, p50 ${load.p50} ms, p99 ${load.p99} ms, errors ${load.errors + load.non2xx}; Shelf CPU ${cpuPercent}%; RSS ${started} → peak ${peak} MB; abuse ${JSON.stringify(abuse)}`,
    );
    await sleep(1000);
  }
  const after = rssOf(shelf.pid);
  const peakAll = Math.max(...phases.map((p) => p.rssPeakMB));
  const growth = round(peakAll - before.rssMB, 1);
  result.raw = { before, after, phases, bombBytes: BOMB.length };
  result.tables.push({
    title: `Normal packument GETs (${GET_CONNECTIONS} connections, closed loop) during hostile traffic, ${duration} s per phase`,
    short: 'Abuse at the edge',
    measured: `p99 of the normal GETs per phase (bench/lib/get-loop.mjs in its own process); Shelf's RSS from /proc/<pid>/status every 250 ms; growth = highest RSS in any phase − RSS before the phases (after a warm-up); bombs: ${BOMB_SENDERS} senders of a ${round(BOMB.length / 1024, 0)} kB gzip body inflating to 60 MB; slow: ${SLOW_BODIES} trickled bodies + ${SLOW_HEADERS} trickled header sections, reopened when closed`,
    command: 'node bench/12-abuse.mjs',
    peer: '—',
    rows: [
      ...phases.map((p) => ({
        metric: `GET p99 — ${p.name}`,
        unit: 'ms',
        shelf: { median: p.load.p99 },
        target: '< 20 ms',
        met: p.load.p99 < 20,
      })),
      ...phases.map((p) => ({
        metric: `GET throughput — ${p.name}`,
        unit: 'req/s',
        shelf: { median: p.load.rps },
      })),
      ...phases.map((p) => ({
        metric: `Shelf CPU (one core = 100%) — ${p.name}`,
        unit: '%',
        shelf: { median: p.cpuPercent },
      })),
      {
        metric: 'RSS growth during the abuse',
        unit: '',
        shelf: { text: `${before.rssMB} → peak ${peakAll} MB (+${growth} MB); ${after.rssMB} MB after` },
        target: '< 100 MB',
        met: growth < 100,
      },
      {
        metric: 'normal GET errors (all phases)',
        unit: '',
        shelf: { median: phases.reduce((n, p) => n + p.load.errors + p.load.non2xx, 0) },
        target: '0',
        met: phases.every((p) => p.load.errors + p.load.non2xx === 0),
      },
    ],
  });
  const bombPhase = phases.find((p) => p.abuse.bombs);
  const slowPhase = phases.find((p) => p.abuse.slow);
  result.notes.push(
    `Bomb answers in the bombs phase: ${JSON.stringify(bombPhase?.abuse.bombs.statuses)} (401: refused before inflation, anonymous at a publish route; 413: inflation stopped at the route's cap; 503: turned away while 4 large bodies were being read).`,
  );
  result.notes.push(
    `Slow connections in the slow phase: ${slowPhase?.abuse.slow.opened} opened, ${slowPhase?.abuse.slow.closedByServer} closed by Shelf (bodies after 10 s under 8 kB/s, header sections at Node's 15 s headers timeout, which Node checks every 30 s).`,
  );
} finally {
  await shelf.stop();
  cleanup(dir, args.keep);
}
writeResult(result);
