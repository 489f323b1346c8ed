// Starts the real `shelf serve` (the built CLI) on a free loopback port with a fresh data folder, for integration tests.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { awsEnv, freshPrefix, s3Server } from '../team/s3';
import { dropDatabase, freshDatabaseUrl } from '../team/pg';

export interface RunningShelf {
  url: string;
  /** Base URL with the trailing slash, as clients configure it. */
  registry: string;
  dataDir: string;
  setupLink?: string;
  /** The server's process id (its memory can be read from /proc/<pid>/status). */
  pid?: number;
  output: () => string;
  stop(): Promise<void>;
  /** Sends a signal (SIGKILL for a crash) and waits for the process to end; the data folder is kept. */
  kill(signal: NodeJS.Signals): Promise<void>;
  /** Resolves with the exit code (or signal) when the process ends by itself or is stopped. */
  exited: Promise<number | NodeJS.Signals | null>;
}

export const ROOT = resolve(__dirname, '..', '..');

export async function startShelf(
  extraArgs: string[] = [],
  options: { dataDir?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<RunningShelf> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'shelf-it-'));
  // SHELF_TEST_BLOBS=s3 runs every suite against the run's S3 server: each data folder gets its own prefix of the
  // bucket, written into its config.json, so every command a test runs on that folder (mirror, fsck, backup) uses it.
  const s3 = process.env.SHELF_TEST_BLOBS === 's3' && !extraArgs.includes('--blobs');
  if (s3) useTestBucket(dataDir);
  // SHELF_TEST_DB=postgres: likewise a database of its own on the run's PostgreSQL, in config.json (kept with the folder).
  const database =
    process.env.SHELF_TEST_DB === 'postgres' && !extraArgs.includes('--database') ? await useTestDatabase(dataDir) : undefined;
  const child: ChildProcess = spawn(
    process.execPath,
    [
      join(ROOT, 'bin', 'shelf.js'),
      'serve',
      '--host',
      '127.0.0.1',
      '--port',
      '0',
      '--data-dir',
      dataDir,
      '--log-level',
      'warn',
      // Tests never reach the internet: no upstream unless the test names one (on loopback).
      ...(extraArgs.includes('--upstream') ? [] : ['--upstream', 'none']),
      ...extraArgs,
    ],
    { env: { ...cleanEnv(), ...(s3 ? awsEnv() : {}), ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const url = await new Promise<string>((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`shelf serve did not start within 20 s:\n${out}`)), 20_000);
    const check = () => {
      const match = /listening on (http:\/\/\S+)/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolveUrl(match[1]!);
      }
    };
    child.stdout!.on('data', check);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`shelf serve exited with ${code}:\n${out}`));
    });
  });
  await new Promise((r) => setTimeout(r, 50));
  const exited = new Promise<number | NodeJS.Signals | null>((r) => child.once('exit', (code, signal) => r(code ?? signal)));
  const setupLink = /(http:\/\/\S+#setup=\S+)/.exec(out)?.[1];
  return {
    url,
    registry: `${url}/`,
    dataDir,
    setupLink,
    pid: child.pid,
    output: () => out,
    exited,
    async kill(signal) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill(signal);
        await exited;
      }
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      if (!options.dataDir) {
        rmSync(dataDir, { recursive: true, force: true });
        if (database) await dropDatabase(database);
      }
    },
  };
}

/** Points a data folder at a fresh prefix of the run's S3 server (its config.json; credentials stay in the environment). */
function useTestBucket(dataDir: string): void {
  const file = join(dataDir, 'config.json');
  const settings = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>) : {};
  if (settings.blobs !== undefined) return;
  const server = s3Server();
  settings.blobs = `s3://${server.bucket}/${freshPrefix('it')}`;
  settings.s3Endpoint = server.endpoint;
  settings.s3PathStyle = true;
  writeFileSync(file, JSON.stringify(settings, null, 2));
  awsEnv();
}

/** Points a data folder at a fresh database of the run's PostgreSQL (config.json), unless it names one already. */
async function useTestDatabase(dataDir: string): Promise<string | undefined> {
  const file = join(dataDir, 'config.json');
  const settings = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>) : {};
  if (settings.database !== undefined) return undefined;
  settings.database = await freshDatabaseUrl('it');
  writeFileSync(file, JSON.stringify(settings, null, 2));
  return settings.database as string;
}

/** The environment without npm's own npm_config_* variables, which `npm test` sets and which would override a test's .npmrc. */
export function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^npm_/i.test(key)) env[key] = value;
  }
  return env;
}
