// Benchmark 16 (issue 16): install of the cra fixture from its lockfile into an empty node_modules, `shelf install` (the
// fixture's package-lock.json) against bun (`bun install --frozen-lockfile` of the bun.lock bun migrates from that same
// package-lock.json, once, untimed), both through one Shelf serving the warm mirror that benchmark 7 filled:
//   - warm: each tool's cache (Shelf's install cache: tarballs and their unpacked files; bun's cache) filled by an
//     untimed install first;
//   - empty: a fresh, empty cache folder for each run (the mirror stays warm).
// Wall time and peak RSS of the client's process tree. Where Shelf misses a target, one more run under --cpu-prof gives
// the profile summarized beside the figures. bun comes from the peers folder (bench/lib/peers.mjs), never the project.
// If the mirror is missing it is filled by running bench/07-install.mjs first (that step uses the default registry).
// (quick: the `small` fixture.) Run alone: node bench/16-install-vs-bun.mjs [--quick] [--runs N]
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { allProfiles, profileText, summarizeProfile } from './lib/cpu-profile.mjs';
import {
  FIXTURES,
  SHELF_BIN,
  ensurePeers,
  log,
  newResult,
  npmRegistry,
  parseArgs,
  peerPaths,
  ratio,
  round,
  runMeasured,
  startShelf,
  summarize,
  tempDir,
  warmMirror,
  writeResult,
} from './lib/common.mjs';

const ID = '16-install-vs-bun';
const args = parseArgs();
// Pairs are noisy here (disk writeback): 5 runs unless --runs says otherwise.
if (!process.argv.slice(2).some((a) => a.startsWith('--runs'))) args.runs = args.quick ? 3 : 5;

/** Writes the kernel's dirty pages out (sync(1)), so the next timed run starts without another run's writeback. */
function flushDisks() {
  spawnSync('sync', { stdio: 'ignore' });
}
const peers = ensurePeers();
const FIXTURE = args.quick ? 'small' : 'cra';
const fixtureDir = join(FIXTURES, FIXTURE);
const registry = npmRegistry();
const result = newResult(ID, `Install of the ${FIXTURE} fixture from its lockfile: shelf install vs bun, warm and empty caches`, args);

const { mirrorDir, filled } = await warmMirror(ID, FIXTURE, args, registry);
// Not --offline: bun's one-time migration of package-lock.json asks for documents; --cache-max-age 1h keeps the measured
// installs from revalidating, so they are served from the warm mirror.
const shelf = await startShelf({ dataDir: join(mirrorDir, 'shelf'), upstream: registry, extraArgs: ['--cache-max-age', '1h'] });
result.upstream = `${registry} — ${filled ? "used to pre-fill the mirror (bench 7's pre-fill step) and " : ''}kept as Shelf's upstream for bun's one-time lockfile migration; the measured installs are served from the warm mirror`;
const bunrc = `[install]\nregistry = "${shelf.url}/"\n`;
const bunEnv = (cache) => ({ ...process.env, BUN_INSTALL_CACHE_DIR: cache, DO_NOT_TRACK: '1' });

/** Packages in node_modules (top level and nested), counted from the folders that hold a package.json. */
function countPackages(nodeModules) {
  let n = 0;
  const stack = [nodeModules];
  while (stack.length) {
    const dir = stack.pop();
    let names;
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    for (const name of names) {
      if (name.startsWith('.')) continue;
      if (name.startsWith('@')) {
        stack.push(join(dir, name));
        continue;
      }
      const pkg = join(dir, name);
      if (existsSync(join(pkg, 'package.json'))) n++;
      if (existsSync(join(pkg, 'node_modules'))) stack.push(join(pkg, 'node_modules'));
    }
  }
  return n;
}

function project(tool, bunLock) {
  const dir = tempDir(`shelf-bench-16i-${tool}-`);
  cpSync(join(fixtureDir, 'package.json'), join(dir, 'package.json'));
  if (tool === 'shelf') cpSync(join(fixtureDir, 'package-lock.json'), join(dir, 'package-lock.json'));
  else {
    writeFileSync(join(dir, 'bunfig.toml'), bunrc);
    if (bunLock) writeFileSync(join(dir, 'bun.lock'), bunLock);
    else cpSync(join(fixtureDir, 'package-lock.json'), join(dir, 'package-lock.json'));
  }
  return dir;
}

async function shelfInstall(cache, nodeArgs = []) {
  const dir = project('shelf');
  const r = await runMeasured(
    process.execPath,
    [...nodeArgs, SHELF_BIN, 'install', '--registry', `${shelf.url}/`, '--cache', cache, '--json'],
    {
      cwd: dir,
      timeoutMs: 900_000,
    },
  );
  const packages = countPackages(join(dir, 'node_modules'));
  rmSync(dir, { recursive: true, force: true });
  if (r.code !== 0) throw new Error(`shelf install failed (${r.code}): ${r.stderr.slice(-2000)}\n${r.stdout.slice(-1000)}`);
  const report = JSON.parse(r.stdout);
  return { ms: r.ms, peakRssMB: r.peakRssMB, packages, report };
}

async function bunInstall(cache, bunLock) {
  const dir = project('bun', bunLock);
  const r = await runMeasured(peers.bun, ['install', '--frozen-lockfile', '--ignore-scripts', '--no-progress'], {
    cwd: dir,
    env: bunEnv(cache),
    timeoutMs: 900_000,
  });
  const packages = countPackages(join(dir, 'node_modules'));
  rmSync(dir, { recursive: true, force: true });
  if (r.code !== 0) throw new Error(`bun install --frozen-lockfile failed (${r.code}): ${r.stderr.slice(-2000)}`);
  return { ms: r.ms, peakRssMB: r.peakRssMB, packages };
}

const shelfCache = tempDir('shelf-bench-16i-cache-');
const bunCache = tempDir('shelf-bench-16i-bun-cache-');
const temps = [shelfCache, bunCache];
const figures = { warm: { shelf: [], bun: [] }, empty: { shelf: [], bun: [] } };
const profiles = {};
try {
  // bun's lockfile, migrated once from the fixture's package-lock.json (the same versions), untimed.
  const migrate = project('bun');
  const m = await runMeasured(peers.bun, ['install', '--lockfile-only', '--ignore-scripts', '--no-progress'], {
    cwd: migrate,
    env: bunEnv(bunCache),
    timeoutMs: 900_000,
  });
  if (m.code !== 0 || !existsSync(join(migrate, 'bun.lock')))
    throw new Error(`bun could not migrate the lockfile (${m.code}): ${m.stderr.slice(-2000)}`);
  const bunLock = readFileSync(join(migrate, 'bun.lock'), 'utf8');
  rmSync(migrate, { recursive: true, force: true });
  const w1 = await shelfInstall(shelfCache);
  const w2 = await bunInstall(bunCache, bunLock);
  log(
    ID,
    `warm-ups: shelf install ${(w1.ms / 1000).toFixed(2)} s (${w1.packages} packages), bun ${(w2.ms / 1000).toFixed(2)} s (${w2.packages} packages)`,
  );
  // The order flips every run, and the kernel's dirty pages (the last run's 88,000 files written and deleted) are
  // flushed before each timed run, so no tool pays for the writeback of another's files.
  const order = (i) => (i % 2 ? ['bun', 'shelf'] : ['shelf', 'bun']);
  for (let i = 0; i < args.runs; i++) {
    for (const key of order(i)) {
      flushDisks();
      const r = key === 'shelf' ? await shelfInstall(shelfCache) : await bunInstall(bunCache, bunLock);
      figures.warm[key].push({ ...r, report: r.report && { ...r.report, skipped: r.report.skipped?.length } });
      log(ID, `warm ${key} run ${i + 1}: ${(r.ms / 1000).toFixed(2)} s, peak RSS ${r.peakRssMB} MB, ${r.packages} packages`);
    }
    for (const key of order(i)) {
      const fresh = tempDir(`shelf-bench-16i-empty-${key}-`);
      flushDisks();
      const r = key === 'shelf' ? await shelfInstall(fresh) : await bunInstall(fresh, bunLock);
      rmSync(fresh, { recursive: true, force: true });
      figures.empty[key].push({ ...r, report: r.report && { ...r.report, skipped: r.report.skipped?.length } });
      log(ID, `empty-cache ${key} run ${i + 1}: ${(r.ms / 1000).toFixed(2)} s, peak RSS ${r.peakRssMB} MB, ${r.packages} packages`);
    }
  }
  result.raw.figures = figures;
  const s = (list, f = (r) => r.ms / 1000) => summarize(list.map(f));
  const t = {
    warm: { shelf: s(figures.warm.shelf), bun: s(figures.warm.bun) },
    empty: { shelf: s(figures.empty.shelf), bun: s(figures.empty.bun) },
  };
  const rss = (mode, k) => s(figures[mode][k], (r) => r.peakRssMB);
  // Each run's two installs were taken back to back: the ratio is the median of the runs' ratios, which cancels the drift
  // between runs that a ratio of two medians keeps (on this machine both tools slowed 2.5× from the first run to the third).
  const pairs = Object.fromEntries(
    ['warm', 'empty'].map((mode) => [mode, summarize(figures[mode].shelf.map((r, i) => ratio(r.ms, figures[mode].bun[i]?.ms, 3)))]),
  );
  const ratioOf = (mode) => round(pairs[mode].median, 2);
  const met = { warm: ratioOf('warm') <= 1, empty: ratioOf('empty') <= 1 };
  for (const mode of ['warm', 'empty']) {
    if (met[mode]) continue;
    const dir = tempDir(`shelf-bench-16i-prof-${mode}-`);
    const cache = mode === 'warm' ? shelfCache : tempDir('shelf-bench-16i-prof-cache-');
    if (mode !== 'warm') temps.push(cache);
    temps.push(dir);
    await shelfInstall(cache, ['--cpu-prof', `--cpu-prof-dir=${dir}`]);
    profiles[mode] = allProfiles(dir)
      .map((f) => summarizeProfile(f, 12))
      .sort((a, b) => b.totalMs - a.totalMs)[0];
  }
  result.raw.profiles = profiles;
  const lastReport = figures.warm.shelf.at(-1)?.report ?? {};
  const linkNote =
    lastReport.filesCopied === undefined
      ? ''
      : `; Shelf hard-linked ${lastReport.filesLinked} files and copied ${lastReport.filesCopied}${lastReport.copyReason ? ` (${lastReport.copyReason})` : ''}`;
  for (const mode of ['warm', 'empty'])
    result.tables.push({
      title: `Install ${FIXTURE} from its lockfile into an empty node_modules, ${mode === 'warm' ? 'warm caches' : 'empty caches (warm mirror)'}`,
      short: `Install, ${mode === 'warm' ? 'warm cache' : 'empty cache'}`,
      measured: `wall time and peak RSS (client process tree) of installing into a fresh folder; ${mode === 'warm' ? "each tool's cache filled by an untimed install first" : 'a fresh, empty cache folder for each run'}; median of ${args.runs} runs (min–max), interleaved, the order flipped every run, \`sync\` before each${mode === 'warm' ? linkNote : ''}`,
      command: `node bin/shelf.js install --registry <shelf> --cache <${mode}> --json  vs  BUN_INSTALL_CACHE_DIR=<${mode}> bun install --frozen-lockfile --ignore-scripts (bunfig.toml: registry = <shelf>)`,
      peer: `bun ${result.peers.bun ?? ''}`,
      rows: [
        {
          metric: `install time (ratio: median of the runs' back-to-back ratios, ${pairs[mode].runs.map((x) => round(x, 2)).join(', ')})`,
          unit: 's',
          shelf: t[mode].shelf,
          peer: t[mode].bun,
          ratio: ratioOf(mode),
          target: '≤ 1× bun',
          met: met[mode],
        },
        {
          metric: 'peak RSS',
          unit: 'MB',
          shelf: rss(mode, 'shelf'),
          peer: rss(mode, 'bun'),
          ratio: ratio(rss(mode, 'shelf').median, rss(mode, 'bun').median),
        },
        {
          metric: 'packages in node_modules (folders with a package.json)',
          unit: '',
          shelf: { median: figures[mode].shelf[0]?.packages },
          peer: { median: figures[mode].bun[0]?.packages },
        },
      ],
    });
  for (const [mode, summary] of Object.entries(profiles))
    result.notes.push(
      `Missed (${mode} cache): the profile of one more \`shelf install\` run under --cpu-prof (main thread): ${profileText(summary, 12)}.`,
    );
  result.notes.push(
    `Both clients asked the same Shelf (\`shelf serve\` on the warm mirror, its own process, not counted in the clients' figures); no install scripts ran. bun ${result.peers.bun} is installed by the harness into ${peerPaths().dir}; its lockfile is the one it migrates from the fixture's package-lock.json.`,
  );
} finally {
  await shelf.stop();
  for (const d of temps) rmSync(d, { recursive: true, force: true });
}
writeResult(result);
