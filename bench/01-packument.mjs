// Benchmark 1: small packument GET (about 2 KB), full and abbreviated: requests/s and p99, Shelf vs Verdaccio (no uplink).
// Run alone: node bench/01-packument.mjs [--quick] [--runs N]
import {
  autocannon,
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
  round,
  startShelf,
  startVerdaccio,
  summarize,
  tempDir,
  writeResult,
} from './lib/common.mjs';

const ID = '01-packument';
const args = parseArgs();
ensurePeers();
const result = newResult(ID, 'Small packument GET (full and abbreviated)', args);
const duration = args.quick ? 2 : 10;
const connections = 15; // npm's default maxsockets
const NAME = 'bench-small';
const VERSIONS = ['1.0.0', '1.0.1', '1.1.0', '1.2.0'];

// npm's own request headers for the two kinds of packument.
const HEADERS = {
  full: { accept: 'application/json', 'accept-encoding': 'gzip, deflate' },
  abbreviated: { accept: 'application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*', 'accept-encoding': 'gzip, deflate' },
};

async function seed(server) {
  const token = await couchLogin(server.url);
  for (const v of VERSIONS) {
    const tgz = packageTarball(NAME, v);
    await publish(
      server.url,
      token,
      publishBody(NAME, v, tgz, {
        manifest: {
          description: 'a small benchmark package with a few versions',
          keywords: ['bench', 'small'],
          license: 'MIT',
          dependencies: { 'left-pad': '^1.3.0' },
        },
      }),
    );
  }
  const sizes = {};
  for (const [kind, headers] of Object.entries(HEADERS)) {
    const res = await fetch(`${server.url}/${NAME}`, { headers: { accept: headers.accept } });
    sizes[kind] = (await res.arrayBuffer()).byteLength;
  }
  return sizes;
}

const shelfDir = tempDir('shelf-bench-01-');
const verdaccioDir = tempDir('verdaccio-bench-01-');
const shelf = await startShelf({ dataDir: shelfDir });
const verdaccio = await startVerdaccio({ dir: verdaccioDir });
try {
  const sizes = { shelf: await seed(shelf), verdaccio: await seed(verdaccio) };
  result.raw.sizes = sizes;
  log(ID, 'packument sizes (bytes, uncompressed)', JSON.stringify(sizes));
  const figures = {};
  for (const kind of Object.keys(HEADERS)) {
    figures[kind] = { shelf: [], verdaccio: [] };
    // warm-up, then interleave the servers run by run so drift in background load hits both alike
    if (!args.quick)
      for (const s of [shelf, verdaccio]) await autocannon(`${s.url}/${NAME}`, { connections, duration: 1, headers: HEADERS[kind] });
    for (let i = 0; i < args.runs; i++) {
      for (const s of [shelf, verdaccio]) {
        const r = await autocannon(`${s.url}/${NAME}`, { connections, duration, headers: HEADERS[kind] });
        log(ID, kind, s.name, `run ${i + 1}: ${r.rps} req/s, p99 ${r.p99} ms, errors ${r.errors}, non2xx ${r.non2xx}`);
        figures[kind][s.name].push(r);
      }
    }
  }
  result.raw.runs = figures;
  for (const kind of Object.keys(HEADERS)) {
    const rps = {
      shelf: summarize(figures[kind].shelf.map((r) => r.rps)),
      verdaccio: summarize(figures[kind].verdaccio.map((r) => r.rps)),
    };
    const p99 = {
      shelf: summarize(figures[kind].shelf.map((r) => r.p99)),
      verdaccio: summarize(figures[kind].verdaccio.map((r) => r.p99)),
    };
    const errors = [...figures[kind].shelf, ...figures[kind].verdaccio].reduce((n, r) => n + r.errors + r.non2xx, 0);
    result.tables.push({
      title: `${kind === 'full' ? 'Full' : 'Abbreviated'} packument (${NAME}, ${VERSIONS.length} versions; Shelf ${sizes.shelf[kind]} B, Verdaccio ${sizes.verdaccio[kind]} B uncompressed)`,
      short: kind === 'full' ? 'Full packument' : 'Abbreviated packument',
      measured: `requests/s and p99 latency, ${connections} connections × ${duration} s, npm's Accept and Accept-Encoding: gzip headers; median of ${args.runs} runs (min–max)`,
      command: figures[kind].shelf[0].command,
      peer: 'Verdaccio (no uplink)',
      rows: [
        {
          metric: 'throughput',
          unit: 'req/s',
          shelf: rps.shelf,
          peer: rps.verdaccio,
          ratio: ratio(rps.shelf.median, rps.verdaccio.median),
          target: '≥ 5× Verdaccio',
          met: ratio(rps.shelf.median, rps.verdaccio.median) >= 5,
        },
        {
          metric: 'p99 latency',
          unit: 'ms',
          shelf: p99.shelf,
          peer: p99.verdaccio,
          ratio: ratio(p99.shelf.median, p99.verdaccio.median),
          target: 'Shelf < 10 ms',
          met: p99.shelf.median < 10,
        },
        { metric: 'errors + non-2xx (all runs)', unit: '', shelf: { median: errors }, target: '0', met: errors === 0 },
      ],
    });
  }
  result.raw.sizes = sizes;
  result.notes.push('Both registries were seeded through HTTP with the same four publishes; Verdaccio runs with no uplink.');
  result.notes.push(`Shelf and Verdaccio ran side by side; the load generator is autocannon in its own process on loopback.`);
} finally {
  await shelf.stop();
  await verdaccio.stop();
  cleanup(shelfDir, args.keep);
  cleanup(verdaccioDir, args.keep);
}
writeResult(result);
void round;
