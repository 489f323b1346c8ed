// A full disk, for real: the data folder lives on an 8 MB tmpfs. Publishing until it is full gives a 507 that names the
// data folder and the room needed, leaves no partial file in blobs/tmp and nothing half-recorded, and reads go on.
// Restarted with no byte free, Shelf starts read-only: reads work, every write is a 507 saying so, nothing is written.
// Mounting needs root; where the machine does not allow it, the test is skipped and says why.
import Database from 'better-sqlite3';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readdirSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startShelf, type RunningShelf } from '../helpers/shelf-process';
import { blobFiles, blobName, call, integrityOf, publish, signUp, tarballOf } from './reliability-support';

const mountDir = mkdtempSync(join(tmpdir(), 'shelf-full-disk-'));
let skipReason: string | undefined;
try {
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', mountDir], { stdio: 'pipe' });
} catch (error) {
  skipReason = `cannot mount a tmpfs here (${String((error as { stderr?: Buffer }).stderr ?? (error as Error).message).trim()})`;
}

let shelf: RunningShelf | undefined;
afterAll(async () => {
  await shelf?.stop();
  if (!skipReason) execFileSync('umount', [mountDir]);
  rmSync(mountDir, { recursive: true, force: true });
});

/** Writes a file until the disk refuses (bounded by the tmpfs's size), leaving 0 bytes free. */
function fillDisk(path: string): void {
  const fd = openSync(path, 'a');
  const block = Buffer.alloc(64 * 1024);
  try {
    for (let i = 0; i < 200; i++) {
      try {
        writeSync(fd, block);
      } catch {
        // The disk is full; finish the last bytes one small block at a time.
        for (let j = 0; j < 64; j++) {
          try {
            writeSync(fd, Buffer.alloc(1024));
          } catch {
            return;
          }
        }
        return;
      }
    }
  } finally {
    closeSync(fd);
  }
}

/** Row counts of the tables a write would touch, read from the SQLite file while no server runs. */
function rowCounts(dataDir: string): Record<string, number> {
  // Opened as Shelf itself opens a full disk's store: the WAL index in memory (the -shm file cannot grow), writes refused.
  const db = new Database(join(dataDir, 'shelf.db'), { fileMustExist: true });
  db.pragma('locking_mode = EXCLUSIVE');
  db.pragma('query_only = ON');
  try {
    const counts: Record<string, number> = {};
    for (const table of ['users', 'tokens', 'packages', 'versions', 'dist_tags']) {
      counts[table] = (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
    }
    return counts;
  } finally {
    db.close();
  }
}

/** A browser-mode UI call, as the page makes it (own Origin, the session cookie); returns the cookie it was given. */
async function rpc(base: string, name: string, args: unknown, cookie?: string): Promise<{ status: number; body: any; cookie?: string }> {
  const headers: Record<string, string> = { 'content-type': 'application/json', origin: base };
  if (cookie) headers.cookie = cookie;
  const response = await fetch(`${base}/-/shelf/rpc/${name}`, { method: 'POST', headers, body: JSON.stringify(args) });
  return { status: response.status, body: await response.json(), cookie: response.headers.get('set-cookie')?.split(';')[0] ?? cookie };
}

const tempFiles = (dataDir: string) => readdirSync(join(dataDir, 'blobs', 'tmp'));

describe.skipIf(skipReason !== undefined)('a full disk', () => {
  it('answers 507 with what to do, keeps reads going, and restarts read-only', async () => {
    const dataDir = join(mountDir, 'data');
    shelf = await startShelf(['--min-free-space', '6mb'], { dataDir });
    const token = await signUp(shelf.url, 'filler');

    // Incompressible tarballs of about 900 kB until the disk says no (8 MB holds a handful; bounded anyway).
    const published: { name: string; tarball: Buffer }[] = [];
    let refusal: { name: string; tarball: Buffer; status: number; error: string; filesBefore: string[] } | undefined;
    for (let i = 0; i < 20 && !refusal; i++) {
      const name = `big-${i}`;
      const tarball = tarballOf(name, '1.0.0', randomBytes(900 * 1024));
      const filesBefore = blobFiles(dataDir);
      const reply = await publish(shelf.url, token, name, '1.0.0', tarball);
      if (reply.status === 201) published.push({ name, tarball });
      else refusal = { name, tarball, status: reply.status, error: reply.body?.error, filesBefore };
    }
    expect(refusal, 'the disk never filled').toBeDefined();
    expect(published.length).toBeGreaterThan(0);
    expect(refusal!.status).toBe(507);
    expect(refusal!.error).toContain(dataDir);
    expect(refusal!.error).toMatch(/is full .*this write needs about \d+(\.\d)? (kB|MB); free some space there and try again/);
    // No partial file, and nothing of the refused publish is recorded (its blob, if the database was what refused,
    // is the collector's: it is unreferenced).
    expect(tempFiles(dataDir)).toEqual([]);
    const refusedBlob = blobName(refusal!.tarball);
    expect(blobFiles(dataDir).filter((f) => !f.endsWith(refusedBlob))).toEqual(refusal!.filesBefore);
    expect((await call(shelf.url, 'GET', `/${refusal!.name}`)).status).toBe(404);

    // Reads keep working, and the warning is visible.
    for (const { name, tarball } of published) {
      expect((await call(shelf.url, 'GET', `/${name}`)).body.versions['1.0.0'].dist.integrity).toBe(integrityOf(tarball));
      const served = Buffer.from(await (await fetch(`${shelf.url}/${name}/-/${name}-1.0.0.tgz`)).arrayBuffer());
      expect(integrityOf(served)).toBe(integrityOf(tarball));
    }
    const health = await call(shelf.url, 'GET', '/health');
    expect(health.status).toBe(200);
    expect(health.body.status).toBe('ok');
    expect(health.body.disk).toMatchObject({ readOnly: false, low: true, minFreeBytes: 6 * 1024 * 1024, dataDir });
    expect(health.body.disk.freeBytes).toBeLessThan(6 * 1024 * 1024);
    expect(health.body.disk.warning).toMatch(/disk space is low: .* free for .*, under the 6 MB threshold \(--min-free-space\)/);
    // Logged too: the warning, and the refused write with its message.
    expect(shelf.output()).toMatch(/warn {2}disk space is low/);
    expect(shelf.output()).toContain(refusal!.error);

    // Stopped, the disk filled to the last byte, restarted: read-only.
    await shelf.stop();
    shelf = undefined;
    fillDisk(join(mountDir, 'filler'));
    const countsBefore = rowCounts(dataDir);
    const filesBefore = blobFiles(dataDir);
    shelf = await startShelf([], { dataDir });
    expect(shelf.output()).toMatch(/read-only: Shelf is read-only: the disk holding .* was full when it started/);
    const readOnlyHealth = await call(shelf.url, 'GET', '/health');
    expect(readOnlyHealth.body.disk).toMatchObject({ readOnly: true, low: true, dataDir });
    expect(readOnlyHealth.body.disk.warning).toMatch(/restart Shelf to accept writes/);

    const [first] = published;
    const doc = await call(shelf.url, 'GET', `/${first!.name}`);
    expect(doc.status).toBe(200);
    const served = Buffer.from(await (await fetch(`${shelf.url}/${first!.name}/-/${first!.name}-1.0.0.tgz`)).arrayBuffer());
    expect(integrityOf(served)).toBe(integrityOf(first!.tarball));

    const readOnlyMessage = /Shelf is running read-only: the disk holding its data folder \(.*\) was full when it started.*restart Shelf/;
    const refusedPublish = await publish(shelf.url, token, 'while-full', '1.0.0', tarballOf('while-full', '1.0.0'));
    expect(refusedPublish.status).toBe(507);
    expect(refusedPublish.body.error).toMatch(readOnlyMessage);
    expect(refusedPublish.body.error).toContain(dataDir);
    const refusedTag = await call(shelf.url, 'PUT', `/-/package/${first!.name}/dist-tags/beta`, { token, body: '1.0.0' });
    expect(refusedTag.status).toBe(507);
    expect(refusedTag.body.error).toMatch(readOnlyMessage);
    const refusedSignUp = await call(shelf.url, 'PUT', '/-/user/org.couchdb.user:latecomer', {
      body: { name: 'latecomer', password: 'latecomer-password-123', email: 'l@example.test', type: 'user' },
    });
    expect(refusedSignUp.status).toBe(507);
    expect(refusedSignUp.body.error).toMatch(readOnlyMessage);
    expect((await call(shelf.url, 'GET', `/${first!.name}`)).body['dist-tags']).toEqual({ latest: '1.0.0' });

    // The UI's calls (browser-mode RPC; the desktop's IPC goes through the same dispatch) answer the same 507 with the
    // same message, not an unexpected error.
    const signIn = await rpc(shelf.url, 'session.signIn', { username: 'filler', password: 'filler-password-123456' });
    expect(signIn.status).toBe(200);
    const uiTag = await rpc(shelf.url, 'package.setDistTag', { name: first!.name, tag: 'beta', version: '1.0.0' }, signIn.cookie);
    expect(uiTag.status).toBe(507);
    expect(uiTag.body).toEqual({ code: 'insufficient_storage', error: refusedTag.body.error });
    const uiToken = await rpc(shelf.url, 'tokens.create', { name: 'while-full', scope: 'read' }, signIn.cookie);
    expect(uiToken.status).toBe(507);
    expect(uiToken.body.error).toMatch(readOnlyMessage);
    expect(uiToken.body.error).toContain(dataDir);
    expect((await call(shelf.url, 'GET', `/${first!.name}`)).body['dist-tags']).toEqual({ latest: '1.0.0' });

    await shelf.stop();
    shelf = undefined;
    expect(rowCounts(dataDir)).toEqual(countsBefore);
    expect(blobFiles(dataDir)).toEqual(filesBefore);
    expect(tempFiles(dataDir)).toEqual([]);
  });
});

if (skipReason !== undefined) {
  describe('a full disk (skipped)', () => {
    it.skip(`needs a tmpfs: ${skipReason}`, () => undefined);
  });
}
