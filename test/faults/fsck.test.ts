// `shelf fsck` on a real data folder with one of each fault planted while the server is stopped: an orphaned blob (a
// kill between blob and commit, or between an unpublish's commit and its file delete), a dead writer's temp file, a
// published version whose blob is gone, a blob whose bytes were changed, a packument out of step with its rows and a
// dist-tag naming a missing version. fsck reports each, leaves everything as it was without --repair, and with --repair
// fixes what can be fixed; the server then serves the repaired documents.
import Database from 'better-sqlite3';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startShelf, type RunningShelf } from '../helpers/shelf-process';
import { blobFiles, blobName, call, fsck, integrityOf, publish, signUp, tarballOf } from './reliability-support';

let shelf: RunningShelf | undefined;
let dataDir: string | undefined;
afterEach(async () => {
  await shelf?.stop();
  shelf = undefined;
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

const blobPath = (dir: string, bytes: Buffer) => {
  const hex = blobName(bytes);
  return join(dir, 'blobs', 'sha512', hex.slice(0, 2), hex.slice(2, 4), hex);
};

describe('shelf fsck', () => {
  it('reports every kind of fault, changes nothing without --repair, and repairs what can be repaired', async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'shelf-fsck-'));
    const dir = dataDir;
    shelf = await startShelf([], { dataDir: dir });
    const token = await signUp(shelf.url, 'keeper');
    const tarballs = {
      healthy: tarballOf('healthy', '1.0.0'),
      lost: tarballOf('lost', '1.0.0'),
      rotten: tarballOf('rotten', '1.0.0'),
      tagged: tarballOf('tagged', '1.0.0'),
      tagged2: tarballOf('tagged', '2.0.0'),
    };
    for (const [name, version, bytes] of [
      ['healthy', '1.0.0', tarballs.healthy],
      ['lost', '1.0.0', tarballs.lost],
      ['rotten', '1.0.0', tarballs.rotten],
      ['tagged', '1.0.0', tarballs.tagged],
      ['tagged', '2.0.0', tarballs.tagged2],
    ] as const) {
      expect((await publish(shelf.url, token, name, version, bytes)).status).toBe(201);
    }
    await shelf.stop();
    shelf = undefined;

    // A clean store is reported clean.
    const clean = fsck(dir, ['--gc-grace', '0']);
    expect(clean.status).toBe(0);
    expect(clean.report.clean).toBe(true);
    expect(clean.report.checked).toEqual({ blobs: 5, references: 5, packages: 4 });

    // Plant the faults.
    const orphan = tarballOf('never-committed', '1.0.0');
    mkdirSync(join(blobPath(dir, orphan), '..'), { recursive: true });
    writeFileSync(blobPath(dir, orphan), orphan);
    const young = tarballOf('in-flight', '1.0.0'); // within the grace period: a publish in progress, not an orphan
    mkdirSync(join(blobPath(dir, young), '..'), { recursive: true });
    writeFileSync(blobPath(dir, young), young);
    const hourAgo = new Date(Date.now() - 2 * 3600_000);
    utimesSync(blobPath(dir, orphan), hourAgo, hourAgo);
    // A temp file of a writer that is gone (pid 999999 is above the kernel's default pid_max), old.
    const temp = join(dir, 'blobs', 'tmp', '999999-1-0');
    writeFileSync(temp, 'half a tarball');
    utimesSync(temp, hourAgo, hourAgo);
    unlinkSync(blobPath(dir, tarballs.lost));
    const rotten = blobPath(dir, tarballs.rotten);
    writeFileSync(rotten, Buffer.concat([readFileSync(rotten).subarray(0, 20), Buffer.from('bit rot')]));
    const db = new Database(join(dir, 'shelf.db'));
    try {
      // A packument stored before a change of its rows (the description of the healthy package differs now).
      const healthyId = (db.prepare("SELECT id FROM packages WHERE name = 'healthy'").get() as { id: number }).id;
      db.prepare('UPDATE packuments SET full_json = CAST(\'{"stale":true}\' AS BLOB) WHERE package_id = ?').run(healthyId);
      // latest names a version whose row is gone; beta names one that never existed.
      const taggedId = (db.prepare("SELECT id FROM packages WHERE name = 'tagged'").get() as { id: number }).id;
      db.prepare("DELETE FROM versions WHERE package_id = ? AND version = '2.0.0'").run(taggedId);
      db.prepare("INSERT INTO dist_tags (package_id, tag, version) VALUES (?, 'beta', '9.9.9')").run(taggedId);
    } finally {
      db.close();
    }

    const filesBefore = blobFiles(dir);
    const found = fsck(dir, ['--gc-grace', '30m']);
    expect(found.status).toBe(1);
    const report = found.report;
    expect(report.clean).toBe(false);
    expect(report.orphans.map((o: any) => o.integrity)).toEqual([integrityOf(orphan)]);
    expect(report.tempFiles).toEqual([{ path: temp, size: 14, repaired: false }]);
    expect(report.missing).toEqual([
      expect.objectContaining({
        kind: 'published',
        name: 'lost',
        version: '1.0.0',
        repaired: false,
        action: expect.stringMatching(/restore/),
      }),
    ]);
    expect(report.corrupt).toEqual([
      expect.objectContaining({ integrity: integrityOf(tarballs.rotten), references: ['rotten@1.0.0'], repaired: false }),
    ]);
    expect(report.danglingTags).toEqual([
      { name: 'tagged', tag: 'beta', version: '9.9.9', repaired: false },
      { name: 'tagged', tag: 'latest', version: '2.0.0', repaired: false },
    ]);
    expect(report.stalePackuments.map((p: any) => p.name).sort()).toEqual(['healthy', 'tagged']);
    // Without --repair nothing changed.
    expect(blobFiles(dir)).toEqual(filesBefore);

    const repaired = fsck(dir, ['--gc-grace', '30m', '--repair']);
    // The lost tarball of a published version cannot be made up, and the rotten one is now missing too: exit 1.
    expect(repaired.status).toBe(1);
    expect(repaired.report.orphans).toEqual([expect.objectContaining({ integrity: integrityOf(orphan), repaired: true })]);
    expect(repaired.report.tempFiles).toEqual([{ path: temp, size: 14, repaired: true }]);
    expect(repaired.report.corrupt).toEqual([
      expect.objectContaining({ repaired: true, quarantinedTo: join(dir, 'blobs', 'quarantine', blobName(tarballs.rotten)) }),
    ]);
    expect(repaired.report.danglingTags.every((t: any) => t.repaired)).toBe(true);
    expect(repaired.report.stalePackuments.every((p: any) => p.repaired)).toBe(true);
    expect(repaired.report.missing.map((m: any) => `${m.name}@${m.version}`).sort()).toEqual(['lost@1.0.0', 'rotten@1.0.0']);
    expect(existsSync(blobPath(dir, orphan))).toBe(false);
    expect(existsSync(blobPath(dir, young))).toBe(true);
    expect(existsSync(temp)).toBe(false);
    expect(existsSync(join(dir, 'blobs', 'quarantine', blobName(tarballs.rotten)))).toBe(true);

    // A second run finds only what needs a person (the two published tarballs that are gone).
    const second = fsck(dir, ['--gc-grace', '30m']);
    expect(second.report.remaining).toBe(2);
    expect(second.report.orphans).toEqual([]);
    expect(second.report.stalePackuments).toEqual([]);
    expect(second.report.danglingTags).toEqual([]);

    // The server serves the repaired documents: latest moved to 1.0.0, beta gone, the healthy packument whole again.
    shelf = await startShelf([], { dataDir: dir });
    const tagged = await call(shelf.url, 'GET', '/tagged');
    expect(tagged.body['dist-tags']).toEqual({ latest: '1.0.0' });
    const healthy = await call(shelf.url, 'GET', '/healthy');
    expect(healthy.body.versions['1.0.0'].dist.integrity).toBe(integrityOf(tarballs.healthy));
    const served = Buffer.from(await (await fetch(`${shelf.url}/healthy/-/healthy-1.0.0.tgz`)).arrayBuffer());
    expect(integrityOf(served)).toBe(integrityOf(tarballs.healthy));
  });
});
