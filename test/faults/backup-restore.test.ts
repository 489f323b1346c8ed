// Backup under load: `shelf backup` runs from the CLI against the data folder of a running `shelf serve` while four
// publishers keep publishing; `shelf restore` puts the archive into a new folder, a second `shelf serve` starts on it,
// and every package, version, tarball, user and token is compared with the original through SQLite and HTTP.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, cleanEnv, startShelf, type RunningShelf } from '../helpers/shelf-process';
import { startAttacked, type Attacked } from '../security/support';

const PUBLISHERS = 4;
/** Each publisher stops after this many versions at the latest (bounded), or once the backup and a few more are done. */
const MAX_VERSIONS_EACH = 150;

let attacked: Attacked;
let restored: RunningShelf | undefined;
let work: string;

function shelf(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'shelf.js'), ...args], { env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

type Row = Record<string, unknown>;
function rows(dataDir: string, sql: string): Row[] {
  const db = new Database(join(dataDir, 'shelf.db'), { readonly: true, fileMustExist: true });
  try {
    return db.prepare(sql).all() as Row[];
  } finally {
    db.close();
  }
}

const VERSIONS_SQL = `SELECT p.name, v.version, v.manifest, v.integrity, v.shasum, v.tarball_size, v.deprecated, v.published_at,
  u.name AS publisher FROM versions v JOIN packages p ON p.id = v.package_id LEFT JOIN users u ON u.id = v.published_by
  ORDER BY p.name, v.version`;
const USERS_SQL = 'SELECT id, name, email, password_hash, is_admin, created_at FROM users ORDER BY id';
const TOKENS_SQL = `SELECT id, key, user_id, secret_hash, prefix, name, scope, cidr_whitelist, created_at, updated_at, expires_at, last4,
  last_used_at FROM tokens ORDER BY id`;

function tree(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      out.push(join(dir, entry.name));
      if (entry.isDirectory()) walk(join(dir, entry.name));
    }
  };
  walk(root);
  return out.sort();
}

const sha512 = (bytes: Buffer) => `sha512-${createHash('sha512').update(bytes).digest('base64')}`;
const tarballPath = (name: string, version: string) => `/${name.replace('/', '%2f')}/-/${name.split('/').pop()}-${version}.tgz`;

interface Publisher {
  name: string;
  /** Versions in publishing order; each is sent after the previous one was answered. */
  attempted: string[];
  acknowledged: string[];
  /** How many were acknowledged when the backup command was started. */
  ackedAtBackupStart: number;
}

let publishers: Publisher[];
let backupSummary: any;
let backupFile: string;
let publishedDuringBackup = 0;

beforeAll(async () => {
  attacked = await startAttacked();
  work = mkdtempSync(join(tmpdir(), 'shelf-backup-faults-'));
  // Settings travel with the backup.
  writeFileSync(join(attacked.shelf.dataDir, 'config.json'), '{ "logLevel": "warn" }\n');

  // Packages that stay still while the backup runs: their rows must come back identical.
  for (const name of ['still-a', '@team/still-b'])
    for (const version of ['1.0.0', '1.1.0'])
      expect((await attacked.publish(attacked.admin.token, name, version, { 'data.txt': `${name} ${version}` })).status).toBe(201);
  expect((await attacked.publish(attacked.user.token, 'mallory-lib', '0.1.0')).status).toBe(201);
  const tagged = await attacked.request('PUT', '/-/package/still-a/dist-tags/legacy', { token: attacked.admin.token, body: '1.0.0' });
  expect(tagged.status).toBe(201);

  let backupRunning = false;
  let backupDone = false;
  publishers = Array.from({ length: PUBLISHERS }, (_, i) => ({
    name: `busy-${i}`,
    attempted: [],
    acknowledged: [],
    ackedAtBackupStart: 0,
  }));
  const loops = publishers.map(async (p, i) => {
    const token = i % 2 === 0 ? attacked.admin.token : attacked.user.token;
    let afterBackup = 0;
    for (let n = 0; n < MAX_VERSIONS_EACH && afterBackup < 3; n++) {
      const version = `1.0.${n}`;
      p.attempted.push(version);
      const reply = await attacked.publish(token, p.name, version, { 'data.txt': `${p.name} ${version} ${'x'.repeat(n * 97)}` });
      if (reply.status !== 201) throw new Error(`publish ${p.name}@${version}: ${reply.status} ${reply.text}`);
      p.acknowledged.push(version);
      if (backupRunning && !backupDone) publishedDuringBackup += 1;
      if (backupDone) afterBackup += 1;
    }
  });

  // Start the backup once every publisher has a few versions in, so the snapshot lands in the middle of the stream.
  for (let i = 0; i < 400 && publishers.some((p) => p.acknowledged.length < 3); i++) await new Promise((r) => setTimeout(r, 25));
  backupFile = join(work, 'shelf-backup.tar.gz');
  for (const p of publishers) p.ackedAtBackupStart = p.acknowledged.length;
  backupRunning = true;
  const backup = await shelf(['backup', backupFile, '--data-dir', attacked.shelf.dataDir, '--json']);
  backupDone = true;
  await Promise.all(loops);
  expect(backup.stderr).toBe('');
  expect(backup.code).toBe(0);
  backupSummary = JSON.parse(backup.stdout);
}, 180_000);

afterAll(async () => {
  await restored?.stop();
  await attacked?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('shelf backup while shelf serve publishes, then shelf restore into a new folder', () => {
  it('took the backup while publishes went on, and says what it holds', () => {
    // The premise of the test: the live server acknowledged publishes while the backup command ran.
    expect(publishedDuringBackup).toBeGreaterThan(0);
    expect(backupSummary.file).toBe(backupFile);
    expect(backupSummary.settingsFiles).toEqual(['config.json']);
    expect(backupSummary.contents.users).toBe(2);
    expect(backupSummary.contents.packages).toBe(3 + PUBLISHERS);
  });

  it('refuses a restore into a folder that holds files, writing nothing', async () => {
    const occupied = join(work, 'occupied');
    rmSync(occupied, { recursive: true, force: true });
    mkdirSync(occupied);
    writeFileSync(join(occupied, 'keep.txt'), 'mine');
    const before = tree(work);
    const result = await shelf(['restore', backupFile, '--data-dir', occupied]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`shelf: ${occupied} is not empty; restore into a new folder, or pass --force`);
    expect(tree(work)).toEqual(before);
    expect(readFileSync(join(occupied, 'keep.txt'), 'utf8')).toBe('mine');
  });

  it('refuses a damaged archive, writing nothing', async () => {
    const damaged = join(work, 'damaged.tar.gz');
    const bytes = readFileSync(backupFile);
    bytes[bytes.length >> 1] = bytes[bytes.length >> 1]! ^ 0x55;
    writeFileSync(damaged, bytes);
    const target = join(work, 'from-damaged');
    const before = tree(work);
    const result = await shelf(['restore', damaged, '--data-dir', target]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /^shelf: .*damaged\.tar\.gz (is not a Shelf backup this version can restore: the archive cannot be read|failed verification, so nothing was written)/,
    );
    expect(result.stderr).toContain('nothing was written');
    expect(existsSync(target)).toBe(false);
    expect(tree(work)).toEqual(before);
  });

  describe('the restored folder, served by a second shelf serve', () => {
    let target: string;
    let restoredVersions: Row[];
    const original = () => attacked.shelf.dataDir;

    beforeAll(async () => {
      target = join(work, 'restored');
      const result = await shelf(['restore', backupFile, '--data-dir', target, '--json']);
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      const summary = JSON.parse(result.stdout);
      expect(summary).toMatchObject({ dataDir: target, movedAside: null, contents: backupSummary.contents });
      restored = await startShelf([], { dataDir: target });
      restoredVersions = rows(target, VERSIONS_SQL);
    }, 60_000);

    it('holds each publisher’s versions as a prefix of what it sent: everything acknowledged before the backup, nothing half-written', () => {
      for (const p of publishers) {
        const got = restoredVersions.filter((r) => r.name === p.name).map((r) => r.version as string);
        const sorted = [...got].sort((a, b) => Number(a.split('.')[2]) - Number(b.split('.')[2]));
        expect(sorted).toEqual(p.attempted.slice(0, sorted.length));
        expect(sorted.length).toBeGreaterThanOrEqual(p.ackedAtBackupStart);
      }
    });

    it('has every version row exactly as the original has it', () => {
      const live = new Map(rows(original(), VERSIONS_SQL).map((r) => [`${r.name}@${r.version}`, r]));
      expect(restoredVersions.length).toBe(backupSummary.contents.versions);
      for (const row of restoredVersions) expect(row).toEqual(live.get(`${row.name}@${row.version}`));
      // Packages nobody touched during the backup come back whole, package rows included.
      const still = `SELECT name, access, rev, created_at, modified_at, readme FROM packages WHERE name IN ('still-a', '@team/still-b', 'mallory-lib') ORDER BY name`;
      expect(rows(target, still)).toEqual(rows(original(), still));
      const tags = `SELECT p.name, t.tag, t.version FROM dist_tags t JOIN packages p ON p.id = t.package_id WHERE p.name NOT LIKE 'busy-%' ORDER BY 1, 2`;
      expect(rows(target, tags)).toEqual(rows(original(), tags));
      const owners = `SELECT p.name, u.name AS owner FROM maintainers m JOIN packages p ON p.id = m.package_id JOIN users u ON u.id = m.user_id ORDER BY 1, 2`;
      const liveOwners = new Set(rows(original(), owners).map((r) => `${r.name} ${r.owner}`));
      for (const r of rows(target, owners)) expect(liveOwners.has(`${r.name} ${r.owner}`)).toBe(true);
    });

    it('has every user and token, with the same password and secret hashes', () => {
      expect(rows(target, USERS_SQL)).toEqual(rows(original(), USERS_SQL));
      const liveTokens = rows(original(), TOKENS_SQL);
      const restoredTokens = rows(target, TOKENS_SQL);
      expect(restoredTokens.length).toBe(liveTokens.length);
      restoredTokens.forEach((token, i) => {
        // Using a token after the snapshot moves its last-used time on the live server only.
        const { last_used_at: restoredUse, ...rest } = token;
        const { last_used_at: liveUse, ...liveRest } = liveTokens[i]!;
        expect(rest).toEqual(liveRest);
        expect(String(restoredUse ?? '') <= String(liveUse ?? '')).toBe(true);
      });
    });

    it('serves the same packuments for the versions it holds, with dist-tags on versions it has', async () => {
      for (const name of new Set(restoredVersions.map((r) => r.name as string))) {
        const path = `/${name.replace('/', '%2f')}`;
        const [mine, theirs] = await Promise.all([fetch(`${restored!.url}${path}`), fetch(`${attacked.url}${path}`)]);
        expect(mine.status).toBe(200);
        const doc = JSON.parse((await mine.text()).split(restored!.url).join('<base>'));
        const live = JSON.parse((await theirs.text()).split(attacked.url).join('<base>'));
        const held = restoredVersions.filter((r) => r.name === name).map((r) => r.version as string);
        expect(Object.keys(doc.versions).sort()).toEqual([...held].sort());
        for (const version of held) {
          expect(doc.versions[version]).toEqual(live.versions[version]);
          expect(doc.time[version]).toBe(live.time[version]);
        }
        for (const version of Object.values(doc['dist-tags'])) expect(held).toContain(version);
        if (!name.startsWith('busy-')) expect(doc['dist-tags']).toEqual(live['dist-tags']);
      }
    });

    it('serves every tarball byte for byte as the original does, matching its integrity', async () => {
      expect(restoredVersions.length).toBeGreaterThan(3 + 2 * PUBLISHERS);
      for (const row of restoredVersions) {
        const path = tarballPath(row.name as string, row.version as string);
        const [mine, theirs] = await Promise.all([fetch(`${restored!.url}${path}`), fetch(`${attacked.url}${path}`)]);
        expect(mine.status).toBe(200);
        const bytes = Buffer.from(await mine.arrayBuffer());
        expect(sha512(bytes)).toBe(row.integrity);
        expect(bytes.equals(Buffer.from(await theirs.arrayBuffer()))).toBe(true);
      }
    });

    it('accepts the original tokens and passwords, and keeps config.json', async () => {
      for (const who of [attacked.admin, attacked.user]) {
        const whoami = await fetch(`${restored!.url}/-/whoami`, { headers: { authorization: `Bearer ${who.token}` } });
        expect(whoami.status).toBe(200);
        expect(((await whoami.json()) as { username: string }).username).toBe(who.name);
        const basic = Buffer.from(`${who.name}:${who.password}`).toString('base64');
        const withPassword = await fetch(`${restored!.url}/-/whoami`, { headers: { authorization: `Basic ${basic}` } });
        expect(withPassword.status).toBe(200);
      }
      expect(readFileSync(join(target, 'config.json'), 'utf8')).toBe('{ "logLevel": "warn" }\n');
      expect(existsSync(join(target, 'metadata-cache.db'))).toBe(false);
    });
  });
});

describe('backup and restore from the UI in browser mode', () => {
  const signIn = async (name: string, password: string): Promise<string> => {
    const response = await fetch(`${attacked.url}/-/shelf/rpc/session.signIn`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: attacked.url },
      body: JSON.stringify({ username: name, password }),
    });
    expect(response.status).toBe(200);
    return response.headers.get('set-cookie')!.split(';')[0]!;
  };
  const backupsDir = () => join(attacked.shelf.dataDir, 'backups');

  it('refuses a non-admin, writing nothing', async () => {
    const before = attacked.snapshot();
    const refused = await attacked.rpc('backup.create', {}, 'user');
    expect(refused.status).toBe(403);
    expect(refused.body.error).toBe("only an admin may back up this Shelf; ask the registry's admin");
    expect(existsSync(backupsDir())).toBe(false);
    expect(attacked.snapshot()).toEqual(before);
  });

  it('refuses a path on the server in browser mode, writing nothing', async () => {
    const wanted = join(work, 'chosen.tar.gz');
    const refused = await attacked.rpc('backup.create', { path: wanted }, 'admin');
    expect(refused.status).toBe(400);
    expect(refused.body.error).toContain("in browser mode a backup is written into the data folder's backups/ folder");
    expect(existsSync(wanted)).toBe(false);
    expect(existsSync(backupsDir())).toBe(false);
  });

  it('makes a backup an admin downloads, which restores; others get 401 and 403', async () => {
    const made = await attacked.rpc('backup.create', {}, 'admin');
    expect(made.status).toBe(200);
    const name = made.body.downloadName as string;
    expect(name).toMatch(/^shelf-backup-\d{8}T\d{6}Z\.tar\.gz$/);
    expect(made.body.file).toBe(join(backupsDir(), name));
    const url = `${attacked.url}/-/shelf/backups/${name}`;

    const anonymous = await fetch(url);
    expect(anonymous.status).toBe(401);
    expect(((await anonymous.json()) as { error: string }).error).toBe('sign in to Shelf as an admin to download a backup');
    const mallory = await fetch(url, { headers: { cookie: await signIn(attacked.user.name, attacked.user.password) } });
    expect(mallory.status).toBe(403);
    expect(((await mallory.json()) as { error: string }).error).toBe("only an admin may download backups; ask the registry's admin");

    const adminCookie = await signIn(attacked.admin.name, attacked.admin.password);
    const other = await fetch(`${attacked.url}/-/shelf/backups/..%2Fshelf.db`, { headers: { cookie: adminCookie } });
    expect(other.status).toBe(404);
    const download = await fetch(url, { headers: { cookie: adminCookie } });
    expect(download.status).toBe(200);
    expect(download.headers.get('content-disposition')).toBe(`attachment; filename="${name}"`);
    const bytes = Buffer.from(await download.arrayBuffer());
    expect(bytes.equals(readFileSync(made.body.file))).toBe(true);

    const copy = join(work, 'downloaded.tar.gz');
    writeFileSync(copy, bytes);
    const target = join(work, 'from-download');
    const result = await shelf(['restore', copy, '--data-dir', target, '--json']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).contents.versions).toBe(made.body.contents.versions);
  });

  it('answers a restore with the command to run on the server', async () => {
    const refused = await attacked.rpc('backup.restore', { file: backupFile, dataDir: join(work, 'via-ui') }, 'admin');
    expect(refused.status).toBe(400);
    expect(refused.body.error).toContain('shelf restore <backup file> --data-dir <new folder>');
    expect(existsSync(join(work, 'via-ui'))).toBe(false);
  });
});
