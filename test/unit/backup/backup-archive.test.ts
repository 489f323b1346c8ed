// Backup archives in process: a restore verifies every checksum before writing, and refuses damaged or tampered
// archives and occupied folders without writing anything; an unpublish racing the copy leads to a fresh snapshot.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import Database from 'better-sqlite3';
import type { SqliteMetadataDb } from '../../../src/main/storage/sql/sqlite';
import * as tar from 'tar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBackup, restoreBackup } from '../../../src/main/services/backup';
import { BACKUP_DOWNLOAD_PATH as ROUTE_PATH } from '../../../src/main/http/backup-download';
import { BACKUP_DOWNLOAD_PATH } from '../../../src/shared/contract';
import { isShelfError } from '../../../src/main/errors';
import { packageTarball, publishBody, startHarness, type Harness } from '../../helpers/app-harness';

let harness: Harness;
let work: string;
let backup: string;

/** Every file under a folder with its size: equal before and after a refused restore proves nothing was written. */
function tree(root: string): Record<string, number> {
  const files: Record<string, number> = {};
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir)) {
      const path = join(dir, entry);
      const stat = statSync(path);
      if (stat.isDirectory()) {
        files[`${relative(root, path)}/`] = 0;
        walk(path);
      } else files[relative(root, path)] = stat.size;
    }
  };
  walk(root);
  return files;
}

async function refusal(promise: Promise<unknown>): Promise<{ status: number; message: string }> {
  try {
    await promise;
  } catch (error) {
    if (isShelfError(error)) return { status: error.status, message: error.message };
    throw error;
  }
  throw new Error('expected a refusal');
}

/** Unpacks an archive, lets `edit` change the files, and packs them again in the same order (the manifest untouched). */
async function tampered(source: string, name: string, edit: (dir: string, entries: string[]) => string[] | void): Promise<string> {
  const dir = mkdtempSync(join(work, 'unpacked-'));
  const entries: string[] = [];
  await tar.x({ file: source, cwd: dir, onReadEntry: (entry) => void entries.push(entry.path) });
  const final = edit(dir, entries) ?? entries;
  const file = join(work, name);
  await tar.c({ file, cwd: dir, gzip: true, portable: true }, final);
  return file;
}

const publish = async (token: string, name: string, version: string) => {
  const tarball = await packageTarball(name, version, { 'README.md': `# ${name} ${version}\n` });
  const reply = await harness.call('PUT', `/${name.replace('/', '%2f')}`, { token, body: publishBody(name, version, tarball) });
  expect(reply.status).toBe(201);
};

beforeAll(async () => {
  harness = await startHarness();
  work = mkdtempSync(join(tmpdir(), 'shelf-backup-unit-'));
  const token = await harness.login('ada');
  await publish(token, 'left-pad', '1.0.0');
  await publish(token, 'left-pad', '1.1.0');
  await publish(token, '@team/util', '2.0.0');
  await harness.app.services.stats.flush();
  backup = join(work, 'good.tar.gz');
  const summary = await createBackup({ dataDir: harness.dataDir, file: backup, shelfVersion: 'test' });
  expect(summary.contents).toMatchObject({ packages: 2, versions: 3, users: 1, tokens: 1, blobs: 3 });
});

afterAll(async () => {
  await harness?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('restoring a backup', () => {
  it('restores an intact archive into a new folder with the same database rows and tarball bytes', async () => {
    const target = join(work, 'restored-ok');
    const summary = await restoreBackup({ file: backup, dataDir: target });
    expect(summary.contents).toMatchObject({ packages: 2, versions: 3, blobs: 3 });
    const restored = new Database(join(target, 'shelf.db'), { readonly: true });
    // A backup is of the SQLite file: compared row for row with the live connection under the metadata port.
    const live = (harness.app.services.packages.ctx.db as SqliteMetadataDb).raw;
    const rows = (db: { prepare(sql: string): { all(): unknown[] } }) =>
      db
        .prepare('SELECT p.name, v.version, v.integrity, v.manifest FROM versions v JOIN packages p ON p.id = v.package_id ORDER BY 1, 2')
        .all();
    expect(rows(restored)).toEqual(rows(live));
    for (const row of rows(restored) as { integrity: string }[]) {
      const path = harness.app.services.packages.ctx.blobs.where(row.integrity);
      expect(readFileSync(join(target, relative(harness.dataDir, path)))).toEqual(readFileSync(path));
    }
    restored.close();
  });

  it('refuses an archive whose tarball bytes were changed, naming the file, and writes nothing', async () => {
    const file = await tampered(backup, 'flipped.tar.gz', (dir, entries) => {
      const blob = join(
        dir,
        entries.find((e) => e.startsWith('blobs/'))!,
      );
      const bytes = readFileSync(blob);
      bytes[bytes.length >> 1] = bytes[bytes.length >> 1]! ^ 0xff;
      writeFileSync(blob, bytes);
    });
    const target = join(work, 'restored-flipped');
    const before = tree(work);
    const refused = await refusal(restoreBackup({ file, dataDir: target }));
    expect(refused.status).toBe(400);
    expect(refused.message).toMatch(
      /failed verification, so nothing was written: blobs\/sha512\/[0-9a-f/]+ does not match its checksums \(damaged\)/,
    );
    expect(existsSync(target)).toBe(false);
    expect(tree(work)).toEqual(before);
  });

  it('refuses a truncated archive and writes nothing', async () => {
    const file = join(work, 'truncated.tar.gz');
    writeFileSync(file, readFileSync(backup));
    truncateSync(file, Math.floor(statSync(file).size / 2));
    const target = join(work, 'restored-truncated');
    const before = tree(work);
    const refused = await refusal(restoreBackup({ file, dataDir: target }));
    expect(refused.status).toBe(400);
    expect(refused.message).toMatch(/is not a Shelf backup this version can restore: the archive cannot be read .*nothing was written/);
    expect(existsSync(target)).toBe(false);
    expect(tree(work)).toEqual(before);
  });

  it('refuses an archive with a file its manifest does not list, and writes nothing', async () => {
    const file = await tampered(backup, 'extra.tar.gz', (dir, entries) => {
      writeFileSync(join(dir, 'registries.json'), '{"registries":[{"url":"https://evil.example/"}]}');
      return [...entries, 'registries.json'];
    });
    const target = join(work, 'restored-extra');
    const before = tree(work);
    const refused = await refusal(restoreBackup({ file, dataDir: target }));
    expect(refused.status).toBe(400);
    expect(refused.message).toContain('registries.json is in the archive but not in manifest.json');
    expect(existsSync(target)).toBe(false);
    expect(tree(work)).toEqual(before);
  });

  it('refuses a backup of a database newer than this Shelf knows, and writes nothing', async () => {
    const file = await tampered(backup, 'newer.tar.gz', (dir) => {
      const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
      writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ ...manifest, shelfVersion: '9.0.0', schemaVersion: 999 }));
    });
    const target = join(work, 'restored-newer');
    const before = tree(work);
    const refused = await refusal(restoreBackup({ file, dataDir: target }));
    expect(refused.status).toBe(400);
    expect(refused.message).toMatch(
      /it was made by a newer Shelf \(9\.0\.0, database schema 999; this one knows up to \d+\); upgrade Shelf to restore it; nothing was written/,
    );
    expect(existsSync(target)).toBe(false);
    expect(tree(work)).toEqual(before);
  });

  it('refuses a folder that already holds files unless forced, and leaves it as it was', async () => {
    const target = join(work, 'occupied');
    mkdirSync(target);
    writeFileSync(join(target, 'notes.txt'), 'mine');
    const before = tree(work);
    const refused = await refusal(restoreBackup({ file: backup, dataDir: target }));
    expect(refused.status).toBe(409);
    expect(refused.message).toMatch(/occupied is not empty; restore into a new folder, or pass --force/);
    expect(tree(work)).toEqual(before);

    const forced = await restoreBackup({ file: backup, dataDir: target, force: true, now: () => new Date('2026-01-02T03:04:05Z') });
    expect(forced.movedAside).toBe(`${target}.before-restore-2026-01-02T03-04-05-000Z`);
    expect(readFileSync(join(forced.movedAside!, 'notes.txt'), 'utf8')).toBe('mine');
    expect(existsSync(join(target, 'shelf.db'))).toBe(true);
  });
});

describe('creating a backup', () => {
  it('refuses to replace an existing file unless forced', async () => {
    const refused = await refusal(createBackup({ dataDir: harness.dataDir, file: backup, shelfVersion: 'test' }));
    expect(refused.status).toBe(409);
    expect(refused.message).toContain('good.tar.gz already exists; choose another file name, or pass --force');
  });

  it('takes another snapshot when a version is unpublished between the snapshot and the copy of its tarball', async () => {
    const token = await harness.login('grace');
    await publish(token, 'short-lived', '1.0.0');
    const file = join(work, 'raced.tar.gz');
    const summary = await createBackup({
      dataDir: harness.dataDir,
      file,
      shelfVersion: 'test',
      afterSnapshot: async (attempt) => {
        if (attempt !== 1) return;
        const { body } = await harness.call('GET', '/short-lived', { token });
        const reply = await harness.call('DELETE', `/short-lived/-rev/${body._rev}`, { token });
        expect(reply.status).toBe(200);
      },
    });
    expect(summary.snapshots).toBe(2);
    expect(summary.contents).toMatchObject({ packages: 2, versions: 3, blobs: 3 });
    const target = join(work, 'restored-raced');
    await restoreBackup({ file, dataDir: target });
    const restored = new Database(join(target, 'shelf.db'), { readonly: true });
    expect(restored.prepare("SELECT count(*) AS n FROM packages WHERE name = 'short-lived'").get()).toEqual({ n: 0 });
    restored.close();
  });
});

describe('the download path', () => {
  it('is the same in the contract the page links with and in the route that serves it', () => {
    expect(ROUTE_PATH).toBe(BACKUP_DOWNLOAD_PATH);
  });
});
