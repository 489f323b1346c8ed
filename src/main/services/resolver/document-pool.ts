// Owns the document workers: threads that fetch a registry document, parse it, trim it and cut it into metadata-cache
// rows (document-worker.ts), so that the resolving thread receives only the rows and parses no more than the manifests
// it picks. With an empty metadata cache the cra tree's 1,171 documents are 69 MB of JSON: parsing, trimming and
// re-serialising them was three quarters of `shelf lock`'s main thread, which the resolution itself then waited on.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { PackedManifests } from '../../storage/metadata-cache-db';
import type { CacheRows } from './cached-packument';

/** The response headers the metadata cache and content negotiation read. */
export interface DocumentHeaders {
  contentType?: string;
  etag?: string;
  cacheControl?: string;
  policy?: string;
}

export interface DocumentRequest {
  url: string;
  headers: Record<string, string>;
}

/**
 * A worker's answer: `unreachable` (the request failed), `failed` (the worker's own code threw), or the status and headers, with the error text of a refusal,
 * or for a success the rows of the trimmed document and whether any version carries a license (rows absent: the body
 * was no document with versions).
 */
export type DocumentAnswer =
  | { unreachable: string }
  | { failed: string }
  | {
      status: number;
      headers: DocumentHeaders;
      detail?: string;
      rows?: CacheRows & { manifests: PackedManifests };
      licensed?: boolean;
    };

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

  fetch(request: DocumentRequest): Promise<DocumentAnswer> {
    if (this.closed) return Promise.reject(new Error('the document workers were closed'));
    const slot = this.slot();
    const seq = ++this.seq;
    return new Promise((resolve, reject) => {
      slot.pending.set(seq, { resolve, reject });
      slot.worker.postMessage({ seq, request });
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
