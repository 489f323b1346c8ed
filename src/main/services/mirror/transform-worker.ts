// Runs packument transforms off the main thread when documents are large, so one huge packument never stalls other
// requests; for those it also stores the result in SQLite there, through the worker's own connection to the same file.
import * as crypto from 'node:crypto';
import { createRequire } from 'node:module';
import * as zlib from 'node:zlib';
import { Worker } from 'node:worker_threads';
import type { MetadataDb } from '../../storage/sql/port';
import { SqliteMetadataDb } from '../../storage/sql/sqlite';
import {
  PACKUMENT_WRITE_SQL,
  getUpstreamPackument,
  upstreamPackumentSize,
  writePackument,
  writePackumentAsync,
  type PackumentRendering,
  type PackumentWrite,
  type UpstreamPackumentRow,
} from '../../storage/db/mirror';
import {
  pickVersion,
  storedRowOf,
  transformPackument,
  type StoreRequest,
  type TransformInput,
  type TransformOutput,
} from './packument-transform';

/** Below this size the round trip to a worker costs more than the transform itself (gzipped input: about 8× smaller). */
const INLINE_LIMIT = 256 * 1024;
const INLINE_LIMIT_GZIP = 32 * 1024;

// The worker runs the transform's (and the store's) own source text, so the same code serves from a TypeScript test run
// and from the bundle.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const transformPackument = ${transformPackument.toString()};
const pickVersion = ${pickVersion.toString()};
const storedRowOf = ${storedRowOf.toString()};
const writePackument = ${writePackument.toString()};
let db;
function database() {
  if (db) return db;
  const Database = require(workerData.module);
  db = new Database(workerData.file, { fileMustExist: true, ...(workerData.nativeBinding ? { nativeBinding: workerData.nativeBinding } : {}) });
  // As the main connection (storage/db/connection.ts): the file is in WAL mode already; a commit survives power loss.
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  db.pragma('synchronous = FULL');
  return db;
}
function postWithBuffers(id, output, keys) {
  // Handing the buffers over instead of copying them keeps the main thread's side of a large document to a pointer swap.
  const transfer = [];
  for (const key of keys) {
    const bytes = output[key];
    if (!bytes) continue;
    if (bytes.byteOffset !== 0 || bytes.byteLength !== bytes.buffer.byteLength || transfer.includes(bytes.buffer)) output[key] = new Uint8Array(bytes);
    transfer.push(output[key].buffer);
  }
  parentPort.postMessage({ id, output }, transfer);
}
parentPort.on('message', ({ id, input, pick, store, read, close }) => {
  if (close) {
    if (db) db.close();
    db = undefined;
    return parentPort.postMessage({ id, output: true });
  }
  try {
    if (pick) return parentPort.postMessage({ id, output: pickVersion(pick.json, pick.versionOrTag) });
    if (read) {
      const row = database().prepare(workerData.sql.readRow).get(read.name);
      if (!row) return parentPort.postMessage({ id, output: undefined });
      return postWithBuffers(id, row, Object.keys(row).filter((key) => row[key] instanceof Uint8Array));
    }
    const output = transformPackument(input, require('node:zlib'), require('node:crypto'));
    if (store) {
      try {
        const row = storedRowOf(input.name, store, output);
        parentPort.postMessage({ id, storing: input.name });
        writePackument(database(), workerData.sql, store.kind === 'put' ? { kind: 'put', row, versions: output.versions } : { kind: 'rendering', row });
        output.stored = true;
      } catch (error) {
        return parentPort.postMessage({ id, error: String(error && error.message || error), code: error && error.code, stage: 'store' });
      }
    }
    postWithBuffers(id, output, ['full', 'fullGzip', 'abbrev', 'abbrevGzip', 'rawGzip']);
  } catch (error) {
    parentPort.postMessage({ id, error: String(error && error.message || error) });
  }
});
`;

/** Storing a packument failed (SQLite's error code kept, so a full disk is still a 507): not the upstream's fault. */
export class PackumentStoreError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
    this.name = 'PackumentStoreError';
  }
}

/** Where the worker's connection opens the database: the main connection's file and the same addon. */
interface WorkerDatabase {
  file: string;
  module: string;
  nativeBinding?: string;
  sql: typeof PACKUMENT_WRITE_SQL;
}

export class TransformRunner {
  private worker: Worker | undefined;
  private nextId = 0;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each task's own method types its result
  private readonly pending = new Map<number, { resolve: (o: any) => void; reject: (e: Error) => void }>();

  /**
   * `db` is the main connection: small documents are stored through it; large ones through the worker's own connection
   * to the same file (`sqliteBinding`: the addon build to load there, as for the main one).
   */
  constructor(
    private readonly db?: MetadataDb,
    private readonly sqliteBinding?: string,
    /** Told when the worker starts writing a document (the transform is done; the transaction is about to begin). */
    private readonly onStoring?: (name: string) => void,
  ) {}

  /**
   * Transforms small documents inline and large ones in the worker (JSON.parse, stringify and gzip included, so a large
   * document never blocks other requests). With `handOver`, the input's bytes are moved to the worker rather than copied;
   * the caller must not read them afterwards. With `store`, the result is also written to the database in one
   * transaction (in the worker for a large document: writing 60 MB of renderings into SQLite took the main thread 0.4 to
   * 1.1 s here), and `stored` in the output says so; a failed write rejects with a PackumentStoreError.
   */
  async run(input: TransformInput, handOver = false, store?: StoreRequest): Promise<TransformOutput> {
    const inline = input.raw.byteLength < (input.rawIsGzip ? INLINE_LIMIT_GZIP : INLINE_LIMIT);
    if (inline || (store && !this.workerCanStore())) {
      const output = transformPackument(input, zlib, crypto);
      if (store) await this.storeInline(input.name, store, output);
      return output;
    }
    const worker = this.ensureWorker();
    const id = this.nextId++;
    const raw = input.raw;
    const movable = handOver && raw.byteOffset === 0 && raw.byteLength === raw.buffer.byteLength && raw.buffer instanceof ArrayBuffer;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.ref();
      worker.postMessage({ id, input, store }, movable ? [raw.buffer as ArrayBuffer] : []);
    });
  }

  private async storeInline(name: string, store: StoreRequest, output: TransformOutput): Promise<void> {
    if (!this.db) throw new PackumentStoreError('no database to store the packument in', undefined);
    const row = storedRowOf(name, store, output);
    const write: PackumentWrite =
      store.kind === 'put'
        ? { kind: 'put', row: row as unknown as UpstreamPackumentRow, versions: output.versions }
        : { kind: 'rendering', row: row as unknown as PackumentRendering };
    await writePackumentAsync(this.db, write);
    output.stored = true;
  }

  /**
   * A second connection can write only to a file database opened normally: a read-only start (full disk) holds the file
   * exclusively and refuses writes, and the inline write then fails at once with the error that says so.
   */
  private workerCanStore(): boolean {
    // Only SQLite has a file a worker can open beside the main connection; PostgreSQL documents are stored inline.
    const db = this.db instanceof SqliteMetadataDb ? this.db.raw : undefined;
    return !!db && !db.memory && db.name !== '' && db.pragma('query_only', { simple: true }) === 0;
  }

  /**
   * A cached packument's row. Reading a large one whole (a 40 MB document's row is over 60 MB in SQLite overflow pages)
   * took the main thread 0.1 to 0.5 s here, so a row over INLINE_LIMIT is read by the worker's connection and handed
   * over; its size comes from the record header, which costs nothing to read.
   */
  async readRow(name: string): Promise<UpstreamPackumentRow | undefined> {
    const db = this.db;
    if (!db) throw new Error('no database to read the packument from');
    const size = await upstreamPackumentSize(db, name);
    if (size === undefined) return undefined;
    if (size < INLINE_LIMIT || !this.workerCanStore()) return getUpstreamPackument(db, name);
    const worker = this.ensureWorker();
    const id = this.nextId++;
    const row = await new Promise<Record<string, unknown> | undefined>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.ref();
      worker.postMessage({ id, read: { name } });
    });
    if (!row) return undefined;
    for (const [key, value] of Object.entries(row)) {
      if (value instanceof Uint8Array && !Buffer.isBuffer(value)) row[key] = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    }
    return row as unknown as UpstreamPackumentRow;
  }

  /** One version's manifest from a rendered full packument; parsed in the worker when the document is large. */
  async pickVersion(json: Uint8Array, versionOrTag: string): Promise<unknown> {
    if (json.byteLength < INLINE_LIMIT) return pickVersion(json, versionOrTag);
    const worker = this.ensureWorker();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.ref();
      worker.postMessage({ id, pick: { json, versionOrTag } });
    });
  }

  /** Waits for the tasks under way (a write in progress ends with its commit), closes the worker's connection, ends it. */
  async close(): Promise<void> {
    const worker = this.worker;
    if (!worker) return;
    await Promise.allSettled([...this.pending.keys()].map((id) => this.whenDone(id)));
    await new Promise<void>((resolve) => {
      const id = this.nextId++;
      this.pending.set(id, { resolve: () => resolve(), reject: () => resolve() });
      worker.ref();
      worker.postMessage({ id, close: true });
    });
    this.worker = undefined;
    await worker.terminate();
  }

  private whenDone(id: number): Promise<void> {
    const task = this.pending.get(id);
    if (!task) return Promise.resolve();
    return new Promise((resolve) => {
      this.pending.set(id, {
        resolve: (output) => {
          task.resolve(output);
          resolve();
        },
        reject: (error) => {
          task.reject(error);
          resolve();
        },
      });
    });
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const database: WorkerDatabase | undefined = this.workerCanStore()
      ? {
          file: (this.db as SqliteMetadataDb).raw.name,
          module: createRequire(__filename).resolve('better-sqlite3'),
          nativeBinding: this.sqliteBinding,
          sql: PACKUMENT_WRITE_SQL,
        }
      : undefined;
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: database });
    worker.on('message', (message: { id: number; output?: unknown; error?: string; code?: string; stage?: string; storing?: string }) => {
      if (message.storing !== undefined) return this.onStoring?.(message.storing);
      const task = this.pending.get(message.id);
      if (!task) return;
      this.pending.delete(message.id);
      if (this.pending.size === 0) worker.unref();
      if (message.error === undefined) task.resolve(message.output);
      else if (message.stage === 'store') task.reject(new PackumentStoreError(message.error, message.code));
      else task.reject(new Error(message.error));
    });
    worker.on('error', (error) => {
      for (const task of this.pending.values()) task.reject(error);
      this.pending.clear();
      this.worker = undefined;
    });
    worker.unref();
    this.worker = worker;
    return worker;
  }
}
