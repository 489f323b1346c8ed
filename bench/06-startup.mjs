// Benchmark 6: start-up (process spawn to the first successful GET /-/ping) and idle RSS, with an empty store and with
// 100,000 packages, Shelf vs Verdaccio. Run alone: node bench/06-startup.mjs [--quick] [--runs N]   (quick: 5,000 packages)
import {
  cleanup,
  ensurePeers,
  log,
  newResult,
  parseArgs,
  ratio,
  rssOf,
  sleep,
  startShelf,
  startVerdaccio,
  summarize,
  tempDir,
  writeResult,
} from './lib/common.mjs';
import { ensureStore } from './lib/store.mjs';

const ID = '06-startup';
const args = parseArgs();
ensurePeers();
const COUNT = args.quick ? 5000 : 100000;
const result = newResult(ID, 'Start-up time and idle memory', args);
const store = await ensureStore(COUNT, (m) => log(ID, m));
const settleMs = args.quick ? 1000 : 3000;

async function measure(kind, store) {
  let server;
  let dir;
  if (kind === 'shelf') {
    dir = store ?? tempDir('shelf-bench-06-');
    server = await startShelf({ dataDir: dir, waitPing: true });
  } else {
    dir = store ?? tempDir('verdaccio-bench-06-');
    server = await startVerdaccio({ dir });
  }
  const startupMs = server.pingAt - server.spawnedAt;
  await sleep(settleMs);
  const { rssMB } = rssOf(server.pid);
  await server.stop();
  if (!store) cleanup(dir, false);
  return { startupMs, rssMB };
}

const cases = [
  { key: 'empty', label: 'empty store', shelf: undefined, verdaccio: undefined },
  { key: 'full', label: `${COUNT.toLocaleString('en')} packages`, shelf: store.shelf, verdaccio: store.verdaccio },
];
const figures = {};
for (const c of cases) {
  figures[c.key] = { shelf: [], verdaccio: [] };
  // one untimed start each to warm the OS file cache, then alternate
  await measure('shelf', c.shelf);
  await measure('verdaccio', c.verdaccio);
  for (let i = 0; i < args.runs; i++) {
    for (const kind of ['shelf', 'verdaccio']) {
      const r = await measure(kind, c[kind]);
      figures[c.key][kind].push(r);
      log(ID, c.label, kind, `run ${i + 1}: ping after ${r.startupMs.toFixed(0)} ms, idle RSS ${r.rssMB} MB`);
    }
  }
}
result.raw.figures = figures;
for (const c of cases) {
  const t = {
    shelf: summarize(figures[c.key].shelf.map((r) => r.startupMs)),
    verdaccio: summarize(figures[c.key].verdaccio.map((r) => r.startupMs)),
  };
  const m = {
    shelf: summarize(figures[c.key].shelf.map((r) => r.rssMB)),
    verdaccio: summarize(figures[c.key].verdaccio.map((r) => r.rssMB)),
  };
  result.tables.push({
    title: `Start-up and idle RSS, ${c.label}`,
    short: `Start-up (${c.label})`,
    measured: `wall time from spawning the server process to its first 200 on GET /-/ping (polled every 5 ms; Shelf: \`node bin/shelf.js serve --port 0\`, pinged once it prints its address), then RSS from /proc/<pid>/status after ${settleMs / 1000} s idle; after one untimed start, median of ${args.runs} runs`,
    command:
      c.key === 'empty'
        ? 'node bin/shelf.js serve --host 127.0.0.1 --port 0 --data-dir <empty> --upstream none'
        : `node bin/shelf.js serve --host 127.0.0.1 --port 0 --data-dir <${COUNT} packages> --upstream none`,
    peer: 'Verdaccio (no uplink)',
    rows: [
      {
        metric: 'process start → first /-/ping',
        unit: 'ms',
        shelf: t.shelf,
        peer: t.verdaccio,
        ratio: ratio(t.shelf.median, t.verdaccio.median),
        target: 'Shelf < 300 ms',
        met: t.shelf.median < 300,
      },
      {
        metric: 'idle RSS',
        unit: 'MB',
        shelf: m.shelf,
        peer: m.verdaccio,
        ratio: ratio(m.shelf.median, m.verdaccio.median),
        target: 'Shelf < 100 MB',
        met: m.shelf.median < 100,
      },
    ],
  });
}
result.notes.push(
  `The ${COUNT.toLocaleString('en')}-package stores are the ones the search benchmark uses (bench/seed/seed-store.mts; Verdaccio's written in its storage format with the package list in .verdaccio-db.json).`,
);
writeResult(result);
