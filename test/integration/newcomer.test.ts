// A newcomer's machine without libsecret: keytar (an optional dependency) did not build, and the real CLI must still
// install, serve and keep secrets, saying once where they went.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run } from '../helpers/clients';
import { ROOT, cleanEnv } from '../helpers/shelf-process';
import packageJson from '../../package.json';

const HIDE_KEYTAR = join(ROOT, 'test', 'fixtures', 'hide-keytar.mjs');

describe('without the optional keytar module', () => {
  it('keytar is optional, so npm install cannot fail on it', () => {
    expect(Object.keys(packageJson.dependencies)).not.toContain('keytar');
    expect(Object.keys(packageJson.optionalDependencies ?? {})).toContain('keytar');
  });

  it('the CLI stores an upstream token in memory and says why, naming what to install', async () => {
    const result = await run(
      process.execPath,
      ['--import', HIDE_KEYTAR, join(ROOT, 'bin', 'shelf.js'), 'upstream-token', 'set', 'http://127.0.0.1:9/', '--json'],
      { cwd: ROOT, env: cleanEnv(), input: 'secret-token\n' },
    );
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ url: 'http://127.0.0.1:9/', stored: 'memory' });
    expect(result.stderr).toMatch(/optional keytar module is not installed; on Linux install libsecret-1-dev/);
    expect(result.stderr.match(/warning/g)).toHaveLength(1);
  });

  it('shelf serve starts and answers npm', async () => {
    const { spawn } = await import('node:child_process');
    const dataDir = mkdtempSync(join(tmpdir(), 'shelf-newcomer-'));
    const child = spawn(
      process.execPath,
      ['--import', HIDE_KEYTAR, join(ROOT, 'bin', 'shelf.js'), 'serve', '--port', '0', '--upstream', 'none', '--data-dir', dataDir],
      { env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] },
    );
    try {
      let out = '';
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          const match = /listening on (http:\/\/\S+)/.exec(out);
          if (match) resolve(match[1]!);
        });
        child.on('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
      });
      const ping = await fetch(`${url}/-/ping`);
      expect(ping.status).toBe(200);
    } finally {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
