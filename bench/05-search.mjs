// Benchmark 5: search (GET /-/v1/search) p50/p99 over 100,000 synthetic packages (names, descriptions, keywords from a
// fixed word list with a fixed seed), sequential queries on one keep-alive connection. Verdaccio on the same packages
// (written in its storage format) for comparison, bounded in time.
// Run alone: node bench/05-search.mjs [--quick] [--runs N]     (quick: 5,000 packages)
import http from 'node:http';
import {
  ensurePeers,
  log,
  newResult,
  parseArgs,
  percentile,
  median,
  ratio,
  rng,
  round,
  startShelf,
  startVerdaccio,
  summarize,
  writeResult,
} from './lib/common.mjs';
import { ensureStore } from './lib/store.mjs';
import { WORDS } from './seed/words.mjs';

const ID = '05-search';
const args = parseArgs();
ensurePeers();
const COUNT = args.quick ? 5000 : 100000;
const result = newResult(ID, `Search over ${COUNT.toLocaleString('en')} packages`, args);
const store = await ensureStore(COUNT, (m) => log(ID, m));
result.raw.seeding = store.seeding;

// 100 fixed queries: single words, two words, keywords: qualifiers and name prefixes.
const random = rng(99);
const w = () => WORDS[Math.floor(random() * WORDS.length)];
const queries = [];
for (let i = 0; i < 40; i++) queries.push(w());
for (let i = 0; i < 30; i++) queries.push(`${w()} ${w()}`);
for (let i = 0; i < 20; i++) queries.push(`keywords:${w()}`);
for (let i = 0; i < 10; i++) queries.push(`${w()}-${w()}`);

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
function get(url, timeoutMs = 30_000) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = http.get(url, { agent, headers: { accept: 'application/json', 'accept-encoding': 'gzip, deflate' } }, (res) => {
      let n = 0;
      const chunks = [];
      res.on('data', (c) => ((n += c.length), chunks.push(c)));
      res.on('end', () => resolve({ ms: performance.now() - t0, status: res.statusCode, bytes: n, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.setTimeout(timeoutMs, () => req.destroy(new Error('timeout')));
  });
}
const searchUrl = (base, q) => `${base}/-/v1/search?text=${encodeURIComponent(q)}&size=20`;

const shelf = await startShelf({ dataDir: store.shelf });
const runs = [];
let hits = 0;
try {
  for (const q of queries) {
    const r = await get(searchUrl(shelf.url, q));
    if (r.status !== 200) throw new Error(`search '${q}' answered ${r.status}`);
  }
  const sample = await get(searchUrl(shelf.url, queries[0]));
  hits = JSON.parse(sample.body.toString()).total ?? JSON.parse(sample.body.toString()).objects?.length;
  for (let i = 0; i < args.runs; i++) {
    const times = [];
    for (const q of queries) times.push((await get(searchUrl(shelf.url, q))).ms);
    runs.push(times);
    log(
      ID,
      `shelf run ${i + 1}: p50 ${median(times).toFixed(2)} ms, p99 ${percentile(times, 99).toFixed(2)} ms, max ${Math.max(...times).toFixed(1)} ms`,
    );
  }
} finally {
  agent.destroy();
  await shelf.stop();
}

// Verdaccio: same packages, same queries, bounded (its search reads the storage folder per query).
const vTimes = [];
let vNote;
const verdaccio = await startVerdaccio({ dir: store.verdaccio });
try {
  const deadline = performance.now() + (args.quick ? 10_000 : 60_000);
  for (const q of queries) {
    if (performance.now() > deadline || vTimes.length >= (args.quick ? 10 : 20)) break;
    try {
      const r = await get(searchUrl(verdaccio.url, q), 30_000);
      if (r.status !== 200) throw new Error(`status ${r.status}`);
      vTimes.push(r.ms);
    } catch (error) {
      vNote = `a Verdaccio query failed or exceeded 30 s (${error.message}); ${vTimes.length} queries completed`;
      break;
    }
  }
  log(ID, `verdaccio: ${vTimes.length} queries, p50 ${median(vTimes)?.toFixed(1)} ms, max ${Math.max(...vTimes).toFixed(1)} ms`);
} finally {
  agent.destroy();
  await verdaccio.stop();
}

result.raw.queries = queries;
result.raw.shelfRuns = runs;
result.raw.verdaccio = vTimes;
const p50 = summarize(runs.map((t) => median(t)));
const p99 = summarize(runs.map((t) => percentile(t, 99)));
const vp50 = { median: median(vTimes), runs: [] };
const vp99 = { median: percentile(vTimes, 99), runs: [] };
result.tables.push({
  title: `Search over ${COUNT.toLocaleString('en')} synthetic packages (${queries.length} fixed queries, size=20)`,
  short: 'Search',
  measured: `latency of GET /-/v1/search?text=…&size=20, queries in sequence on one keep-alive loopback connection after a warm-up pass; p50/p99 per run over the ${queries.length} queries, median of ${args.runs} runs. Verdaccio: one pass, at most ${args.quick ? 10 : 20} queries or ${args.quick ? 10 : 60} s.`,
  command: `GET /-/v1/search?text=<query>&size=20 (queries: 40 single words, 30 word pairs, 20 keywords:<word>, 10 name fragments)`,
  peer: 'Verdaccio (no uplink, same packages)',
  rows: [
    { metric: 'p50', unit: 'ms', shelf: p50, peer: vp50, ratio: ratio(p50.median, vp50.median, 3) },
    {
      metric: 'p99',
      unit: 'ms',
      shelf: p99,
      peer: vp99,
      ratio: ratio(p99.median, vp99.median, 3),
      target: 'Shelf < 20 ms',
      met: p99.median < 20,
    },
    { metric: `matches for '${queries[0]}'`, unit: '', shelf: { median: hits } },
  ],
});
result.notes.push(
  `The ${COUNT.toLocaleString('en')} packages were seeded once by bench/seed/seed-store.mts, which publishes every package through Shelf's own publish path in process (createApp from the TypeScript sources under npx tsx: PackageService.update → validation, tarball inspection, blob write, SQLite transaction, search indexing), skipping only the HTTP hop; the same packages were written directly in Verdaccio's storage format. Seeding took ${round(store.seeding.seconds, 0)} s (${store.seeding.perSecond}/s)${store.seeding.cached ? ', in an earlier run (cached under the bench cache folder)' : ''}.`,
);
if (vNote) result.notes.push(vNote);
writeResult(result);
