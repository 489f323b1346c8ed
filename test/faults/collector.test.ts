// The collector's safety while writes run, and download counts under a database that refuses them, in process against a
// real SQLite file and blob folder: a blob a publish is reusing right now is never collected from under it, an
// unreferenced old one is; counts that cannot be written are kept (reads do not fail) and written once the fault is gone.
import { mkdtempSync, rmSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { collectGarbage } from '../../src/main/services/maintenance/gc';
import { DownloadStats } from '../../src/main/services/packages/downloads';
import { TarballStore } from '../../src/main/storage/blobs/tarball-store';
import { openDatabase, type Db } from '../../src/main/storage/db/connection';
import { SqliteMetadataDb } from '../../src/main/storage/sql/sqlite';
import { integrityOf, tarballOf } from './reliability-support';

const dirs: string[] = [];
const dbs: Db[] = [];
afterEach(() => {
  for (const db of dbs.splice(0)) db.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function store(): { dir: string; db: Db; meta: SqliteMetadataDb; blobs: TarballStore } {
  const dir = mkdtempSync(join(tmpdir(), 'shelf-collector-'));
  dirs.push(dir);
  const db = openDatabase(join(dir, 'shelf.db'));
  dbs.push(db);
  // The services take the metadata port; the test's own rows and triggers go straight to the SQLite connection under it.
  return { dir, db, meta: new SqliteMetadataDb(db), blobs: new TarballStore(dir) };
}

const age = (path: string) => {
  const old = new Date(Date.now() - 2 * 3600_000);
  utimesSync(path, old, old);
};

/** A published version pointing at `integrity`, as a publish's commit writes it. */
function commitVersion(db: Db, name: string, integrity: string): void {
  const now = new Date().toISOString();
  const pkg = db.prepare("INSERT INTO packages (name, rev, created_at, modified_at) VALUES (?, '1-a', ?, ?)").run(name, now, now);
  db.prepare(
    "INSERT INTO versions (package_id, version, manifest, integrity, shasum, tarball_size, published_at) VALUES (?, '1.0.0', '{}', ?, 'x', 1, ?)",
  ).run(pkg.lastInsertRowid, integrity, now);
}

describe('the collector', () => {
  it('never takes a blob a publish is reusing, and takes it once nothing claims or references it', async () => {
    const { db, meta, blobs } = store();
    const bytes = tarballOf('shared', '1.0.0');
    const integrity = integrityOf(bytes);
    // An old unreferenced copy (an earlier publish's loser, say): exactly what the collector deletes...
    await blobs.put(integrity, bytes);
    await new Promise((r) => setImmediate(r));
    age(blobs.pathFor(integrity));

    // ...unless a publish of the same bytes is under way: its put() finds the file, and its commit runs right after.
    const publishing = blobs.put(integrity, bytes).then(() => commitVersion(db, 'shared', integrity));
    // The collector's delete at that moment (old enough, no row yet) leaves it: the write claims it until its commit.
    expect(await blobs.collect(integrity, Date.now(), () => false)).toBeUndefined();
    // So does an unpublish's delete (the collector takes it later, should it stay unreferenced).
    await blobs.remove(integrity);
    expect(blobs.sizeOf(integrity)).toBe(bytes.length);
    // The collector running alongside sees the claim, or once the commit is in, the row: the blob stays either way.
    const [during] = await Promise.all([collectGarbage({ db: meta, blobs, graceMs: 0, now: () => new Date() }), publishing]);
    expect(during.removedBlobs).toBe(0);
    expect(blobs.sizeOf(integrity)).toBe(bytes.length);
    await new Promise((r) => setImmediate(r));

    // Referenced now: kept, whatever its age.
    age(blobs.pathFor(integrity));
    expect((await collectGarbage({ db: meta, blobs, graceMs: 0, now: () => new Date() })).removedBlobs).toBe(0);
    expect(blobs.sizeOf(integrity)).toBe(bytes.length);

    // Another orphan younger than the grace period stays; aged past it, it goes.
    const orphan = tarballOf('orphan', '1.0.0');
    await blobs.put(integrityOf(orphan), orphan);
    await new Promise((r) => setImmediate(r));
    expect((await collectGarbage({ db: meta, blobs, graceMs: 3600_000, now: () => new Date() })).removedBlobs).toBe(0);
    age(blobs.pathFor(integrityOf(orphan)));
    const run = await collectGarbage({ db: meta, blobs, graceMs: 3600_000, now: () => new Date() });
    expect(run).toMatchObject({ scanned: 2, removedBlobs: 1, removedBytes: orphan.length });
    expect(blobs.sizeOf(integrityOf(orphan))).toBeUndefined();
    expect(blobs.sizeOf(integrity)).toBe(bytes.length);
  });
});

describe('download counts under a failing database', () => {
  it('keep the counts, never fail a read, and write them once the fault is gone', async () => {
    const { db, meta, blobs } = store();
    commitVersion(db, 'counted', integrityOf(Buffer.from('x')));
    const packageId = (db.prepare("SELECT id FROM packages WHERE name = 'counted'").get() as { id: number }).id;
    const warnings: string[] = [];
    const stats = new DownloadStats(
      {
        db: meta,
        blobs,
        limits: { maxTarballBytes: 1, maxUnpackedBytes: 1, maxTarballEntries: 1 },
        now: () => new Date(),
        baseUrl: () => 'http://x/',
      },
      meta,
      (message) => warnings.push(message),
    );
    // The database refuses every count (as a full or read-only disk would).
    db.exec("CREATE TRIGGER refuse BEFORE INSERT ON download_counts BEGIN SELECT RAISE(ABORT, 'disk says no'); END");
    stats.countDownload(packageId, '1.0.0');
    stats.countDownload(packageId, '1.0.0');
    expect((await stats.summary(packageId)).total).toBe(0); // answered, not thrown
    expect(warnings.join('\n')).toMatch(/could not write 1 count\(s\) \(disk says no\); keeping them in memory/);

    db.exec('DROP TRIGGER refuse');
    stats.countDownload(packageId, '1.0.0');
    expect((await stats.summary(packageId)).total).toBe(3);
    expect(warnings.at(-1)).toMatch(/written again after 1 failed attempt/);

    // Counts of a package deleted before they were written are dropped, and the rest still go in.
    commitVersion(db, 'other', integrityOf(Buffer.from('y')));
    const otherId = (db.prepare("SELECT id FROM packages WHERE name = 'other'").get() as { id: number }).id;
    stats.countDownload(otherId, '1.0.0');
    stats.countDownload(packageId, '1.0.0');
    db.prepare('DELETE FROM packages WHERE id = ?').run(otherId);
    expect((await stats.summary(packageId)).total).toBe(4);
    expect(warnings.at(-1)).toMatch(/dropped 1 count\(s\) of packages unpublished/);
    await stats.flush();
  });
});
