// The resolver's metadata cache on disk: one SQLite file with a row per registry and package name holding the
// document's head, its per-version facts and its manifests side by side in one text (the facts say where each one
// lies), so that a run parses only the manifests it picks and storing a document is one row, not one per version.
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

/** What is kept of one packument: everything but the manifests, which are rows of their own. */
export interface CachedDocument {
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
  /** JSON: the per-version facts that choosing a version reads, newest first, and where each manifest lies in `manifests`. */
  facts: string;
  /** Every version's manifest as JSON, one after another. */
  manifests: string;
}

/** The cache's file name inside a data folder. */
export const METADATA_CACHE_FILE = 'metadata-cache.db';

const SCHEMA_VERSION = 2;
/** Stored documents are written together once this many characters wait (and on close): a commit per document cost a checkpoint's fsync every few. */
const WRITE_BATCH_CHARS = 8 * 1024 * 1024;

export class MetadataCacheDb {
  // Prepared once: a warm resolution looks up a document for every package of the tree.
  private readonly selectDocument;
  private readonly insertDocument;
  private pending = new Map<string, [registry: string, name: string, document: CachedDocument]>();
  private pendingChars = 0;
  private pendingConfirms: [registry: string, name: string, fetchedAt: number, maxAge: number][] = [];
  private readonly updateFreshness;

  private constructor(private readonly db: Database.Database) {
    this.selectDocument = db.prepare(
      'SELECT etag, accept, fetched_at AS fetchedAt, max_age AS maxAge, complete, head, facts, manifests FROM documents WHERE registry = ? AND name = ?',
    );
    this.updateFreshness = db.prepare('UPDATE documents SET fetched_at = ?, max_age = ? WHERE registry = ? AND name = ?');
    this.insertDocument = db.prepare(
      `INSERT OR REPLACE INTO documents (registry, name, etag, accept, fetched_at, max_age, complete, head, facts, manifests)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
  }

  static open(path: string, nativeBinding?: string): MetadataCacheDb {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    const db = new Database(path, nativeBinding ? { nativeBinding } : undefined);
    db.pragma('journal_mode = WAL');
    // A cache: a commit lost in a power cut is fetched again, so no fsync per commit.
    db.pragma('synchronous = NORMAL');
    db.pragma('busy_timeout = 5000');
    if ((db.pragma('user_version', { simple: true }) as number) !== SCHEMA_VERSION) {
      // Nothing in a cache is worth migrating: an older layout is dropped and refilled.
      db.exec(`
        DROP TABLE IF EXISTS documents;
        CREATE TABLE documents (
          registry TEXT NOT NULL, name TEXT NOT NULL, etag TEXT, accept TEXT NOT NULL, fetched_at INTEGER NOT NULL,
          max_age INTEGER NOT NULL, complete INTEGER NOT NULL, head TEXT NOT NULL, facts TEXT NOT NULL, manifests TEXT NOT NULL,
          PRIMARY KEY (registry, name)
        );
        PRAGMA user_version = ${SCHEMA_VERSION};
      `);
    }
    return new MetadataCacheDb(db);
  }

  document(registry: string, name: string): CachedDocument | undefined {
    const waiting = this.pending.get(`${registry}\0${name}`);
    if (waiting) return waiting[2];
    const row = this.selectDocument.get(registry, name) as (Omit<CachedDocument, 'complete'> & { complete: number }) | undefined;
    return row && { ...row, complete: row.complete === 1 };
  }

  /** Replaces a package's entry (written with the next batch; reads see it at once). */
  store(registry: string, name: string, document: CachedDocument): void {
    this.pending.set(`${registry}\0${name}`, [registry, name, document]);
    this.pendingChars += document.manifests.length + document.facts.length;
    if (this.pendingChars >= WRITE_BATCH_CHARS) this.flush();
  }

  /** Writes the stored entries and confirmations that wait, in one transaction. */
  flush(): void {
    if (this.pending.size === 0 && this.pendingConfirms.length === 0) return;
    const batch = [...this.pending.values()];
    const confirms = this.pendingConfirms;
    this.pending = new Map();
    this.pendingChars = 0;
    this.pendingConfirms = [];
    this.db.transaction(() => {
      for (const [registry, name, fetchedAt, maxAge] of confirms) this.updateFreshness.run(fetchedAt, maxAge, registry, name);
      for (const [registry, name, d] of batch)
        this.insertDocument.run(registry, name, d.etag, d.accept, d.fetchedAt, d.maxAge, d.complete ? 1 : 0, d.head, d.facts, d.manifests);
    })();
  }

  /** Records that the registry confirmed the entry (a 304), with the freshness it sent this time (written with the next batch). */
  confirm(registry: string, name: string, fetchedAt: number, maxAge: number): void {
    const waiting = this.pending.get(`${registry}\0${name}`);
    if (waiting) Object.assign(waiting[2], { fetchedAt, maxAge });
    else this.pendingConfirms.push([registry, name, fetchedAt, maxAge]);
  }

  close(): void {
    this.flush();
    this.db.close();
  }
}
