// Runs packument transforms off the main thread when documents are large, so one huge packument never stalls other requests.
import * as crypto from 'node:crypto';
import * as zlib from 'node:zlib';
import { Worker } from 'node:worker_threads';
import { pickVersion, transformPackument, type TransformInput, type TransformOutput } from './packument-transform';

/** Below this size the round trip to a worker costs more than the transform itself (gzipped input: about 8× smaller). */
const INLINE_LIMIT = 256 * 1024;
const INLINE_LIMIT_GZIP = 32 * 1024;

// The worker runs the transform's own source text, so the same code serves from a TypeScript test run and from the bundle.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const transformPackument = ${transformPackument.toString()};
const pickVersion = ${pickVersion.toString()};
parentPort.on('message', ({ id, input, pick }) => {
  try {
    if (pick) return parentPort.postMessage({ id, output: pickVersion(pick.json, pick.versionOrTag) });
    const output = transformPackument(input, require('node:zlib'), require('node:crypto'));
    // Handing the buffers over instead of copying them keeps the main thread's side of a large document to a pointer swap.
    const transfer = [];
    for (const key of ['full', 'fullGzip', 'abbrev', 'abbrevGzip', 'rawGzip']) {
      const bytes = output[key];
      if (!bytes) continue;
      if (bytes.byteOffset !== 0 || bytes.byteLength !== bytes.buffer.byteLength || transfer.includes(bytes.buffer)) output[key] = new Uint8Array(bytes);
      transfer.push(output[key].buffer);
    }
    parentPort.postMessage({ id, output }, transfer);
  } catch (error) {
    parentPort.postMessage({ id, error: String(error && error.message || error) });
  }
});
`;

export class TransformRunner {
  private worker: Worker | undefined;
  private nextId = 0;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each task's own method types its result
  private readonly pending = new Map<number, { resolve: (o: any) => void; reject: (e: Error) => void }>();

  /**
   * Transforms small documents inline and large ones in the worker (JSON.parse, stringify and gzip included, so a large
   * document never blocks other requests). With `handOver`, the input's bytes are moved to the worker rather than copied;
   * the caller must not read them afterwards.
   */
  async run(input: TransformInput, handOver = false): Promise<TransformOutput> {
    if (input.raw.byteLength < (input.rawIsGzip ? INLINE_LIMIT_GZIP : INLINE_LIMIT)) return transformPackument(input, zlib, crypto);
    const worker = this.ensureWorker();
    const id = this.nextId++;
    const raw = input.raw;
    const movable = handOver && raw.byteOffset === 0 && raw.byteLength === raw.buffer.byteLength && raw.buffer instanceof ArrayBuffer;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.ref();
      worker.postMessage({ id, input }, movable ? [raw.buffer as ArrayBuffer] : []);
    });
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

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    if (worker) await worker.terminate();
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(WORKER_SOURCE, { eval: true });
    worker.on('message', (message: { id: number; output?: unknown; error?: string }) => {
      const task = this.pending.get(message.id);
      if (!task) return;
      this.pending.delete(message.id);
      if (this.pending.size === 0) worker.unref();
      if (message.error !== undefined) task.reject(new Error(message.error));
      else task.resolve(message.output);
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
