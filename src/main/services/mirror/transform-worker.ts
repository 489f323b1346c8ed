// Runs packument transforms off the main thread when documents are large, so one huge packument never stalls other requests.
import * as crypto from 'node:crypto';
import * as zlib from 'node:zlib';
import { Worker } from 'node:worker_threads';
import { transformPackument, type TransformInput, type TransformOutput } from './packument-transform';

/** Below this size the round trip to a worker costs more than the transform itself. */
const INLINE_LIMIT = 256 * 1024;

// The worker runs the transform's own source text, so the same code serves from a TypeScript test run and from the bundle.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const transformPackument = ${transformPackument.toString()};
parentPort.on('message', ({ id, input }) => {
  try {
    parentPort.postMessage({ id, output: transformPackument(input, require('node:zlib'), require('node:crypto')) });
  } catch (error) {
    parentPort.postMessage({ id, error: String(error && error.message || error) });
  }
});
`;

export class TransformRunner {
  private worker: Worker | undefined;
  private nextId = 0;
  private readonly pending = new Map<number, { resolve: (o: TransformOutput) => void; reject: (e: Error) => void }>();

  async run(input: TransformInput): Promise<TransformOutput> {
    if (input.raw.byteLength < INLINE_LIMIT) return transformPackument(input, zlib, crypto);
    const worker = this.ensureWorker();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.ref();
      worker.postMessage({ id, input });
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
    worker.on('message', (message: { id: number; output?: TransformOutput; error?: string }) => {
      const task = this.pending.get(message.id);
      if (!task) return;
      this.pending.delete(message.id);
      if (this.pending.size === 0) worker.unref();
      if (message.error !== undefined) task.reject(new Error(`the upstream packument could not be read: ${message.error}`));
      else task.resolve(message.output!);
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
