// The upkeep both long-running shells start (`shelf serve`, and the desktop app, which cannot run here): startUpkeep
// on a real in-process app on a loopback port. It starts the collector (an orphan blob is removed at start-up) and
// installs the process guard: a rejection nobody awaited and a per-connection or disk-full exception are logged while
// the server keeps answering; any other uncaught exception closes the app and exits with code 70. The guard listens to
// a stand-in for `process` here (the test runner's own process must not be ended); serve and the desktop app pass none,
// so it listens to the real one, which the last case checks.
import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { existsSync, mkdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FATAL_EXIT_CODE, startUpkeep } from '../../src/main/services/maintenance/upkeep';
import { startHarness, type Harness } from '../helpers/app-harness';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close().catch(() => undefined);
  harness = undefined;
});

/** Writes an unreferenced blob where the store keeps blobs, an hour and a minute old (past the default grace). */
function plantOrphan(dataDir: string): string {
  const bytes = Buffer.from('an orphan: its publish never committed');
  const hex = createHash('sha512').update(bytes).digest('hex');
  const dir = join(dataDir, 'blobs', 'sha512', hex.slice(0, 2), hex.slice(2, 4));
  mkdirSync(dir, { recursive: true });
  const path = join(dir, hex);
  writeFileSync(path, bytes);
  const old = new Date(Date.now() - 61 * 60 * 1000);
  utimesSync(path, old, old);
  return path;
}

async function collectorRan(h: Harness) {
  for (let attempt = 0; attempt < 200; attempt++) {
    const run = h.app.services.maintenance?.health().collector.lastRun;
    if (run) return run;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('the collector did not run within 5 s of startUpkeep');
}

const ping = async (h: Harness) => (await h.call('GET', '/-/ping')).status;

describe('startUpkeep (shared by shelf serve and the desktop app)', () => {
  it('starts the collector: an orphan blob is removed at start-up', async () => {
    harness = await startHarness();
    const orphan = plantOrphan(harness.dataDir);
    const fakeProcess = new EventEmitter();
    expect(harness.app.services.maintenance?.health().collector.lastRun).toBeNull();
    startUpkeep(harness.app, { log: { error: () => undefined }, process: fakeProcess, exit: () => undefined });
    const run = await collectorRan(harness);
    expect(run.removedBlobs).toBe(1);
    expect(existsSync(orphan)).toBe(false);
    expect(await ping(harness)).toBe(200);
  });

  it('keeps serving after an unhandled rejection and a per-connection or disk-full exception, each logged', async () => {
    harness = await startHarness();
    const logged: string[] = [];
    const exits: number[] = [];
    const fakeProcess = new EventEmitter();
    startUpkeep(harness.app, { log: { error: (m) => logged.push(m) }, process: fakeProcess, exit: (code) => exits.push(code) });

    fakeProcess.emit('unhandledRejection', new Error('a flush nobody awaited'));
    const reset = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
    fakeProcess.emit('uncaughtException', reset, 'uncaughtException');
    const full = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    fakeProcess.emit('uncaughtException', full, 'uncaughtException');

    expect(logged).toHaveLength(3);
    expect(logged[0]).toMatch(/^unhandled rejection \(Shelf keeps serving\): Error: a flush nobody awaited/);
    expect(logged[1]).toMatch(/^uncaught uncaughtException on one connection or write \(ECONNRESET\); Shelf keeps serving: /);
    expect(logged[2]).toMatch(/^uncaught uncaughtException on one connection or write \(ENOSPC\); Shelf keeps serving: /);
    expect(exits).toEqual([]);
    expect(await ping(harness)).toBe(200);
  });

  it('any other uncaught exception closes the app and exits with code 70, once', async () => {
    harness = await startHarness();
    const logged: string[] = [];
    const fakeProcess = new EventEmitter();
    let exited!: (code: number) => void;
    const exit = new Promise<number>((resolve) => (exited = resolve));
    const exits: number[] = [];
    startUpkeep(harness.app, {
      log: { error: (m) => logged.push(m) },
      process: fakeProcess,
      exit: (code) => {
        exits.push(code);
        exited(code);
      },
    });
    expect(await ping(harness)).toBe(200);

    fakeProcess.emit('uncaughtException', new TypeError("Cannot read properties of undefined (reading 'size')"), 'uncaughtException');
    // A second one while stopping is logged but starts no second stop.
    fakeProcess.emit('uncaughtException', new Error('another'), 'uncaughtException');
    expect(await exit).toBe(FATAL_EXIT_CODE);
    expect(exits).toEqual([FATAL_EXIT_CODE]);
    expect(logged[0]).toMatch(
      /^uncaught uncaughtException; Shelf stops \(exit code 70\) as its state may be inconsistent: TypeError: Cannot read/,
    );
    expect(logged).toHaveLength(2);
    // The app was closed before the exit: the port no longer answers.
    await expect(fetch(`${harness.url}/-/ping`)).rejects.toThrow();
    rmSync(harness.dataDir, { recursive: true, force: true });
    harness = undefined;
  });

  it('without a stand-in it guards the real process, and its return value removes the guard again', async () => {
    harness = await startHarness();
    const before = [process.listenerCount('unhandledRejection'), process.listenerCount('uncaughtException')];
    const uninstall = startUpkeep(harness.app, { log: { error: () => undefined } });
    expect([process.listenerCount('unhandledRejection'), process.listenerCount('uncaughtException')]).toEqual([
      before[0]! + 1,
      before[1]! + 1,
    ]);
    uninstall();
    expect([process.listenerCount('unhandledRejection'), process.listenerCount('uncaughtException')]).toEqual(before);
    await collectorRan(harness);
  });
});
