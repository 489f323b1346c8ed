// Benchmark 17 (blobs): the same Shelf with its tarballs in the data folder and in S3-compatible object storage (a real
// Ceph RADOS Gateway on loopback, started here by ../shared/services/s3/start-s3.sh), in the same run: tarball GET
// throughput (1 MB and 20 KB tarballs) and the time of sequential publishes.
// Run alone: node bench/17-blobs.mjs [--quick] [--runs N]
import { execFileSync } from 'node:child_process';
import http from 'node:http';
import os from 'node:os';
import { createServer } from 'node:net';
import { join } from 'node:path';
import {
  ROOT,
  cleanup,
  couchLogin,
  getLoop,
  log,
  newResult,
  packageTarball,
  parseArgs,
  percentile,
  publish,
  publishBody,
  ratio,
  rng,
  round,
  startShelf,
  summarize,
  tempDir,
  underLoad,
  writeResult,
} from './lib/common.mjs';

const ID = '17-blobs';
const args = parseArgs();
const result = newResult(ID, 'Blob stores: data folder against S3 (Ceph RGW), tarball GET and publish', args);
const duration = args.quick ? 2 : 8;
const connections = 10;
const PUBLISHES = args.quick ? 30 : 100;
const S3_SCRIPTS = join(ROOT, '..', 'shared', 'services', 's3');

function portFree(port) {
  return new Promise((done) => {
    const server = createServer();
    server.once('error', () => done(false));
    server.listen(port, '127.0.0.1', () => server.close(() => done(true)));
  });
}

async function freeRange() {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 24000 + Math.floor(Math.random() * 3000) * 10;
    let free = true;
    for (let p = base; p < base + 10 && free; p++) free = await portFree(p);
    if (free) return base;
  }
  throw new Error('no free range of 10 loopback ports for the S3 server');
}

function incompressible(bytes, seed) {
  const random = rng(seed);
  const buffer = Buffer.alloc(bytes);
  for (let i = 0; i + 4 <= buffer.length; i += 4) buffer.writeUInt32LE((random() * 2 ** 32) >>> 0, i);
  return buffer;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
function timedPut(url, token, body) {
  const payload = Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = http.request(
      `${url}/${body.name}`,
      {
        method: 'PUT',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': payload.length, authorization: `Bearer ${token}` },
      },
      (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () =>
          res.statusCode >= 300 ? reject(new Error(`${res.statusCode} ${text.slice(0, 200)}`)) : resolve(performance.now() - t0),
        );
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

const s3Dir = tempDir('shelf-bench-17-s3-');
const dirs = { folder: tempDir('shelf-bench-17-folder-'), s3: tempDir('shelf-bench-17-s3data-') };
const servers = {};
try {
  log(ID, 'starting Ceph RGW');
  const started = execFileSync(join(S3_SCRIPTS, 'start-s3.sh'), [s3Dir, String(await freeRange())], { timeout: 180_000 }).toString();
  const s3 = Object.fromEntries((/S3_ENDPOINT=.*$/m.exec(started)?.[0] ?? '').split(' ').map((kv) => kv.split('=')));
  process.env.AWS_ACCESS_KEY_ID = s3.S3_ACCESS_KEY;
  process.env.AWS_SECRET_ACCESS_KEY = s3.S3_SECRET_KEY;
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const s3Args = ['--blobs', `s3://${s3.S3_BUCKET}/bench-17-${Date.now()}`, '--s3-endpoint', s3.S3_ENDPOINT, '--s3-path-style'];

  servers.folder = await startShelf({ dataDir: dirs.folder });
  servers.s3 = await startShelf({ dataDir: dirs.s3, extraArgs: s3Args });
  const kinds = ['folder', 's3'];
  const tokens = {};
  for (const kind of kinds) tokens[kind] = await couchLogin(servers[kind].url);

  const tarballs = {
    '1 MB': packageTarball('bench-blob-large', '1.0.0', { 'data.bin': incompressible(1024 * 1024, 7) }),
    '20 KB': packageTarball('bench-blob-small', '1.0.0', { 'data.bin': incompressible(20 * 1024, 8) }),
  };
  const urls = {};
  for (const kind of kinds) {
    urls[kind] = {};
    for (const [label, tgz] of Object.entries(tarballs)) {
      const name = label === '1 MB' ? 'bench-blob-large' : 'bench-blob-small';
      await publish(servers[kind].url, tokens[kind], publishBody(name, '1.0.0', tgz));
      urls[kind][label] = `${servers[kind].url}/${name}/-/${name}-1.0.0.tgz`;
      const got = Buffer.from(await (await fetch(urls[kind][label])).arrayBuffer());
      if (!got.equals(tgz)) throw new Error(`${kind} served different bytes for the ${label} tarball`);
    }
  }

  // Tarball GETs: alternating stores within each run, so load on the shared machine hits both alike.
  const gets = {};
  for (const label of Object.keys(tarballs)) {
    gets[label] = { folder: [], s3: [] };
    if (!args.quick) for (const kind of kinds) await getLoop(urls[kind][label], { connections, duration: 1 });
    for (let run = 0; run < args.runs; run++) {
      for (const kind of kinds) {
        const r = await getLoop(urls[kind][label], { connections, duration });
        r.mbPerSec = r.bytesPerSec / 1024 / 1024;
        gets[label][kind].push(r);
        log(
          ID,
          kind,
          label,
          `run ${run + 1}: ${r.mbPerSec.toFixed(0)} MB/s, ${r.rps} req/s, p99 ${r.p99} ms, errors ${r.errors}, non2xx ${r.non2xx}`,
        );
      }
    }
  }

  // Publishes: sequential PUTs of small packages (bodies built before timing).
  const publishes = { folder: [], s3: [] };
  for (let run = 0; run < args.runs; run++) {
    for (const kind of kinds) {
      const times = [];
      for (let i = 0; i < PUBLISHES; i++) {
        const name = `bench-blob-pub-${kind}-r${run}-${i}`;
        times.push(
          await timedPut(
            servers[kind].url,
            tokens[kind],
            publishBody(name, '1.0.0', packageTarball(name, '1.0.0', { 'README.md': `# ${name}\n` })),
          ),
        );
      }
      publishes[kind].push({ p50: round(percentile(times, 50), 2), p99: round(percentile(times, 99), 2) });
      log(ID, kind, `publish run ${run + 1}: p50 ${percentile(times, 50).toFixed(1)} ms, p99 ${percentile(times, 99).toFixed(1)} ms`);
    }
  }
  result.raw = { gets, publishes };

  const rows = [];
  for (const label of Object.keys(tarballs)) {
    const mb = Object.fromEntries(kinds.map((k) => [k, summarize(gets[label][k].map((r) => r.mbPerSec))]));
    const rps = Object.fromEntries(kinds.map((k) => [k, summarize(gets[label][k].map((r) => r.rps))]));
    const p99 = Object.fromEntries(kinds.map((k) => [k, summarize(gets[label][k].map((r) => r.p99))]));
    rows.push(
      { metric: `GET ${label} tarball`, unit: 'MB/s', shelf: mb.s3, peer: mb.folder, ratio: ratio(mb.s3.median, mb.folder.median) },
      { metric: `GET ${label} tarball`, unit: 'req/s', shelf: rps.s3, peer: rps.folder, ratio: ratio(rps.s3.median, rps.folder.median) },
      { metric: `GET ${label} tarball p99`, unit: 'ms', shelf: p99.s3, peer: p99.folder, ratio: ratio(p99.s3.median, p99.folder.median) },
    );
  }
  const pub50 = Object.fromEntries(kinds.map((k) => [k, summarize(publishes[k].map((r) => r.p50))]));
  const pub99 = Object.fromEntries(kinds.map((k) => [k, summarize(publishes[k].map((r) => r.p99))]));
  rows.push(
    { metric: 'publish p50', unit: 'ms', shelf: pub50.s3, peer: pub50.folder, ratio: ratio(pub50.s3.median, pub50.folder.median) },
    { metric: 'publish p99', unit: 'ms', shelf: pub99.s3, peer: pub99.folder, ratio: ratio(pub99.s3.median, pub99.folder.median) },
  );
  const errors = Object.values(gets)
    .flatMap((g) => [...g.folder, ...g.s3])
    .reduce((n, r) => n + r.errors + r.non2xx, 0);
  rows.push({ metric: 'errors + non-2xx (all GET runs)', unit: '', shelf: { median: errors }, target: '0', met: errors === 0 });
  result.tables.push({
    title: 'The same shelf serve, tarballs in S3 (Ceph RGW, memstore, loopback) against tarballs in the data folder',
    short: 'S3 vs folder blobs',
    measured: `GETs: ${connections} keep-alive connections × ${duration} s (bench/lib/get-loop.mjs), median of ${args.runs} runs; publishes: ${PUBLISHES} sequential PUTs of small packages on one keep-alive connection, client-side round trip`,
    command: 'node bench/17-blobs.mjs',
    peer: 'the same Shelf with --blobs unset (data folder)',
    rows,
  });
  result.notes.push(
    'Both servers ran at once on the same machine as the RGW (one mon, one memstore OSD, radosgw); the stores were measured in alternation within each run.',
    'S3 reads are one GetObject per download, streamed through to the client (no whole read into memory, unlike the folder store under 2 MB); S3 publishes add one conditional PutObject.',
  );
  result.machine.loadavgAtEnd = os.loadavg().map((x) => round(x, 2));
  if (underLoad(result.machine) || result.machine.loadavgAtEnd[0] >= result.machine.cpuCount * 0.5)
    result.notes.push(
      `The machine was loaded during this run (1-minute load average ${result.machine.loadavgAtStart[0]} at the start, ${round(os.loadavg()[0], 2)} at the end, on ${result.machine.cpuCount} cores).`,
    );
} finally {
  for (const s of Object.values(servers)) await s.stop();
  for (const d of Object.values(dirs)) cleanup(d, args.keep);
  try {
    execFileSync(join(S3_SCRIPTS, 'stop-s3.sh'), [s3Dir, '--purge'], { timeout: 60_000 });
  } catch {
    /* best effort */
  }
}
writeResult(result);
