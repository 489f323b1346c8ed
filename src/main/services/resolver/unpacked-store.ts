// Owns the unpacked side of the install cache: each verified, inspected tarball unpacked once under its sha512, then hard-linked (or copied) into node_modules file by file.
//
// A warm install then costs a mkdir per folder and a hard link per file instead of a gunzip, a tar parse, a safety
// inspection and an extraction per package (pnpm's approach; a link is about ten times cheaper than a copy here). Stored
// files are read-only, so an in-place edit in node_modules fails loudly instead of changing the store under other
// projects; editors and tools that write a new file and rename it simply break the link. Where linking is impossible
// (another file system) or unwanted (packages whose install scripts may rewrite their own files), files are copied.
// A store entry is complete only once its file list is written (temp folder + rename), so a crash leaves no half entry.
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import ssri from 'ssri';
import { createLimiter } from './limit';
import { extractPackage, parseInspected, type UnpackedFile, type UnpackPlan } from './extract';

const LIST = '.shelf-files.json';
/** Packages per message to a link thread on a warm install: the cra fixture's 1,500 packages make about a hundred messages. */
const PLACE_BATCH = 16;

export class UnpackedStore {
  hits = 0;
  /** Files hard-linked from the store, and files copied (where linking failed or was not wanted). */
  filesLinked = 0;
  filesCopied = 0;
  /** Why files were copied rather than linked, when they were: reported, so a slow install says what made it slow. */
  copyReason: string | undefined;
  /** Hard links work between this store and the project until one fails; then files are copied. */
  private linking = true;
  private readonly pool: LinkPool | undefined;

  /** `linkThreads`: threads that place packages (0: this thread); by default one per core, up to 4, none on one core. */
  constructor(
    private readonly dir: string,
    options: { linkThreads?: number } = {},
  ) {
    const cores = availableParallelism();
    const threads = options.linkThreads ?? (cores < 2 ? 0 : Math.min(cores, 4));
    this.pool = threads > 0 ? new LinkPool(threads) : undefined;
    // Booting a thread takes tens of milliseconds; the caller is still reading the lockfile meanwhile.
    this.pool?.warmUp();
  }

  /** The store folder for an integrity string (sha512 only), or undefined when there is none to key by. */
  private folderOf(integrity: string | undefined): string | undefined {
    if (!integrity) return undefined;
    const hash = ssri.parse(integrity).sha512?.[0];
    if (!hash) return undefined;
    const hex = Buffer.from(hash.digest, 'base64').toString('hex');
    return join(this.dir, 'unpacked', hex.slice(0, 2), hex);
  }

  /**
   * Links (or copies) a stored package into `dest`; false when it is not stored yet. The work is all system calls (a
   * mkdir per folder, a link per file), so it runs on the link threads, one package per message, while this thread
   * hands out the next package; the calls themselves stay synchronous there (a thread-pool round trip per link measured
   * slower than the link).
   */
  async copyTo(integrity: string | undefined, dest: string, options: { link?: boolean } = {}): Promise<boolean> {
    const folder = this.folderOf(integrity);
    if (!folder) return false;
    const link = options.link !== false && this.linking;
    const job = { folder, dest, link };
    const result = this.pool ? await this.pool.run(job) : storeAndPlace(fs, job);
    if (result.missing) return false;
    this.count(result, options.link);
    this.hits += 1;
    return true;
  }

  /**
   * Links (or copies) every stored package of `wanted` into its folder, in batches of a few packages per message to the
   * link threads (a message per package cost a tenth of a warm install); says which were placed, so the caller fetches
   * and adds only the rest. `onPlaced` is told as each package lands.
   */
  async placeAll(wanted: { integrity: string | undefined; dest: string; link?: boolean }[], onPlaced?: () => void): Promise<boolean[]> {
    const placed = wanted.map(() => false);
    const jobs: { index: number; job: StoreJob }[] = [];
    wanted.forEach((w, index) => {
      const folder = this.folderOf(w.integrity);
      if (folder) jobs.push({ index, job: { folder, dest: w.dest, link: w.link !== false && this.linking } });
    });
    const record = (index: number, result: PlaceResult): void => {
      if (result.missing) return;
      placed[index] = true;
      this.count(result, wanted[index]!.link);
      this.hits += 1;
      onPlaced?.();
    };
    if (!this.pool) {
      for (const { index, job } of jobs) record(index, storeAndPlace(fs, job));
      return placed;
    }
    const batches: (typeof jobs)[] = [];
    for (let i = 0; i < jobs.length; i += PLACE_BATCH) batches.push(jobs.slice(i, i + PLACE_BATCH));
    // Two batches per thread in flight: one being placed, the next already waiting, so no thread idles between them.
    const limit = createLimiter(this.pool.size * 2);
    await Promise.all(
      batches.map((batch) =>
        limit(async () => {
          const results = await this.pool!.runBatch(batch.map((b) => b.job));
          batch.forEach((b, i) => record(b.index, results[i]!));
        }),
      ),
    );
    return placed;
  }

  private count(result: PlaceResult, link: boolean | undefined): void {
    this.filesLinked += result.linked;
    this.filesCopied += result.copied;
    if (result.linkFailed) {
      this.linking = false;
      this.copyReason = `hard links from the cache at ${this.dir} failed (${result.linkFailed}); files are copied (a reflink where the file system offers one)`;
    } else if (link === false && result.copied) this.copyReason ??= 'packages whose install scripts run get their own copies';
  }

  /** Stops the link threads (they never keep the process alive, but an install should not leave them running). */
  async close(): Promise<void> {
    await this.pool?.close();
  }

  /**
   * Stores verified bytes and links them into `dest`. This thread parses the tarball (the inspection publish applies
   * alongside, both gunzips on libuv's pool) and hands the parsed files to a link thread, which writes them read-only
   * into a temporary folder beside the entry's final place, writes the list, renames the folder into place and links
   * the package, all in one message: the system calls (most of an empty-cache install) leave this thread, which goes
   * on downloading. The entry appears only when complete; on any failure the temporary folder is removed.
   */
  async add(bytes: Buffer, integrity: string | undefined, dest: string, label: string, options: { link?: boolean } = {}): Promise<void> {
    const folder = this.folderOf(integrity);
    if (!folder) {
      await extractPackage(bytes, dest, label);
      return;
    }
    const link = options.link !== false && this.linking;
    let job: StoreJob;
    if (existsSync(join(folder, LIST))) job = { folder, dest, link };
    else {
      const plan = await parseInspected(bytes, label);
      job = { folder, dest, link, store: { temp: `${folder}.${randomBytes(6).toString('hex')}.tmp`, ...plan } };
    }
    const result = this.pool ? await this.pool.run(job) : storeAndPlace(fs, job);
    if (result.missing) {
      // Only when the entry vanished between the check and the link (a cache being cleaned meanwhile).
      await extractPackage(bytes, dest, label);
      return;
    }
    this.count(result, options.link);
  }
}

/** A package to place from the store; with `store`, the parsed files to write into the store first. */
interface StoreJob {
  folder: string;
  dest: string;
  link: boolean;
  store?: { temp: string } & UnpackPlan;
}

interface PlaceResult {
  /** The package is not in the store (no complete file list). */
  missing?: boolean;
  linked: number;
  copied: number;
  /** The error code of the link that failed, after which this package's files were copied. */
  linkFailed?: string;
}

/**
 * Makes `dest` and the folders under it (each once, parents first: a parent sorts before its children, being their
 * prefix, so no recursive walk), then links or copies each listed file. Self-contained, with `fs` passed in: its source
 * text is what the link threads run, so the same code serves there, on this thread and from a TypeScript test run.
 */
export function placeFiles(
  fs: typeof import('node:fs'),
  folder: string,
  dest: string,
  link: boolean,
  listed?: { p: string; k: string; t?: string }[],
): PlaceResult {
  // Each entry: path inside the package (forward slashes), 'f' file or 'l' symbolic link (target in `t`).
  let files: { p: string; k: string; t?: string }[];
  try {
    files = listed ?? JSON.parse(fs.readFileSync(`${folder}/.shelf-files.json`, 'utf8'));
  } catch {
    return { missing: true, linked: 0, copied: 0 };
  }
  const folders = new Set<string>();
  for (const file of files) {
    let slash = file.p.lastIndexOf('/');
    while (slash > 0) {
      const sub = file.p.slice(0, slash);
      if (folders.has(sub)) break;
      folders.add(sub);
      slash = sub.lastIndexOf('/');
    }
  }
  fs.mkdirSync(dest, { recursive: true });
  for (const sub of [...folders].sort()) {
    try {
      fs.mkdirSync(`${dest}/${sub}`);
    } catch (error) {
      // A folder a nested package or a bundled node_modules already made.
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  const result: PlaceResult = { linked: 0, copied: 0 };
  // List paths are clean (this store wrote them), so concatenation stands in for path.join's normalizing.
  for (const file of files) {
    const target = `${dest}/${file.p}`;
    const source = `${folder}/package/${file.p}`;
    if (file.k === 'l') {
      fs.symlinkSync(file.t ?? '', target);
      continue;
    }
    if (link) {
      try {
        fs.linkSync(source, target);
        result.linked += 1;
        continue;
      } catch (error) {
        // EXDEV (another file system), EPERM, EMLINK: copy from here on, and say why.
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'EEXIST') throw error;
        link = false;
        result.linkFailed = code ?? (error as Error).message;
      }
    }
    fs.copyFileSync(source, target, fs.constants.COPYFILE_FICLONE);
    result.copied += 1;
  }
  return result;
}

/**
 * Runs a job: with `job.store`, first writes the parsed package into a temporary folder (each folder made once, as the
 * first path under it arrives; files created read-only with their final mode, so no chmod afterwards), writes its list
 * and renames it into place (another install that stored it first wins; ours is removed), then places the package with
 * `place` (placeFiles, passed in so this function's source text stands alone in the link threads too).
 */
export function storeAndPlace(fs: typeof import('node:fs'), job: StoreJob, place: typeof placeFiles = placeFiles): PlaceResult {
  const { folder, dest, link, store } = job;
  if (!store || fs.existsSync(`${folder}/.shelf-files.json`)) return place(fs, folder, dest, link);
  const root = `${store.temp}/package`;
  const listed = new Map<string, UnpackedFile>();
  try {
    fs.mkdirSync(root, { recursive: true });
    const made = new Set<string>(['']);
    const ensureDir = (rel: string): void => {
      if (made.has(rel)) return;
      const slash = rel.lastIndexOf('/');
      ensureDir(slash < 0 ? '' : rel.slice(0, slash));
      try {
        fs.mkdirSync(`${root}/${rel}`);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      made.add(rel);
    };
    const parentOf = (path: string): string => {
      const slash = path.lastIndexOf('/');
      return slash < 0 ? '' : path.slice(0, slash);
    };
    for (const op of store.ops) {
      if (op.k === 'd') {
        ensureDir(op.p);
        continue;
      }
      ensureDir(parentOf(op.p));
      if (op.k === 'l') {
        fs.symlinkSync(op.t, `${root}/${op.p}`);
        listed.set(op.p, { p: op.p, k: 'l', t: op.t });
      } else {
        fs.writeFileSync(`${root}/${op.p}`, op.b, { mode: op.m });
        listed.set(op.p, { p: op.p, k: 'f' });
      }
    }
    for (const hard of store.hardLinks) {
      fs.linkSync(`${root}/${hard.target}`, `${root}/${hard.path}`);
      listed.set(hard.path, { p: hard.path, k: 'f' });
    }
    fs.writeFileSync(`${store.temp}/.shelf-files.json`, JSON.stringify([...listed.values()]));
    fs.mkdirSync(folder.replace(/[\\/][^\\/]*$/, ''), { recursive: true });
    try {
      fs.renameSync(store.temp, folder);
    } catch {
      // Another install stored it first; theirs is as good as ours.
      fs.rmSync(store.temp, { recursive: true, force: true });
      return place(fs, folder, dest, link);
    }
  } catch (error) {
    fs.rmSync(store.temp, { recursive: true, force: true });
    throw error;
  }
  return place(fs, folder, dest, link, [...listed.values()]);
}

const LINK_WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const fs = require('node:fs');
const placeFiles = ${placeFiles.toString()};
const storeAndPlace = ${storeAndPlace.toString()};
parentPort.on('message', (message) => {
  try {
    parentPort.postMessage({ id: message.id, results: message.jobs.map((job) => storeAndPlace(fs, job, placeFiles)) });
  } catch (error) {
    parentPort.postMessage({ id: message.id, error: { message: error.message, code: error.code } });
  }
});
`;

/** Threads that place packages; each takes the next package when it has the fewest waiting. */
class LinkPool {
  private readonly workers: { worker: Worker; pending: Set<number> }[] = [];
  private readonly waiting = new Map<number, { resolve: (r: PlaceResult[]) => void; reject: (e: Error) => void }>();
  private nextId = 0;

  constructor(readonly size: number) {}

  /** Starts the threads now, so they have booted by the time the first package is handed out. */
  warmUp(): void {
    while (this.workers.length < this.size) this.start();
  }

  async run(job: StoreJob): Promise<PlaceResult> {
    return (await this.runBatch([job]))[0]!;
  }

  /** Places several packages in one message each way (a message costs about as much as linking a small package). */
  runBatch(jobs: StoreJob[]): Promise<PlaceResult[]> {
    this.warmUp();
    const slot = this.workers.reduce((a, b) => (b.pending.size < a.pending.size ? b : a));
    const id = this.nextId++;
    slot.pending.add(id);
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      // The file bodies move to the thread (each has a buffer of its own, see parseInspected) instead of being copied.
      const bodies = jobs.flatMap((job) => job.store?.ops.flatMap((op) => (op.k === 'f' ? [op.b.buffer as ArrayBuffer] : [])) ?? []);
      slot.worker.postMessage({ id, jobs }, bodies);
    });
  }

  private start(): void {
    const worker = new Worker(LINK_WORKER_SOURCE, { eval: true });
    worker.unref();
    const slot = { worker, pending: new Set<number>() };
    worker.on('message', (message: { id: number; results?: PlaceResult[]; error?: { message: string; code?: string } }) => {
      slot.pending.delete(message.id);
      const waiter = this.waiting.get(message.id);
      this.waiting.delete(message.id);
      if (message.error) waiter?.reject(Object.assign(new Error(message.error.message), { code: message.error.code }));
      else waiter?.resolve(message.results!);
    });
    worker.on('error', (error: Error) => {
      for (const id of slot.pending) this.waiting.get(id)?.reject(error);
      slot.pending.clear();
    });
    this.workers.push(slot);
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((slot) => slot.worker.terminate()));
    this.workers.length = 0;
  }
}
