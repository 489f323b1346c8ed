// Benchmark 16 (issue 16): resolution (package.json → lockfile) of the cra fixture, `shelf lock` against bun
// (`bun install --lockfile-only`), both through one Shelf serving the warm mirror that benchmark 7 filled:
//   - warm: each tool's own metadata cache warmed by an untimed run first; both with --prefer-offline (cached documents
//     used without asking), and each tool's default alongside;
//   - empty: Shelf with an empty metadata cache (a fresh data folder), bun with an empty cache folder, each run.
// Wall time and peak RSS of the client's process tree. Where Shelf misses a target, one more run under --cpu-prof gives
// the profile summarized beside the figures. bun comes from the peers folder (bench/lib/peers.mjs), never the project.
// If the mirror is missing it is filled by running bench/07-install.mjs first (that step uses the default registry).
// (quick: the `small` fixture.) Run alone: node bench/16-lock-vs-bun.mjs [--quick] [--runs N]
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
  runMeasured,
  startShelf,
  summarize,
  tempDir,
  warmMirror,
  writeResult,
} from './lib/common.mjs';

const ID = '16-lock-vs-bun';
const args = parseArgs();
const peers = ensurePeers();
const FIXTURE = args.quick ? 'small' : 'cra';
const fixtureDir = join(FIXTURES, FIXTURE);
const registry = npmRegistry();
const result = newResult(ID, `Resolution of the ${FIXTURE} fixture: shelf lock vs bun, warm and empty caches`, args);

const { mirrorDir, filled } = await warmMirror(ID, FIXTURE, args, registry);
// Shelf keeps its upstream so the untimed warm-ups can fetch what resolution needs beyond the fixture's lockfile
// (optional peers); --cache-max-age 1h keeps the measured runs from revalidating: they are served from the warm mirror.
const shelf = await startShelf({ dataDir: join(mirrorDir, 'shelf'), upstream: registry, extraArgs: ['--cache-max-age', '1h'] });
result.upstream = `${registry} — ${filled ? "used to pre-fill the mirror (bench 7's pre-fill step) and " : ''}kept as Shelf's upstream so the untimed warm-ups can fetch the few documents resolution needs beyond the fixture's lockfile; the measured runs are served from the warm mirror`;

function project(tool) {
  const dir = tempDir(`shelf-bench-16l-${tool}-`);
  cpSync(join(fixtureDir, 'package.json'), join(dir, 'package.json'));
  if (tool === 'bun') writeFileSync(join(dir, 'bunfig.toml'), `[install]\nregistry = "${shelf.url}/"\n`);
  return dir;
}

/** Entries in the written lockfile: npm's packages (less the root) or bun.lock's packages (JSON with trailing commas). */
function entries(dir, tool) {
  try {
    if (tool === 'shelf')
      return Object.keys(JSON.parse(readFileSync(join(dir, 'package-lock.json'), 'utf8')).packages).filter(Boolean).length;
    const text = readFileSync(join(dir, 'bun.lock'), 'utf8').replace(/,(\s*[}\]])/g, '$1');
    return Object.keys(JSON.parse(text).packages).length;
  } catch {
    return undefined;
  }
}

async function shelfLock({ data, flags = [], nodeArgs = [] }) {
  const dir = project('shelf');
  const r = await runMeasured(process.execPath, [...nodeArgs, SHELF_BIN, 'lock', '--registry', `${shelf.url}/`, '--json', ...flags], {
    cwd: dir,
    env: { ...process.env, SHELF_DATA_DIR: data },
    timeoutMs: 900_000,
  });
  const n = entries(dir, 'shelf');
  rmSync(dir, { recursive: true, force: true });
  if (r.code !== 0) throw new Error(`shelf lock ${flags.join(' ')} failed (${r.code}): ${r.stderr.slice(-2000)}`);
  return { ms: r.ms, peakRssMB: r.peakRssMB, entries: n };
}

async function bunLock({ cache, flags = [] }) {
  const dir = project('bun');
  const r = await runMeasured(peers.bun, ['install', '--lockfile-only', '--ignore-scripts', '--no-progress', '--no-summary', ...flags], {
    cwd: dir,
    env: { ...process.env, BUN_INSTALL_CACHE_DIR: cache, DO_NOT_TRACK: '1' },
    timeoutMs: 900_000,
  });
  const n = entries(dir, 'bun');
  rmSync(dir, { recursive: true, force: true });
  if (r.code !== 0) throw new Error(`bun install --lockfile-only ${flags.join(' ')} failed (${r.code}): ${r.stderr.slice(-2000)}`);
  return { ms: r.ms, peakRssMB: r.peakRssMB, entries: n };
}

/** pnpm 10, for reference (the table has it): its own store and metadata cache, warmed like the others. */
async function pnpmLock({ home, flags = [] }) {
  const dir = project('pnpm');
  const r = await runMeasured(
    process.execPath,
    [
      peers.pnpm,
      'install',
      '--lockfile-only',
      '--ignore-scripts',
      `--registry=${shelf.url}/`,
      `--store-dir=${join(home, 'store')}`,
      `--cache-dir=${join(home, 'cache')}`,
      '--reporter=silent',
      ...flags,
    ],
    { cwd: dir, timeoutMs: 900_000 },
  );
  rmSync(dir, { recursive: true, force: true });
  if (r.code !== 0) throw new Error(`pnpm install --lockfile-only failed (${r.code}): ${r.stderr.slice(-2000)}${r.stdout.slice(-1000)}`);
  return { ms: r.ms, peakRssMB: r.peakRssMB };
}

const warmData = tempDir('shelf-bench-16l-data-');
const warmBunCache = tempDir('shelf-bench-16l-bun-cache-');
const warmPnpm = tempDir('shelf-bench-16l-pnpm-');
const temps = [warmData, warmBunCache, warmPnpm];
const figures = {
  warm: { shelf: [], bun: [], shelfDefault: [], bunDefault: [], pnpm: [] },
  empty: { shelf: [], bun: [] },
  floor: { node: [], shelfStart: [] },
};

/** The floor under any Node CLI, measured in the same run: Node starting and exiting, and Shelf's CLI loading. */
async function floorRun(key) {
  const args = key === 'node' ? ['-e', '0'] : [SHELF_BIN, '--version'];
  const r = await runMeasured(process.execPath, args, { timeoutMs: 60_000 });
  if (r.code !== 0) throw new Error(`${args.join(' ')} failed (${r.code}): ${r.stderr.slice(-500)}`);
  return { ms: r.ms, peakRssMB: r.peakRssMB };
}
const profiles = {};
try {
  const w1 = await shelfLock({ data: warmData });
  const w2 = await bunLock({ cache: warmBunCache });
  const w3 = await pnpmLock({ home: warmPnpm });
  log(ID, `warm-up: pnpm ${(w3.ms / 1000).toFixed(2)} s`);
  log(
    ID,
    `warm-ups: shelf lock ${(w1.ms / 1000).toFixed(2)} s (${w1.entries} entries), bun ${(w2.ms / 1000).toFixed(2)} s (${w2.entries} entries)`,
  );
  for (let i = 0; i < args.runs; i++) {
    const runs = [
      ['shelf', () => shelfLock({ data: warmData, flags: ['--prefer-offline'] })],
      ['bun', () => bunLock({ cache: warmBunCache, flags: ['--prefer-offline'] })],
      ['shelfDefault', () => shelfLock({ data: warmData })],
      ['bunDefault', () => bunLock({ cache: warmBunCache })],
      ['pnpm', () => pnpmLock({ home: warmPnpm, flags: ['--prefer-offline'] })],
    ];
    for (const [key, run] of runs) {
      const r = await run();
      figures.warm[key].push(r);
      log(ID, `warm ${key} run ${i + 1}: ${(r.ms / 1000).toFixed(2)} s, peak RSS ${r.peakRssMB} MB, ${r.entries} entries`);
    }
    for (const key of ['node', 'shelfStart']) figures.floor[key].push(await floorRun(key));
    for (const key of ['shelf', 'bun']) {
      const fresh = tempDir(`shelf-bench-16l-empty-${key}-`);
      const r = key === 'shelf' ? await shelfLock({ data: fresh }) : await bunLock({ cache: fresh });
      rmSync(fresh, { recursive: true, force: true });
      figures.empty[key].push(r);
      log(ID, `empty-cache ${key} run ${i + 1}: ${(r.ms / 1000).toFixed(2)} s, peak RSS ${r.peakRssMB} MB, ${r.entries} entries`);
    }
  }
  result.raw.figures = figures;
  const s = (list, f = (r) => r.ms / 1000) => summarize(list.map(f));
  const t = Object.fromEntries(
    Object.entries(figures).flatMap(([mode, byTool]) => Object.entries(byTool).map(([k, v]) => [`${mode}.${k}`, s(v)])),
  );
  const m = Object.fromEntries(
    Object.entries(figures).flatMap(([mode, byTool]) => Object.entries(byTool).map(([k, v]) => [`${mode}.${k}`, s(v, (r) => r.peakRssMB)])),
  );
  const warmRatio = ratio(t['warm.shelf'].median, t['warm.bun'].median);
  const emptyRatio = ratio(t['empty.shelf'].median, t['empty.bun'].median);
  const met = {
    warmTime: warmRatio <= 0.8,
    warmRss: m['warm.shelf'].median <= 100,
    emptyTime: emptyRatio <= 1,
  };
  // Profiles of one more Shelf run where a target was missed.
  for (const [mode, missed] of [
    ['warm', !met.warmTime || !met.warmRss],
    ['empty', !met.emptyTime],
  ]) {
    if (!missed) continue;
    const dir = tempDir(`shelf-bench-16l-prof-${mode}-`);
    const data = mode === 'warm' ? warmData : tempDir('shelf-bench-16l-prof-data-');
    if (mode !== 'warm') temps.push(data);
    temps.push(dir);
    await shelfLock({ data, flags: mode === 'warm' ? ['--prefer-offline'] : [], nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${dir}`] });
    const summaries = allProfiles(dir).map((f) => summarizeProfile(f, 12));
    profiles[mode] = summaries.sort((a, b) => b.totalMs - a.totalMs)[0];
  }
  result.raw.profiles = profiles;
  result.raw.entries = { shelf: figures.warm.shelf[0]?.entries, bun: figures.warm.bun[0]?.entries };
  result.tables.push({
    title: `Resolve ${FIXTURE} (package.json only) through Shelf on the warm mirror, warm caches`,
    short: 'Resolution, warm',
    measured: `wall time and peak RSS (client process tree, sampled every 50 ms) of writing a lockfile from package.json; each tool's cache warmed by an untimed run against this Shelf; median of ${args.runs} runs (min–max), interleaved`,
    command: `SHELF_DATA_DIR=<warm> node bin/shelf.js lock --registry <shelf> --json --prefer-offline  vs  BUN_INSTALL_CACHE_DIR=<warm> bun install --lockfile-only --prefer-offline --ignore-scripts (bunfig.toml: registry = <shelf>)`,
    peer: `bun ${result.peers.bun ?? ''}`,
    rows: [
      {
        metric: 'resolution time, both --prefer-offline',
        unit: 's',
        shelf: t['warm.shelf'],
        peer: t['warm.bun'],
        ratio: warmRatio,
        target: '≤ 0.8× bun',
        met: met.warmTime,
      },
      {
        metric: 'peak RSS, both --prefer-offline',
        unit: 'MB',
        shelf: m['warm.shelf'],
        peer: m['warm.bun'],
        ratio: ratio(m['warm.shelf'].median, m['warm.bun'].median),
        target: 'Shelf ≤ 100 MB',
        met: met.warmRss,
      },
      {
        metric: "each tool's default (Shelf revalidates every document by ETag; bun by its own cache rules)",
        unit: 's',
        shelf: t['warm.shelfDefault'],
        peer: t['warm.bunDefault'],
        ratio: ratio(t['warm.shelfDefault'].median, t['warm.bunDefault'].median),
        target: '≤ 0.8× bun',
        met: ratio(t['warm.shelfDefault'].median, t['warm.bunDefault'].median) <= 0.8,
      },
      {
        metric: `for reference: pnpm ${result.peers.pnpm ?? ''} --lockfile-only --prefer-offline, its store warmed (peak RSS ${m['warm.pnpm'].median ?? '—'} MB)`,
        unit: 's',
        shelf: t['warm.shelf'],
        peer: t['warm.pnpm'],
        ratio: ratio(t['warm.shelf'].median, t['warm.pnpm'].median),
      },
      {
        metric:
          "the floor of any Node CLI, same run: `node -e 0` (Node starting and exiting); 0.8× bun's --prefer-offline time is below it when the ratio is over 0.8",
        unit: 's',
        shelf: t['floor.node'],
        peer: t['warm.bun'],
        ratio: ratio(t['floor.node'].median, t['warm.bun'].median),
      },
      {
        metric: '`shelf --version` (Node plus loading the CLI, no work)',
        unit: 's',
        shelf: t['floor.shelfStart'],
        peer: t['warm.bun'],
        ratio: ratio(t['floor.shelfStart'].median, t['warm.bun'].median),
      },
      {
        metric: 'lockfile entries (Shelf: package-lock packages; bun: bun.lock packages)',
        unit: '',
        shelf: { median: result.raw.entries.shelf },
        peer: { median: result.raw.entries.bun },
      },
    ],
  });
  result.tables.push({
    title: `Resolve ${FIXTURE} through Shelf on the warm mirror, empty client caches`,
    short: 'Resolution, empty cache',
    measured: `as above, with a fresh, empty metadata cache (Shelf: data folder; bun: BUN_INSTALL_CACHE_DIR) on every run; the mirror stays warm; median of ${args.runs} runs (min–max), interleaved`,
    command: `SHELF_DATA_DIR=<empty> node bin/shelf.js lock --registry <shelf> --json  vs  BUN_INSTALL_CACHE_DIR=<empty> bun install --lockfile-only --ignore-scripts`,
    peer: `bun ${result.peers.bun ?? ''}`,
    rows: [
      {
        metric: 'resolution time',
        unit: 's',
        shelf: t['empty.shelf'],
        peer: t['empty.bun'],
        ratio: emptyRatio,
        target: '≤ 1× bun',
        met: met.emptyTime,
      },
      {
        metric: 'peak RSS',
        unit: 'MB',
        shelf: m['empty.shelf'],
        peer: m['empty.bun'],
        ratio: ratio(m['empty.shelf'].median, m['empty.bun'].median),
      },
    ],
  });
  for (const [mode, summary] of Object.entries(profiles))
    result.notes.push(
      `Missed (${mode} cache): the profile of one more \`shelf lock\` run under --cpu-prof (main thread): ${profileText(summary, 12)}.`,
    );
  result.notes.push(
    `Both clients asked the same Shelf (\`shelf serve\` on the warm mirror, its own process, not counted in the clients' figures). bun ${result.peers.bun} is installed by the harness into ${peerPaths().dir}.`,
  );
} finally {
  await shelf.stop();
  for (const d of temps) rmSync(d, { recursive: true, force: true });
}
writeResult(result);
