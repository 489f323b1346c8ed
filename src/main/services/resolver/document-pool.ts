// Owns the document workers: threads that parse a fetched registry document, trim it and cut it into metadata-cache
// rows (document-worker.ts), so that the resolving thread receives only the rows and parses no more than the manifests
// it picks. With an empty metadata cache the cra tree's 1,171 documents are 69 MB of JSON: parsing, trimming and
// re-serialising them was three quarters of `shelf lock`'s main thread, which the resolution itself then waited on.
// The GET stays on the resolving thread: done by the worker too, it made the worker the one busy thread of the run
// while the resolving one idled half of it.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { PackedManifests } from '../../storage/metadata-cache-db';
import type { CacheRows } from './cached-packument';

/** A 2xx body to parse, and the X-Shelf-Policy header that came with it (its held versions go into the head). */
export interface DocumentRequest {
  body: Uint8Array;
  policy?: string;
}

/**
 * A worker's answer: the rows of the trimmed document and whether any version carries a license; `invalid` when the
 * body is no document with versions; `failed` when the worker's own code threw.
 */
export type DocumentAnswer =
  { rows: CacheRows & { manifests: PackedManifests }; licensed: boolean } | { invalid: true } | { failed: string };

interface Slot {
  worker: Worker;
  pending: Map<number, { resolve: (answer: DocumentAnswer) => void; reject: (error: Error) => void }>;
}

/**
 * One worker beside the resolving thread leaves the other core to the metadata cache's writer and, on a developer's
 * machine, the registry itself; a second only where there are cores for it.
 */
const defaultSize = (): number => Math.max(1, Math.min(2, availableParallelism() - 1));

export class DocumentPool {
  private readonly slots: Slot[] = [];
  private seq = 0;
  private closed = false;

  /** `entry`: the worker's bundle (document-worker.ts as built); workers start with the first request, never before. */
  constructor(
    private readonly entry: string,
    private readonly size = defaultSize(),
  ) {}

  /** Parses a body on a worker. The body's memory moves to the worker when it is a whole buffer of its own (no copy). */
  parse(request: DocumentRequest): Promise<DocumentAnswer> {
    if (this.closed) return Promise.reject(new Error('the document workers were closed'));
    const slot = this.slot();
    const seq = ++this.seq;
    const { buffer, byteLength } = request.body;
    // Small bodies share Node's pooled buffer with others: those are copied, as transferring would take the pool away.
    const own = buffer instanceof ArrayBuffer && buffer.byteLength === byteLength;
    return new Promise((resolve, reject) => {
      slot.pending.set(seq, { resolve, reject });
      slot.worker.postMessage({ seq, request }, own ? [buffer] : []);
    });
  }

  /** Stops the workers (a run that is done with its documents; one that failed need not wait for its requests). */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.slots.map((slot) => slot.worker.terminate()));
  }

  /** The worker with the fewest requests in flight, starting another while there are fewer than `size` and all are busy. */
  private slot(): Slot {
    let best: Slot | undefined;
    for (const slot of this.slots) if (!best || slot.pending.size < best.pending.size) best = slot;
    if (best && (best.pending.size === 0 || this.slots.length >= this.size)) return best;
    return this.start();
  }

  private start(): Slot {
    const worker = new Worker(this.entry);
    const slot: Slot = { worker, pending: new Map() };
    const fail = (error: Error): void => {
      for (const { reject } of slot.pending.values()) reject(error);
      slot.pending.clear();
      const at = this.slots.indexOf(slot);
      if (at >= 0) this.slots.splice(at, 1);
    };
    worker.on('message', ({ seq, answer }: { seq: number; answer: DocumentAnswer }) => {
      const waiting = slot.pending.get(seq);
      slot.pending.delete(seq);
      waiting?.resolve(answer);
    });
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`a document worker stopped (exit code ${code})`)));
    this.slots.push(slot);
    return slot;
  }
}

/**
 * Document workers from the worker's bundle, which electron-vite builds beside this one (`?modulePath`). Run from source
 * (the tests' in-process commands) there is no bundle: undefined, and the resolving thread parses.
 */
export async function documentPool(): Promise<DocumentPool | undefined> {
  if (__filename.endsWith('.ts')) return undefined;
  // The layering rule cannot resolve the `?modulePath` suffix; the import is this folder's own worker module.
  // eslint-disable-next-line boundaries/dependencies
  const { default: entry } = await import('./document-worker?modulePath');
  return new DocumentPool(entry);
}
