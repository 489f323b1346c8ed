// Crash test: `shelf serve` is killed (SIGKILL) at random moments while publishes, dist-tag changes and unpublishes run
// concurrently, ten times over on one data folder. Afterwards every write the server acknowledged (a 2xx) must be there
// (every acknowledged publish with its tarball, every acknowledged unpublish gone), every tarball served must match its
// integrity, and once the start-up collector has run (grace 0) `shelf fsck` must find the store clean: no orphan, no
// missing blob, no packument out of step, no dangling tag.
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ssri from 'ssri';
import { afterAll, describe, expect, it } from 'vitest';
import { startShelf, type RunningShelf } from '../helpers/shelf-process';
import { blobName, call, collectorRun, fsck, integrityOf, publish, signUp, tarballOf, unpublishPackage } from './reliability-support';

const CYCLES = 10;
const PUBLISHERS = 3;
/** Each worker stops after this many operations in a cycle even if the kill has not come yet (it always does first). */
const MAX_OPS_PER_CYCLE = 200;

let shelf: RunningShelf | undefined;
const dataDir = mkdtempSync(join(tmpdir(), 'shelf-crash-'));
afterAll(async () => {
  await shelf?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

/** What the clients were told: only a 2xx counts as acknowledged. */
const acked = {
  publishes: new Map<string, string>(), // name@version → integrity
  unpublished: new Set<string>(),
};
/** Names whose unpublish was sent but not acknowledged: either outcome is allowed. */
const unpublishInDoubt = new Set<string>();
const names = new Set<string>();
const statuses: string[] = [];
const tag = { acked: undefined as string | undefined, inDoubt: new Set<string>() };

describe('crash test', () => {
  it(`loses no acknowledged write and leaves no garbage across ${CYCLES} kills`, async () => {
    shelf = await startShelf([], { dataDir });
    const token = await signUp(shelf.url, 'crasher');

    for (let cycle = 0; cycle < CYCLES; cycle++) {
      if (cycle > 0) shelf = await startShelf([], { dataDir });
      const base = shelf.url;
      let dead = false;
      let completed = 0;
      const guarded = async (work: () => Promise<void>) => {
        for (let op = 0; op < MAX_OPS_PER_CYCLE && !dead; op++) {
          try {
            await work();
            completed++;
          } catch {
            return; // the server is gone: this worker is done for the cycle
          }
        }
      };

      const publisher = (w: number) => {
        let n = 0;
        return guarded(async () => {
          const name = `crash-w${w}`;
          const version = `${cycle}.${n++}.0`;
          names.add(name);
          const tarball = tarballOf(name, version, `module.exports = '${name}@${version}';\n`);
          const reply = await publish(base, token, name, version, tarball);
          if (reply.status === 201) acked.publishes.set(`${name}@${version}`, integrityOf(tarball));
          else statuses.push(`${reply.status} ${reply.text.slice(0, 200)}`);
        });
      };
      const tagger = guarded(async () => {
        const versions = [...acked.publishes.keys()].filter((k) => k.startsWith('crash-w0@')).map((k) => k.slice('crash-w0@'.length));
        if (versions.length === 0) {
          completed--; // nothing sent: not an operation
          await new Promise((r) => setTimeout(r, 5));
          return;
        }
        const target = versions[Math.floor(Math.random() * versions.length)]!;
        tag.inDoubt.add(target);
        const reply = await call(base, 'PUT', '/-/package/crash-w0/dist-tags/stable', { token, body: target });
        if (reply.status >= 200 && reply.status < 300) {
          tag.acked = target;
          tag.inDoubt.clear();
        }
      });
      let v = 0;
      const unpublisher = guarded(async () => {
        const name = `victim-${cycle}-${v++}`;
        names.add(name);
        const tarball = tarballOf(name, '1.0.0', `module.exports = '${name}';\n`);
        const published = await publish(base, token, name, '1.0.0', tarball);
        if (published.status !== 201) return;
        acked.publishes.set(`${name}@1.0.0`, integrityOf(tarball));
        unpublishInDoubt.add(name);
        const removed = await unpublishPackage(base, token, name);
        if (removed.status === 200) {
          acked.unpublished.add(name);
          unpublishInDoubt.delete(name);
        }
      });

      const publishers = Array.from({ length: PUBLISHERS }, (_, w) => publisher(w));

      // The kill comes at a random moment while all of it runs: after a random number of operations have completed
      // (so every cycle does some work however slow the machine), plus a random few milliseconds into the next ones.
      const target = 3 + Math.floor(Math.random() * 10);
      for (let wait = 0; wait < 3000 && completed < target; wait++) await new Promise((r) => setTimeout(r, 5));
      await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 40)));
      dead = true;
      await shelf.kill('SIGKILL');
      await Promise.all([...publishers, tagger, unpublisher]);
    }
    expect(acked.publishes.size, statuses.slice(0, 5).join('\n')).toBeGreaterThan(CYCLES);

    // A blob written just before a kill and a temp file of a write cut short, as a crash leaves them (the random
    // kills may or may not have left some): the collector must take these too.
    const planted = tarballOf('planted-orphan', '1.0.0');
    const hex = blobName(planted);
    const plantedPath = join(dataDir, 'blobs', 'sha512', hex.slice(0, 2), hex.slice(2, 4), hex);
    mkdirSync(join(plantedPath, '..'), { recursive: true });
    writeFileSync(plantedPath, planted);
    const old = new Date(Date.now() - 60_000);
    utimesSync(plantedPath, old, old);
    writeFileSync(join(dataDir, 'blobs', 'tmp', '999999-1-0'), 'cut short');
    const beforeCollection = fsck(dataDir, ['--gc-grace', '0']);
    expect(beforeCollection.report.orphans.map((o: any) => o.integrity)).toContain(integrityOf(planted));

    // Restart with a grace of 0: the start-up collector takes every unreferenced blob.
    shelf = await startShelf(['--gc-grace', '0'], { dataDir });
    const run = await collectorRun(shelf.url);
    expect(run.removedBlobs).toBe(beforeCollection.report.orphans.length);
    const base = shelf.url;

    // Durability: every acknowledged publish is there with its tarball, unless its package's unpublish was acknowledged
    // (then it is gone) or was sent without an answer (then either is right).
    for (const [spec, integrity] of acked.publishes) {
      const at = spec.lastIndexOf('@');
      const [name, version] = [spec.slice(0, at), spec.slice(at + 1)];
      const doc = await call(base, 'GET', `/${name}`);
      if (acked.unpublished.has(name)) {
        expect(doc.status, spec).toBe(404);
        continue;
      }
      if (unpublishInDoubt.has(name) && doc.status === 404) continue;
      expect(doc.status, spec).toBe(200);
      expect(doc.body.versions[version]?.dist.integrity, spec).toBe(integrity);
      const tarball = Buffer.from(await (await fetch(`${base}/${name}/-/${name}-${version}.tgz`)).arrayBuffer());
      expect(integrityOf(tarball), spec).toBe(integrity);
    }
    // Integrity of everything served, acknowledged or not (a publish cut short must be all there or not at all).
    let served = 0;
    for (const name of names) {
      const doc = await call(base, 'GET', `/${name}`);
      if (doc.status === 404) continue;
      expect(doc.status).toBe(200);
      for (const [version, manifest] of Object.entries<any>(doc.body.versions)) {
        const response = await fetch(`${base}/${name}/-/${name}-${version}.tgz`);
        expect(response.status, `${name}@${version}`).toBe(200);
        const bytes = Buffer.from(await response.arrayBuffer());
        expect(ssri.checkData(bytes, manifest.dist.integrity), `${name}@${version}`).toBeTruthy();
        served++;
      }
      for (const [t, version] of Object.entries<string>(doc.body['dist-tags']))
        expect(doc.body.versions[version], `${name} ${t}`).toBeDefined();
    }
    expect(served).toBeGreaterThanOrEqual(
      [...acked.publishes.keys()].filter((k) => !acked.unpublished.has(k.slice(0, k.lastIndexOf('@')))).length - unpublishInDoubt.size,
    );
    // The last acknowledged dist-tag holds, unless a later change was sent and its answer lost in the kill.
    if (tag.acked) {
      const tags = (await call(base, 'GET', '/-/package/crash-w0/dist-tags')).body;
      expect([tag.acked, ...tag.inDoubt]).toContain(tags.stable);
    }

    // Zero orphans, nothing missing or out of step.
    await shelf.stop();
    shelf = undefined;
    const after = fsck(dataDir, ['--gc-grace', '0']);
    expect(after.report, JSON.stringify(after.report, null, 1)).toMatchObject({
      orphans: [],
      tempFiles: [],
      missing: [],
      corrupt: [],
      stalePackuments: [],
      danglingTags: [],
      clean: true,
    });
    expect(after.status).toBe(0);
  });
});
