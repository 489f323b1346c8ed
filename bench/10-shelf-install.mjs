// Benchmark 10: `shelf install` of the cra fixture from its lockfile with a warm tarball cache vs `npm ci --offline` from a
// warm npm cache. Both install the fixture's own package-lock.json into a fresh node_modules each run, interleaved.
//   - Shelf: `node bin/shelf.js install --registry <shelf> --cache <warm> --json`, against a `shelf serve --offline` on the
//     mirror that benchmark 7 pre-filled; one untimed install fills Shelf's tarball cache first.
//   - npm:   `npm ci --offline` from the npm cache that benchmark 7 filled (the same one 7 measures).
// If the mirror is missing it is filled by running bench/07-install.mjs first (that step uses the default registry).
// (quick: the `small` fixture.) Run alone: node bench/10-shelf-install.mjs [--quick] [--runs N]
import { cpSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  FIXTURES,
  SHELF_BIN,
  log,
  newResult,
  npmRegistry,
  parseArgs,
  ratio,
  runMeasured,
  startShelf,
  summarize,
  tempDir,
  writeResult,
  warmMirror,
  NPM_FLAGS,
} from './lib/common.mjs';

const ID = '10-shelf-install';
const args = parseArgs();
const FIXTURE = args.quick ? 'small' : 'cra';
const fixtureDir = join(FIXTURES, FIXTURE);
const registry = npmRegistry();
const result = newResult(ID, `shelf install of the ${FIXTURE} fixture from its lockfile, warm caches`, args);

const { mirrorDir, filled } = await warmMirror(ID, FIXTURE, args, registry);
if (filled) result.upstream = `${registry} — used to pre-fill the mirror (bench 7's pre-fill step); the measured installs are offline`;

function project() {
  const dir = tempDir(`shelf-bench-10-${FIXTURE}-`);
  cpSync(join(fixtureDir, 'package.json'), join(dir, 'package.json'));
  cpSync(join(fixtureDir, 'package-lock.json'), join(dir, 'package-lock.json'));
  return dir;
}
const installedCount = (dir) => {
  try {
    return Object.keys(JSON.parse(readFileSync(join(dir, 'node_modules', '.package-lock.json'), 'utf8')).packages).length;
  } catch {
    return undefined;
  }
};

const shelf = await startShelf({ dataDir: join(mirrorDir, 'shelf'), upstream: registry, offline: true });
const shelfCache = tempDir('shelf-bench-10-cache-');
const figures = { shelf: [], npm: [] };
const shelfInstall = async () => {
  const dir = project();
  const r = await runMeasured(process.execPath, [SHELF_BIN, 'install', '--registry', `${shelf.url}/`, '--cache', shelfCache, '--json'], {
    cwd: dir,
    timeoutMs: 900_000,
  });
  rmSync(dir, { recursive: true, force: true });
  if (r.code !== 0) throw new Error(`shelf install failed (${r.code}): ${r.stderr.slice(-2000)}\n${r.stdout.slice(-1000)}`);
  return { ms: r.ms, peakRssMB: r.peakRssMB, report: JSON.parse(r.stdout) };
};
try {
  const warm = await shelfInstall();
  log(ID, `shelf install warm-up (fills its tarball cache): ${(warm.ms / 1000).toFixed(2)} s, ${warm.report.downloads} downloads`);
  for (let i = 0; i < args.runs; i++) {
    const s = await shelfInstall();
    figures.shelf.push({
      ms: s.ms,
      peakRssMB: s.peakRssMB,
      installed: s.report.installed,
      downloads: s.report.downloads,
      cacheHits: s.report.cacheHits,
    });
    log(
      ID,
      `shelf install run ${i + 1}: ${(s.ms / 1000).toFixed(2)} s, peak RSS ${s.peakRssMB} MB, ${s.report.installed} installed, ${s.report.downloads} downloads`,
    );
    const dir = project();
    const n = await runMeasured(
      'npm',
      ['ci', '--offline', `--registry=${registry}`, `--cache=${join(mirrorDir, 'npm-cache')}`, ...NPM_FLAGS],
      { cwd: dir, timeoutMs: 900_000 },
    );
    const installed = installedCount(dir);
    rmSync(dir, { recursive: true, force: true });
    if (n.code !== 0) throw new Error(`npm ci --offline failed (${n.code}): ${n.stderr.slice(-2000)}`);
    figures.npm.push({ ms: n.ms, peakRssMB: n.peakRssMB, installed });
    log(ID, `npm ci --offline run ${i + 1}: ${(n.ms / 1000).toFixed(2)} s, peak RSS ${n.peakRssMB} MB, ${installed} installed`);
  }
} finally {
  await shelf.stop();
  rmSync(shelfCache, { recursive: true, force: true });
}
result.raw.figures = figures;
const t = { shelf: summarize(figures.shelf.map((r) => r.ms / 1000)), npm: summarize(figures.npm.map((r) => r.ms / 1000)) };
const m = { shelf: summarize(figures.shelf.map((r) => r.peakRssMB)), npm: summarize(figures.npm.map((r) => r.peakRssMB)) };
const speedup = t.shelf.median ? Math.round((t.npm.median / t.shelf.median) * 10) / 10 : undefined;
result.tables.push({
  title: `Install ${FIXTURE} from its lockfile into an empty node_modules, warm caches`,
  short: 'shelf install',
  measured: `wall time and peak RSS (process tree) of installing the fixture's package-lock.json; Shelf's tarball cache filled by one untimed install, npm's cache by benchmark 7; no network (Shelf served --offline); median of ${args.runs} runs, interleaved`,
  command: `node bin/shelf.js install --registry <shelf --offline> --cache <warm> --json  vs  npm ci --offline --cache=<warm> --ignore-scripts`,
  peer: 'npm ci --offline',
  rows: [
    {
      metric: `install time (Shelf ${speedup ?? '—'}× faster)`,
      unit: 's',
      shelf: t.shelf,
      peer: t.npm,
      ratio: ratio(t.shelf.median, t.npm.median, 3),
      target: '≥ 5× faster than npm ci --offline (ratio ≤ 0.2)',
      met: speedup !== undefined && speedup >= 5,
    },
    { metric: 'peak RSS', unit: 'MB', shelf: m.shelf, peer: m.npm, ratio: ratio(m.shelf.median, m.npm.median) },
  ],
});
result.notes.push(
  "Both install the same lockfile (the fixture's, written by npm); `--ignore-scripts` for npm, and Shelf runs no install scripts unless asked (`--scripts`).",
);
writeResult(result);
