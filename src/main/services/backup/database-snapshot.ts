// Copies the live SQLite database to a file as one consistent snapshot, off the main thread, while writers go on.
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * VACUUM INTO reads the whole database inside one read transaction: under WAL that is a consistent snapshot that never
 * blocks writers (a `shelf serve` on the same folder goes on publishing) and never restarts, where the online backup
 * API starts over whenever another connection writes. It runs in a worker because copying a large database takes
 * long enough to stall a server's other requests; the worker loads the same better-sqlite3 (and the desktop app's
 * Electron-ABI build when one is given).
 */
const SNAPSHOT_WORKER = `
const { workerData, parentPort } = require('node:worker_threads');
const Database = require(workerData.module);
const db = new Database(workerData.source, { fileMustExist: true, ...(workerData.nativeBinding ? { nativeBinding: workerData.nativeBinding } : {}) });
try {
  db.pragma('busy_timeout = 10000');
  db.prepare('VACUUM INTO ?').run(workerData.target);
} finally {
  db.close();
}
parentPort.postMessage('done');
`;

export async function snapshotDatabase(source: string, target: string, nativeBinding?: string): Promise<void> {
  const module = createRequire(__filename).resolve('better-sqlite3');
  await new Promise<void>((resolve, reject) => {
    const worker = new Worker(SNAPSHOT_WORKER, { eval: true, workerData: { module, source, target, nativeBinding } });
    let done = false;
    worker.once('message', () => {
      done = true;
      resolve();
    });
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (!done) reject(new Error(`the database snapshot stopped early (worker exit code ${code})`));
    });
  });
}
