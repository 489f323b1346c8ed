// `npm start` (scripts/start.mjs): when the Electron binary cannot be obtained it says so in one line and serves the
// same app in browser mode. Electron's download is pointed at a closed loopback port (ELECTRON_MIRROR, honoured by
// @electron/get), so the test never reaches the internet and fails the download the same way on every machine.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/shelf-process';

const dataDir = mkdtempSync(join(tmpdir(), 'shelf-start-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

const electronPresent = existsSync(join(ROOT, 'node_modules', 'electron', 'path.txt'));

describe.skipIf(electronPresent)('npm start without an Electron binary', () => {
  it('says why in one line, then serves the registry and the UI in browser mode', async () => {
    const child = spawn(
      process.execPath,
      [join(ROOT, 'scripts', 'start.mjs'), '--port', '0', '--data-dir', dataDir, '--upstream', 'none'],
      {
        cwd: ROOT,
        env: { ...process.env, ELECTRON_MIRROR: 'http://127.0.0.1:9/', electron_config_cache: join(dataDir, 'electron-cache') },
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
      },
    );
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no browser-mode server within 60 s:\n${out}`)), 60_000);
        child.stdout.on('data', () => {
          const match = /listening on (http:\/\/\S+)/.exec(out);
          if (match) {
            clearTimeout(timer);
            resolve(match[1]!);
          }
        });
        child.on('exit', (code) => reject(new Error(`npm start exited with ${code}:\n${out}`)));
      });
      const fallback = out.split('\n').filter((line) => /starting in browser mode instead/.test(line));
      expect(fallback).toHaveLength(1);
      expect(fallback[0]).toMatch(/^Shelf: the Electron binary could not be obtained \(.+\); starting in browser mode instead\.$/);
      expect((await fetch(`${url}/-/ping`)).status).toBe(200);
      const ui = await fetch(`${url}/-/ui/`);
      expect(ui.status).toBe(200);
      expect(await ui.text()).toMatch(/<div id="root">/);
      // Nothing was downloaded or built for Electron on the way.
      expect(existsSync(join(ROOT, 'node_modules', 'electron', 'path.txt'))).toBe(false);
      expect(existsSync(join(dataDir, 'electron-cache')) ? readdirSync(join(dataDir, 'electron-cache')) : []).toEqual([]);
    } finally {
      process.kill(-child.pid!, 'SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
  }, 90_000);
});
