// A background task's failure must not take the server down. The case from the issue: download a tarball, then
// unpublish the whole package before the counts are written (at most a second later): the write of that count meets a
// package that is gone. The server logs it, drops that count, and goes on serving and counting.
import { afterEach, describe, expect, it } from 'vitest';
import { startShelf, type RunningShelf } from '../helpers/shelf-process';
import { call, integrityOf, publish, signUp, tarballOf, unpublishPackage } from './reliability-support';

let shelf: RunningShelf | undefined;
afterEach(async () => {
  await shelf?.stop();
  shelf = undefined;
});

/** Waits (bounded) until the server's output contains a line matching `pattern`. */
async function outputMatching(running: RunningShelf, pattern: RegExp): Promise<string> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const match = pattern.exec(running.output());
    if (match) return match[0];
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no line matching ${pattern} within 5 s; output:\n${running.output()}`);
}

describe('background failures', () => {
  it('keeps serving when a package is unpublished before its download count is written', async () => {
    shelf = await startShelf();
    const base = shelf.url;
    const token = await signUp(base, 'alice');
    const tarball = tarballOf('gone-soon', '1.0.0');
    expect((await publish(base, token, 'gone-soon', '1.0.0', tarball)).status).toBe(201);

    // The download is counted in memory; the unpublish deletes the package before the timer writes the count.
    const download = await fetch(`${base}/gone-soon/-/gone-soon-1.0.0.tgz`);
    expect(download.status).toBe(200);
    expect(integrityOf(Buffer.from(await download.arrayBuffer()))).toBe(integrityOf(tarball));
    const unpublished = await unpublishPackage(base, token, 'gone-soon');
    expect(unpublished.status).toBe(200);

    // The flush ran (it says so) and the process is still there and answering.
    const line = await outputMatching(shelf, /download counts: dropped 1 count\(s\) of packages unpublished[^\n]*/);
    expect(line).toContain('dropped 1 count');
    expect(shelf.output()).not.toMatch(/FOREIGN KEY constraint failed/);
    expect((await call(base, 'GET', '/-/ping')).status).toBe(200);
    expect((await call(base, 'GET', '/gone-soon')).status).toBe(404);

    // Counting still works for packages that exist.
    const kept = tarballOf('stays', '1.0.0');
    expect((await publish(base, token, 'stays', '1.0.0', kept)).status).toBe(201);
    for (let i = 0; i < 3; i++) expect((await fetch(`${base}/stays/-/stays-1.0.0.tgz`)).status).toBe(200);
    const stats = await call(base, 'GET', '/api/v1/packages/stays/stats');
    expect(stats.status).toBe(200);
    expect(stats.body.downloads.total).toBe(3);

    // Nothing brought the process down meanwhile.
    const exited = await Promise.race([shelf.exited, new Promise((r) => setTimeout(() => r('running'), 100))]);
    expect(exited).toBe('running');
  });
});
