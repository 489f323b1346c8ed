// Benchmark 16 (issue 16): a small packument GET at 50 connections, with and without gzip, side by side against
//   - the bare ceiling: node:http sending the very bytes Shelf sent, body and headers (bench/lib/bare-server.mjs: no
//     routing, no lookup),
//   - Verdaccio (no uplink, seeded with the same publishes),
// for a package published to Shelf and for a mirrored one (served from a stand-in upstream on loopback, kept fresh with
// --cache-max-age so no request goes upstream during the load). Then Shelf is restarted on another port with
// --cpu-prof: the first read there (no re-render expected) is timed, and where a target was missed the profile of a
// short load on that case is summarized (top self-time functions) beside the figures.
// Run alone: node bench/16-packument-ceiling.mjs [--quick] [--runs N]
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { allProfiles, profileText, summarizeProfile } from './lib/cpu-profile.mjs';
import {
  BENCH_DIR,
  autocannon,
  cleanup,
  couchLogin,
  ensurePeers,
  freePort,
  log,
  newResult,
  packageTarball,
  parseArgs,
  publish,
  publishBody,
  ratio,
  round,
  startShelf,
  startVerdaccio,
  stopper,
  summarize,
  tempDir,
  waitForOk,
  writeResult,
} from './lib/common.mjs';
import { processCpuSeconds } from './lib/proc-cpu.mjs';

const ID = '16-packument-ceiling';
const args = parseArgs();
ensurePeers();
const result = newResult(ID, 'Small packument GET against the bare node:http ceiling and Verdaccio (50 connections, gzip and not)', args);
// Shorter runs, more of them (5 unless --runs says otherwise): the ratio is a median of back-to-back pairs.
const duration = args.quick ? 2 : 6;
if (!process.argv.slice(2).some((a) => a.startsWith('--runs'))) args.runs = args.quick ? 3 : 5;
const connections = 50;
const LOCAL = 'bench-small';
const MIRRORED = 'bench-mirrored';
const VERSIONS = ['1.0.0', '1.0.1', '1.1.0', '1.2.0'];
const ACCEPT = 'application/json';
const ENCODINGS = {
  identity: { accept: ACCEPT },
  gzip: { accept: ACCEPT, 'accept-encoding': 'gzip, deflate, br' },
};

async function seed(server) {
  const token = await couchLogin(server.url);
  // The manifest and the tarball's package.json agree, as `npm publish` sends them (Shelf refuses a mismatch).
  const manifest = { description: 'a small benchmark package with a few versions', license: 'MIT', dependencies: { 'left-pad': '^1.3.0' } };
  for (const v of VERSIONS) await publish(server.url, token, publishBody(LOCAL, v, packageTarball(LOCAL, v, {}, manifest), { manifest }));
}

/** The upstream's document for the mirrored package: four versions, as a registry sends them. */
function upstreamDocument(upstreamUrl) {
  const versions = {};
  const time = { created: '2024-01-01T00:00:00.000Z', modified: '2024-04-01T00:00:00.000Z' };
  for (const [i, v] of VERSIONS.entries()) {
    const tgz = packageTarball(MIRRORED, v);
    const body = publishBody(MIRRORED, v, tgz);
    versions[v] = {
      ...body.versions[v],
      license: 'MIT',
      dependencies: { 'left-pad': '^1.3.0' },
      dist: { ...body.versions[v].dist, tarball: `${upstreamUrl}/${MIRRORED}/-/${MIRRORED}-${v}.tgz` },
    };
    time[v] = `2024-0${i + 1}-01T00:00:00.000Z`;
  }
  return { _id: MIRRORED, name: MIRRORED, description: 'a mirrored benchmark package', 'dist-tags': { latest: '1.2.0' }, versions, time };
}

/** The bytes a server sends for a GET (not decoded), with its headers. */
function rawGet(url, headers) {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers }, (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

async function startBare(dir, name, doc) {
  const identity = join(dir, `${name}.json`);
  const gz = join(dir, `${name}.json.gz`);
  writeFileSync(identity, doc.identity);
  writeFileSync(gz, doc.gzip);
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [join(BENCH_DIR, 'lib', 'bare-server.mjs'), identity, gz, doc.contentType, String(port), JSON.stringify(doc.fixed)],
    {
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
  const url = `http://127.0.0.1:${port}`;
  await waitForOk(`${url}/`, 20_000, 10);
  return { name: 'bare', url, pid: child.pid, child, stop: stopper(child) };
}

const dirs = {
  shelf: tempDir('shelf-bench-16p-'),
  verdaccio: tempDir('verdaccio-bench-16p-'),
  bare: tempDir('bare-bench-16p-'),
  upstream: tempDir('upstream-bench-16p-'),
  profiles: tempDir('profiles-bench-16p-'),
};
const running = [];
const figures = {};
let shelf;
try {
  // The stand-in upstream for the mirrored package.
  const upstreamPort = await freePort();
  const upstreamUrl = `http://127.0.0.1:${upstreamPort}`;
  writeFileSync(join(dirs.upstream, `${MIRRORED}.json`), JSON.stringify(upstreamDocument(upstreamUrl)));
  const upstream = spawn(process.execPath, [join(BENCH_DIR, 'lib', 'fake-upstream.mjs'), dirs.upstream, String(upstreamPort)], {
    stdio: 'inherit',
  });
  running.push({ stop: stopper(upstream) });
  await waitForOk(`${upstreamUrl}/-/ping`, 20_000, 10);

  const shelfArgs = { dataDir: dirs.shelf, upstream: `${upstreamUrl}/`, extraArgs: ['--cache-max-age', '1h'] };
  shelf = await startShelf(shelfArgs);
  const verdaccio = await startVerdaccio({ dir: dirs.verdaccio });
  running.push(verdaccio);
  await seed(shelf);
  await seed(verdaccio);

  // What Shelf sends for each document, identity and gzip: the bare server sends exactly these bytes.
  const docs = {};
  for (const name of [LOCAL, MIRRORED]) {
    const identity = await rawGet(`${shelf.url}/${name}`, ENCODINGS.identity);
    const gzip = await rawGet(`${shelf.url}/${name}`, ENCODINGS.gzip);
    if (identity.status !== 200 || gzip.status !== 200 || gzip.headers['content-encoding'] !== 'gzip')
      throw new Error(`Shelf did not serve ${name} as expected: ${identity.status}, ${gzip.status} ${gzip.headers['content-encoding']}`);
    // The headers Shelf sends besides the body's own (type, length, encoding) and node:http's (Date, Connection, Keep-Alive):
    // the bare server sends them too, so both put the same response on the wire.
    const OWN = new Set(['content-type', 'content-length', 'content-encoding', 'date', 'connection', 'keep-alive']);
    const fixed = Object.fromEntries(Object.entries(identity.headers).filter(([k]) => !OWN.has(k)));
    docs[name] = { identity: identity.body, gzip: gzip.body, contentType: identity.headers['content-type'], fixed };
  }
  result.raw.sizes = Object.fromEntries(Object.entries(docs).map(([n, d]) => [n, { identity: d.identity.length, gzip: d.gzip.length }]));
  log(ID, 'document sizes (bytes)', JSON.stringify(result.raw.sizes));
  const bare = {};
  for (const name of [LOCAL, MIRRORED]) {
    bare[name] = await startBare(dirs.bare, name, docs[name]);
    running.push(bare[name]);
  }

  const cases = [];
  for (const name of [LOCAL, MIRRORED])
    for (const enc of Object.keys(ENCODINGS))
      cases.push({
        name,
        enc,
        servers: [
          { key: 'shelf', url: `${shelf.url}/${name}`, pid: shelf.pid },
          { key: 'bare', url: `${bare[name].url}/${name}`, pid: bare[name].pid },
          ...(name === LOCAL ? [{ key: 'verdaccio', url: `${verdaccio.url}/${name}`, pid: verdaccio.pid }] : []),
        ],
      });
  for (const c of cases) {
    figures[`${c.name}/${c.enc}`] = Object.fromEntries(c.servers.map((s) => [s.key, []]));
    if (!args.quick) for (const s of c.servers) await autocannon(s.url, { connections, duration: 1, headers: ENCODINGS[c.enc] });
  }
  // Interleaved run by run, so drift in background load hits every server alike; the order flips every run, so neither
  // server always goes first (the bare server alone moved between 34k and 50k req/s within one quiet window).
  for (let i = 0; i < args.runs; i++) {
    for (const c of cases) {
      for (const s of i % 2 ? [...c.servers].reverse() : c.servers) {
        const before = processCpuSeconds(s.pid);
        const r = await autocannon(s.url, { connections, duration, headers: ENCODINGS[c.enc] });
        const after = processCpuSeconds(s.pid);
        if (before !== undefined && after !== undefined && r.requests > 0)
          r.cpuUsPerRequest = round(((after - before) * 1e6) / r.requests, 0);
        figures[`${c.name}/${c.enc}`][s.key].push(r);
        log(
          ID,
          `${c.name} ${c.enc} ${s.key} run ${i + 1}: ${r.rps} req/s, p99 ${r.p99} ms, CPU ${r.cpuUsPerRequest ?? '?'} µs/req, errors ${r.errors}, non2xx ${r.non2xx}`,
        );
      }
    }
  }
  result.raw.figures = figures;

  // Restart on another port, profiled: the first read there must not re-render (it is timed against the next ones).
  await shelf.stop();
  mkdirSync(dirs.profiles, { recursive: true });
  shelf = await startShelf({ ...shelfArgs, nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${dirs.profiles}`] });
  const restart = {};
  for (const name of [LOCAL, MIRRORED]) {
    const t0 = performance.now();
    const first = await rawGet(`${shelf.url}/${name}`, ENCODINGS.gzip);
    const firstMs = performance.now() - t0;
    const next = [];
    for (let i = 0; i < 20; i++) {
      const t1 = performance.now();
      await rawGet(`${shelf.url}/${name}`, ENCODINGS.gzip);
      next.push(performance.now() - t1);
    }
    restart[name] = {
      status: first.status,
      cache: first.headers['x-shelf-cache'],
      firstMs: round(firstMs, 2),
      nextMedianMs: round(summarize(next).median, 2),
    };
  }
  result.raw.restart = restart;
  log(ID, 'first read after a restart on another port', JSON.stringify(restart));

  // Which cases missed a target; the profiled Shelf takes a short load of each, and the profile is summarized.
  const tableOf = (c) => {
    const f = figures[`${c.name}/${c.enc}`];
    const rps = Object.fromEntries(Object.entries(f).map(([k, v]) => [k, summarize(v.map((r) => r.rps))]));
    const p99 = Object.fromEntries(Object.entries(f).map(([k, v]) => [k, summarize(v.map((r) => r.p99))]));
    const errors = Object.values(f)
      .flat()
      .reduce((n, r) => n + r.errors + r.non2xx + r.timeouts, 0);
    // Each run's Shelf and bare figures were taken back to back: their ratio, run by run, cancels drift that the ratio
    // of two medians keeps (their medians can come from different runs).
    const pairs = summarize(f.shelf.map((r, i) => ratio(r.rps, f.bare[i]?.rps, 3)));
    const vsBare = round(pairs.median, 2);
    const rows = [
      {
        metric: `throughput vs the bare ceiling (ratio: median of the runs' back-to-back ratios, ${pairs.runs.map((x) => round(x, 2)).join(', ')})`,
        unit: 'req/s',
        shelf: rps.shelf,
        peer: rps.bare,
        ratio: vsBare,
        target: '≥ 0.7× bare',
        met: vsBare >= 0.7,
      },
      {
        metric: 'p99 latency',
        unit: 'ms',
        shelf: p99.shelf,
        peer: p99.bare,
        ratio: ratio(p99.shelf.median, p99.bare.median),
        target: 'Shelf < 10 ms',
        met: p99.shelf.median < 10,
      },
    ];
    if (rps.verdaccio) {
      const vsV = ratio(rps.shelf.median, rps.verdaccio.median);
      rows.push(
        {
          metric: 'throughput vs Verdaccio',
          unit: 'req/s',
          shelf: rps.shelf,
          peer: rps.verdaccio,
          peerName: 'Verdaccio (no uplink)',
          ratio: vsV,
          target: '≥ 5× Verdaccio',
          met: vsV >= 5,
        },
        {
          metric: 'p99 latency vs Verdaccio',
          unit: 'ms',
          shelf: p99.shelf,
          peer: p99.verdaccio,
          peerName: 'Verdaccio (no uplink)',
          ratio: ratio(p99.shelf.median, p99.verdaccio.median),
        },
      );
    }
    const cpu = Object.fromEntries(
      Object.entries(f).map(([k, v]) => [k, summarize(v.map((r) => r.cpuUsPerRequest).filter((x) => x !== undefined))]),
    );
    if (cpu.shelf.median !== undefined && cpu.bare.median !== undefined)
      rows.push({
        metric: "server CPU per request (each server's own user + system time, /proc; steadier than req/s on a shared machine)",
        unit: 'µs',
        shelf: cpu.shelf,
        peer: cpu.bare,
        ratio: ratio(cpu.shelf.median, cpu.bare.median),
      });
    rows.push({
      metric: 'errors + timeouts + non-2xx (all servers, all runs)',
      unit: '',
      shelf: { median: errors },
      target: '0',
      met: errors === 0,
    });
    return rows;
  };
  const tables = cases.map((c) => ({ c, rows: tableOf(c) }));
  for (const { c, rows } of tables) {
    if (rows.every((r) => r.met !== false)) continue;
    await autocannon(`${shelf.url}/${c.name}`, { connections, duration: args.quick ? 2 : 5, headers: ENCODINGS[c.enc] });
    c.profiled = true;
  }
  await shelf.stop();
  shelf = undefined;
  const profiles = allProfiles(dirs.profiles);
  const summary = profiles.length ? summarizeProfile(profiles[0], 12) : undefined;
  result.raw.profile = summary;
  for (const { c, rows } of tables) {
    const size = result.raw.sizes[c.name];
    result.tables.push({
      title: `${c.name === LOCAL ? 'Published' : 'Mirrored'} packument (${c.name}, ${VERSIONS.length} versions, ${size.identity} B; gzip ${size.gzip} B), ${c.enc === 'gzip' ? 'gzip' : 'no gzip'}`,
      short: `${c.name === LOCAL ? 'Published' : 'Mirrored'} packument, ${c.enc === 'gzip' ? 'gzip' : 'no gzip'}`,
      measured: `requests/s and p99, ${connections} connections × ${duration} s (autocannon), Accept: application/json${c.enc === 'gzip' ? ', Accept-Encoding: gzip' : ''}; the bare server sends the same bytes Shelf sent; median of ${args.runs} runs (min–max), interleaved, the order flipped every run; the ratio to bare is the median of the runs' back-to-back ratios`,
      command: figures[`${c.name}/${c.enc}`].shelf[0].command,
      peer: 'bare node:http, same bytes',
      rows,
    });
  }
  const missed = tables.filter((t) => t.c.profiled).map((t) => `${t.c.name} ${t.c.enc}`);
  if (missed.length && summary)
    result.notes.push(
      `Missed (${missed.join(', ')}): the profile of Shelf restarted with --cpu-prof and loaded with each missed case in turn (${args.quick ? 2 : 5} s each, one profile for all): ${profileText(summary, 12)}.`,
    );
  result.tables.push({
    title: 'First read after a restart on another port (gzip)',
    short: 'First read after restart',
    measured:
      'one GET right after `shelf serve` restarted on a new port (and with --cpu-prof, which slows it), then the median of 20 more; stored templates mean no re-render is expected',
    command: 'GET /<name> with Accept-Encoding: gzip',
    peer: 'median of the next 20 reads',
    rows: Object.entries(restart).map(([name, r]) => ({
      metric: `${name === LOCAL ? 'published' : 'mirrored'} (${name}), first read`,
      unit: 'ms',
      shelf: { median: r.firstMs },
      peer: { median: r.nextMedianMs },
      ratio: ratio(r.firstMs, r.nextMedianMs),
    })),
  });
  result.notes.push(
    `Shelf, Verdaccio, the bare servers and the load generator ran side by side on loopback, each in its own process; Shelf with --cache-max-age 1h, so the mirrored document was served from its cache throughout (X-Shelf-Cache: ${restart[MIRRORED]?.cache ?? '—'}).`,
  );
} finally {
  if (shelf) await shelf.stop();
  for (const s of running) await s.stop();
  for (const d of Object.values(dirs)) cleanup(d, args.keep);
}
writeResult(result);
