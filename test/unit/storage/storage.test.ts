// Storage: the SQLite file's settings and migrations, the content-addressed tarball store, and atomic publishes.
import { mkdtempSync, readdirSync, rmSync, writeFileSync, mkdirSync, existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ssri from 'ssri';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../../src/main/storage/db/connection';
import { MIGRATIONS } from '../../../src/main/storage/db/migrations';
import { TarballStore } from '../../../src/main/storage/blobs/tarball-store';
import { packageTarball, publishBody, startHarness } from '../../helpers/app-harness';

const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'shelf-storage-'));
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('database', () => {
  it('opens with WAL, foreign keys and a busy timeout, and applies every migration', () => {
    const db = openDatabase(join(tempDir(), 'shelf.db'));
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(db.pragma('busy_timeout', { simple: true })).toBe(5000);
    expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.at(-1)!.version);
    db.close();
  });

  it('keeps data across reopening and does not re-run migrations', () => {
    const path = join(tempDir(), 'shelf.db');
    const db = openDatabase(path);
    db.prepare("INSERT INTO settings (key, value) VALUES ('k', 'v')").run();
    db.close();
    const again = openDatabase(path);
    expect(again.prepare("SELECT value FROM settings WHERE key = 'k'").get()).toEqual({ value: 'v' });
    again.close();
  });

  it('refuses a data folder written by a newer Shelf, saying what to do', () => {
    const path = join(tempDir(), 'shelf.db');
    const db = openDatabase(path);
    db.pragma('user_version = 999');
    db.close();
    expect(() => openDatabase(path)).toThrow(/newer Shelf.*upgrade Shelf or use another --data-dir/);
  });
});

describe('TarballStore', () => {
  it('stores a blob under its sha512 and reads it back', async () => {
    const store = new TarballStore(tempDir());
    const bytes = Buffer.from('hello tarball');
    const integrity = ssri.fromData(bytes, { algorithms: ['sha512'] }).toString();
    expect(await store.has(integrity)).toBe(false);
    await store.put(integrity, bytes);
    expect(await store.has(integrity)).toBe(true);
    expect(store.sizeOf(integrity)).toBe(bytes.length);
    expect(readFileSync(store.pathFor(integrity))).toEqual(bytes);
  });

  it('deduplicates identical content into one file', async () => {
    const dir = tempDir();
    const store = new TarballStore(dir);
    const bytes = Buffer.from('same bytes');
    const integrity = ssri.fromData(bytes, { algorithms: ['sha512'] }).toString();
    await store.put(integrity, bytes);
    await store.put(integrity, bytes);
    const files: string[] = [];
    const walk = (d: string) =>
      readdirSync(d, { withFileTypes: true }).forEach((e) => (e.isDirectory() ? walk(join(d, e.name)) : files.push(e.name)));
    walk(join(dir, 'blobs'));
    expect(files).toHaveLength(1);
  });

  it('clears temp files that an interrupted write left behind', () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'blobs', 'tmp'), { recursive: true });
    writeFileSync(join(dir, 'blobs', 'tmp', '123-half-written'), 'partial');
    new TarballStore(dir);
    expect(readdirSync(join(dir, 'blobs', 'tmp'))).toEqual([]);
  });

  it('refuses integrities that are not sha512', () => {
    const store = new TarballStore(tempDir());
    expect(() => store.pathFor('sha1-abc')).toThrow(/not a sha512 integrity/);
  });
});

describe('atomic publish', () => {
  it('leaves no version row when the database write fails after the tarball was stored', async () => {
    const h = await startHarness();
    try {
      const token = await h.login('alice');
      const db = h.app.services.packages.ctx.db;
      // Simulate a failure inside the publish transaction (a crash would abort it the same way).
      await db.run("CREATE TRIGGER fail_publish BEFORE INSERT ON versions BEGIN SELECT RAISE(ABORT, 'simulated failure'); END");
      const tarball = await packageTarball('atomic', '1.0.0');
      const failed = await h.call('PUT', '/atomic', { token, body: publishBody('atomic', '1.0.0', tarball) });
      expect(failed.status).toBe(500);
      const snap = await h.snapshot();
      expect(snap.packages).toBe(0);
      expect(snap.versions).toBe(0);
      expect(snap.dist_tags).toBe(0);
      expect((await h.call('GET', '/atomic')).status).toBe(404);
      // Once the fault is gone the same publish succeeds; the orphaned blob is simply reused.
      await db.run('DROP TRIGGER fail_publish');
      expect((await h.call('PUT', '/atomic', { token, body: publishBody('atomic', '1.0.0', tarball) })).status).toBe(201);
      expect((await h.call('GET', '/atomic')).body['dist-tags'].latest).toBe('1.0.0');
    } finally {
      await h.close();
    }
  });

  it('writes no row when the tarball cannot be written', async () => {
    const h = await startHarness();
    try {
      const token = await h.login('alice');
      const tarball = await packageTarball('nodisk', '1.0.0');
      // Make the blob folder unusable: a file where the fan-out folder must go.
      const integrity = ssri.fromData(tarball, { algorithms: ['sha512'] }).toString();
      const target = h.app.services.packages.ctx.blobs.where(integrity);
      const fanOut = join(target, '..', '..');
      rmSync(fanOut, { recursive: true, force: true });
      writeFileSync(fanOut, 'not a folder');
      const before = await h.snapshot();
      const failed = await h.call('PUT', '/nodisk', { token, body: publishBody('nodisk', '1.0.0', tarball) });
      expect(failed.status).toBe(500);
      expect(await h.snapshot()).toEqual(before);
      expect(existsSync(target)).toBe(false);
    } finally {
      await h.close();
    }
  });
});
