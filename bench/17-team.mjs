// Benchmark 17 (team): one shelf serve on PostgreSQL + S3 (real engines on loopback: Debian's PostgreSQL via
// ../shared/services/postgres, a Ceph RADOS Gateway via ../shared/services/s3) against the same node on SQLite + the
// data folder, in the same run: small-packument throughput and p99 at 50 connections, database transactions per hot
// request (pg_stat_database.xact_commit deltas: the target is none, hot documents are served from memory), publish
// time, and the work behind each figure for docs/SCALING.md's capacity model (node CPU and PostgreSQL CPU per request
// and per publish, S3 requests per publish and per tarball download, counted by a pass-through proxy).
// Run alone: node bench/17-team.mjs [--quick] [--runs N]
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import { createServer } from 'node:net';
import { join } from 'node:path';
import pg from 'pg';
import {
  ROOT,
  autocannon,
  cleanup,
  couchLogin,
  ensurePeers,
  freePort,
  log,
  newResult,
  packageTarball,
  parseArgs,
  percentile,
  publish,
  publishBody,
  ratio,
  round,
  sleep,
  startShelf,
  summarize,
  tempDir,
  underLoad,
  writeResult,
} from './lib/common.mjs';

const ID = '17-team';
const args = parseArgs();
const result = newResult(ID, 'Team mode: one node on PostgreSQL + S3 against the same node on SQLite + folder', args);
const duration = args.quick ? 3 : 10;
const CONNECTIONS = 50;
const PUBLISHES = args.quick ? 30 : 100;
const DOWNLOADS = 20;
const SERVICES = join(ROOT, '..', 'shared', 'services');
const TICK_MS = 1000 / 100; // USER_HZ: /proc reports CPU time in 1/100 s on Linux

ensurePeers();

function portFree(port) {
  return new Promise((done) => {
    const server = createServer();
    server.once('error', () => done(false));
    server.listen(port, '127.0.0.1', () => server.close(() => done(true)));
  });
}
async function freeRange() {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 27000 + Math.floor(Math.random() * 2000) * 10;
    let free = true;
    for (let p = base; p < base + 10 && free; p++) free = await portFree(p);
    if (free) return base;
  }
  throw new Error('no free range of 10 loopback ports for the S3 server');
}

/** CPU milliseconds (user + system) a process has used so far. */
function cpuMs(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
}
/** CPU milliseconds of every process of the PostgreSQL server under `dataDir` (postmaster and its backends). */
function postgresCpuMs(postmasterPid) {
  let total = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.split(') ')[1].split(' ');
      const ppid = Number(fields[1]);
      if (Number(entry) === postmasterPid || ppid === postmasterPid) total += (Number(fields[11]) + Number(fields[12])) * TICK_MS;
    } catch {
      /* the process ended between the listing and the read */
    }
  }
  return total;
}

/** A pass-through proxy in front of the RGW that counts S3 requests by method (the signature covers Host, kept as sent). */
async function countingProxy(target) {
  const counts = { GET: 0, PUT: 0, HEAD: 0, POST: 0, DELETE: 0 };
  const upstream = new URL(target);
  const agent = new http.Agent({ keepAlive: true });
  const server = http.createServer((req, res) => {
    counts[req.method] = (counts[req.method] ?? 0) + 1;
    const forward = http.request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers, agent },
      (answer) => {
        res.writeHead(answer.statusCode, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on('error', () => res.destroy());
    req.pipe(forward);
  });
  const port = await freePort();
  await new Promise((r) => server.listen(port, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${port}`, counts, snapshot: () => ({ ...counts }), close: () => server.close() };
}
const delta = (after, before) => Object.fromEntries(Object.keys(after).map((k) => [k, after[k] - (before[k] ?? 0)]));
const sum = (o) => Object.values(o).reduce((a, b) => a + b, 0);

const pgDir = tempDir('shelf-bench-17t-pg-');
const s3Dir = tempDir('shelf-bench-17t-s3-');
const dirs = { sqlite: tempDir('shelf-bench-17t-sqlite-'), team: tempDir('shelf-bench-17t-team-') };
const servers = {};
let proxy;
let stats;
try {
  log(ID, 'starting PostgreSQL and Ceph RGW');
  const pgStarted = execFileSync(join(SERVICES, 'postgres', 'start-postgres.sh'), [pgDir, String(await freePort())], {
    timeout: 180_000,
  }).toString();
  const serverUrl = /DATABASE_URL=(\S+)/.exec(pgStarted)[1];
  const postmasterPid = Number(readFileSync(join(pgDir, 'pg', 'postmaster.pid'), 'utf8').split('\n')[0]);
  stats = new pg.Client({ connectionString: serverUrl.replace(/\/shelf$/, '/postgres') });
  await stats.connect();
  const s3Started = execFileSync(join(SERVICES, 's3', 'start-s3.sh'), [s3Dir, String(await freeRange())], { timeout: 180_000 }).toString();
  const s3 = Object.fromEntries((/S3_ENDPOINT=.*$/m.exec(s3Started)?.[0] ?? '').split(' ').map((kv) => kv.split('=')));
  process.env.AWS_ACCESS_KEY_ID = s3.S3_ACCESS_KEY;
  process.env.AWS_SECRET_ACCESS_KEY = s3.S3_SECRET_KEY;
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  proxy = await countingProxy(s3.S3_ENDPOINT);

  servers.sqlite = await startShelf({ dataDir: dirs.sqlite });
  servers.team = await startShelf({
    dataDir: dirs.team,
    extraArgs: ['--database', serverUrl, '--blobs', `s3://${s3.S3_BUCKET}/bench-17-team`, '--s3-endpoint', proxy.url, '--s3-path-style'],
  });
  const kinds = ['sqlite', 'team'];
  const tokens = {};
  for (const kind of kinds) tokens[kind] = await couchLogin(servers[kind].url);

  const xacts = async () => {
    await stats.query('SELECT pg_stat_clear_snapshot()');
    const { rows } = await stats.query("SELECT xact_commit + xact_rollback AS n FROM pg_stat_database WHERE datname = 'shelf'");
    return Number(rows[0].n);
  };
  // Backends report their counters at most once a second when busy: wait that out before reading a delta.
  const settledXacts = async () => {
    await sleep(1200);
    return xacts();
  };

  for (const kind of kinds) {
    await publish(servers[kind].url, tokens[kind], publishBody('bench-small', '1.0.0', packageTarball('bench-small', '1.0.0')));
  }

  // Small-packument GETs: alternating the two nodes within each run, so load on the shared machine hits both alike.
  const gets = { sqlite: [], team: [] };
  for (const kind of kinds) await autocannon(`${servers[kind].url}/bench-small`, { connections: CONNECTIONS, duration: 1 });
  for (let run = 0; run < args.runs; run++) {
    for (const kind of kinds) {
      const before = { cpu: cpuMs(servers[kind].pid), pgCpu: postgresCpuMs(postmasterPid), xacts: await settledXacts() };
      const r = await autocannon(`${servers[kind].url}/bench-small`, { connections: CONNECTIONS, duration });
      const after = { cpu: cpuMs(servers[kind].pid), pgCpu: postgresCpuMs(postmasterPid), xacts: await settledXacts() };
      r.cpuMsPerRequest = (after.cpu - before.cpu) / r.requests;
      r.pgCpuMsPerRequest = (after.pgCpu - before.pgCpu) / r.requests;
      r.xactsPerRequest = kind === 'team' ? (after.xacts - before.xacts) / r.requests : undefined;
      gets[kind].push(r);
      log(
        ID,
        kind,
        `run ${run + 1}: ${r.rps} req/s, p99 ${r.p99} ms, node CPU ${r.cpuMsPerRequest.toFixed(3)} ms/req` +
          (kind === 'team' ? `, PostgreSQL transactions ${r.xactsPerRequest.toFixed(4)}/req` : '') +
          `, errors ${r.errors}, non2xx ${r.non2xx}`,
      );
    }
  }

  // Publishes: sequential PUTs of small packages on one connection (bodies built before timing).
  const publishes = { sqlite: [], team: [] };
  const names = { sqlite: [], team: [] };
  for (let run = 0; run < args.runs; run++) {
    for (const kind of kinds) {
      const bodies = Array.from({ length: PUBLISHES }, (_, i) => {
        const name = `bench-team-pub-r${run}-${i}`;
        names[kind].push(name);
        return publishBody(name, '1.0.0', packageTarball(name, '1.0.0', { 'README.md': `# ${name}\n${'x'.repeat(i)}` }));
      });
      const before = {
        cpu: cpuMs(servers[kind].pid),
        pgCpu: postgresCpuMs(postmasterPid),
        xacts: await settledXacts(),
        s3: proxy.snapshot(),
      };
      const times = [];
      for (const body of bodies) {
        const t0 = performance.now();
        await publish(servers[kind].url, tokens[kind], body);
        times.push(performance.now() - t0);
      }
      const after = {
        cpu: cpuMs(servers[kind].pid),
        pgCpu: postgresCpuMs(postmasterPid),
        xacts: await settledXacts(),
        s3: proxy.snapshot(),
      };
      const s3PerPublish = sum(delta(after.s3, before.s3)) / PUBLISHES;
      publishes[kind].push({
        p50: round(percentile(times, 50), 2),
        p99: round(percentile(times, 99), 2),
        cpuMsPerPublish: round((after.cpu - before.cpu) / PUBLISHES, 2),
        pgCpuMsPerPublish: kind === 'team' ? round((after.pgCpu - before.pgCpu) / PUBLISHES, 2) : undefined,
        xactsPerPublish: kind === 'team' ? round((after.xacts - before.xacts) / PUBLISHES, 2) : undefined,
        s3PerPublish: kind === 'team' ? round(s3PerPublish, 2) : undefined,
      });
      log(ID, kind, `publish run ${run + 1}:`, JSON.stringify(publishes[kind].at(-1)));
    }
  }

  // S3 requests per tarball download on the team node: first download (cold) and again (the node's memory cache).
  const downloads = {};
  for (const pass of ['cold', 'warm']) {
    const before = proxy.snapshot();
    for (const name of names.team.slice(0, DOWNLOADS)) {
      const response = await fetch(`${servers.team.url}/${name}/-/${name}-1.0.0.tgz`);
      if (!response.ok) throw new Error(`tarball ${name}: ${response.status}`);
      await response.arrayBuffer();
    }
    downloads[pass] = round(sum(delta(proxy.snapshot(), before)) / DOWNLOADS, 2);
  }
  log(ID, 'S3 requests per tarball download', JSON.stringify(downloads));
  result.raw = { gets, publishes, downloads };

  const pick = (kind, key) => summarize(gets[kind].map((r) => r[key]));
  const pub = (kind, key) => summarize(publishes[kind].map((r) => r[key]));
  const rows = [
    {
      metric: 'small packument GET',
      unit: 'req/s',
      shelf: pick('team', 'rps'),
      peer: pick('sqlite', 'rps'),
      ratio: ratio(pick('team', 'rps').median, pick('sqlite', 'rps').median),
    },
    {
      metric: 'small packument GET p99',
      unit: 'ms',
      shelf: pick('team', 'p99'),
      peer: pick('sqlite', 'p99'),
      ratio: ratio(pick('team', 'p99').median, pick('sqlite', 'p99').median),
    },
    {
      metric: 'PostgreSQL transactions per hot GET',
      unit: '',
      shelf: summarize(gets.team.map((r) => round(r.xactsPerRequest, 4))),
      target: '0 (served from memory)',
      met: gets.team.every((r) => r.xactsPerRequest < 0.01),
    },
    {
      metric: 'node CPU per hot GET',
      unit: 'ms',
      shelf: summarize(gets.team.map((r) => round(r.cpuMsPerRequest, 4))),
      peer: summarize(gets.sqlite.map((r) => round(r.cpuMsPerRequest, 4))),
    },
    { metric: 'PostgreSQL CPU per hot GET', unit: 'ms', shelf: summarize(gets.team.map((r) => round(r.pgCpuMsPerRequest, 4))) },
    {
      metric: 'publish p50',
      unit: 'ms',
      shelf: pub('team', 'p50'),
      peer: pub('sqlite', 'p50'),
      ratio: ratio(pub('team', 'p50').median, pub('sqlite', 'p50').median),
    },
    {
      metric: 'publish p99',
      unit: 'ms',
      shelf: pub('team', 'p99'),
      peer: pub('sqlite', 'p99'),
      ratio: ratio(pub('team', 'p99').median, pub('sqlite', 'p99').median),
    },
    { metric: 'node CPU per publish', unit: 'ms', shelf: pub('team', 'cpuMsPerPublish'), peer: pub('sqlite', 'cpuMsPerPublish') },
    { metric: 'PostgreSQL CPU per publish', unit: 'ms', shelf: pub('team', 'pgCpuMsPerPublish') },
    { metric: 'PostgreSQL transactions per publish', unit: '', shelf: pub('team', 'xactsPerPublish') },
    { metric: 'S3 requests per publish', unit: '', shelf: pub('team', 's3PerPublish') },
    { metric: 'S3 requests per tarball download, first', unit: '', shelf: { median: downloads.cold } },
    { metric: 'S3 requests per tarball download, again', unit: '', shelf: { median: downloads.warm } },
  ];
  const errors = [...gets.sqlite, ...gets.team].reduce((n, r) => n + r.errors + r.non2xx, 0);
  rows.push({ metric: 'errors + non-2xx (all GET runs)', unit: '', shelf: { median: errors }, target: '0', met: errors === 0 });
  result.tables.push({
    title: 'One node on PostgreSQL + S3 (Ceph RGW) against the same node on SQLite + data folder',
    short: 'team vs single node',
    measured: `GETs: autocannon ${CONNECTIONS} connections × ${duration} s on one small packument, median of ${args.runs} runs; publishes: ${PUBLISHES} sequential PUTs; CPU from /proc (node process; postmaster and its backends); transactions from pg_stat_database; S3 requests counted by a pass-through proxy`,
    command: 'node bench/17-team.mjs',
    peer: 'the same Shelf with --database and --blobs unset',
    rows,
  });
  result.notes.push(
    'PostgreSQL (fsync on), the RGW (one mon, one memstore OSD) and both Shelf nodes ran on the same 2-core machine as the load generator: absolute figures understate a deployment where each has its own machine.',
  );
  result.machine.loadavgAtEnd = os.loadavg().map((x) => round(x, 2));
  if (underLoad(result.machine) || result.machine.loadavgAtEnd[0] >= result.machine.cpuCount * 0.5)
    result.notes.push(
      `The machine was loaded during this run (1-minute load average ${result.machine.loadavgAtStart[0]} at the start, ${round(os.loadavg()[0], 2)} at the end, on ${result.machine.cpuCount} cores).`,
    );
} finally {
  for (const s of Object.values(servers)) await s.stop();
  await stats?.end().catch(() => undefined);
  proxy?.close();
  for (const d of Object.values(dirs)) cleanup(d, args.keep);
  for (const [script, dir] of [
    [join(SERVICES, 's3', 'stop-s3.sh'), s3Dir],
    [join(SERVICES, 'postgres', 'stop-postgres.sh'), pgDir],
  ]) {
    try {
      execFileSync(script, [dir, '--purge'], { timeout: 60_000 });
    } catch {
      /* best effort */
    }
  }
}
writeResult(result);
