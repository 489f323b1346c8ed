// The S3 blob store against a real S3 server (Ceph's RADOS Gateway, one per run: test/global-setup-s3.ts): the real
// `shelf serve --blobs s3://…` with the real npm client, the adapter's conditional writes from two "nodes", streaming,
// the collector and fsck on objects, backup/restore, and the refusals, each showing that nothing was written.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import ssri from 'ssri';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectGarbage } from '../../src/main/services/maintenance/gc';
import { S3BlobStore } from '../../src/main/storage/blobs/s3-blob-store';
import { couchUserDocument, makeTarball, publishBody, startHarness } from '../helpers/app-harness';
import { NpmUser, makePackage, run, tempDir } from '../helpers/clients';
import { ROOT, startShelf, type RunningShelf } from '../helpers/shelf-process';
import { storeSnapshot } from '../helpers/store-snapshot';
import { awsEnv, blobKey, freshPrefix, s3Args, s3Location, s3Server } from './s3';
import { deletePrefix, listKeys, s3Client } from './s3-bucket';

const integrityOf = (bytes: Buffer) => ssri.fromData(bytes, { algorithms: ['sha512'] }).toString();
const shelfCli = (args: string[], cwd: string) =>
  run(process.execPath, [join(ROOT, 'bin', 'shelf.js'), ...args], { cwd, env: { ...process.env } });

/** Every file under a folder's blobs/sha512 (the folder store's blobs): an S3 Shelf keeps none there. */
function folderBlobs(dataDir: string): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    if (!existsSync(dir)) return;
    for (const entry of readdirSync(dir)) {
      const path = join(dir, entry);
      if (statSync(path).isDirectory()) walk(path);
      else found.push(path);
    }
  };
  walk(join(dataDir, 'blobs', 'sha512'));
  return found;
}

function storeAt(prefix: string, extra: Partial<ConstructorParameters<typeof S3BlobStore>[0]> = {}): S3BlobStore {
  const { kind: _kind, ...location } = s3Location(prefix);
  return new S3BlobStore({ ...location, ...extra });
}

beforeAll(() => {
  awsEnv();
});

describe('shelf serve with its tarballs in S3', () => {
  let shelf: RunningShelf;
  let prefix: string;
  let token: string;
  const put = (path: string, body: unknown, as = token) =>
    fetch(`${shelf.url}${path}`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${as}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  beforeAll(async () => {
    prefix = freshPrefix('serve');
    shelf = await startShelf(s3Args(prefix), { env: awsEnv() });
    const login = await fetch(`${shelf.url}/-/user/org.couchdb.user:alice`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(couchUserDocument('alice', 'alice-password-1')),
    });
    expect(login.status).toBe(201);
    token = ((await login.json()) as { token: string }).token;
  });
  afterAll(async () => {
    await shelf?.stop();
    await deletePrefix(prefix);
  });

  it('says which stores it uses', () => {
    expect(shelf.output()).toContain(`stores: database ${join(shelf.dataDir, 'shelf.db')}; blobs s3://${s3Server().bucket}/${prefix}`);
  });

  it('takes a publish from npm into the bucket and serves it to npm install', async () => {
    const npm = new NpmUser(shelf.registry);
    npm.setToken(token);
    const pkg = makePackage(join(tempDir(), 's3-demo'), { name: 's3-demo', version: '1.0.0' }, { 'index.js': 'module.exports = 42;\n' });
    const published = await npm.npm(['publish'], pkg);
    expect(published.code, published.stderr).toBe(0);

    const packument = (await (await fetch(`${shelf.url}/s3-demo`)).json()) as { versions: Record<string, { dist: { integrity: string } }> };
    const integrity = packument.versions['1.0.0']!.dist.integrity;
    // The one object, under the documented key; nothing in the data folder's blob folder.
    expect(await listKeys(prefix)).toEqual([blobKey(prefix, integrity)]);
    expect(folderBlobs(shelf.dataDir)).toEqual([]);

    const app = join(tempDir(), 'consumer');
    mkdirSync(app, { recursive: true });
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', dependencies: { 's3-demo': '1.0.0' } }));
    const installed = await npm.npm(['install'], app);
    expect(installed.code, installed.stderr).toBe(0);
    expect(readFileSync(join(app, 'node_modules', 's3-demo', 'index.js'), 'utf8')).toBe('module.exports = 42;\n');
    const lock = JSON.parse(readFileSync(join(app, 'package-lock.json'), 'utf8')) as { packages: Record<string, { integrity: string }> };
    expect(lock.packages['node_modules/s3-demo']!.integrity).toBe(integrity);
  });

  it('streams a 20 MB tarball out of the bucket, byte for byte', async () => {
    // Random bytes do not compress: the tarball is about 20 MB.
    const tarball = await makeTarball({
      'package.json': JSON.stringify({ name: 'big-blob', version: '1.0.0' }),
      'blob.txt': randomBytes(20 * 1024 * 1024).toString('base64'),
    });
    expect(tarball.length).toBeGreaterThan(19 * 1024 * 1024);
    const response = await put('/big-blob', publishBody('big-blob', '1.0.0', tarball));
    expect(response.status, await response.text()).toBe(201);

    const download = await fetch(`${shelf.url}/big-blob/-/big-blob-1.0.0.tgz`);
    expect(download.status).toBe(200);
    expect(download.headers.get('content-length')).toBe(String(tarball.length));
    const hash = createHash('sha512');
    let received = 0;
    for await (const chunk of download.body as unknown as AsyncIterable<Uint8Array>) {
      hash.update(chunk);
      received += chunk.length;
    }
    expect(received).toBe(tarball.length);
    expect(`sha512-${hash.digest('base64')}`).toBe(integrityOf(tarball));

    // The adapter hands the body on as a stream (the object is never read whole into memory).
    const store = storeAt(prefix);
    const opened = await store.open(integrityOf(tarball));
    expect(opened?.size).toBe(tarball.length);
    expect(Buffer.isBuffer(opened?.body)).toBe(false);
    (opened!.body as NodeJS.ReadableStream & { destroy(): void }).destroy();
    await store.close();
  });

  it('refuses a publish whose tarball does not match its integrity, writing nothing to the bucket or the database', async () => {
    const tarball = await makeTarball({ 'package.json': JSON.stringify({ name: 'liar', version: '1.0.0' }) });
    const body = publishBody('liar', '1.0.0', tarball, { manifest: { dist: { integrity: integrityOf(Buffer.from('other bytes')) } } });
    const keysBefore = await listKeys(prefix);
    const before = storeSnapshot(shelf.dataDir);
    const response = await put('/liar', body);
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: string }).error).toMatch(/integrity/i);
    expect(await listKeys(prefix)).toEqual(keysBefore);
    expect(storeSnapshot(shelf.dataDir)).toEqual(before);
  });

  it('refuses a second publish of a version (409) without writing another object', async () => {
    const tarball = await makeTarball({ 'package.json': JSON.stringify({ name: 'once', version: '1.0.0' }), 'a.js': '1' });
    expect((await put('/once', publishBody('once', '1.0.0', tarball))).status).toBe(201);
    const again = await makeTarball({ 'package.json': JSON.stringify({ name: 'once', version: '1.0.0' }), 'a.js': '2' });
    const keysBefore = await listKeys(prefix);
    const before = storeSnapshot(shelf.dataDir);
    const response = await put('/once', publishBody('once', '1.0.0', again));
    expect(response.status).toBe(409);
    expect(((await response.json()) as { error: string }).error).toMatch(/1\.0\.0/);
    expect(await listKeys(prefix)).toEqual(keysBefore);
    expect(storeSnapshot(shelf.dataDir)).toEqual(before);
  });

  it('backs up the objects into the archive, which restores into a folder or into another prefix of the bucket', async () => {
    const work = tempDir();
    const archive = join(work, 'team.tar.gz');
    const saved = await makeTarball({ 'package.json': JSON.stringify({ name: 'saved', version: '1.0.0' }), 'x.js': 'saved' });
    expect((await put('/saved', publishBody('saved', '1.0.0', saved))).status).toBe(201);
    const integrity = integrityOf(saved);
    const backup = await shelfCli(['backup', archive, '--json', '--data-dir', shelf.dataDir, ...s3Args(prefix)], work);
    expect(backup.code, backup.stderr).toBe(0);

    // Into a plain data folder: the tarballs land in its blobs/ and a folder Shelf serves them.
    const folder = join(work, 'folder');
    const restored = await shelfCli(['restore', archive, '--data-dir', folder], work);
    expect(restored.code, restored.stderr).toBe(0);
    expect(folderBlobs(folder).some((path) => path.endsWith(Buffer.from(integrity.slice(7), 'base64').toString('hex')))).toBe(true);

    // Into another prefix of the bucket: the objects are put there and the folder holds no blobs.
    const second = freshPrefix('restored');
    try {
      const target = join(work, 'bucket');
      const intoBucket = await shelfCli(['restore', archive, '--data-dir', target, ...s3Args(second)], work);
      expect(intoBucket.code, intoBucket.stderr).toBe(0);
      expect(intoBucket.stdout).toContain(`--blobs s3://${s3Server().bucket}/${second}`);
      expect(folderBlobs(target)).toEqual([]);
      expect(await listKeys(second)).toContain(blobKey(second, integrity));
      const served = await startShelf(s3Args(second), { dataDir: target, env: awsEnv() });
      try {
        const tarball = Buffer.from(await (await fetch(`${served.url}/saved/-/saved-1.0.0.tgz`)).arrayBuffer());
        expect(integrityOf(tarball)).toBe(integrity);
      } finally {
        await served.stop();
      }
    } finally {
      await deletePrefix(second);
      rmSync(work, { recursive: true, force: true });
    }
  });
  it('fsck finds a missing and a corrupt object and an orphan; --repair quarantines and collects what it can', async () => {
    const tarballs: Record<string, Buffer> = {};
    for (const name of ['gone', 'rotten', 'fine']) {
      tarballs[name] = await makeTarball({ 'package.json': JSON.stringify({ name, version: '1.0.0' }), 'x.js': name });
      expect((await put(`/${name}`, publishBody(name, '1.0.0', tarballs[name]!))).status).toBe(201);
    }
    const bucket = s3Server().bucket;
    const orphan = randomBytes(1000);
    await s3Client().send(new PutObjectCommand({ Bucket: bucket, Key: blobKey(prefix, integrityOf(orphan)), Body: orphan }));
    const { DeleteObjectCommand } = await import('@aws-sdk/client-s3');
    await s3Client().send(new DeleteObjectCommand({ Bucket: bucket, Key: blobKey(prefix, integrityOf(tarballs.gone!)) }));
    await s3Client().send(
      new PutObjectCommand({ Bucket: bucket, Key: blobKey(prefix, integrityOf(tarballs.rotten!)), Body: Buffer.from('not the tarball') }),
    );

    const args = ['fsck', '--json', '--data-dir', shelf.dataDir, '--gc-grace', '0s', ...s3Args(prefix)];
    const checked = await shelfCli(args, shelf.dataDir);
    expect(checked.code, checked.stderr).toBe(1);
    const report = JSON.parse(checked.stdout) as {
      blobs: string;
      missing: { name: string }[];
      corrupt: { path: string; references: string[] }[];
      orphans: { integrity: string }[];
    };
    expect(report.blobs).toBe(`s3://${bucket}/${prefix}`);
    expect(report.missing.map((m) => m.name)).toEqual(['gone']);
    expect(report.corrupt).toEqual([
      expect.objectContaining({ path: `s3://${bucket}/${blobKey(prefix, integrityOf(tarballs.rotten!))}`, references: ['rotten@1.0.0'] }),
    ]);
    expect(report.orphans.map((o) => o.integrity)).toEqual([integrityOf(orphan)]);

    const repaired = await shelfCli([...args, '--repair'], shelf.dataDir);
    // The published version whose tarball is gone cannot be made up: fsck still exits 1 and says what to do.
    expect(repaired.code, repaired.stderr).toBe(1);
    const after = JSON.parse(repaired.stdout) as { corrupt: { repaired: boolean; quarantinedTo: string }[]; missing: { action: string }[] };
    const hex = Buffer.from(integrityOf(tarballs.rotten!).slice(7), 'base64').toString('hex');
    expect(after.corrupt[0]).toMatchObject({ repaired: true, quarantinedTo: `s3://${bucket}/${prefix}/blobs/quarantine/${hex}` });
    expect(after.missing.find((m) => m.action)?.action).toMatch(/restore the data folder from a backup, or unpublish/);
    const keys = await listKeys(prefix);
    expect(keys).toContain(`${prefix}/blobs/quarantine/${hex}`);
    expect(keys).not.toContain(blobKey(prefix, integrityOf(orphan)));
    expect(keys).not.toContain(blobKey(prefix, integrityOf(tarballs.rotten!)));
    expect(keys).toContain(blobKey(prefix, integrityOf(tarballs.fine!)));
  });
});

describe('the S3 adapter: conditional, content-addressed writes', () => {
  it('stores one object when two nodes put the same blob at once, and deduplicates later puts', async () => {
    const prefix = freshPrefix('race');
    const nodeA = storeAt(prefix);
    const nodeB = storeAt(prefix);
    try {
      const bytes = randomBytes(300 * 1024);
      const integrity = integrityOf(bytes);
      const results = await Promise.allSettled([
        ...Array.from({ length: 8 }, () => nodeA.put(integrity, bytes)),
        ...Array.from({ length: 8 }, () => nodeB.put(integrity, bytes)),
      ]);
      expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
      expect(await listKeys(prefix)).toEqual([blobKey(prefix, integrity)]);
      expect(await nodeB.read(integrity)).toEqual(bytes);
      await nodeA.put(integrity, bytes);
      expect(await listKeys(prefix)).toEqual([blobKey(prefix, integrity)]);
    } finally {
      await nodeA.close();
      await nodeB.close();
      await deletePrefix(prefix);
    }
  });

  it("a put that loses the conditional write to another writer succeeds, keeps the winner's object and refreshes its time", async () => {
    const prefix = freshPrefix('loser');
    const store = storeAt(prefix);
    try {
      const bytes = randomBytes(64 * 1024);
      const integrity = integrityOf(bytes);
      const Key = blobKey(prefix, integrity);
      const Bucket = s3Server().bucket;
      // Another node wins the write.
      await s3Client().send(new PutObjectCommand({ Bucket, Key, Body: bytes, IfNoneMatch: '*', Metadata: { writer: 'other-node' } }));
      // The server refuses a second conditional write of that key: 412, the answer the adapter's put gets.
      const refused = await s3Client()
        .send(new PutObjectCommand({ Bucket, Key, Body: Buffer.from('different'), IfNoneMatch: '*' }))
        .then(
          () => undefined,
          (error: { $metadata?: { httpStatusCode?: number } }) => error.$metadata?.httpStatusCode,
        );
      expect(refused).toBe(412);
      const before = await s3Client().send(new HeadObjectCommand({ Bucket, Key }));

      await store.put(integrity, bytes);

      const after = await s3Client().send(new HeadObjectCommand({ Bucket, Key }));
      // The winner's bytes stay; the loser's put took the 412 path and refreshed the time (a copy onto itself).
      expect(after.ETag).toBe(before.ETag);
      expect(after.Metadata?.refreshed).toMatch(/^\d+$/);
      expect(after.LastModified!.getTime()).toBeGreaterThanOrEqual(before.LastModified!.getTime());
      const object = await s3Client().send(new GetObjectCommand({ Bucket, Key }));
      expect(Buffer.from(await object.Body!.transformToByteArray())).toEqual(bytes);
      expect(await listKeys(prefix)).toEqual([Key]);
    } finally {
      await store.close();
      await deletePrefix(prefix);
    }
  });

  it('a put that starts while a delete of the same blob is in flight waits for it and stores the blob afresh', async () => {
    const prefix = freshPrefix('delete-race');
    const store = storeAt(prefix);
    try {
      const bytes = randomBytes(10 * 1024);
      const integrity = integrityOf(bytes);
      await store.put(integrity, bytes);
      await new Promise((r) => setImmediate(r)); // the write's claim is released: the blob may be removed now
      // An unpublish drops the blob as a publish of the same bytes begins: the publish must not get the old object's
      // 412 and then lose it to the delete.
      await Promise.all([store.remove(integrity), store.put(integrity, bytes)]);
      expect(await listKeys(prefix)).toEqual([blobKey(prefix, integrity)]);
      expect(await store.read(integrity)).toEqual(bytes);
    } finally {
      await store.close();
      await deletePrefix(prefix);
    }
  });

  it('uploads a large blob in parts, reads it back whole, and does not upload it again', async () => {
    const prefix = freshPrefix('multipart');
    const store = storeAt(prefix, { multipartAboveBytes: 8 * 1024 * 1024 });
    try {
      const bytes = randomBytes(20 * 1024 * 1024);
      const integrity = integrityOf(bytes);
      await store.put(integrity, bytes);
      const head = await s3Client().send(new HeadObjectCommand({ Bucket: s3Server().bucket, Key: blobKey(prefix, integrity) }));
      // A multipart object's ETag names its part count.
      expect(head.ETag).toMatch(/-2"$/);
      expect(await store.size(integrity)).toBe(bytes.length);
      const hash = createHash('sha512');
      for await (const chunk of await store.stream(integrity)) hash.update(chunk as Buffer);
      expect(`sha512-${hash.digest('base64')}`).toBe(integrity);
      await store.put(integrity, bytes);
      expect(await listKeys(prefix)).toEqual([blobKey(prefix, integrity)]);
      expect(await store.tempFiles()).toEqual([]);
    } finally {
      await store.close();
      await deletePrefix(prefix);
    }
  });
});

describe('the S3 adapter: reads', () => {
  it('keeps recently sent small tarballs in memory (immutable, so never stale) and forgets one it deletes', async () => {
    const prefix = freshPrefix('hot');
    const store = storeAt(prefix);
    try {
      const bytes = randomBytes(50 * 1024);
      const integrity = integrityOf(bytes);
      await store.put(integrity, bytes);
      const first = await store.open(integrity);
      expect(first?.body).toEqual(bytes);
      // Gone from the bucket behind the store's back: the second send comes from memory, the same buffer.
      const { DeleteObjectCommand } = await import('@aws-sdk/client-s3');
      await s3Client().send(new DeleteObjectCommand({ Bucket: s3Server().bucket, Key: blobKey(prefix, integrity) }));
      const second = await store.open(integrity);
      expect(second?.body).toBe(first?.body);
      // A delete through the store drops the copy: the next read asks the bucket, which has nothing.
      await store.remove(integrity);
      expect(await store.open(integrity)).toBeUndefined();
      expect(await store.read(integrity)).toBeUndefined();
    } finally {
      await store.close();
      await deletePrefix(prefix);
    }
  });
});

describe('the collector on a bucket', () => {
  it('deletes an orphan object once it is past the grace period, and never a referenced one', async () => {
    const prefix = freshPrefix('gc');
    let clock = Date.now();
    const harness = await startHarness({ blobs: s3Location(prefix) }, { now: () => new Date(clock) });
    try {
      const token = await harness.login('gc-user');
      const tarball = await makeTarball({ 'package.json': JSON.stringify({ name: 'kept', version: '1.0.0' }) });
      expect((await harness.call('PUT', '/kept', { token, body: publishBody('kept', '1.0.0', tarball) })).status).toBe(201);
      const { db, blobs } = harness.app.services.packages.ctx;
      const orphan = randomBytes(2048);
      await blobs.put(integrityOf(orphan), orphan);
      await new Promise((r) => setImmediate(r));
      expect(await listKeys(prefix)).toHaveLength(2);

      const hour = 3600_000;
      // Young: a publish may be about to commit its row.
      const young = await collectGarbage({ db, blobs, graceMs: hour, now: () => new Date(clock) });
      expect(young).toMatchObject({ scanned: 2, removedBlobs: 0 });
      expect(await listKeys(prefix)).toHaveLength(2);

      // Two hours on: the orphan goes, the referenced tarball stays.
      clock += 2 * hour;
      const old = await collectGarbage({ db, blobs, graceMs: hour, now: () => new Date(clock) });
      expect(old).toMatchObject({ scanned: 2, removedBlobs: 1, removedBytes: orphan.length });
      expect(await listKeys(prefix)).toEqual([blobKey(prefix, integrityOf(tarball))]);
      expect((await harness.call('GET', '/kept/-/kept-1.0.0.tgz')).status).toBe(200);
    } finally {
      await harness.close();
      await deletePrefix(prefix);
    }
  });
});

describe('refusals before anything is stored', () => {
  it('refuses to start on a bucket that does not exist, naming it, and stores nothing', async () => {
    const dataDir = tempDir();
    const result = await shelfCli(
      [
        'serve',
        '--port',
        '0',
        '--data-dir',
        dataDir,
        '--upstream',
        'none',
        '--blobs',
        's3://no-such-bucket-here/x',
        '--s3-endpoint',
        s3Server().endpoint,
        '--s3-path-style',
      ],
      dataDir,
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('the bucket no-such-bucket-here does not exist');
    expect(result.stdout).not.toContain('listening on');
    // Checked before the database is opened: the data folder stays empty.
    expect(readdirSync(dataDir)).toEqual([]);
  });

  it('refuses wrong credentials with what to check', async () => {
    const prefix = freshPrefix('creds');
    const dataDir = tempDir();
    const result = await run(
      process.execPath,
      [join(ROOT, 'bin', 'shelf.js'), 'serve', '--port', '0', '--data-dir', dataDir, '--upstream', 'none', ...s3Args(prefix)],
      {
        cwd: dataDir,
        env: { ...process.env, AWS_SECRET_ACCESS_KEY: 'not-the-secret' },
      },
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/S3 refused the credentials .*check AWS_ACCESS_KEY_ID\/AWS_SECRET_ACCESS_KEY/);
    expect(readdirSync(dataDir)).toEqual([]);
    expect(await listKeys(prefix)).toEqual([]);
  });

  it('refuses credentials in config.json or in the --blobs URL before opening anything', async () => {
    const prefix = freshPrefix('config');
    const dataDir = tempDir();
    writeFileSync(join(dataDir, 'config.json'), JSON.stringify({ blobs: `s3://${s3Server().bucket}/${prefix}`, awsSecretAccessKey: 'x' }));
    const fromFile = await shelfCli(['serve', '--port', '0', '--data-dir', dataDir, '--upstream', 'none'], dataDir);
    expect(fromFile.code, fromFile.stderr).toBe(2);
    expect(fromFile.stderr).toContain(
      "'awsSecretAccessKey' looks like a credential, and Shelf never reads credentials from its config file",
    );
    expect(fromFile.stderr).toContain('AWS_ACCESS_KEY_ID');

    const otherDir = tempDir();
    const inUrl = await shelfCli(
      ['serve', '--port', '0', '--data-dir', otherDir, '--blobs', `s3://KEY:SECRET@${s3Server().bucket}/${prefix}`],
      otherDir,
    );
    expect(inUrl.code, inUrl.stderr).toBe(2);
    expect(inUrl.stderr).toContain('S3 credentials are never read from Shelf');

    // Nothing was opened: no database, no object.
    expect(readdirSync(dataDir)).toEqual(['config.json']);
    expect(readdirSync(otherDir)).toEqual([]);
    expect(await listKeys(prefix)).toEqual([]);
  });
});
