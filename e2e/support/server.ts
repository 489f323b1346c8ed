// Starts a real `shelf serve` on a free loopback port with a fresh data folder, for one spec file, and stops it again.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { RPC_PATH } from '../../src/shared/contract';

export const ROOT = resolve(__dirname, '..', '..');
export const SCREENSHOTS = join(ROOT, 'e2e', 'screenshots');

export interface ShelfServer {
  /** `http://127.0.0.1:<port>`, as printed, without a trailing slash. */
  url: string;
  /** The address npm clients configure (with the trailing slash), as the overview shows it. */
  registry: string;
  /** The one-time `…#setup=<token>` link printed on first run. */
  setupLink: string;
  dataDir: string;
  output(): string;
  stop(): Promise<void>;
}

/** The environment without npm_* variables (set by `npm test`), which would override a spec's own .npmrc. */
export function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key)));
}

/** Starts `shelf serve` on a free loopback port; with no `--upstream` among `extraArgs` it mirrors nothing (tests never reach the internet). */
export async function startServer(extraArgs: string[] = []): Promise<ShelfServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'shelf-e2e-'));
  const upstream = extraArgs.includes('--upstream') ? [] : ['--upstream', 'none'];
  const child: ChildProcess = spawn(
    process.execPath,
    [join(ROOT, 'bin', 'shelf.js'), 'serve', '--host', '127.0.0.1', '--port', '0', '--data-dir', dataDir, ...upstream, ...extraArgs],
    { cwd: ROOT, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (out += chunk.toString()));

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(dataDir, { recursive: true, force: true });
  };

  try {
    // The setup link is printed after the "listening" line; wait for both.
    const [url, setupLink] = await new Promise<[string, string]>((resolveStart, reject) => {
      const timer = setTimeout(() => reject(new Error(`shelf serve did not start within 20 s; its output:\n${out}`)), 20_000);
      const check = () => {
        const url = /^listening on (http:\/\/[^\s/]+:\d+)\s*$/m.exec(out)?.[1];
        const link = /(http:\/\/\S+#setup=\S+)/.exec(out)?.[1];
        if (url && link) {
          clearTimeout(timer);
          resolveStart([url, link]);
        }
      };
      child.stdout!.on('data', check);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`shelf serve exited with ${code}; its output:\n${out}`));
      });
    });
    return { url, registry: `${url}/`, setupLink, dataDir, output: () => out, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Creates the admin account through the UI contract's HTTP endpoint, as the page would (same Origin, the setup token). */
export async function createAdminDirectly(
  server: ShelfServer,
  account = { username: 'admin', email: 'admin@example.test', password: 'correct horse battery' },
): Promise<void> {
  const setupToken = new URL(server.setupLink).hash.replace(/^#setup=/, '');
  const response = await fetch(`${server.url}${RPC_PATH}/setup.createAdmin`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Origin: server.url },
    body: JSON.stringify({ ...account, setupToken }),
  });
  if (!response.ok) throw new Error(`setup.createAdmin answered ${response.status}: ${await response.text()}`);
}
