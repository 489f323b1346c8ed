// Benchmark 3: tarball GET (1 MB): MB/s from Shelf, from Verdaccio (no uplink), and from a plain static file server of
// the same file (node:http + fs.createReadStream in its own process: the practical ceiling).
// Run alone: node bench/03-tarball.mjs [--quick] [--runs N]
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  autocannon,
  getLoop,
  cleanup,
  couchLogin,
  ensurePeers,
  log,
  newResult,
  packageTarball,
  parseArgs,
  publish,
  publishBody,
  ratio,
  rng,
  startShelf,
  startStatic,
  startVerdaccio,
  summarize,
  tempDir,
  writeResult,
} from './lib/common.mjs';

const ID = '03-tarball';
const args = parseArgs();
ensurePeers();
const result = newResult(ID, 'Tarball GET (1 MB)', args);
const duration = args.quick ? 2 : 10;
const connections = 10;
const NAME = 'bench-tarball';
const VERSION = '1.0.0';

// 1 MB of incompressible content (fixed seed) so the tarball stays about 1 MB after gzip.
const random = rng(7);
const payload = Buffer.alloc(1024 * 1024);
for (let i = 0; i < payload.length; i += 4) payload.writeUInt32LE((random() * 2 ** 32) >>> 0, i);
const tgz = packageTarball(NAME, VERSION, { 'data.bin': payload });
void randomBytes;

const dirs = { shelf: tempDir('shelf-bench-03-'), verdaccio: tempDir('verdaccio-bench-03-'), static: tempDir('static-bench-03-') };
const file = join(dirs.static, `${NAME}-${VERSION}.tgz`);
writeFileSync(file, tgz);
const servers = [];
try {
  servers.push(await startShelf({ dataDir: dirs.shelf }));
  servers.push(await startVerdaccio({ dir: dirs.verdaccio }));
  servers.push(await startStatic(file));
  const urls = {};
  for (const s of servers) {
    if (s.name === 'static') {
      urls.static = `${s.url}/${NAME}-${VERSION}.tgz`;
      continue;
    }
    const token = await couchLogin(s.url);
    await publish(s.url, token, publishBody(NAME, VERSION, tgz));
    const doc = await (await fetch(`${s.url}/${NAME}`)).json();
    urls[s.name] = doc.versions[VERSION].dist.tarball.replace(/^http:\/\/[^/]+/, s.url);
  }
  for (const s of servers) {
    const res = await fetch(urls[s.name]);
    const got = Buffer.from(await res.arrayBuffer());
    if (!got.equals(tgz)) throw new Error(`${s.name} served different bytes for the tarball (${got.length} vs ${tgz.length})`);
  }
  log(ID, `tarball ${tgz.length} bytes; urls ${JSON.stringify(urls)}`);
  const headers = { accept: '*/*', 'accept-encoding': 'gzip, deflate' };
  const figures = Object.fromEntries(servers.map((s) => [s.name, []]));
  if (!args.quick) for (const s of servers) await getLoop(urls[s.name], { connections, duration: 1 });
  void autocannon;
  void headers;
  for (let i = 0; i < args.runs; i++) {
    for (const s of servers) {
      const r = await getLoop(urls[s.name], { connections, duration });
      r.mbPerSec = r.bytesPerSec / 1024 / 1024;
      figures[s.name].push(r);
      log(
        ID,
        s.name,
        `run ${i + 1}: ${r.mbPerSec.toFixed(0)} MB/s, ${r.rps} req/s, p99 ${r.p99} ms, errors ${r.errors}, non2xx ${r.non2xx}`,
      );
    }
  }
  result.raw.figures = figures;
  const mb = Object.fromEntries(servers.map((s) => [s.name, summarize(figures[s.name].map((r) => r.mbPerSec))]));
  const p99 = Object.fromEntries(servers.map((s) => [s.name, summarize(figures[s.name].map((r) => r.p99))]));
  const errors = Object.values(figures)
    .flat()
    .reduce((n, r) => n + r.errors + r.non2xx, 0);
  result.tables.push({
    title: `Tarball GET, ${(tgz.length / 1024 / 1024).toFixed(2)} MB, against Verdaccio`,
    short: 'Tarball vs Verdaccio',
    measured: `MB/s of response bytes, ${connections} keep-alive connections × ${duration} s (bench/lib/get-loop.mjs, not autocannon: autocannon's parser tops out near 60 MB/s here); median of ${args.runs} runs`,
    command: figures.shelf[0].command,
    peer: 'Verdaccio (no uplink)',
    rows: [
      {
        metric: 'throughput',
        unit: 'MB/s',
        shelf: mb.shelf,
        peer: mb.verdaccio,
        ratio: ratio(mb.shelf.median, mb.verdaccio.median),
        target: '> Verdaccio',
        met: mb.shelf.median > mb.verdaccio.median,
      },
      { metric: 'p99 latency', unit: 'ms', shelf: p99.shelf, peer: p99.verdaccio, ratio: ratio(p99.shelf.median, p99.verdaccio.median) },
    ],
  });
  result.tables.push({
    title: `Tarball GET, ${(tgz.length / 1024 / 1024).toFixed(2)} MB, against a plain static file server of the same file`,
    short: 'Tarball vs static server',
    measured: `MB/s, ${connections} connections × ${duration} s; median of ${args.runs} runs`,
    command: figures.static[0].command,
    peer: 'node:http + fs.createReadStream',
    rows: [
      {
        metric: 'throughput',
        unit: 'MB/s',
        shelf: mb.shelf,
        peer: mb.static,
        ratio: ratio(mb.shelf.median, mb.static.median),
        target: '≥ 0.8× static',
        met: ratio(mb.shelf.median, mb.static.median) >= 0.8,
      },
      { metric: 'p99 latency', unit: 'ms', shelf: p99.shelf, peer: p99.static, ratio: ratio(p99.shelf.median, p99.static.median) },
      { metric: 'errors + non-2xx (all servers, all runs)', unit: '', shelf: { median: errors }, target: '0', met: errors === 0 },
    ],
  });
  result.notes.push(
    'The same tarball bytes (1 MB of seeded random data, gzipped) were published to Shelf and Verdaccio and written to disk for the static server; each server was checked to return identical bytes.',
    'The static server streams the file (fs.createReadStream: 64 KB reads and writes); Shelf reads a tarball of up to 2 MB whole and sends it as one buffer, and counts downloads in memory (written once a second), which is how it can pass this "ceiling". Larger tarballs are streamed as the static server does.',
  );
} finally {
  for (const s of servers) await s.stop();
  for (const d of Object.values(dirs)) cleanup(d, args.keep);
}
writeResult(result);
