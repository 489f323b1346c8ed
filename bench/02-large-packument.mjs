// Benchmark 2: a generated 8 MB packument (thousands of versions) fetched by 20 concurrent clients while 5 others fetch
// a small packument: time for the 20 large fetches to complete, and the small requests' p99 during it. Shelf vs Verdaccio.
// The large document reaches both registries the same way: mirrored from a stand-in upstream on loopback
// (bench/lib/fake-upstream.mjs) that serves the generated JSON; each registry fetches it once, then serves its cached copy.
// Run alone: node bench/02-large-packument.mjs [--quick] [--runs N]
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
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
  rng,
  runCapture,
  startShelf,
  startVerdaccio,
  summarize,
  tempDir,
  waitForOk,
  writeResult,
} from './lib/common.mjs';

const ID = '02-large-packument';
const args = parseArgs();
ensurePeers();
const result = newResult(ID, 'Large packument (8 MB) under concurrency, with small requests alongside', args);
const LARGE = 'bench-large';
const SMALL = 'bench-small';
const TARGET_BYTES = (args.quick ? 2 : 8) * 1024 * 1024; // quick mode: a 2 MB document
const smallDuration = args.quick ? 3 : 6;
const SMALL_HEADERS = {
  accept: 'application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*',
  'accept-encoding': 'gzip, deflate',
};

/** A packument of thousands of versions, each with a realistic manifest, grown until it reaches 8 MB. Fixed seed. */
function generateLarge() {
  const random = rng(42);
  const words = ['core', 'util', 'parse', 'stream', 'async', 'http', 'json', 'cli', 'fs', 'path', 'test', 'build', 'type', 'map', 'cache'];
  const pick = () => words[Math.floor(random() * words.length)];
  const hex = (n) => Array.from({ length: n }, () => Math.floor(random() * 16).toString(16)).join('');
  const doc = {
    _id: LARGE,
    name: LARGE,
    description: 'a generated large packument',
    'dist-tags': {},
    versions: {},
    time: { created: '2020-01-01T00:00:00.000Z' },
    maintainers: [{ name: 'bench', email: 'bench@example.test' }],
    license: 'MIT',
    readme: '',
  };
  let size = 0;
  let i = 0;
  while (size < TARGET_BYTES) {
    const version = `${Math.floor(i / 100)}.${Math.floor(i / 10) % 10}.${i % 10}`;
    const deps = {};
    for (let d = 0; d < 12; d++) deps[`${pick()}-${pick()}-${d}`] = `^${Math.floor(random() * 9)}.${Math.floor(random() * 20)}.0`;
    const manifest = {
      name: LARGE,
      version,
      description: `a generated large packument, version ${version}, ${pick()} ${pick()} ${pick()}`,
      main: 'index.js',
      scripts: { test: 'node test.js', build: 'tsc -p .' },
      keywords: [pick(), pick(), pick()],
      license: 'MIT',
      repository: { type: 'git', url: `git+https://example.test/${LARGE}.git` },
      dependencies: deps,
      devDependencies: { typescript: '^5.0.0', vitest: '^1.0.0' },
      engines: { node: '>=18' },
      _id: `${LARGE}@${version}`,
      _npmUser: { name: 'bench', email: 'bench@example.test' },
      maintainers: [{ name: 'bench', email: 'bench@example.test' }],
      dist: {
        tarball: `http://127.0.0.1/${LARGE}/-/${LARGE}-${version}.tgz`,
        shasum: hex(40),
        integrity: `sha512-${Buffer.from(hex(128), 'hex').toString('base64')}`,
        fileCount: 12,
        unpackedSize: 40000 + Math.floor(random() * 10000),
      },
    };
    doc.versions[version] = manifest;
    doc.time[version] = new Date(Date.UTC(2020, 0, 1) + i * 3600_000).toISOString();
    size += JSON.stringify(manifest).length + 60;
    i++;
  }
  doc['dist-tags'].latest = Object.keys(doc.versions).at(-1);
  doc.time.modified = doc.time[doc['dist-tags'].latest];
  return doc;
}

const upstreamDir = tempDir('shelf-bench-02-upstream-');
const doc = generateLarge();
const bytes = Buffer.from(JSON.stringify(doc));
writeFileSync(join(upstreamDir, `${LARGE}.json`), bytes);
const versionCount = Object.keys(doc.versions).length;
log(ID, `generated ${LARGE}: ${versionCount} versions, ${(bytes.length / 1024 / 1024).toFixed(2)} MB`);
const upstreamPort = await freePort();
const upstream = spawn(process.execPath, [join(BENCH_DIR, 'lib', 'fake-upstream.mjs'), upstreamDir, String(upstreamPort)], {
  stdio: 'inherit',
});
const upstreamUrl = `http://127.0.0.1:${upstreamPort}`;
await waitForOk(`${upstreamUrl}/-/ping`);

const shelfDir = tempDir('shelf-bench-02-');
const verdaccioDir = tempDir('verdaccio-bench-02-');
mkdirSync(verdaccioDir, { recursive: true });
const servers = [];
try {
  servers.push(await startShelf({ dataDir: shelfDir, upstream: `${upstreamUrl}/`, extraArgs: ['--cache-max-age', '1h'] }));
  servers.push(await startVerdaccio({ dir: verdaccioDir, uplink: `${upstreamUrl}/` }));
  const sizes = {};
  for (const s of servers) {
    const token = await couchLogin(s.url);
    await publish(s.url, token, publishBody(SMALL, '1.0.0', packageTarball(SMALL, '1.0.0')));
    const res = await fetch(`${s.url}/${LARGE}`, { headers: { accept: 'application/json' } });
    const body = await res.arrayBuffer();
    if (!res.ok) throw new Error(`${s.name} could not mirror ${LARGE}: ${res.status}`);
    const gz = await runCapture('curl', [
      '-s',
      '-o',
      '/dev/null',
      '-w',
      '%{size_download}',
      '-H',
      'accept-encoding: gzip',
      `${s.url}/${LARGE}`,
    ]);
    sizes[s.name] = {
      bytes: body.byteLength,
      gzipBytes: Number(gz.stdout),
      versions: Object.keys(JSON.parse(Buffer.from(body).toString()).versions).length,
    };
  }
  result.raw.sizes = sizes;
  log(ID, 'served sizes', JSON.stringify(sizes));

  const figures = Object.fromEntries(servers.map((s) => [s.name, { baseline: [], contended: [], bursts: [] }]));
  for (let i = 0; i < args.runs; i++) {
    for (const s of servers) {
      const baseline = await autocannon(`${s.url}/${SMALL}`, { connections: 5, duration: 2, headers: SMALL_HEADERS });
      const burst = runCapture(
        process.execPath,
        [
          join(BENCH_DIR, 'lib', 'burst.mjs'),
          `${s.url}/${LARGE}`,
          '--n',
          '20',
          '--for',
          String((smallDuration - 1.5) * 1000),
          '--max',
          '10',
          '--delay',
          '500',
        ],
        { timeoutMs: 180_000 },
      );
      const small = await autocannon(`${s.url}/${SMALL}`, { connections: 5, duration: smallDuration, headers: SMALL_HEADERS });
      const { bursts } = JSON.parse((await burst).stdout);
      const statuses = [...new Set(bursts.flatMap((b) => b.statuses))];
      figures[s.name].baseline.push(baseline);
      figures[s.name].contended.push(small);
      figures[s.name].bursts.push(...bursts);
      log(
        ID,
        s.name,
        `run ${i + 1}: ${bursts.length} bursts of 20 large fetches, ${bursts.map((b) => b.ms.toFixed(0)).join('/')} ms (statuses ${statuses}); small p99 ${small.p99} ms during (baseline ${baseline.p99} ms), ${small.rps} req/s, non2xx ${small.non2xx}`,
      );
    }
  }
  result.raw.figures = figures;
  const burstMs = Object.fromEntries(servers.map((s) => [s.name, summarize(figures[s.name].bursts.map((b) => b.ms))]));
  const p99 = Object.fromEntries(servers.map((s) => [s.name, summarize(figures[s.name].contended.map((r) => r.p99))]));
  const base = Object.fromEntries(servers.map((s) => [s.name, summarize(figures[s.name].baseline.map((r) => r.p99))]));
  const smallRps = Object.fromEntries(servers.map((s) => [s.name, summarize(figures[s.name].contended.map((r) => r.rps))]));
  result.tables.push({
    title: `20 concurrent fetches of an ${(bytes.length / 1024 / 1024).toFixed(1)} MB packument (${versionCount} versions), with 5 connections fetching a small packument throughout`,
    short: 'Large packument',
    measured: `time for all 20 large GETs (Accept: application/json, Accept-Encoding: gzip, fresh connections) to finish, bursts back to back for ${smallDuration - 1.5} s; small-packument p99 from autocannon (5 connections × ${smallDuration} s) over the same window; median over all bursts / of ${args.runs} runs`,
    command: `node bench/lib/burst.mjs URL/${LARGE} --n 20 & autocannon -c 5 -d ${smallDuration} URL/${SMALL}`,
    peer: 'Verdaccio (uplink to the same stand-in upstream)',
    rows: [
      {
        metric: '20 large fetches complete',
        unit: 'ms',
        shelf: burstMs.shelf,
        peer: burstMs.verdaccio,
        ratio: ratio(burstMs.shelf.median, burstMs.verdaccio.median),
        target: 'Shelf < 1000 ms',
        met: burstMs.shelf.median < 1000,
      },
      {
        metric: 'small-request p99 during the large fetches',
        unit: 'ms',
        shelf: p99.shelf,
        peer: p99.verdaccio,
        ratio: ratio(p99.shelf.median, p99.verdaccio.median),
        target: 'Shelf < 20 ms',
        met: p99.shelf.median < 20,
      },
      {
        metric: 'small-request p99 without large fetches (baseline)',
        unit: 'ms',
        shelf: base.shelf,
        peer: base.verdaccio,
        ratio: ratio(base.shelf.median, base.verdaccio.median),
      },
      {
        metric: 'small requests/s during the large fetches',
        unit: 'req/s',
        shelf: smallRps.shelf,
        peer: smallRps.verdaccio,
        ratio: ratio(smallRps.shelf.median, smallRps.verdaccio.median),
      },
      {
        metric: 'large document as served (uncompressed / gzip)',
        unit: '',
        shelf: { text: `${(sizes.shelf.bytes / 1e6).toFixed(2)} MB / ${(sizes.shelf.gzipBytes / 1e6).toFixed(2)} MB` },
        peer: { text: `${(sizes.verdaccio.bytes / 1e6).toFixed(2)} MB / ${(sizes.verdaccio.gzipBytes / 1e6).toFixed(2)} MB` },
      },
    ],
  });
  result.notes.push(
    `The document was generated with a fixed seed (${versionCount} versions, ${bytes.length} bytes) and served to both registries by a stand-in upstream on 127.0.0.1; both fetched it once before measuring and served their cached copy (Shelf with --cache-max-age 1h, Verdaccio with uplink maxage 60m).`,
  );
} finally {
  for (const s of servers) await s.stop();
  upstream.kill('SIGTERM');
  cleanup(shelfDir, args.keep);
  cleanup(verdaccioDir, args.keep);
  cleanup(upstreamDir, args.keep);
}
writeResult(result);
