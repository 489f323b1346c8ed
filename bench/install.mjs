// Benchmark: `shelf install` with a warm tarball cache and a lockfile vs `npm ci --offline` with a warm npm cache, same tree, same registry.
//
// node bench/install.mjs [--tree cra|small] [--runs 3] [--keep]
// Registry: a `shelf serve` on loopback mirroring a synthetic upstream built from the tree's package-lock.json (every
// name@version, tiny tarballs — so this measures per-package overhead, not bytes; real tarballs are larger). No network.
// Both tools install from the same lockfile (written once by `shelf lock`); node_modules is removed before each run.
// Prints JSON on stdout and writes bench/results/install.json. Wall time and peak RSS come from /usr/bin/time.
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ROOT, arg, fixtureRegistry, log, median, npmEnv, round, timed, writeResult } from './resolve.mjs';

const SHELF_BIN = join(ROOT, 'bin', 'shelf.js');
const TREES = resolve(ROOT, '..', 'shared', 'fixtures', 'trees');
const say = (...parts) => log('(install)', ...parts);

async function main() {
  const tree = String(arg('tree', 'cra'));
  const runs = Number(arg('runs', 3));
  const registry = await fixtureRegistry(tree);
  const base = `${registry.url}/`;
  const work = mkdtempSync(join(os.tmpdir(), 'shelf-bench-install-'));
  const cache = join(work, 'shelf-cache');
  const npmHome = join(work, 'npm-home');
  mkdirSync(npmHome);
  const env = npmEnv(npmHome, base);
  const project = join(work, 'project');
  mkdirSync(project);
  copyFileSync(join(TREES, tree, 'package.json'), join(project, 'package.json'));
  const clean = () => rmSync(join(project, 'node_modules'), { recursive: true, force: true });
  try {
    say(`registry ${base} (Shelf mirroring a synthetic upstream, ${registry.versions} versions; no network)`);
    const lock = await timed(process.execPath, [SHELF_BIN, 'lock', project, '--registry', base, '--json'], { cwd: project });
    if (lock.code !== 0) throw new Error(`shelf lock failed: ${lock.stderr.slice(-2000)}`);
    // Warm both caches: one shelf install fills its tarball cache, one npm ci fills npm's.
    const shelfArgs = [SHELF_BIN, 'install', project, '--registry', base, '--cache', cache, '--json'];
    const npmArgs = ['ci', '--offline', '--ignore-scripts', '--no-audit', '--no-fund', '--registry', base];
    clean();
    const warmShelf = await timed(process.execPath, shelfArgs, { cwd: project });
    if (warmShelf.code !== 0) throw new Error(`shelf install failed: ${warmShelf.stderr.slice(-2000)}`);
    say(`shelf install (warm-up, cold cache): ${warmShelf.seconds} s`);
    clean();
    const warmNpm = await timed('npm', ['ci', '--prefer-online', '--ignore-scripts', '--no-audit', '--no-fund', '--registry', base], {
      cwd: project,
      env,
    });
    if (warmNpm.code !== 0) throw new Error(`npm ci failed: ${warmNpm.stderr.slice(-2000)}`);
    say(`npm ci (warm-up, cold cache): ${warmNpm.seconds} s`);
    const installed = readdirSync(join(project, 'node_modules')).length;

    const shelfRuns = [];
    const npmRuns = [];
    for (let i = 1; i <= runs; i++) {
      clean();
      const r = await timed(process.execPath, shelfArgs, { cwd: project });
      if (r.code !== 0) throw new Error(`shelf install failed: ${r.stderr.slice(-2000)}`);
      const report = JSON.parse(r.stdout);
      say(
        `shelf install run ${i}: ${r.seconds} s (${r.cpuSeconds} s CPU), ${r.peakMB} MB peak, ${report.downloads ?? '?'} downloads, ${report.cacheHits ?? '?'} cache hits`,
      );
      shelfRuns.push({
        seconds: r.seconds,
        cpuSeconds: r.cpuSeconds,
        peakMB: r.peakMB,
        installed: report.installed,
        downloads: report.downloads,
        cacheHits: report.cacheHits,
      });
      clean();
      const n = await timed('npm', npmArgs, { cwd: project, env });
      if (n.code !== 0) throw new Error(`npm ci --offline failed: ${n.stderr.slice(-2000)}`);
      say(`npm ci --offline run ${i}: ${n.seconds} s (${n.cpuSeconds} s CPU), ${n.peakMB} MB peak`);
      npmRuns.push({ seconds: n.seconds, cpuSeconds: n.cpuSeconds, peakMB: n.peakMB });
    }
    const shelfMedian = median(shelfRuns.map((r) => r.seconds));
    const npmMedian = median(npmRuns.map((r) => r.seconds));
    writeResult('install', {
      id: 'install',
      title: `Install ../shared/fixtures/trees/${tree} from a lockfile with a warm cache: shelf install vs npm ci --offline`,
      registry: `shelf serve on loopback mirroring a synthetic upstream built from ${tree}/package-lock.json (${registry.versions} versions, tiny tarballs); no network`,
      machine: { cpus: os.cpus().length, node: process.version, loadavg: os.loadavg().map((x) => round(x, 2)) },
      runs,
      topLevelEntries: installed,
      shelf: {
        medianSeconds: shelfMedian,
        medianCpuSeconds: median(shelfRuns.map((r) => r.cpuSeconds)),
        peakMB: Math.max(...shelfRuns.map((r) => r.peakMB)),
        runs: shelfRuns,
      },
      npm: {
        medianSeconds: npmMedian,
        medianCpuSeconds: median(npmRuns.map((r) => r.cpuSeconds)),
        peakMB: Math.max(...npmRuns.map((r) => r.peakMB)),
        runs: npmRuns,
      },
      speedup: round(npmMedian / shelfMedian, 1),
      target: { speedup: 5, met: npmMedian / shelfMedian >= 5 },
    });
  } finally {
    await registry.stop();
    if (!arg('keep', false)) rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((error) => {
    console.error(`[resolve] (install) failed: ${error.stack ?? error}`);
    process.exit(1);
  });
}
