// Runs Verdaccio's vendor-neutral conformance suite (@verdaccio/e2e-cli) against a real `shelf serve` and reads its
// results: shared by the conformance test files (loopback, and a server on 0.0.0.0 reached by another name).
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, cleanEnv } from '../helpers/shelf-process';

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

/** The four clients, each from this project's own dependencies (npm: the one running the tests). */
export function clients(): string[] {
  const npm = execFileSync('sh', ['-c', 'command -v npm'], { encoding: 'utf8' }).trim();
  return [
    `npm=${npm}`,
    `pnpm=${join(ROOT, 'node_modules', '.bin', 'pnpm')}`,
    `yarn-modern=${join(ROOT, 'node_modules', '@yarnpkg', 'cli-dist', 'bin', 'yarn.js')}`,
    `bun=${join(ROOT, 'node_modules', '.bin', 'bun')}`,
  ];
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
    // A home of its own: the clients write their logins and caches there, never into the user's.
    // TMPDIR too: the suite leaves its temporary projects behind, and this folder is removed at the end.
    env: { ...cleanEnv(), HOME: dir, TMPDIR: dir, E2E_PENDING_CONTRACT_CHECKS: 'true', NO_COLOR: '1', FORCE_COLOR: '0', ...env },
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
        ? `${s.adapter}: skipped entirely: ${s.unavailable} (pnpm 11 needs Node 22; this project runs Node ${process.versions.node} with pnpm 10)`
        : `${s.adapter}: ${s.passed} passed, ${s.failed} failed, ${s.skipped} skipped` +
          s.skips.map((k) => `\n  skipped ${k.name}: ${k.reason}`).join(''),
    )
    .join('\n');
}
