// Runs Verdaccio's vendor-neutral conformance suite (@verdaccio/e2e-cli) against a real `shelf serve` and reads its
// results: shared by the conformance test files (loopback, and a server on 0.0.0.0 reached by another name).
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, request as httpRequest, type Server } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, cleanEnv } from '../helpers/shelf-process';
import { ensurePnpm11 } from '../helpers/tool-pnpm11';

export interface SuiteRun {
  adapter: string;
  type: string;
  passed: number;
  failed: number;
  skipped: number;
  tests: { name: string; passed: boolean; error?: string; subTests?: { label: string; passed: boolean; error?: string }[] }[];
  skips: { name: string; reason: string }[];
  /** Set when the suite refuses the client itself (its version), with the suite's words. */
  unavailable?: string;
}

/**
 * The four clients: npm (the one running the tests), yarn 4 and bun from this project's own dependencies, and pnpm 11 on
 * Node 22 from the test tools' cache (the suite accepts pnpm 11+ only, which needs Node 22; installed once per machine).
 */
export function clients(): string[] {
  const npm = execFileSync('sh', ['-c', 'command -v npm'], { encoding: 'utf8' }).trim();
  return [
    `npm=${npm}`,
    `pnpm=${ensurePnpm11().pnpm}`,
    `yarn-modern=${join(ROOT, 'node_modules', '@yarnpkg', 'cli-dist', 'bin', 'yarn.js')}`,
    `bun=${join(ROOT, 'node_modules', '.bin', 'bun')}`,
  ];
}

/**
 * What the suite (4.x) cannot run per client, by its own gating: commands its adapter lacks, scenarios it runs once with
 * npm or only for pnpm 11.1+, tests that return at once for other clients, and yarn's plugins it downloads from the
 * public registry. Anything else skipped is a test that stopped running, and fails the check.
 */
export const EXPECTED_SKIPS: Record<string, string[]> = {
  npm: ['login', 'scenario:minimum-release-age'],
  pnpm: [
    'audit',
    'dist-tags',
    'login',
    'ping',
    'scenario:metadata',
    'scenario:reserved-names',
    'scenario:search',
    'scenario:tarballs',
    'scenario:uplink-failure',
    'search',
  ],
  'yarn-modern': [
    'audit',
    'deprecate',
    'dist-tags',
    'login',
    'ping',
    'scenario:metadata',
    'scenario:minimum-release-age',
    'scenario:reserved-names',
    'scenario:search',
    'scenario:tarballs',
    'scenario:uplink-failure',
    'search',
    'unpublish',
  ],
  bun: [
    'deprecate',
    'dist-tags',
    'login',
    'ping',
    'scenario:metadata',
    'scenario:minimum-release-age',
    'scenario:reserved-names',
    'scenario:search',
    'scenario:tarballs',
    'scenario:uplink-failure',
    'search',
    'unpublish',
  ],
};

/** Each client's skipped test names, sorted, and whether every skip gave a reason. */
export function skipsOf(suites: SuiteRun[]): Record<string, string[]> {
  return Object.fromEntries(
    suites.map((s) => [
      s.type,
      s.skips
        .filter((k) => k.reason.length > 0)
        .map((k) => k.name)
        .sort(),
    ]),
  );
}

/** A port free on this machine now (the suite starts its mock uplink there itself). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

/** Runs the suite for the clients given (one after the other) and returns each client's results; the output is kept for failures. */
export async function runConformance(
  registry: string,
  pms: string[],
  env: NodeJS.ProcessEnv,
  limitMs: number,
): Promise<{ suites: SuiteRun[]; output: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'shelf-conformance-'));
  const resultsFile = join(dir, 'results.json');
  const child = spawn(process.execPath, [join(__dirname, 'conformance-runner.mjs'), registry, resultsFile, ...pms], {
    // npm_config_registry: what the suite fetches for itself (its yarn plugins) is asked of Shelf, never of the internet.
    // A home of its own: the clients write their logins and caches there, never into the user's.
    // TMPDIR too: the suite leaves its temporary projects behind, and this folder is removed at the end.
    env: { ...cleanEnv(), HOME: dir, TMPDIR: dir, npm_config_registry: `${registry}/`, NO_COLOR: '1', FORCE_COLOR: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  const code = await new Promise<number | null>((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), limitMs);
    child.on('exit', (c) => {
      clearTimeout(timer);
      resolve(c);
    });
  });
  try {
    if (code !== 0) throw new Error(`the conformance runner exited with ${code}:\n${output.slice(-4000)}`);
    return { suites: JSON.parse(readFileSync(resultsFile, 'utf8')) as SuiteRun[], output };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Every failed test and sub-test, one line each with the suite's message. */
export function failures(suites: SuiteRun[]): string[] {
  const lines: string[] = [];
  for (const suite of suites)
    for (const test of suite.tests) {
      if (test.passed) continue;
      const failedSubs = (test.subTests ?? []).filter((s) => !s.passed);
      if (failedSubs.length === 0) lines.push(`${suite.adapter} ${test.name}: ${test.error}`);
      for (const sub of failedSubs) lines.push(`${suite.adapter} ${test.name} › ${sub.label}: ${sub.error}`);
    }
  return lines;
}

/** What the test output lists: per client, the counts and each skipped test with the suite's reason. */
export function report(suites: SuiteRun[]): string {
  return suites
    .map((s) =>
      s.unavailable
        ? `${s.adapter}: skipped entirely: ${s.unavailable}`
        : `${s.adapter}: ${s.passed} passed, ${s.failed} failed, ${s.skipped} skipped` +
          s.skips.map((k) => `\n  skipped ${k.name}: ${k.reason}`).join(''),
    )
    .join('\n');
}

/** The names the suite's battery config proxies to its mock uplink (`--print-config`: e2e-uplink-*, nul.*, @e2e-uplink/*). */
const UPLINK_NAMES = /^\/(?:e2e-uplink-|nul\.|@e2e-uplink(?:\/|%2f))/i;

/**
 * Shelf's upstream for the suite: what Verdaccio's `packages:` patterns do in the suite's config. Requests for the
 * mock uplink's names are passed to it (on `mockPort`, where the suite starts and stops it: down, the connection is
 * dropped as a dead upstream's would be); every other name is not upstream (404), so the suite's own packages are
 * never waited on from an uplink that is only up during its scenarios.
 */
export async function startUplinkRouter(mockPort: number): Promise<{ url: string; close: () => Promise<void> }> {
  const server: Server = createHttpServer((req, res) => {
    if (!UPLINK_NAMES.test(req.url ?? '')) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
      return;
    }
    const upstream = httpRequest(
      { host: '127.0.0.1', port: mockPort, method: req.method, path: req.url, headers: { ...req.headers, host: `localhost:${mockPort}` } },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
        answer.on('error', () => res.destroy());
        answer.on('aborted', () => res.destroy());
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return {
    url: `http://localhost:${port}/`,
    close: () => {
      server.closeAllConnections();
      return new Promise((r) => server.close(() => r()));
    },
  };
}
