// A `shelf serve` outlives whatever started it: when its stdout and stderr readers go away (the parent died, the pipe
// was closed), every log line fails with EPIPE. That once became a loop — the guard logged the failure to the closed
// stderr, which failed again — leaving the process spinning, answering nothing and deaf to SIGTERM. It must keep
// serving, and stop cleanly when asked.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ROOT, cleanEnv } from '../helpers/shelf-process';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('a server whose stdout and stderr are closed', () => {
  it('keeps answering requests (each of which logs) and exits 0 on SIGTERM', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'shelf-orphan-'));
    dirs.push(dataDir);
    const args = ['serve', '--host', '127.0.0.1', '--port', '0', '--data-dir', dataDir, '--log-level', 'debug'];
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'shelf.js'), ...args], {
      env: cleanEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | string | null>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        const timer = setTimeout(() => reject(new Error(`shelf serve printed no address:\n${out}`)), 60_000);
        child.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          const match = /listening on (http:\/\/\S+)/.exec(out);
          if (match) {
            clearTimeout(timer);
            resolve(match[1]!);
          }
        });
      });
      // The reader goes away: from now on every write to the server's stdout and stderr fails with EPIPE.
      child.stdout.destroy();
      child.stderr.destroy();
      for (let i = 0; i < 5; i++) {
        const reply = await fetch(`${url}/no-such-package-${i}`, { signal: AbortSignal.timeout(10_000) });
        expect(reply.status).toBe(404);
        await reply.arrayBuffer();
      }
      expect((await fetch(`${url}/-/ping`, { signal: AbortSignal.timeout(10_000) })).status).toBe(200);
      child.kill('SIGTERM');
      const result = await Promise.race([exited, new Promise((resolve) => setTimeout(() => resolve('still running'), 15_000))]);
      expect(result).toBe(0);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    }
  });
});
