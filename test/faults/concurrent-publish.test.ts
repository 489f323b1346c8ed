// Twenty simultaneous publishes of one version, each with its own tarball: exactly one wins, the others are told why, the
// winner's tarball is the one served, and after the collector has run no loser's blob is left on disk.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startShelf, type RunningShelf } from '../helpers/shelf-process';
import { blobFiles, blobName, call, collectorRun, fsck, integrityOf, publish, signUp, tarballOf } from './reliability-support';

let shelf: RunningShelf | undefined;
let dataDir: string | undefined;
afterEach(async () => {
  await shelf?.stop();
  shelf = undefined;
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

const RACERS = 20;

describe('simultaneous publishes of one version', () => {
  it('has one winner and leaves no orphans after collection', async () => {
    // Our own folder: the server is restarted on it (startShelf deletes only the folders it made).
    dataDir = mkdtempSync(join(tmpdir(), 'shelf-race-'));
    shelf = await startShelf([], { dataDir });
    const token = await signUp(shelf.url, 'racer');
    const tarballs = Array.from({ length: RACERS }, (_, i) => tarballOf('contested', '1.0.0', `module.exports = ${i};\n`));
    const base = shelf.url;

    const replies = await Promise.all(tarballs.map((tarball) => publish(base, token, 'contested', '1.0.0', tarball)));

    const winners = replies.flatMap((reply, i) => (reply.status === 201 ? [i] : []));
    expect(winners).toHaveLength(1);
    for (const [i, reply] of replies.entries()) {
      if (i === winners[0]) continue;
      expect(reply.status, reply.text).toBe(409);
      expect(reply.body.error).toMatch(/cannot publish over the previously published versions: 1\.0\.0/);
    }
    const winner = tarballs[winners[0]!]!;
    const doc = await call(base, 'GET', '/contested');
    expect(doc.body.versions['1.0.0'].dist.integrity).toBe(integrityOf(winner));
    const served = Buffer.from(await (await fetch(`${base}/contested/-/contested-1.0.0.tgz`)).arrayBuffer());
    expect(integrityOf(served)).toBe(integrityOf(winner));

    // Losers that got as far as writing their blob left it behind: fsck sees those as orphans once they are past the
    // grace period (0 here), and without --repair it leaves them alone.
    const before = fsck(dataDir!, ['--gc-grace', '0']);
    const orphansBefore = before.report.orphans.length;
    expect(before.report.missing).toEqual([]);
    expect(blobFiles(dataDir!).filter((f) => f.startsWith('sha512/'))).toHaveLength(1 + orphansBefore);

    // The collector at start-up (grace 0) takes them.
    await shelf.stop();
    shelf = await startShelf(['--gc-grace', '0'], { dataDir });
    const run = await collectorRun(shelf.url);
    expect(run.removedBlobs).toBe(orphansBefore);

    const after = fsck(dataDir!, ['--gc-grace', '0']);
    expect(after.status).toBe(0);
    expect(after.report.clean).toBe(true);
    expect(after.report.orphans).toEqual([]);
    expect(blobFiles(dataDir!)).toEqual([`sha512/${blobName(winner).slice(0, 2)}/${blobName(winner).slice(2, 4)}/${blobName(winner)}`]);
    // The winner is still served, whole.
    const again = Buffer.from(await (await fetch(`${shelf.url}/contested/-/contested-1.0.0.tgz`)).arrayBuffer());
    expect(integrityOf(again)).toBe(integrityOf(winner));
  });
});
