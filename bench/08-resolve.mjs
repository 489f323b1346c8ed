// Benchmark 8: resolution of the cra fixture (package.json only, no lockfile) against a warm local mirror:
// `shelf lock --prefer-offline` vs `npm install --package-lock-only --prefer-offline`, both against the same Shelf on the
// mirror that benchmark 7 pre-filled (it is filled here the same way if missing; that step uses the default registry),
// each with its own metadata cache warmed by one untimed run first. Shelf's default (every cached document revalidated
// with the registry by ETag) is measured alongside.
// Also how far the two lockfiles agree (the same name@version at every path).
// Cold: Shelf's resolver straight against the default registry (`npm config get registry`; NETWORK) with an empty
// metadata cache, vs `npm install --package-lock-only` with an empty npm cache against the same registry: `--runs` runs of
// Shelf, one of npm (about a minute each; the table says so).
// If `node bin/shelf.js lock --help` does not work in the built CLI, Shelf's figure is recorded as "not available yet";
// npm's figure is still measured. (quick: the `small` fixture.)
// Run alone: node bench/08-resolve.mjs [--quick] [--runs N]
import { cpSync, readFileSync, rmSync } from 'node:fs';
import { compareLocks } from '../test/fixtures/lock-registry.mjs';
import { join } from 'node:path';
import {
  FIXTURES,
  ROOT,
  SHELF_BIN,
  log,
  newResult,
  npmRegistry,
  parseArgs,
  ratio,
  rssOf,
  runCapture,
  runMeasured,
  startShelf,
  summarize,
  tempDir,
  writeResult,
  warmMirror,
  NPM_FLAGS,
} from './lib/common.mjs';

const ID = '08-resolve';
const args = parseArgs();
const FIXTURE = args.quick ? 'small' : 'cra';
const fixtureDir = join(FIXTURES, FIXTURE);
const registry = npmRegistry();
const result = newResult(ID, `Resolution of the ${FIXTURE} fixture against a warm mirror`, args);

const help = await runCapture(process.execPath, [SHELF_BIN, 'lock', '--help'], { cwd: ROOT, allowFail: true, timeoutMs: 30_000 });
const lockAvailable = help.code === 0 && /Usage: shelf lock/.test(help.stdout);
log(ID, `shelf lock ${lockAvailable ? 'is available' : 'is not available in the built CLI (out/)'}`);

const { mirrorDir, filled } = await warmMirror(ID, FIXTURE, args, registry);
if (filled) result.upstream = `${registry} — used to pre-fill the mirror (bench 7's pre-fill step)`;

function project() {
  const dir = tempDir(`shelf-bench-08-${FIXTURE}-`);
  cpSync(join(fixtureDir, 'package.json'), join(dir, 'package.json'));
  return dir;
}
const lockCount = (dir) => {
  try {
    return Object.keys(JSON.parse(readFileSync(join(dir, 'package-lock.json'), 'utf8')).packages).filter(Boolean).length;
  } catch {
    return 0;
  }
};

// Not --offline: npm's resolution also asks for packuments that no lockfile lists (optional peers such as sockjs-client),
// which `shelf mirror <lockfile>` does not prefetch; offline Shelf answers those 503 and npm retries each for ~70 s.
// So Shelf keeps its upstream, the untimed warm-up fills those few packuments, and --cache-max-age 1h keeps the
// measured runs from revalidating: they are served from the warm mirror.
const shelf = await startShelf({ dataDir: join(mirrorDir, 'shelf'), upstream: registry, extraArgs: ['--cache-max-age', '1h'] });
result.upstream = `${registry} — Shelf keeps its upstream so the untimed warm-up can fetch the packuments npm's resolution needs beyond the lockfile (optional peers); measured runs are served from the warm mirror`;
const npmCache = tempDir('npm-cache-08-');
// Shelf's metadata cache lives in its data folder: one of its own, warmed like npm's cache.
const shelfData = tempDir('shelf-data-08-');
const shelfEnv = { ...process.env, SHELF_DATA_DIR: shelfData };
const figures = { shelf: [], npm: [], shelfRevalidating: [] };
const locks = {};
const readLock = (dir) => JSON.parse(readFileSync(join(dir, 'package-lock.json'), 'utf8'));
try {
  // npm's cache is keyed by registry URL (this Shelf's port is new), so warm it against this Shelf first, untimed.
  const warm = project();
  const w = await runMeasured('npm', ['install', '--package-lock-only', `--registry=${shelf.url}/`, `--cache=${npmCache}`, ...NPM_FLAGS], {
    cwd: warm,
    timeoutMs: 900_000,
  });
  if (w.code !== 0) throw new Error(`npm warm-up failed: ${w.stderr.slice(-2000)}`);
  log(ID, `npm warm-up (fills its cache from Shelf): ${(w.ms / 1000).toFixed(1)} s, ${lockCount(warm)} packages`);
  rmSync(warm, { recursive: true, force: true });
  if (lockAvailable) {
    const shelfWarm = project();
    const sw = await runMeasured(process.execPath, [SHELF_BIN, 'lock', '--registry', `${shelf.url}/`, '--json'], {
      cwd: shelfWarm,
      env: shelfEnv,
      timeoutMs: 900_000,
    });
    if (sw.code !== 0) throw new Error(`shelf warm-up failed: ${sw.stderr.slice(-2000)}`);
    log(ID, `shelf warm-up (fills its metadata cache from Shelf): ${(sw.ms / 1000).toFixed(1)} s, ${lockCount(shelfWarm)} packages`);
    rmSync(shelfWarm, { recursive: true, force: true });
  }
  for (let i = 0; i < args.runs; i++) {
    if (lockAvailable) {
      for (const [mode, flags, into] of [
        ['--prefer-offline', ['--prefer-offline'], figures.shelf],
        ['revalidating', [], figures.shelfRevalidating],
      ]) {
        const dir = project();
        const r = await runMeasured(process.execPath, [SHELF_BIN, 'lock', '--registry', `${shelf.url}/`, '--json', ...flags], {
          cwd: dir,
          env: shelfEnv,
          timeoutMs: 900_000,
        });
        if (r.code !== 0) throw new Error(`shelf lock (${mode}) failed (${r.code}): ${r.stderr.slice(-2000)}`);
        into.push({ ms: r.ms, peakRssMB: r.peakRssMB, packages: lockCount(dir) });
        log(ID, `shelf lock ${mode} run ${i + 1}: ${(r.ms / 1000).toFixed(2)} s, peak RSS ${r.peakRssMB} MB, ${lockCount(dir)} packages`);
        if (into === figures.shelf) locks.shelf ??= readLock(dir);
        else locks.shelfRevalidating ??= readLock(dir);
        rmSync(dir, { recursive: true, force: true });
      }
    }
    const dir = project();
    const r = await runMeasured(
      'npm',
      ['install', '--package-lock-only', '--prefer-offline', `--registry=${shelf.url}/`, `--cache=${npmCache}`, ...NPM_FLAGS],
      { cwd: dir, timeoutMs: 900_000 },
    );
    if (r.code !== 0) throw new Error(`npm failed (${r.code}): ${r.stderr.slice(-2000)}`);
    figures.npm.push({ ms: r.ms, peakRssMB: r.peakRssMB, packages: lockCount(dir) });
    log(
      ID,
      `npm --package-lock-only --prefer-offline run ${i + 1}: ${(r.ms / 1000).toFixed(2)} s, peak RSS ${r.peakRssMB} MB, ${lockCount(dir)} packages`,
    );
    locks.npm ??= readLock(dir);
    rmSync(dir, { recursive: true, force: true });
  }
  // The figure above is the `shelf lock` process alone; the server it asks is a separate process.
  result.raw.serverRss = rssOf(shelf.pid);
} finally {
  await shelf.stop();
  rmSync(npmCache, { recursive: true, force: true });
  rmSync(shelfData, { recursive: true, force: true });
}
result.raw.figures = figures;
const t = {
  shelf: summarize(figures.shelf.map((r) => r.ms / 1000)),
  npm: summarize(figures.npm.map((r) => r.ms / 1000)),
  revalidating: summarize(figures.shelfRevalidating.map((r) => r.ms / 1000)),
};
const m = { shelf: summarize(figures.shelf.map((r) => r.peakRssMB)), npm: summarize(figures.npm.map((r) => r.peakRssMB)) };
const na = { text: 'not available yet' };
const agreement = locks.shelf && locks.npm ? compareLocks(locks.npm, locks.shelf) : undefined;
result.raw.agreement = agreement && { ...agreement, differences: agreement.differences.slice(0, 50) };
result.tables.push({
  title: `Resolve ${FIXTURE} (package.json only) against Shelf on the warm mirror`,
  short: 'Resolution',
  measured: `wall time and peak RSS (process tree of the client, sampled every 50 ms) of writing a lockfile from package.json; npm's cache and Shelf's metadata cache each warmed against the same Shelf beforehand by one untimed run (which also lets Shelf render its documents for this server's address); both with --prefer-offline (cached documents used without asking the registry); median of ${args.runs} runs`,
  command: `SHELF_DATA_DIR=<warm> node bin/shelf.js lock --registry <shelf> --json --prefer-offline  vs  npm install --package-lock-only --prefer-offline --registry=<shelf> --cache=<warm> --ignore-scripts`,
  peer: 'npm --package-lock-only --prefer-offline',
  rows: [
    {
      metric: 'resolution time, both --prefer-offline',
      unit: 's',
      shelf: lockAvailable ? t.shelf : na,
      peer: t.npm,
      ratio: lockAvailable ? ratio(t.shelf.median, t.npm.median, 3) : undefined,
      target: 'Shelf ≤ 1.5 s and ≥ 10× faster than npm',
      met: lockAvailable ? t.shelf.median <= 1.5 && t.npm.median / t.shelf.median >= 10 : undefined,
    },
    {
      metric: "Shelf's default: every cached document revalidated with the registry (ETag, 304)",
      unit: 's',
      shelf: lockAvailable ? t.revalidating : na,
      peer: t.npm,
      ratio: lockAvailable ? ratio(t.revalidating.median, t.npm.median, 3) : undefined,
    },
    {
      metric: 'peak RSS',
      unit: 'MB',
      shelf: lockAvailable ? m.shelf : na,
      peer: m.npm,
      ratio: lockAvailable ? ratio(m.shelf.median, m.npm.median) : undefined,
      target: 'Shelf ≤ 250 MB',
      met: lockAvailable ? m.shelf.median <= 250 : undefined,
    },
    {
      metric: 'the Shelf server (shelf serve) after the runs: RSS / peak RSS',
      unit: 'MB',
      shelf: { text: `${result.raw.serverRss?.rssMB ?? '—'} / ${result.raw.serverRss?.peakMB ?? '—'} MB` },
      peer: undefined,
    },
    ...(agreement
      ? [
          {
            metric: `lockfile entries identical to npm's (name@version at each path)`,
            unit: '',
            shelf: {
              text: `${agreement.same} / ${agreement.total}${locks.shelfRevalidating && JSON.stringify(locks.shelfRevalidating) !== JSON.stringify(locks.shelf) ? ' (the revalidating run wrote a different lockfile!)' : ''}`,
            },
            peer: undefined,
            target: 'all',
            met: agreement.same === agreement.total,
          },
        ]
      : []),
  ],
});
if (!lockAvailable) {
  result.notAvailable = 'Shelf: not available yet (`node bin/shelf.js lock --help` does not work in the built CLI); npm measured alone';
  result.notes.push(
    '`shelf lock` is being built; rebuild (`npx electron-vite build`) and rerun `node bench/08-resolve.mjs` once it lands.',
  );
}
// ---------------------------------------------------------------- cold: straight against the default registry (network)
if (lockAvailable) {
  const cold = { shelf: [], npm: [] };
  const npmRuns = 1;
  for (let i = 0; i < args.runs; i++) {
    const dir = project();
    const emptyData = tempDir('shelf-data-08-cold-');
    const r = await runMeasured(process.execPath, [SHELF_BIN, 'lock', '--registry', registry, '--json'], {
      cwd: dir,
      env: { ...process.env, SHELF_DATA_DIR: emptyData },
      timeoutMs: 600_000,
    });
    rmSync(emptyData, { recursive: true, force: true });
    if (r.code !== 0) throw new Error(`cold shelf lock failed (${r.code}): ${r.stderr.slice(-2000)}`);
    cold.shelf.push({ ms: r.ms, peakRssMB: r.peakRssMB, packages: lockCount(dir) });
    log(ID, `cold shelf lock against ${registry} run ${i + 1}: ${(r.ms / 1000).toFixed(2)} s, peak RSS ${r.peakRssMB} MB`);
    rmSync(dir, { recursive: true, force: true });
  }
  for (let i = 0; i < npmRuns; i++) {
    const dir = project();
    const emptyCache = tempDir('npm-cache-08-cold-');
    const r = await runMeasured(
      'npm',
      ['install', '--package-lock-only', `--registry=${registry}`, `--cache=${emptyCache}`, ...NPM_FLAGS],
      {
        cwd: dir,
        timeoutMs: 900_000,
      },
    );
    rmSync(emptyCache, { recursive: true, force: true });
    if (r.code !== 0) throw new Error(`cold npm failed (${r.code}): ${r.stderr.slice(-2000)}`);
    cold.npm.push({ ms: r.ms, peakRssMB: r.peakRssMB, packages: lockCount(dir) });
    log(ID, `cold npm --package-lock-only against ${registry} run ${i + 1}: ${(r.ms / 1000).toFixed(2)} s, peak RSS ${r.peakRssMB} MB`);
    rmSync(dir, { recursive: true, force: true });
  }
  result.raw.cold = cold;
  const ct = { shelf: summarize(cold.shelf.map((r) => r.ms / 1000)), npm: summarize(cold.npm.map((r) => r.ms / 1000)) };
  const cm = { shelf: summarize(cold.shelf.map((r) => r.peakRssMB)), npm: summarize(cold.npm.map((r) => r.peakRssMB)) };
  result.tables.push({
    title: `Cold: resolve ${FIXTURE} (package.json only) straight against the default registry (${registry})`,
    short: 'Cold resolution',
    measured: `wall time and peak RSS of writing a lockfile with nothing cached: Shelf starts with an empty metadata cache (and fills it), npm with an empty --cache; network-bound; Shelf median of ${args.runs} runs, npm ${npmRuns} run (about a minute each, so no spread)`,
    command: `SHELF_DATA_DIR=<empty> node bin/shelf.js lock --registry ${registry} --json  vs  npm install --package-lock-only --registry=${registry} --cache=<empty> --ignore-scripts`,
    peer: 'npm --package-lock-only, empty cache',
    rows: [
      {
        metric: 'cold resolution time',
        unit: 's',
        shelf: ct.shelf,
        peer: ct.npm,
        ratio: ratio(ct.shelf.median, ct.npm.median, 3),
        target: 'Shelf ≤ 10 s',
        met: ct.shelf.median <= 10,
      },
      { metric: 'peak RSS', unit: 'MB', shelf: cm.shelf, peer: cm.npm, ratio: ratio(cm.shelf.median, cm.npm.median) },
    ],
  });
  result.upstream += `; the cold table resolves straight against it (${args.runs} Shelf runs, ${npmRuns} npm run)`;
}
writeResult(result);
