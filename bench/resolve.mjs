// Benchmark: `shelf lock` vs `npm install --package-lock-only --prefer-offline` resolving a fixture tree against the same warm local registry.
//
// node bench/resolve.mjs [--tree cra|small] [--runs 3] [--keep]
// The registry is a synthetic one built from the tree's own package-lock.json (every name@version it records, with its
// dependency/peer/optional/engines/bin/os/cpu/license fields, as tiny tarballs), served by a fixture upstream on
// loopback and mirrored by a `shelf serve`; a warm-up run fills the mirror, so measured runs hit a warm local mirror.
// No network. (Publishing to Shelf directly is impossible for real trees: names such as `events` are refused.)
// Prints JSON on stdout and writes bench/results/resolve.json. Wall time and peak RSS come from /usr/bin/time.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compareLocks, serveLockfile } from '../test/fixtures/lock-registry.mjs';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SHELF_BIN = join(ROOT, 'bin', 'shelf.js');
const TREES = resolve(ROOT, '..', 'shared', 'fixtures', 'trees');

export function arg(name, fallback) {
  const argv = process.argv.slice(2);
  const i = argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const next = argv[i + 1];
  return next === undefined || next.startsWith('--') ? true : next;
}

export const log = (...parts) => console.error('[resolve]', ...parts);
export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
export const round = (x, d = 2) => Math.round(x * 10 ** d) / 10 ** d;

/** Runs a command under /usr/bin/time; returns wall seconds, peak RSS (MB) of the largest process, exit code and output. */
export function timed(cmd, args, { cwd, env } = {}) {
  return new Promise((resolveRun) => {
    const child = spawn('/usr/bin/time', ['-f', '__TIME__ %e %M %U %S', cmd, ...args], {
      cwd,
      env: env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('exit', (code) => {
      const m = /__TIME__ ([\d.]+) (\d+) ([\d.]+) ([\d.]+)/.exec(stderr);
      resolveRun({
        code,
        seconds: m ? Number(m[1]) : NaN,
        peakMB: m ? round(Number(m[2]) / 1024, 0) : NaN,
        // CPU seconds (user + system) of the measured process: steadier than wall time on a shared machine.
        cpuSeconds: m ? round(Number(m[3]) + Number(m[4])) : NaN,
        stdout,
        stderr: stderr.replace(/__TIME__.*\n?/, ''),
      });
    });
  });
}

/** Starts `shelf serve` (the built CLI) on a free loopback port over `dataDir`, mirroring `upstream`; returns { url, stop }. */
export async function startShelf(dataDir, upstream) {
  if (!existsSync(join(ROOT, 'out', 'main', 'cli.js'))) throw new Error('Shelf is not built: run `npx electron-vite build` first');
  const child = spawn(
    process.execPath,
    [
      SHELF_BIN,
      'serve',
      '--host',
      '127.0.0.1',
      '--port',
      '0',
      '--data-dir',
      dataDir,
      '--upstream',
      upstream,
      '--cache-max-age',
      '1h',
      '--log-level',
      'warn',
    ],
    {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  // Never outlive this script, even when it crashes.
  const reap = () => child.kill('SIGTERM');
  process.once('exit', reap);
  let errText = '';
  child.stderr.on('data', (c) => (errText += c));
  const url = await new Promise((res, rej) => {
    let out = '';
    const timer = setTimeout(() => rej(new Error(`shelf serve did not start within 60 s: ${out}${errText}`)), 60_000);
    child.stdout.on('data', (c) => {
      out += c;
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        res(m[1].replace(/\/$/, ''));
      }
    });
    child.once('exit', (code) => rej(new Error(`shelf serve exited with ${code}: ${out}${errText}`)));
  });
  return {
    url,
    pid: child.pid,
    stop: () =>
      new Promise((res) => {
        if (child.exitCode !== null) return res();
        child.once('exit', () => res());
        child.kill('SIGTERM');
      }),
  };
}

/** A fixture upstream serving the tree's synthetic registry and a Shelf mirroring it on a fresh data folder. */
export async function fixtureRegistry(tree) {
  const lockPath = join(TREES, tree, 'package-lock.json');
  const upstream = await serveLockfile(lockPath);
  const dataDir = mkdtempSync(join(os.tmpdir(), 'shelf-bench-data-'));
  const shelf = await startShelf(dataDir, `${upstream.url}/`);
  return {
    ...shelf,
    lockPath,
    upstream,
    versions: upstream.versions,
    stop: async () => {
      await shelf.stop();
      await upstream.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export function npmEnv(home, registry) {
  const npmrc = join(home, '.npmrc');
  writeFileSync(npmrc, `registry=${registry}\naudit=false\nfund=false\nupdate-notifier=false\n`);
  const env = { ...process.env, HOME: home, npm_config_userconfig: npmrc, npm_config_cache: join(home, 'cache') };
  for (const key of Object.keys(env))
    if (key.startsWith('npm_config_') && !['npm_config_userconfig', 'npm_config_cache'].includes(key)) delete env[key];
  return env;
}

export function writeResult(name, result) {
  const dir = join(ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${name}.json`), `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}

async function main() {
  const tree = String(arg('tree', 'cra'));
  const runs = Number(arg('runs', 3));
  const registry = await fixtureRegistry(tree);
  const base = `${registry.url}/`;
  const work = mkdtempSync(join(os.tmpdir(), 'shelf-bench-resolve-'));
  const npmHome = join(work, 'npm-home');
  mkdirSync(npmHome);
  const env = npmEnv(npmHome, base);
  const project = (label) => {
    const dir = join(work, label);
    mkdirSync(dir, { recursive: true });
    copyFileSync(join(TREES, tree, 'package.json'), join(dir, 'package.json'));
    rmSync(join(dir, 'package-lock.json'), { force: true });
    return dir;
  };
  try {
    log(
      `registry ${base} (Shelf mirroring a synthetic upstream, ${registry.versions} versions from ${tree}/package-lock.json; no network)`,
    );
    const shelfRuns = [];
    const npmRuns = [];
    // One warm-up each: Shelf renders its packuments once, npm fills its cache.
    for (let i = 0; i <= runs; i++) {
      const dir = project(`shelf-${i}`);
      const r = await timed(process.execPath, [SHELF_BIN, 'lock', dir, '--registry', base, '--json'], { cwd: dir });
      if (r.code !== 0) throw new Error(`shelf lock failed: ${r.stderr.slice(-2000)}`);
      const inner = JSON.parse(r.stdout);
      log(
        `shelf lock ${i === 0 ? '(warm-up)' : `run ${i}`}: ${r.seconds} s wall, ${r.cpuSeconds} s CPU, ${inner.ms} ms resolving, ${r.peakMB} MB peak`,
      );
      if (i > 0)
        shelfRuns.push({ seconds: r.seconds, cpuSeconds: r.cpuSeconds, resolveMs: inner.ms, peakMB: r.peakMB, packages: inner.packages });
    }
    for (let i = 0; i <= runs; i++) {
      const dir = project(`npm-${i}`);
      const r = await timed('npm', ['install', '--package-lock-only', '--ignore-scripts', '--prefer-offline', '--registry', base], {
        cwd: dir,
        env,
      });
      if (r.code !== 0) throw new Error(`npm install failed: ${r.stderr.slice(-2000)}`);
      log(
        `npm install --package-lock-only ${i === 0 ? '(warm-up, cold cache)' : `run ${i}`}: ${r.seconds} s wall, ${r.cpuSeconds} s CPU, ${r.peakMB} MB peak`,
      );
      if (i > 0) npmRuns.push({ seconds: r.seconds, cpuSeconds: r.cpuSeconds, peakMB: r.peakMB });
    }
    const shelfLock = JSON.parse(readFileSync(join(work, 'shelf-1', 'package-lock.json'), 'utf8'));
    const npmLock = JSON.parse(readFileSync(join(work, 'npm-1', 'package-lock.json'), 'utf8'));
    const agreement = compareLocks(npmLock, shelfLock);
    const original = compareLocks(JSON.parse(readFileSync(registry.lockPath, 'utf8')), shelfLock);
    const shelfMedian = median(shelfRuns.map((r) => r.seconds));
    const npmMedian = median(npmRuns.map((r) => r.seconds));
    writeResult('resolve', {
      id: 'resolve',
      title: `Resolve ../shared/fixtures/trees/${tree}: shelf lock vs npm install --package-lock-only --prefer-offline`,
      registry: `shelf serve on loopback mirroring a synthetic upstream built from ${tree}/package-lock.json (${registry.versions} versions); warm after one unmeasured run each; no network`,
      machine: { cpus: os.cpus().length, node: process.version, npm: (await timed('npm', ['-v'])).stdout.trim() },
      runs,
      loadavgAtEnd: os.loadavg().map((x) => round(x, 2)),
      shelf: {
        medianSeconds: shelfMedian,
        medianCpuSeconds: median(shelfRuns.map((r) => r.cpuSeconds)),
        medianResolveMs: median(shelfRuns.map((r) => r.resolveMs)),
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
      targets: { seconds: 1.5, peakMB: 250, met: shelfMedian <= 1.5 && Math.max(...shelfRuns.map((r) => r.peakMB)) <= 250 },
      agreementWithNpm: {
        entries: agreement.total,
        identical: agreement.same,
        ratio: round(agreement.ratio, 4),
        differences: agreement.differences.slice(0, 50),
      },
      agreementWithOriginalLock: { entries: original.total, identical: original.same, ratio: round(original.ratio, 4) },
    });
  } finally {
    await registry.stop();
    if (!arg('keep', false)) rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((error) => {
    console.error(`[resolve] failed: ${error.stack ?? error}`);
    process.exit(1);
  });
}
