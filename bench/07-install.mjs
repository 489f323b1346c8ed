// Benchmark 7: `npm ci` of ../shared/fixtures/trees/cra from a warm mirror: Shelf (--offline) vs Verdaccio (no uplink)
// vs npm's own `--offline` install from its cache. (quick: the `small` fixture.)
//
// NETWORK: the mirrors are pre-filled ONCE from the default registry in this user's npm configuration
// (`npm config get registry`), and kept under the bench cache folder so reruns do not refetch:
//   - Shelf:     `node bin/shelf.js mirror <lockfile> --data-dir <cache>/shelf --upstream <registry> --json` (timed: cold mirror)
//   - Verdaccio: `npm ci` through Verdaccio with an uplink to the registry and an empty npm cache (timed: cold install via Verdaccio)
//   - npm:       `npm ci` straight from the registry into <cache>/npm-cache (timed: cold install from the upstream)
// The measured installs then run with no upstream: Shelf `--offline`, Verdaccio with no uplink, npm `--offline`.
// Run alone: node bench/07-install.mjs [--quick] [--runs N]
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CACHE_DIR,
  FIXTURES,
  ROOT,
  SHELF_BIN,
  ensurePeers,
  log,
  newResult,
  npmRegistry,
  parseArgs,
  ratio,
  round,
  rssOf,
  runMeasured,
  startShelf,
  startVerdaccio,
  summarize,
  tempDir,
  writeResult,
  NPM_FLAGS,
} from './lib/common.mjs';

const ID = '07-install';
const args = parseArgs();
ensurePeers();
const FIXTURE = args.quick ? 'small' : 'cra';
const fixtureDir = join(FIXTURES, FIXTURE);
const registry = npmRegistry();
const result = newResult(ID, `Install from a warm mirror: npm ci of the ${FIXTURE} fixture`, args);
result.upstream = `${registry} — used once to pre-fill the mirrors and npm's cache (cached in ${CACHE_DIR}); the measured installs are offline`;
const lockEntries = Object.keys(JSON.parse(readFileSync(join(fixtureDir, 'package-lock.json'), 'utf8')).packages ?? {}).filter(
  (k) => k,
).length;

function project() {
  const dir = tempDir(`shelf-bench-07-${FIXTURE}-`);
  cpSync(join(fixtureDir, 'package.json'), join(dir, 'package.json'));
  cpSync(join(fixtureDir, 'package-lock.json'), join(dir, 'package-lock.json'));
  return dir;
}

async function npmCi({ registryUrl, cache, offline = false }) {
  const dir = project();
  const npmArgs = ['ci', `--registry=${registryUrl}/`.replace(/\/\/$/, '/'), `--cache=${cache}`, ...NPM_FLAGS];
  if (offline) npmArgs.push('--offline');
  const r = await runMeasured('npm', npmArgs, { cwd: dir, timeoutMs: 1_200_000 });
  const installed = existsSync(join(dir, 'node_modules', '.package-lock.json'))
    ? Object.keys(JSON.parse(readFileSync(join(dir, 'node_modules', '.package-lock.json'), 'utf8')).packages).length
    : 0;
  rmSync(dir, { recursive: true, force: true });
  if (r.code !== 0) throw new Error(`npm ${npmArgs.join(' ')} failed (${r.code}):\n${r.stderr.slice(-3000)}`);
  return {
    ms: r.ms,
    peakRssMB: r.peakRssMB,
    installed,
    command: `npm ${npmArgs
      .join(' ')
      .replace(/127\.0\.0\.1:\d+/, '127.0.0.1:PORT')
      .replace(cache, '<cache>')}`,
  };
}

// ---------------------------------------------------------------- pre-fill (once)
const cacheRoot = join(CACHE_DIR, `mirror-${FIXTURE}`);
const paths = {
  shelf: join(cacheRoot, 'shelf'),
  verdaccio: join(cacheRoot, 'verdaccio'),
  npmCache: join(cacheRoot, 'npm-cache'),
  stamp: join(cacheRoot, 'filled.json'),
};
let fill;
if (existsSync(paths.stamp)) {
  fill = { ...JSON.parse(readFileSync(paths.stamp, 'utf8')), cached: true };
  log(ID, `using the pre-filled mirrors in ${cacheRoot} (filled ${fill.at})`);
} else {
  rmSync(cacheRoot, { recursive: true, force: true });
  mkdirSync(cacheRoot, { recursive: true });
  log(ID, `pre-filling from ${registry} (network; once) into ${cacheRoot}`);
  const mirror = await runMeasured(
    process.execPath,
    [SHELF_BIN, 'mirror', join(fixtureDir, 'package-lock.json'), '--data-dir', paths.shelf, '--upstream', registry, '--json'],
    { cwd: ROOT, timeoutMs: 1_800_000 },
  );
  if (mirror.code !== 0) throw new Error(`shelf mirror failed: ${mirror.stderr.slice(-2000)}\n${mirror.stdout.slice(-2000)}`);
  let summary;
  try {
    summary = JSON.parse(mirror.stdout);
  } catch {
    summary = mirror.stdout.slice(-500);
  }
  log(ID, `shelf mirror (cold) ${(mirror.ms / 1000).toFixed(1)} s, peak RSS ${mirror.peakRssMB} MB`);
  const v = await startVerdaccio({ dir: paths.verdaccio, uplink: registry });
  let viaVerdaccio;
  try {
    viaVerdaccio = await npmCi({ registryUrl: v.url, cache: tempDir('npm-cache-07-') });
  } finally {
    await v.stop();
  }
  log(ID, `npm ci through Verdaccio with uplink (cold) ${(viaVerdaccio.ms / 1000).toFixed(1)} s`);
  const direct = await npmCi({ registryUrl: registry.replace(/\/$/, ''), cache: paths.npmCache });
  log(ID, `npm ci straight from ${registry} (cold cache) ${(direct.ms / 1000).toFixed(1)} s`);
  fill = {
    at: new Date().toISOString(),
    registry,
    shelfMirrorMs: mirror.ms,
    shelfMirrorPeakMB: mirror.peakRssMB,
    shelfMirrorSummary: summary,
    verdaccioColdInstallMs: viaVerdaccio.ms,
    npmColdInstallMs: direct.ms,
    installed: direct.installed,
    cached: false,
  };
  writeFileSync(paths.stamp, JSON.stringify(fill, null, 2));
}
result.raw.fill = fill;

// ---------------------------------------------------------------- warm installs, no upstream
const shelf = await startShelf({ dataDir: paths.shelf, upstream: registry, offline: true, logLevel: 'warn' });
const verdaccio = await startVerdaccio({ dir: paths.verdaccio });
const figures = { shelf: [], verdaccio: [], npm: [] };
try {
  for (let i = 0; i < args.runs; i++) {
    for (const kind of ['shelf', 'verdaccio', 'npm']) {
      const r =
        kind === 'npm'
          ? await npmCi({ registryUrl: registry.replace(/\/$/, ''), cache: paths.npmCache, offline: true })
          : await npmCi({ registryUrl: (kind === 'shelf' ? shelf : verdaccio).url, cache: tempDir(`npm-cache-07-${kind}-`) });
      figures[kind].push(r);
      log(ID, kind, `run ${i + 1}: ${(r.ms / 1000).toFixed(2)} s, ${r.installed} packages, npm peak RSS ${r.peakRssMB} MB`);
    }
  }
  result.raw.serverRssAfter = { shelf: rssOf(shelf.pid), verdaccio: rssOf(verdaccio.pid) };
} finally {
  await shelf.stop();
  await verdaccio.stop();
}
result.raw.figures = figures;
const rssAfter = result.raw.serverRssAfter ?? { shelf: {}, verdaccio: {} };
const s = Object.fromEntries(Object.entries(figures).map(([k, v]) => [k, summarize(v.map((r) => r.ms / 1000))]));
result.tables.push({
  title: `npm ci of ${FIXTURE} (${lockEntries} lockfile entries) from a warm mirror, no upstream`,
  short: 'Warm install',
  measured: `wall time of \`npm ci\` into a fresh folder (--ignore-scripts --no-audit --no-fund); Shelf and Verdaccio installs start with an empty npm cache; npm --offline uses its warm cache; median of ${args.runs} runs, interleaved`,
  command: figures.shelf[0].command,
  peer: 'npm --offline (own cache) / Verdaccio',
  rows: [
    {
      metric: 'npm ci vs npm --offline',
      unit: 's',
      shelf: s.shelf,
      peer: s.npm,
      ratio: ratio(s.shelf.median, s.npm.median),
      target: '≤ 1.1× npm --offline',
      met: ratio(s.shelf.median, s.npm.median) <= 1.1,
    },
    {
      metric: 'npm ci vs Verdaccio (no uplink)',
      unit: 's',
      shelf: s.shelf,
      peer: s.verdaccio,
      peerName: 'Verdaccio (no uplink)',
      ratio: ratio(s.shelf.median, s.verdaccio.median),
      target: '< Verdaccio',
      met: s.shelf.median < s.verdaccio.median,
    },
    {
      metric: 'first install after the server started (run 1) vs Verdaccio',
      unit: 's',
      shelf: { median: round(figures.shelf[0].ms / 1000, 2) },
      peer: { median: round(figures.verdaccio[0].ms / 1000, 2) },
      peerName: 'Verdaccio (no uplink)',
      ratio: ratio(figures.shelf[0].ms, figures.verdaccio[0].ms),
    },
    {
      metric: 'server RSS after the installs (Shelf vs Verdaccio)',
      unit: 'MB',
      shelf: { median: rssAfter.shelf.rssMB },
      peer: { median: rssAfter.verdaccio.rssMB },
      peerName: 'Verdaccio (no uplink)',
      ratio: ratio(rssAfter.shelf.rssMB, rssAfter.verdaccio.rssMB),
    },
  ],
});
result.tables.push({
  title: `Cold: filling the mirrors from the default registry (${registry}), once`,
  short: 'Cold fill',
  measured: `one run each, when the cache folder was filled (${fill.at}${fill.cached ? ', an earlier run' : ', this run'}); network-bound`,
  command: `node bin/shelf.js mirror ${FIXTURE}/package-lock.json --data-dir <dir> --upstream ${registry} --json`,
  peer: 'npm ci straight from the registry',
  rows: [
    {
      metric: 'Shelf cold mirror (shelf mirror)',
      unit: 's',
      shelf: { median: round(fill.shelfMirrorMs / 1000, 1) },
      peer: { median: round(fill.npmColdInstallMs / 1000, 1) },
      ratio: ratio(fill.shelfMirrorMs, fill.npmColdInstallMs),
    },
    {
      metric: 'npm ci through Verdaccio with an uplink (cold)',
      unit: 's',
      shelf: undefined,
      peer: { median: round(fill.verdaccioColdInstallMs / 1000, 1) },
    },
  ],
});
result.notes.push(
  `Shelf served with \`--offline\` (never contacts an upstream); Verdaccio with no uplink on the storage it filled; npm \`--offline\` from the cache that the cold install filled. No \`resolved\` fields in the lockfile (this machine's npm config omits them), so each install goes through the registry given by --registry.`,
);
writeResult(result);
