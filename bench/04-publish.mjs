// Benchmark 4: 200 sequential publishes (the PUT `npm publish` sends) of small packages: per-publish time.
// Measured client-side as the HTTP round trip on loopback (one keep-alive connection), and for Shelf also read from
// its own debug log (`--log-level debug` prints `METHOD url status Nms`, fastify's reply.elapsedTime).
// Run alone: node bench/04-publish.mjs [--quick] [--runs N]
import http from 'node:http';
import {
  cleanup,
  couchLogin,
  ensurePeers,
  log,
  newResult,
  packageTarball,
  parseArgs,
  percentile,
  publishBody,
  ratio,
  round,
  startShelf,
  startVerdaccio,
  summarize,
  median,
  tempDir,
  writeResult,
} from './lib/common.mjs';

const ID = '04-publish';
const args = parseArgs();
ensurePeers();
const result = newResult(ID, 'Publish: sequential PUTs of small packages', args);
const COUNT = args.quick ? 50 : 200;

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
function put(url, token, body) {
  const payload = Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = http.request(
      `${url}/${body.name}`,
      {
        method: 'PUT',
        agent,
        headers: {
          'content-type': 'application/json',
          'content-length': payload.length,
          authorization: `Bearer ${token}`,
          'npm-command': 'publish',
        },
      },
      (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () => {
          const ms = performance.now() - t0;
          if (res.statusCode >= 300) reject(new Error(`publish of ${body.name} failed: ${res.statusCode} ${text.slice(0, 200)}`));
          else resolve(ms);
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

const dirs = { shelf: tempDir('shelf-bench-04-'), verdaccio: tempDir('verdaccio-bench-04-') };
const servers = [];
try {
  servers.push(await startShelf({ dataDir: dirs.shelf, logLevel: 'debug' }));
  servers.push(await startVerdaccio({ dir: dirs.verdaccio }));
  const tokens = {};
  for (const s of servers) tokens[s.name] = await couchLogin(s.url);
  // Bodies are built before timing, so only the round trip is measured.
  const bodies = (run) =>
    Array.from({ length: COUNT }, (_, i) => {
      const name = `bench-pub-r${run}-${String(i).padStart(3, '0')}`;
      return publishBody(name, '1.0.0', packageTarball(name, '1.0.0', { 'README.md': `# ${name}\n\nA small package.\n` }), {
        manifest: { description: `small package ${i}`, license: 'MIT', keywords: ['bench'] },
      });
    });
  const figures = Object.fromEntries(servers.map((s) => [s.name, { client: [], server: [] }]));
  for (let run = 0; run < args.runs; run++) {
    const list = bodies(run);
    for (const s of servers) {
      const before = s.logLines.length;
      const times = [];
      for (const b of list) times.push(await put(s.url, tokens[s.name], b));
      agent.destroy();
      figures[s.name].client.push(times);
      if (s.name === 'shelf') {
        await new Promise((r) => setTimeout(r, 200));
        const serverTimes = s.logLines
          .slice(before)
          .map((l) => /PUT \/bench-pub-\S+ 201 ([\d.]+)ms/.exec(l))
          .filter(Boolean)
          .map((m) => Number(m[1]));
        figures.shelf.server.push(serverTimes);
      }
      log(
        ID,
        s.name,
        `run ${run + 1}: ${COUNT} publishes, median ${median(times).toFixed(1)} ms, p99 ${percentile(times, 99).toFixed(1)} ms, total ${(times.reduce((a, b) => a + b, 0) / 1000).toFixed(2)} s` +
          (s.name === 'shelf'
            ? `; server-side median ${median(figures.shelf.server.at(-1))} ms (${figures.shelf.server.at(-1).length} log lines)`
            : ''),
      );
    }
  }
  result.raw.figures = figures;
  const med = (name, kind) => summarize(figures[name][kind].map((t) => median(t)));
  const p99 = (name, kind) => summarize(figures[name][kind].map((t) => percentile(t, 99)));
  const total = (name) => summarize(figures[name].client.map((t) => t.reduce((a, b) => a + b, 0) / 1000));
  const c = { shelf: med('shelf', 'client'), verdaccio: med('verdaccio', 'client') };
  const serverMed = med('shelf', 'server');
  result.tables.push({
    title: `${COUNT} sequential publishes of small packages (one new package each)`,
    short: 'Publish',
    measured: `per-publish time; client: HTTP round trip of the PUT on one keep-alive loopback connection (body prepared beforehand); server: Shelf's debug log (fastify reply.elapsedTime). Median per run, then median of ${args.runs} runs (min–max)`,
    command: `PUT /<name> with npm's publish body (base64 tarball), ${COUNT}× in sequence`,
    peer: 'Verdaccio (no uplink)',
    rows: [
      {
        metric: 'median per publish, client round trip',
        unit: 'ms',
        shelf: c.shelf,
        peer: c.verdaccio,
        ratio: ratio(c.shelf.median, c.verdaccio.median),
        target: 'Shelf < 20 ms',
        met: c.shelf.median < 20,
      },
      {
        metric: 'median per publish, server time (Shelf debug log)',
        unit: 'ms',
        shelf: serverMed,
        target: '< 20 ms',
        met: serverMed.median < 20,
      },
      {
        metric: 'p99 per publish, client round trip',
        unit: 'ms',
        shelf: p99('shelf', 'client'),
        peer: p99('verdaccio', 'client'),
        ratio: ratio(p99('shelf', 'client').median, p99('verdaccio', 'client').median),
      },
      {
        metric: `total for ${COUNT} publishes`,
        unit: 's',
        shelf: total('shelf'),
        peer: total('verdaccio'),
        ratio: ratio(total('shelf').median, total('verdaccio').median),
      },
    ],
  });
  result.notes.push(
    'Each publish creates a new package (version 1.0.0, a 3-file tarball). The client-side figure includes loopback HTTP and JSON upload; the server-side figure is what Shelf itself logs for the request.',
  );
  result.notes.push(
    'Shelf writes each publish durably (tarball fsync + rename + directory fsync, then a SQLite transaction with synchronous=FULL); Verdaccio writes files without fsync, so the comparison is not like for like on durability.',
  );
  void round;
} finally {
  for (const s of servers) await s.stop();
  for (const d of Object.values(dirs)) cleanup(d, args.keep);
}
writeResult(result);
