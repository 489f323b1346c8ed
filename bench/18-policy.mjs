// Benchmark 18: the supply-chain policy's cost on the hot path. A small mirrored packument GET (full and abbreviated,
// with and without gzip) from a Shelf with a policy of five rules beside the same Shelf with none, same upstream bytes.
// Issue 18's target: within 10% of no policy (decisions are made on ingest and stored, never per request).
// Run alone: node bench/18-policy.mjs [--quick] [--runs N]
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  BENCH_DIR,
  autocannon,
  cleanup,
  ensurePeers,
  freePort,
  log,
  newResult,
  parseArgs,
  ratio,
  startShelf,
  summarize,
  tempDir,
  waitForOk,
  writeResult,
} from './lib/common.mjs';

const ID = '18-policy';
const args = parseArgs();
ensurePeers();
const result = newResult(ID, 'Policy cost on a small mirrored packument GET (5 rules vs none)', args);
const duration = args.quick ? 2 : 10;
const connections = 50;
const NAME = 'bench-guarded';
const DAY = 86_400_000;

// Six versions: five published months ago, one a minute ago, so the quarantine really trims the served document.
function upstreamDocument(upstreamUrl) {
  const now = Date.now();
  const versions = {};
  const time = { created: new Date(now - 400 * DAY).toISOString(), modified: new Date(now - 60_000).toISOString() };
  ['1.0.0', '1.0.1', '1.1.0', '1.2.0', '1.3.0', '1.4.0'].forEach((version, i, all) => {
    versions[version] = {
      name: NAME,
      version,
      description: 'a small mirrored package guarded by a policy',
      license: 'MIT',
      dependencies: { 'left-pad': '^1.3.0' },
      dist: {
        tarball: `${upstreamUrl}/${NAME}/-/${NAME}-${version}.tgz`,
        integrity: `sha512-${Buffer.alloc(64, i + 1).toString('base64')}`,
        shasum: Buffer.alloc(20, i + 1).toString('hex'),
      },
    };
    time[version] = new Date(i === all.length - 1 ? now - 60_000 : now - (300 - i * 30) * DAY).toISOString();
  });
  return { name: NAME, 'dist-tags': { latest: '1.4.0' }, versions, time };
}

/** Five rules, none of which needs an upstream endpoint the stand-in lacks (advisories and keys are asked on ingest only). */
const POLICY = {
  minReleaseAge: '3d',
  deny: [{ package: 'event-stream', range: '3.3.6', reason: 'compromised release' }],
  installScripts: 'hold',
  licenses: { allow: ['MIT', 'ISC', 'Apache-2.0', 'BSD-2-Clause', 'BSD-3-Clause'], deny: [] },
  provenance: 'hold',
};

const HEADERS = {
  'full, gzip': { accept: 'application/json', 'accept-encoding': 'gzip, deflate' },
  'full, identity': { accept: 'application/json', 'accept-encoding': 'identity' },
  'abbreviated, gzip': { accept: 'application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*', 'accept-encoding': 'gzip' },
  'abbreviated, identity': {
    accept: 'application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*',
    'accept-encoding': 'identity',
  },
};

const upstreamDir = tempDir('shelf-bench-18-upstream-');
mkdirSync(upstreamDir, { recursive: true });
const upstreamPort = await freePort();
const upstreamUrl = `http://127.0.0.1:${upstreamPort}`;
writeFileSync(join(upstreamDir, `${NAME}.json`), JSON.stringify(upstreamDocument(upstreamUrl)));
const upstream = spawn(process.execPath, [join(BENCH_DIR, 'lib', 'fake-upstream.mjs'), upstreamDir, String(upstreamPort)], {
  stdio: 'inherit',
});
await waitForOk(`${upstreamUrl}/-/ping`);

const plainDir = tempDir('shelf-bench-18-plain-');
const guardedDir = tempDir('shelf-bench-18-guarded-');
mkdirSync(guardedDir, { recursive: true });
writeFileSync(join(guardedDir, 'policy.json'), JSON.stringify(POLICY, null, 2));
const servers = [];
try {
  // A long cache age: every timed request is a read of the stored renderings, as a busy team's mirror serves them.
  const extraArgs = ['--cache-max-age', '1h'];
  servers.push({ label: 'no policy', ...(await startShelf({ dataDir: plainDir, upstream: `${upstreamUrl}/`, extraArgs })) });
  servers.push({ label: '5 rules', ...(await startShelf({ dataDir: guardedDir, upstream: `${upstreamUrl}/`, extraArgs })) });
  const [plain, guarded] = servers;

  // Ingest once, and check the policy really acts: the guarded Shelf holds the fresh version and says so.
  const seen = {};
  for (const s of servers) {
    const res = await fetch(`${s.url}/${NAME}`, { headers: { accept: 'application/json' } });
    const doc = await res.json();
    seen[s.label] = { status: res.status, versions: Object.keys(doc.versions).length, policy: res.headers.get('x-shelf-policy') };
  }
  log(ID, 'served', JSON.stringify(seen));
  if (seen['5 rules'].versions !== 5 || !seen['5 rules'].policy || seen['no policy'].versions !== 6)
    throw new Error(`the policy did not act as expected: ${JSON.stringify(seen)}`);
  result.raw.served = seen;

  const figures = {};
  for (const [kind, headers] of Object.entries(HEADERS)) {
    figures[kind] = { plain: [], guarded: [] };
    if (!args.quick) for (const s of [plain, guarded]) await autocannon(`${s.url}/${NAME}`, { connections, duration: 1, headers });
    // Interleaved run by run, so drift in background load hits both alike.
    for (let i = 0; i < args.runs; i++)
      for (const [key, s] of [
        ['plain', plain],
        ['guarded', guarded],
      ]) {
        const r = await autocannon(`${s.url}/${NAME}`, { connections, duration, headers });
        log(ID, kind, s.label, `run ${i + 1}: ${r.rps} req/s, p99 ${r.p99} ms, errors ${r.errors}, non2xx ${r.non2xx}`);
        figures[kind][key].push(r);
      }
  }
  result.raw.runs = figures;
  for (const [kind, runs] of Object.entries(figures)) {
    const rps = { plain: summarize(runs.plain.map((r) => r.rps)), guarded: summarize(runs.guarded.map((r) => r.rps)) };
    const p99 = { plain: summarize(runs.plain.map((r) => r.p99)), guarded: summarize(runs.guarded.map((r) => r.p99)) };
    const errors = [...runs.plain, ...runs.guarded].reduce((n, r) => n + r.errors + r.non2xx, 0);
    const throughput = ratio(rps.guarded.median, rps.plain.median);
    result.tables.push({
      title: `Mirrored packument with a 5-rule policy vs none (${kind})`,
      short: `Policy cost, ${kind}`,
      measured: `requests/s and p99, ${connections} connections × ${duration} s; median of ${args.runs} runs (min–max), interleaved`,
      command: runs.guarded[0].command,
      peer: 'the same Shelf with no policy',
      rows: [
        {
          metric: 'throughput',
          unit: 'req/s',
          shelf: rps.guarded,
          peer: rps.plain,
          ratio: throughput,
          target: '≥ 0.9× no policy',
          met: throughput >= 0.9,
        },
        {
          metric: 'p99 latency',
          unit: 'ms',
          shelf: p99.guarded,
          peer: p99.plain,
          ratio: ratio(p99.guarded.median, p99.plain.median),
          target: '≤ 1.1× no policy',
          met: p99.guarded.median <= p99.plain.median * 1.1 + 1,
        },
        { metric: 'errors + non-2xx (all runs)', unit: '', shelf: { median: errors }, target: '0', met: errors === 0 },
      ],
    });
  }
  result.notes.push(
    `Policy: ${JSON.stringify(POLICY)} (policy.json in the data folder). The guarded Shelf serves 5 of the 6 versions (one is a minute old) with X-Shelf-Policy; the other serves all 6.`,
  );
  result.notes.push('p99 "met" allows 1 ms of absolute slack: at single-digit milliseconds a 10% band is below the timer granularity.');
} finally {
  for (const s of servers) await s.stop();
  upstream.kill();
  cleanup(plainDir, args.keep);
  cleanup(guardedDir, args.keep);
  cleanup(upstreamDir, args.keep);
}
writeResult(result);
