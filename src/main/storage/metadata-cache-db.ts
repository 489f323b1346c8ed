// The resolver's metadata cache on disk: one SQLite file with a row per registry and package name holding the
// document's head and its per-version facts, and a row per version holding that version's manifest, so that a warm run
// reads from disk only the manifests it picks (about 1,500 of the cra tree's 75,000; reading every document's
// manifests whole was 38 MB of text per run, most of its peak memory and a tenth of its time).
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { Worker } from 'node:worker_threads';

/** What is kept of one packument besides its manifests. */
export interface CachedDocumentHead {
  /** The validator the registry sent, for If-None-Match; null when it sent none (then the entry cannot be revalidated). */
  etag: string | null;
  /** The Accept header the document was fetched with: revalidation must ask for the same representation. */
  accept: string;
  /** Milliseconds since the epoch when the registry last sent or confirmed it. */
  fetchedAt: number;
  /** Seconds it stays fresh after fetchedAt (Cache-Control max-age; 0 for no-cache). */
  maxAge: number;
  /** Whether the versions carry `license` (a full document, or an abbreviated one from a registry that includes it). */
  complete: boolean;
  /** JSON: name, dist-tags and the few top-level fields resolution reads. */
  head: string;
  /** JSON: the per-version facts that choosing a version reads, newest first (cached-packument.ts says how they map to manifest ordinals). */
  facts: string;
}

/**
 * Manifests as UTF-8 side by side and the byte offset where each ends: how a worker thread that parsed the document
 * hands them over. `bytes` lies in a SharedArrayBuffer, so it crosses to the resolving thread and on to the writer
 * thread without a copy (cloning the cra tree's 75,000 manifest strings twice cost more than parsing them).
 */
export interface PackedManifests {
  bytes: Uint8Array;
  ends: Uint32Array;
}

/** A document as stored: every version's manifest as JSON, in the order the facts' ordinals count. */
export interface DocumentToStore extends CachedDocumentHead {
  manifests: string[] | PackedManifests;
}

/** How many manifests a document holds. */
export const manifestCount = (manifests: DocumentToStore['manifests']): number =>
  Array.isArray(manifests) ? manifests.length : manifests.ends.length;

/** The manifest at an ordinal, or undefined past the end. */
export function manifestAt(manifests: DocumentToStore['manifests'], ordinal: number): string | undefined {
  if (Array.isArray(manifests)) return manifests[ordinal];
  const { bytes, ends } = manifests;
  if (ordinal >= ends.length) return undefined;
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8', ordinal > 0 ? ends[ordinal - 1] : 0, ends[ordinal]);
}

/** A document as read back: the manifests load one by one. */
export interface CachedDocument extends CachedDocumentHead {
  /**
   * The manifest JSON at an ordinal of the facts, read when asked; undefined when another process replaced the document
   * since its head was read (the caller says so rather than resolve from a mix of two versions of it).
   */
  manifest(ordinal: number): string | undefined;
}

/** The cache's file name inside a data folder. */
export const METADATA_CACHE_FILE = 'metadata-cache.db';

const SCHEMA_VERSION = 4;
/** A manifest's key is its document's id times this, plus its ordinal: the manifests of one document lie side by side. */
const ORDINALS = 2 ** 20;
/** Stored documents are written together once this many characters wait (and on close): a commit per document cost a checkpoint's fsync every few. */
const WRITE_BATCH_CHARS = 8 * 1024 * 1024;
/** With a writer thread a batch costs no commit here, only its copy to the thread: smaller ones keep both heaps small. */
const THREAD_BATCH_CHARS = 2 * 1024 * 1024;

/**
 * Manifests written per INSERT statement: a statement's run has a fixed cost (binding, reset) that one per manifest
 * made half of the writer thread's time on an empty-cache resolution of the cra tree (76,000 manifests).
 */
const MANIFESTS_PER_INSERT = 64;

const SQL = {
  selectId: 'SELECT id FROM documents WHERE registry = ? AND name = ?',
  deleteDocument: 'DELETE FROM documents WHERE id = ?',
  deleteManifests: 'DELETE FROM manifests WHERE key >= ? AND key < ?',
  updateFreshness: 'UPDATE documents SET fetched_at = ?, max_age = ? WHERE registry = ? AND name = ?',
  insertDocument: `INSERT INTO documents (registry, name, etag, accept, fetched_at, max_age, complete, head, facts) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  insertManifest: 'INSERT INTO manifests (key, json) VALUES (?, ?)',
  insertManifests: `INSERT INTO manifests (key, json) VALUES ${Array(MANIFESTS_PER_INSERT).fill('(?, ?)').join(', ')}`,
};

/** The statements a batch is written with (prepared on each connection that writes: this one, the writer thread's). */
type WriteStatements = Record<keyof typeof SQL, Database.Statement>;
type Confirmation = [registry: string, name: string, fetchedAt: number, maxAge: number];

/**
 * Writes one batch (run inside a transaction): the confirmations, then each document in place of any earlier entry of
 * its name; returns the ids given. Self-contained, everything it uses is an argument: the writer thread runs this very
 * function from its source text (WRITER_SOURCE), so the two writers cannot drift apart.
 */
function writeBatch(
  s: WriteStatements,
  ordinals: number,
  perInsert: number,
  confirms: Confirmation[],
  batch: { registry: string; name: string; document: DocumentToStore }[],
): number[] {
  for (const [registry, name, fetchedAt, maxAge] of confirms) s.updateFreshness.run(fetchedAt, maxAge, registry, name);
  const ids: number[] = [];
  for (const { registry, name, document: d } of batch) {
    const old = s.selectId.get(registry, name) as number | undefined;
    if (old !== undefined) {
      s.deleteManifests.run(old * ordinals, (old + 1) * ordinals);
      s.deleteDocument.run(old);
    }
    const id = Number(
      s.insertDocument.run(registry, name, d.etag, d.accept, d.fetchedAt, d.maxAge, d.complete ? 1 : 0, d.head, d.facts).lastInsertRowid,
    );
    // Packed manifests (see PackedManifests) are cut here, inline: this function runs from its source text.
    const m = d.manifests;
    const bytes = Array.isArray(m) ? undefined : Buffer.from(m.bytes.buffer, m.bytes.byteOffset, m.bytes.byteLength);
    const count = Array.isArray(m) ? m.length : m.ends.length;
    const at = (i: number): string => (Array.isArray(m) ? m[i]! : bytes!.toString('utf8', i > 0 ? m.ends[i - 1] : 0, m.ends[i]));
    let i = 0;
    const params: unknown[] = new Array(2 * perInsert);
    for (; i + perInsert <= count; i += perInsert) {
      for (let j = 0; j < perInsert; j++) {
        params[2 * j] = id * ordinals + i + j;
        params[2 * j + 1] = at(i + j);
      }
      s.insertManifests.run(params);
    }
    for (; i < count; i++) s.insertManifest.run(id * ordinals + i, at(i));
    ids.push(id);
  }
  return ids;
}

/**
 * The writer thread (see open's `writer`): writeBatch on its own connection. It answers each batch with the ids it gave
 * the documents (or the error), and closes its connection when told.
 */
const WRITER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.module);
const { SQL, ORDINALS, MANIFESTS_PER_INSERT } = workerData;
const db = new Database(workerData.path, workerData.nativeBinding ? { nativeBinding: workerData.nativeBinding } : undefined);
db.pragma('synchronous = NORMAL');
db.pragma('busy_timeout = 5000');
const s = Object.fromEntries(Object.entries(SQL).map(([key, sql]) => [key, db.prepare(sql)]));
s.selectId.pluck();
const writeBatch = ${writeBatch.toString()};
const write = db.transaction((confirms, batch) => writeBatch(s, ORDINALS, MANIFESTS_PER_INSERT, confirms, batch));
parentPort.on('message', (message) => {
  if (message === 'close') {
    db.close();
    parentPort.close();
    return;
  }
  try {
    parentPort.postMessage({ seq: message.seq, ids: write(message.confirms, message.batch) });
  } catch (error) {
    parentPort.postMessage({ seq: message.seq, error: String(error && error.message) });
  }
});
`;

/** A batch handed to the writer thread: its documents stay readable from memory until the thread says they are written. */
interface WriterState {
  worker: Worker;
  seq: number;
  sent: Map<number, Waiting[]>;
  /** Documents sent and not yet written, by registry and name. */
  writing: Map<string, Waiting>;
  failure?: Error;
  exited: Promise<void>;
}

export class MetadataCacheDb {
  // Prepared once: a warm resolution looks up a document for every package of the tree, and a manifest for every pick.
  private readonly selectDocument;
  private readonly selectManifest;
  private readonly selectAny;
  /** What writeBatch writes with on this connection. */
  private readonly statements: WriteStatements;
  private pending = new Map<string, Waiting>();
  private pendingChars = 0;
  private pendingConfirms: Confirmation[] = [];

  private writer?: WriterState;
  private writerAt?: { path: string; nativeBinding?: string };

  private constructor(private readonly db: Database.Database) {
    this.selectDocument = db.prepare(
      'SELECT id, etag, accept, fetched_at AS fetchedAt, max_age AS maxAge, complete, head, facts FROM documents WHERE registry = ? AND name = ?',
    );
    this.selectManifest = db.prepare('SELECT json FROM manifests WHERE key = ?').pluck();
    this.selectAny = db.prepare('SELECT 1 FROM documents WHERE registry = ? LIMIT 1').pluck();
    this.statements = Object.fromEntries(Object.entries(SQL).map(([key, sql]) => [key, db.prepare(sql)])) as WriteStatements;
    this.statements.selectId.pluck();
  }

  /**
   * `writer: 'thread'` writes the batches on a worker thread of its own connection (then close with closeAsync): an
   * empty-cache resolution spent a fifth of its main thread inserting 76,000 manifests and waiting on checkpoints,
   * which a second core does meanwhile. For a short-lived process that owns its event loop (the CLI).
   */
  static open(path: string, nativeBinding?: string, options: { writer?: 'thread' } = {}): MetadataCacheDb {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    const db = new Database(path, nativeBinding ? { nativeBinding } : undefined);
    db.pragma('journal_mode = WAL');
    // A cache: a commit lost in a power cut is fetched again, so no fsync per commit.
    db.pragma('synchronous = NORMAL');
    db.pragma('busy_timeout = 5000');
    if ((db.pragma('user_version', { simple: true }) as number) !== SCHEMA_VERSION) {
      // Nothing in a cache is worth migrating: an older layout is dropped and refilled. AUTOINCREMENT: an id is never
      // reused, so a run still reading a replaced document finds its manifests gone, never another document's.
      db.exec(`
        DROP TABLE IF EXISTS documents;
        DROP TABLE IF EXISTS manifests;
        CREATE TABLE documents (
          id INTEGER PRIMARY KEY AUTOINCREMENT, registry TEXT NOT NULL, name TEXT NOT NULL, etag TEXT, accept TEXT NOT NULL,
          fetched_at INTEGER NOT NULL, max_age INTEGER NOT NULL, complete INTEGER NOT NULL, head TEXT NOT NULL, facts TEXT NOT NULL,
          UNIQUE (registry, name)
        );
        CREATE TABLE manifests (key INTEGER PRIMARY KEY, json TEXT NOT NULL);
        PRAGMA user_version = ${SCHEMA_VERSION};
      `);
    }
    const cache = new MetadataCacheDb(db);
    if (options.writer === 'thread') cache.writerAt = { path, nativeBinding };
    return cache;
  }

  /** Started with the first batch that holds documents: a warm run writes none, and a thread costs it 35 MB. */
  private startWriter(path: string, nativeBinding: string | undefined): WriterState {
    const module = createRequire(__filename).resolve('better-sqlite3');
    // The thread only copies strings into SQLite: a small young generation is enough (V8's default grows to 32 MB).
    const worker = new Worker(WRITER_SOURCE, {
      eval: true,
      workerData: { module, path, nativeBinding, SQL, ORDINALS, MANIFESTS_PER_INSERT },
      resourceLimits: { maxYoungGenerationSizeMb: 4 },
    });
    const state: WriterState = {
      worker,
      seq: 0,
      sent: new Map(),
      writing: new Map(),
      exited: new Promise((resolve) => worker.once('exit', () => resolve())),
    };
    worker.on('message', (answer: { seq: number; ids?: number[]; error?: string }) => {
      const batch = state.sent.get(answer.seq) ?? [];
      state.sent.delete(answer.seq);
      batch.forEach((waiting, i) => {
        if (state.writing.get(keyOf(waiting)) === waiting) state.writing.delete(keyOf(waiting));
        // Written: read from the file from now on. Not written: the run goes on from memory (said at closeAsync).
        if (answer.ids?.[i] === undefined) return;
        waiting.id = answer.ids[i];
        waiting.document.manifests = [];
      });
      if (answer.error) state.failure ??= new Error(answer.error);
    });
    worker.on('error', (error) => (state.failure ??= error));
    return (this.writer = state);
  }

  /** Whether any document of `registry` is cached (a warm run ahead). */
  holds(registry: string): boolean {
    return this.selectAny.get(registry) !== undefined;
  }

  document(registry: string, name: string): CachedDocument | undefined {
    const key = `${registry}\0${name}`;
    const waiting = this.pending.get(key) ?? this.writer?.writing.get(key);
    if (waiting) return this.waitingDocument(waiting);
    const row = this.selectDocument.get(registry, name) as
      (Omit<CachedDocumentHead, 'complete'> & { id: number; complete: number }) | undefined;
    if (!row) return undefined;
    const { id, complete, ...rest } = row;
    const base = id * ORDINALS;
    return {
      ...rest,
      complete: complete === 1,
      manifest: (ordinal) => this.selectManifest.get(base + ordinal) as string | undefined,
    };
  }

  /** Replaces a package's entry (written with the next batch; reads see it at once); false when it cannot be kept. */
  store(registry: string, name: string, document: DocumentToStore): boolean {
    // More versions than a document's key space holds (none on npm comes near) are simply not cached.
    if (manifestCount(document.manifests) >= ORDINALS) return false;
    const key = `${registry}\0${name}`;
    const previous = this.pending.get(key);
    if (previous) this.pendingChars -= charsOf(previous.document);
    this.pending.set(key, { registry, name, document });
    this.pendingChars += charsOf(document);
    if (this.pendingChars >= (this.writerAt ? THREAD_BATCH_CHARS : WRITE_BATCH_CHARS)) this.flush();
    return true;
  }

  /** Writes the stored entries and confirmations that wait, in one transaction. */
  flush(): void {
    if (this.pending.size === 0 && this.pendingConfirms.length === 0) return;
    const batch = [...this.pending.values()];
    const confirms = this.pendingConfirms;
    this.pending = new Map();
    this.pendingChars = 0;
    this.pendingConfirms = [];
    // Confirmations alone (a warm revalidating run) are a few small updates, written here.
    const writer =
      this.writer ?? (this.writerAt && batch.length > 0 ? this.startWriter(this.writerAt.path, this.writerAt.nativeBinding) : undefined);
    if (writer) {
      const seq = ++writer.seq;
      writer.sent.set(seq, batch);
      for (const waiting of batch) writer.writing.set(keyOf(waiting), waiting);
      writer.worker.postMessage({ seq, confirms, batch: batch.map(({ registry, name, document }) => ({ registry, name, document })) });
      return;
    }
    const ids = this.db.transaction(() => writeBatch(this.statements, ORDINALS, MANIFESTS_PER_INSERT, confirms, batch))();
    batch.forEach((waiting, i) => (waiting.id = ids[i]));
    // Written: packuments made from these entries read their manifests from the file from now on, and the text goes.
    for (const waiting of batch) if (waiting.id !== undefined) waiting.document.manifests = [];
  }

  /** Records that the registry confirmed the entry (a 304), with the freshness it sent this time (written with the next batch). */
  confirm(registry: string, name: string, fetchedAt: number, maxAge: number): void {
    const waiting = this.pending.get(`${registry}\0${name}`);
    if (waiting) Object.assign(waiting.document, { fetchedAt, maxAge });
    else this.pendingConfirms.push([registry, name, fetchedAt, maxAge]);
  }

  /** A document still waiting to be written, read as if it had been: from memory until written, then from the file. */
  private waitingDocument(waiting: Waiting): CachedDocument {
    const { manifests: _manifests, ...head } = waiting.document;
    return {
      ...head,
      manifest: (ordinal) =>
        waiting.id === undefined
          ? manifestAt(waiting.document.manifests, ordinal)
          : (this.selectManifest.get(waiting.id * ORDINALS + ordinal) as string | undefined),
    };
  }

  close(): void {
    if (this.writerAt) throw new Error('a metadata cache with a writer thread closes with closeAsync');
    this.flush();
    this.db.close();
  }

  /** Writes what waits and closes; with a writer thread, after it has written everything. Rejects when a write failed. */
  async closeAsync(): Promise<void> {
    this.flush();
    const writer = this.writer;
    this.writerAt = undefined;
    if (!writer) return this.close();
    writer.worker.postMessage('close');
    await writer.exited;
    this.db.close();
    if (writer.failure) throw writer.failure;
  }
}

interface Waiting {
  registry: string;
  name: string;
  document: DocumentToStore;
  /** The document's id once written. */
  id?: number;
}

const keyOf = (waiting: Waiting): string => `${waiting.registry}\0${waiting.name}`;

function charsOf(document: DocumentToStore): number {
  let chars = document.facts.length;
  if (!Array.isArray(document.manifests)) return chars + document.manifests.bytes.byteLength;
  for (const manifest of document.manifests) chars += manifest.length;
  return chars;
}
