// Benchmark 9 (issue 7, item 9): sustained mixed traffic against Shelf — 80% packument GETs, 15% tarball GETs, 5% publishes
// of new packages — from a separate process (bench/lib/mixed-load.mjs), closed loop with fixed connections: error count,
// throughput, and Shelf's RSS at start and end. The issue asks for 10 minutes; the full run uses 5 minutes so that
// `npm run bench` stays under 30 minutes (`--duration 600` gives the 10). Quick: 20 s.
// Run alone: node bench/09-sustained.mjs [--quick] [--duration SECONDS]
import { join } from 'node:path';
import {
  BENCH_DIR,
  cleanup,
  couchLogin,
  log,
  newResult,
  packageTarball,
  parseArgs,
  publish,
  publishBody,
  round,
  rssOf,
  runCapture,
  sleep,
  startShelf,
  tempDir,
  writeResult,
} from './lib/common.mjs';

const ID = '09-sustained';
const args = parseArgs();
const durIdx = process.argv.indexOf('--duration');
const duration = durIdx > 0 ? Number(process.argv[durIdx + 1]) : args.quick ? 20 : 300;
const connections = 10;
const result = newResult(ID, 'Sustained mixed load (80% metadata, 15% tarballs, 5% publishes)', args);

const dir = tempDir('shelf-bench-09-');
const shelf = await startShelf({ dataDir: dir });
let load;
const samples = [];
try {
  const token = await couchLogin(shelf.url);
  const names = Array.from({ length: 20 }, (_, i) => `sustained-base-${i}`);
  for (const n of names) await publish(shelf.url, token, publishBody(n, '1.0.0', packageTarball(n, '1.0.0')));
  // short warm-up so the start RSS is that of a server that has served every kind of request
  await runCapture(process.execPath, [
    join(BENCH_DIR, 'lib', 'mixed-load.mjs'),
    shelf.url,
    token,
    names.join(','),
    '--c',
    String(connections),
    '--d',
    '3',
  ]);
  await sleep(500);
  const start = rssOf(shelf.pid);
  const sampler = setInterval(() => samples.push(rssOf(shelf.pid).rssMB), 1000);
  log(ID, `${duration} s of mixed load, ${connections} connections; Shelf RSS at start ${start.rssMB} MB`);
  const out = await runCapture(
    process.execPath,
    [join(BENCH_DIR, 'lib', 'mixed-load.mjs'), shelf.url, token, names.join(','), '--c', String(connections), '--d', String(duration)],
    { timeoutMs: (duration + 120) * 1000 },
  );
  clearInterval(sampler);
  load = JSON.parse(out.stdout);
  const end = rssOf(shelf.pid);
  log(
    ID,
    `${load.requests} requests (${round(load.rps, 0)}/s), ${load.errors} errors, ${load.published} publishes; RSS ${start.rssMB} → ${end.rssMB} MB (peak ${end.peakMB} MB)`,
  );
  result.raw = { load, rssSamples: samples, start, end };
  const growth = (end.rssMB - start.rssMB) / start.rssMB;
  result.tables.push({
    title: `${duration} s of mixed traffic, ${connections} connections, closed loop (as fast as Shelf answers)`,
    short: 'Sustained load',
    measured: `one run; RSS from /proc/<pid>/status after a 3 s warm-up and at the end; errors = network errors or non-2xx answers${args.quick ? '' : '; the issue asks for 10 minutes, this run is shorter to keep the whole suite under 30 minutes'}`,
    command: `node bench/lib/mixed-load.mjs URL TOKEN NAMES --c ${connections} --d ${duration}`,
    peer: '—',
    rows: [
      { metric: 'throughput', unit: 'req/s', shelf: { median: round(load.rps, 0) } },
      { metric: 'error responses', unit: '', shelf: { median: load.errors }, target: '0', met: load.errors === 0 },
      {
        metric: 'RSS start → end',
        unit: '',
        shelf: { text: `${start.rssMB} → ${end.rssMB} MB (${growth >= 0 ? '+' : ''}${round(growth * 100, 1)}%), peak ${end.peakMB} MB` },
        target: 'growth ≤ 10%',
        met: growth <= 0.1,
      },
      {
        metric: 'packument p50 / p99',
        unit: '',
        shelf: { text: `${round(load.byKind.meta.p50, 1)} / ${round(load.byKind.meta.p99, 1)} ms` },
      },
      {
        metric: 'tarball p50 / p99',
        unit: '',
        shelf: { text: `${round(load.byKind.tarball.p50, 1)} / ${round(load.byKind.tarball.p99, 1)} ms` },
      },
      {
        metric: 'publish p50 / p99',
        unit: '',
        shelf: { text: `${round(load.byKind.publish.p50, 1)} / ${round(load.byKind.publish.p99, 1)} ms (${load.published} published)` },
      },
    ],
  });
  if (load.errorSamples.length) result.notes.push(`First errors: ${load.errorSamples.join('; ')}`);
} finally {
  await shelf.stop();
  cleanup(dir, args.keep);
}
writeResult(result);
