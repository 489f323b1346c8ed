// Benchmark 16 (issue 16): the CI-fleet scenario. N (20) concurrent `npm ci` of the cra fixture, each in its own folder
// with its own empty npm cache, against one `shelf serve` on the warm mirror that benchmark 7 filled, then the same fleet
// against a static file server holding the same documents (bench/lib/static-server.mjs: node:http + fs streams, a fixed
// path → file lookup), taking turns. The static documents are the bytes Shelf serves: each packument fetched from Shelf
// with npm's Accept header (its tarball URLs pointed at the static server) and each tarball, so both servers answer the
// same requests with the same bodies.
// Reported: npm's total wall time (until the last of the N finished), the ratio Shelf/static (target ≤ 1.05: Shelf must
// never be the bottleneck), each server's CPU time over the wall time (from /proc/<pid>/stat), the p99 of the time each
// server itself measured per request (Shelf: its debug request log, fastify's elapsedTime at onResponse; static: request
// to 'finish'), failed installs and non-2xx answers, and how busy the machine was. On a 2-core machine N npm processes
// saturate the CPU: that is the scenario, and the report says so. Where the target is missed, one more Shelf fleet runs
// under --cpu-prof and the profile is summarized beside the figures.
// The fixture's package-lock.json has no `resolved` fields, so npm asks the registry it is given (--registry) for each
// packument and then fetches the tarball it names: both servers see packuments and tarballs.
// Run alone: node bench/16-ci-fleet.mjs [--quick] [--runs N] [--clients N] [--work-dir DIR]   (quick: 4 clients, 1 run)
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { allProfiles, profileText, summarizeProfile } from './lib/cpu-profile.mjs';
import { callersOf, callersText } from './lib/profile-callers.mjs';
import {
  BENCH_DIR,
  FIXTURES,
  NPM_FLAGS,
  freePort,
  log,
  newResult,
  npmRegistry,
  parseArgs,
  percentile,
  ratio,
  round,
  runCapture,
  startShelf,
  stopper,
  summarize,
  tempDir,
  waitForOk,
  warmMirror,
  writeResult,
} from './lib/common.mjs';
import { machineCpuSeconds, processCpuSeconds } from './lib/proc-cpu.mjs';

const ID = '16-ci-fleet';
const argv = process.argv.slice(2);
const args = parseArgs(argv);
const numberFlag = (name) => {
  const i = argv.indexOf(name);
  if (i >= 0) return Number(argv[i + 1]);
  const eq = argv.find((a) => a.startsWith(`${name}=`));
  return eq ? Number(eq.slice(name.length + 1)) : undefined;
};
const CLIENTS = numberFlag('--clients') ?? (args.quick ? 4 : 20);
const RUNS = argv.some((a) => a === '--runs' || a.startsWith('--runs=')) ? args.runs : args.quick ? 1 : 3;
// Always the cra fixture (quick mode shrinks the fleet instead): its warm mirror is the one the other 16-* benches use.
const FIXTURE = 'cra';
// Where the fleet's folders go (about 0.5 GB per client): --work-dir, e.g. /dev/shm to take the disk out of the picture.
const WORK_DIR =
  argv.find((a) => a.startsWith('--work-dir='))?.slice(11) ??
  (argv.includes('--work-dir') ? argv[argv.indexOf('--work-dir') + 1] : os.tmpdir());
const fixtureDir = join(FIXTURES, FIXTURE);
const NPM_ACCEPT = 'application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*';
// All N clients come from 127.0.0.1, where a real fleet has one address per runner: npm opens up to 15 sockets each
// (its maxsockets default), so 20 of them exceed Shelf's default per-address cap of 256 and would be refused for a reason
// a real fleet never meets. The cap is lifted for this benchmark only.
const SHELF_EXTRA = ['--max-connections-per-address', '2048', '--max-connections', '4096'];
const registry = npmRegistry();
const result = newResult(
  ID,
  `CI fleet: ${CLIENTS} concurrent npm ci of the ${FIXTURE} fixture against one Shelf (warm mirror) vs a static file server`,
  { ...args, runs: RUNS },
);
result.raw.clients = CLIENTS;
result.raw.runs = RUNS;
result.raw.workDir = WORK_DIR;

const { mirrorDir, filled } = await warmMirror(ID, FIXTURE, { ...args, quick: false }, registry);
result.upstream = `${registry} — ${filled ? "used to pre-fill the mirror (bench 7's pre-fill step); " : 'used once by bench 7 to pre-fill the mirror; '}the measured installs are served by Shelf --offline and by the static server, no network`;
const shelfOptions = { dataDir: join(mirrorDir, 'shelf'), upstream: registry, offline: true, logLevel: 'debug', extraArgs: SHELF_EXTRA };

/** Runs fn over items with at most `limit` in flight. */
async function pool(items, limit, fn) {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i], i);
    }
  });
  await Promise.all(workers);
}

/** name → Set of versions that npm ci of the fixture fetches (bundled and linked entries are not fetched). */
function lockPackages() {
  const lock = JSON.parse(readFileSync(join(fixtureDir, 'package-lock.json'), 'utf8'));
  const wanted = new Map();
  for (const [key, entry] of Object.entries(lock.packages ?? {})) {
    if (!key || entry.link || entry.inBundle || !entry.version) continue;
    const name = entry.name ?? key.slice(key.lastIndexOf('node_modules/') + 'node_modules/'.length);
    if (!wanted.has(name)) wanted.set(name, new Set());
    wanted.get(name).add(entry.version);
  }
  return wanted;
}

/**
 * Copies the documents Shelf serves for the fixture into `dir` for the static server at `staticUrl`: each packument as
 * Shelf sends it to npm (its tarball URLs pointed at the static server; stored plain and gzipped) and each tarball.
 * Returns the index file and counts.
 */
async function buildStaticDocuments(shelfUrl, staticUrl, dir) {
  const wanted = lockPackages();
  const index = {};
  let bytes = 0;
  let tarballs = 0;
  let n = 0;
  await pool([...wanted.entries()], 8, async ([name, versions]) => {
    const id = n++;
    const res = await fetch(`${shelfUrl}/${name.replace('/', '%2f')}`, { headers: { accept: NPM_ACCEPT, 'accept-encoding': 'identity' } });
    const text = await res.text();
    if (!res.ok) throw new Error(`Shelf answered ${res.status} for the packument of ${name}: ${text.slice(0, 300)}`);
    const doc = JSON.parse(text);
    for (const version of versions) {
      const tarballUrl = doc.versions?.[version]?.dist?.tarball;
      if (!tarballUrl?.startsWith(shelfUrl))
        throw new Error(`${name}@${version}: Shelf's packument names no tarball of its own (${tarballUrl})`);
      const t = await fetch(tarballUrl);
      const body = Buffer.from(await t.arrayBuffer());
      if (!t.ok) throw new Error(`Shelf answered ${t.status} for ${tarballUrl}`);
      const file = join(dir, `t${id}-${tarballs++}.tgz`);
      writeFileSync(file, body);
      bytes += body.length;
      index[decodeURIComponent(new URL(tarballUrl).pathname)] = { file, type: t.headers.get('content-type') ?? 'application/octet-stream' };
    }
    const rewritten = text.split(shelfUrl).join(staticUrl);
    const file = join(dir, `p${id}.json`);
    writeFileSync(file, rewritten);
    writeFileSync(`${file}.gz`, gzipSync(rewritten));
    bytes += rewritten.length;
    index[`/${name}`] = { file, gzFile: `${file}.gz`, type: res.headers.get('content-type') ?? 'application/json' };
  });
  const indexFile = join(dir, 'index.json');
  writeFileSync(indexFile, JSON.stringify(index));
  return { indexFile, packuments: wanted.size, tarballs, bytes };
}

async function startStaticIndex(indexFile, port) {
  const child = spawn(process.execPath, [join(BENCH_DIR, 'lib', 'static-server.mjs'), '--index', indexFile, String(port)], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  await waitForOk(`${url}/-/ping`, 20_000, 10);
  return { name: 'static', url, pid: child.pid, child, stop: stopper(child) };
}

/** The per-request timings a server measured since the last call: { ms[], statuses, kinds }. */
async function serverTimings(server) {
  if (server.name === 'static') return (await fetch(`${server.url}/-/bench/timings`)).json();
  // Shelf's debug request log: "<time> debug GET /path 200 1.2ms" (src/main/http/server.ts, onResponse).
  const out = { ms: [], statuses: {}, kinds: {} };
  for (const line of server.logLines.splice(0)) {
    const m = / debug (\w+) (\S+) (\d{3}) ([\d.]+)ms$/.exec(line);
    if (!m) continue;
    out.ms.push(Number(m[4]));
    out.statuses[m[3]] = (out.statuses[m[3]] ?? 0) + 1;
    const kind = m[2].includes('/-/') ? 'tarball' : 'packument';
    out.kinds[kind] = (out.kinds[kind] ?? 0) + 1;
  }
  return out;
}

/** Packages npm recorded as installed in a project (its hidden lockfile), or 0. */
function installedCount(project) {
  const hidden = join(project, 'node_modules', '.package-lock.json');
  if (!existsSync(hidden)) return 0;
  return Object.keys(JSON.parse(readFileSync(hidden, 'utf8')).packages ?? {}).length;
}

/**
 * Removes the fleet's folders (N node_modules and npm caches, about 0.5 GB each), all at once with `rm -rf`: Node's
 * rmSync stats and unlinks one file at a time and took minutes per folder on a machine busy with I/O.
 */
async function removeAll(dirs) {
  await Promise.all(dirs.map((d) => runCapture('rm', ['-rf', d], { timeoutMs: 1_800_000, allowFail: true })));
}

/** One fleet: CLIENTS npm ci at once against `server`, each with its own folder and empty cache. */
async function fleet(server) {
  const roots = Array.from({ length: CLIENTS }, () => mkdtempSync(join(WORK_DIR, 'shelf-bench-16f-')));
  for (const root of roots) {
    mkdirSync(join(root, 'project'));
    cpSync(join(fixtureDir, 'package.json'), join(root, 'project', 'package.json'));
    cpSync(join(fixtureDir, 'package-lock.json'), join(root, 'project', 'package-lock.json'));
  }
  await serverTimings(server); // start the count afresh
  const cpu0 = processCpuSeconds(server.pid);
  const m0 = machineCpuSeconds();
  const started = performance.now();
  const clients = await Promise.all(
    roots.map(async (root) => {
      const r = await runCapture('npm', ['ci', `--registry=${server.url}/`, `--cache=${join(root, 'cache')}`, ...NPM_FLAGS], {
        cwd: join(root, 'project'),
        timeoutMs: 1_800_000,
        allowFail: true,
      });
      return { ms: r.ms, code: r.code, stderr: r.code === 0 ? undefined : r.stderr.slice(-1500) };
    }),
  );
  const wallMs = performance.now() - started;
  const cpu1 = processCpuSeconds(server.pid);
  const m1 = machineCpuSeconds();
  const loadavgAtEnd = os.loadavg().map((x) => round(x, 2));
  const timings = await serverTimings(server);
  const installed = roots.map((root) => installedCount(join(root, 'project')));
  await removeAll(roots);
  const failed = clients.filter((c) => c.code !== 0);
  const non2xx = Object.entries(timings.statuses)
    .filter(([s]) => !s.startsWith('2'))
    .reduce((n, [, c]) => n + c, 0);
  const serverCpu = cpu1 - cpu0;
  const machineBusy = m1.busy - m0.busy;
  return {
    server: server.name,
    wallS: wallMs / 1000,
    clientS: summarize(clients.map((c) => c.ms / 1000)),
    failed: failed.length,
    failures: failed.slice(0, 2).map((c) => `exit ${c.code}: ${c.stderr}`),
    installedMin: Math.min(...installed),
    installedMax: Math.max(...installed),
    serverCpuS: round(serverCpu, 2),
    serverCores: round(serverCpu / (wallMs / 1000), 3),
    serverShareOfBusyPct: round((100 * serverCpu) / machineBusy, 1),
    machineBusyPct: round((100 * machineBusy) / (m1.total - m0.total), 1),
    loadavgAtEnd,
    requests: timings.ms.length,
    kinds: timings.kinds,
    statuses: timings.statuses,
    non2xx,
    p50: round(percentile(timings.ms, 50), 2),
    p99: round(percentile(timings.ms, 99), 2),
    max: round(Math.max(...timings.ms), 1),
  };
}

const describe = (r) =>
  `${r.server}: ${r.wallS.toFixed(1)} s, ${r.failed} failed, server CPU ${r.serverCpuS} s (${r.serverCores} of a core, ${r.serverShareOfBusyPct}% of the busy CPU), machine ${r.machineBusyPct}% busy, load ${r.loadavgAtEnd[0]}; ${r.requests} requests (${JSON.stringify(r.kinds)}), non-2xx ${r.non2xx}, p50 ${r.p50} ms, p99 ${r.p99} ms, max ${r.max} ms; installed ${r.installedMin}–${r.installedMax}`;

const temps = [];
let shelf;
let staticServer;
const figures = { shelf: [], static: [] };
let docs;
try {
  shelf = await startShelf(shelfOptions);
  const staticPort = await freePort();
  const staticDir = tempDir('shelf-bench-16f-static-');
  temps.push(staticDir);
  docs = await buildStaticDocuments(shelf.url, `http://127.0.0.1:${staticPort}`, staticDir);
  result.raw.documents = { packuments: docs.packuments, tarballs: docs.tarballs, bytes: docs.bytes };
  log(ID, `static documents: ${docs.packuments} packuments and ${docs.tarballs} tarballs from Shelf, ${(docs.bytes / 1e6).toFixed(1)} MB`);
  staticServer = await startStaticIndex(docs.indexFile, staticPort);
  for (let i = 0; i < RUNS; i++) {
    // Taking turns, and the order alternates, so neither server always goes first on a machine that warms up or cools down.
    const order = i % 2 === 0 ? [shelf, staticServer] : [staticServer, shelf];
    for (const server of order) {
      const r = await fleet(server);
      figures[server.name].push(r);
      log(ID, `run ${i + 1}, ${describe(r)}`);
      if (r.failed) log(ID, `failures: ${r.failures.join('\n')}`);
    }
  }
  result.raw.figures = figures;
  const s = (key, f) => summarize(figures[key].map(f));
  const wall = { shelf: s('shelf', (r) => r.wallS), static: s('static', (r) => r.wallS) };
  const wallRatio = ratio(wall.shelf.median, wall.static.median);
  const failures = (key) => figures[key].reduce((n, r) => n + r.failed, 0);
  const non2xx = (key) => figures[key].reduce((n, r) => n + r.non2xx, 0);
  const met = wallRatio !== undefined && wallRatio <= 1.05 && failures('shelf') === 0 && non2xx('shelf') === 0;
  if (!met) {
    // One more Shelf fleet under --cpu-prof, on the same mirror; the profile is written when Shelf exits.
    await shelf.stop();
    shelf = undefined;
    const profDir = tempDir('shelf-bench-16f-prof-');
    temps.push(profDir);
    const profiled = await startShelf({ ...shelfOptions, nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${profDir}`] });
    try {
      const r = await fleet(profiled);
      result.raw.profiledRun = r;
      log(ID, `profiled run, ${describe(r)}`);
    } finally {
      await profiled.stop();
    }
    const files = allProfiles(profDir);
    const summary = files.length ? summarizeProfile(files[0], 12) : undefined;
    result.raw.profile = summary;
    const top = summary?.top[0];
    const callers = top ? callersOf(files[0], top.fn) : [];
    result.raw.profileCallers = callers;
    result.notes.push(
      `Missed: the profile of one more Shelf fleet under --cpu-prof (main thread; --cpu-prof slows it; samples are wall-clock, so on a saturated machine time spent waiting for a CPU counts as busy): ${profileText(summary, 12)}.` +
        (top ? ` ${top.fn}'s self time by its nearest named caller: ${callersText(callers)}.` : ''),
    );
  }
  const lastLoad = (key) => figures[key].map((r) => r.loadavgAtEnd[0]);
  result.tables.push({
    title: `${CLIENTS} concurrent \`npm ci\` of ${FIXTURE}, each with an empty npm cache, against one server holding the same documents`,
    short: `CI fleet, ${CLIENTS} × npm ci`,
    measured: `wall time from starting ${CLIENTS} \`npm ci\` at once until the last one finished, each in its own folder (under ${WORK_DIR}) with its own empty --cache; Shelf (\`shelf serve --offline\` on the warm mirror) and the static server (node:http + fs streams over the same packument and tarball bytes) take turns, order alternating; median of ${RUNS} runs (min–max). Server figures are measured by each server per request (time to the response's last byte) and from /proc/<pid>/stat (CPU time of the server process over the fleet's wall time)`,
    command: `${CLIENTS} × npm ci --registry=<server>/ --cache=<empty> ${NPM_FLAGS.join(' ')}`,
    peer: 'static file server',
    rows: [
      {
        metric: `npm total time (all ${CLIENTS} done)`,
        unit: 's',
        shelf: wall.shelf,
        peer: wall.static,
        ratio: wallRatio,
        target: '≤ 1.05× static, no errors',
        met,
      },
      {
        metric: 'one npm ci, median over the fleet',
        unit: 's',
        shelf: s('shelf', (r) => r.clientS.median),
        peer: s('static', (r) => r.clientS.median),
        ratio: ratio(s('shelf', (r) => r.clientS.median).median, s('static', (r) => r.clientS.median).median),
      },
      {
        metric: 'server CPU time / wall time (1 = one core)',
        unit: '',
        shelf: s('shelf', (r) => r.serverCores),
        peer: s('static', (r) => r.serverCores),
        ratio: ratio(s('shelf', (r) => r.serverCores).median, s('static', (r) => r.serverCores).median),
      },
      {
        // Less sensitive to other load on the machine than the wall times: what each request costs the server.
        metric: 'server CPU time per request',
        unit: 'ms',
        shelf: s('shelf', (r) => (1000 * r.serverCpuS) / r.requests),
        peer: s('static', (r) => (1000 * r.serverCpuS) / r.requests),
        ratio: ratio(
          s('shelf', (r) => (1000 * r.serverCpuS) / r.requests).median,
          s('static', (r) => (1000 * r.serverCpuS) / r.requests).median,
        ),
      },
      {
        metric: "server's share of the machine's busy CPU",
        unit: '%',
        shelf: s('shelf', (r) => r.serverShareOfBusyPct),
        peer: s('static', (r) => r.serverShareOfBusyPct),
      },
      {
        metric: 'p99 per request at the server (time to last byte)',
        unit: 'ms',
        shelf: s('shelf', (r) => r.p99),
        peer: s('static', (r) => r.p99),
        ratio: ratio(s('shelf', (r) => r.p99).median, s('static', (r) => r.p99).median),
      },
      {
        metric: 'p50 per request at the server',
        unit: 'ms',
        shelf: s('shelf', (r) => r.p50),
        peer: s('static', (r) => r.p50),
      },
      {
        metric: 'requests per fleet',
        unit: '',
        shelf: s('shelf', (r) => r.requests),
        peer: s('static', (r) => r.requests),
      },
      {
        metric: 'failed installs / non-2xx answers (all runs)',
        unit: '',
        shelf: { text: `${failures('shelf')} / ${non2xx('shelf')}` },
        peer: { text: `${failures('static')} / ${non2xx('static')}` },
      },
      {
        metric: 'machine CPU busy during the fleet',
        unit: '%',
        shelf: s('shelf', (r) => r.machineBusyPct),
        peer: s('static', (r) => r.machineBusyPct),
      },
      {
        metric: '1-minute load average at the end of the fleet',
        unit: '',
        shelf: summarize(lastLoad('shelf')),
        peer: summarize(lastLoad('static')),
      },
    ],
  });
  const busy = s('shelf', (r) => r.machineBusyPct).median;
  result.notes.push(
    `On ${os.cpus().length} CPUs, ${CLIENTS} npm processes saturate the machine (${busy}% busy during the Shelf fleets): the servers compete with their own clients for the CPU, which is the scenario — a server that needs less CPU per request leaves more to npm. Shelf's CPU share is its process's CPU time (all threads, /proc/<pid>/stat) over the fleet's wall time.`,
    `Documents: ${docs.packuments} packuments (abbreviated, as Shelf sends them to npm, tarball URLs pointed at the static server; served gzipped when asked, as Shelf does) and ${docs.tarballs} tarballs (${(docs.bytes / 1e6).toFixed(1)} MB), copied from Shelf before the runs. The fixture's lockfile has no \`resolved\` URLs, so every npm asks its --registry for each packument, then the tarball it names; no install scripts run.`,
    `Shelf runs --offline with --log-level debug (its per-request line carries fastify's elapsedTime at onResponse, read from its stderr; the line costs Shelf one write per request) and --max-connections-per-address 2048: on loopback the whole fleet is one address, where a real fleet has one per runner, and 20 npm processes with up to 15 sockets each would exceed the default cap of 256.`,
  );
} finally {
  if (shelf) await shelf.stop();
  if (staticServer) await staticServer.stop();
  if (!args.keep) for (const d of temps) rmSync(d, { recursive: true, force: true });
}
writeResult(result);
