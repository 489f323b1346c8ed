// What `npm start` runs: builds if needed, then opens the desktop app, or falls back to browser mode when Electron is missing.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildElectronNative, electronNativeReady } from './electron-native.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const IS_WINDOWS = process.platform === 'win32';
const NPX = IS_WINDOWS ? 'npx.cmd' : 'npx';
const PROBE_TIMEOUT_MS = 60_000;
const BUILT = ['out/main/index.js', 'out/main/cli.js', 'out/preload/index.js', 'out/renderer/index.html'];

/** Runs a command with the terminal attached and resolves with its exit code. */
function run(command, args) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: ROOT, stdio: 'inherit', shell: IS_WINDOWS && command === NPX });
    child.on('error', (error) => {
      process.stderr.write(`Shelf: could not run ${command}: ${error.message}\n`);
      resolve(1);
    });
    // Stay alive until the child has shut down cleanly; a Ctrl+C reaches it too (same process group), twice is harmless.
    const forward = (signal) => child.kill(signal);
    process.on('SIGINT', forward);
    process.on('SIGTERM', forward);
    child.on('exit', (code, signal) => {
      process.off('SIGINT', forward);
      process.off('SIGTERM', forward);
      resolve(code ?? (signal ? 1 : 0));
    });
  });
}

/** The most telling line of the probe's output: its last error line, skipping Electron's generic "failed to install" wrapper. */
function shortReason(output) {
  const errors = output
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => /^([A-Za-z]*Error|error)\b.*:/.test(line));
  const specific = errors.filter((line) => !/failed to install correctly/i.test(line));
  return (specific.at(-1) ?? errors.at(-1) ?? output.trim().split(/\r?\n/).at(-1) ?? 'no output').slice(0, 200);
}

/**
 * electron@45 downloads its binary the first time it is required, and records it in node_modules/electron/path.txt.
 * The download runs in a child (its own process group, so a timeout also stops the downloader it spawns) with its
 * noise captured; resolves with undefined on success, else a short reason.
 */
function obtainElectron() {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['-e', "require('electron')"], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: !IS_WINDOWS,
    });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const timer = setTimeout(() => {
      try {
        if (IS_WINDOWS) child.kill('SIGKILL');
        else process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
      resolve(`the download did not finish within ${PROBE_TIMEOUT_MS / 1000} s`);
    }, PROBE_TIMEOUT_MS);
    child.on('error', (error) => {
      clearTimeout(timer);
      resolve(error.message);
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve(code === 0 ? undefined : shortReason(output));
    });
  });
}

/** Undefined when the Electron binary is in place, else why not. */
async function electronBinaryProblem() {
  const failure = await obtainElectron();
  if (failure === undefined && existsSync(join(ROOT, 'node_modules', 'electron', 'path.txt'))) return undefined;
  return `the Electron binary could not be obtained (${failure ?? 'node_modules/electron/path.txt was not written'})`;
}

/** SQLite and the keychain are native addons: Electron needs its own builds of them, made once per Electron version. */
function electronNativeProblem() {
  if (electronNativeReady()) return undefined;
  process.stdout.write('Shelf: building SQLite and keychain support for Electron (first start)…\n');
  return buildElectronNative();
}

async function main() {
  if (BUILT.some((file) => !existsSync(join(ROOT, file)))) {
    process.stdout.write('Shelf: building (first start)…\n');
    const code = await run(NPX, ['electron-vite', 'build']);
    if (code !== 0) return code;
  }

  const reason = (await electronBinaryProblem()) ?? electronNativeProblem();
  if (reason === undefined) return run(NPX, ['electron-vite', 'preview']);
  process.stdout.write(`Shelf: ${reason}; starting in browser mode instead.\n`);
  return run(process.execPath, [join(ROOT, 'bin', 'shelf.js'), 'serve', ...process.argv.slice(2)]);
}

process.exitCode = await main();
