// The document workers' pool, with stand-in workers: a body of its own is moved to the worker, not copied (its memory
// leaves this thread), a pooled one is copied (the pool stays); a worker that dies fails its requests in words and
// the next request gets a new worker; a closed pool refuses.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DocumentPool } from '../../../src/main/services/resolver/document-pool';
import { tempDir } from '../../helpers/clients';

/** A worker script: answers each request with what `reply` makes of it. */
function workerFile(body: string): string {
  const file = join(tempDir(), 'worker.js');
  writeFileSync(
    file,
    `const { parentPort } = require('node:worker_threads');\nparentPort.on('message', ({ seq, request }) => {\n${body}\n});\n`,
  );
  return file;
}

describe('the document pool', () => {
  it('moves a body of its own to the worker and copies a pooled one', async () => {
    const pool = new DocumentPool(
      workerFile(`parentPort.postMessage({ seq, answer: { failed: Buffer.from(request.body).toString() } });`),
      1,
    );
    const own = Buffer.from(new Uint8Array(Buffer.from('x'.repeat(10_000))).buffer);
    expect(own.buffer.byteLength).toBe(10_000);
    expect(await pool.parse({ body: own })).toEqual({ failed: 'x'.repeat(10_000) });
    expect(own.byteLength).toBe(0);
    const pooled = Buffer.from('small body');
    expect(pooled.buffer.byteLength).toBeGreaterThan(pooled.byteLength);
    expect(await pool.parse({ body: pooled })).toEqual({ failed: 'small body' });
    expect(pooled.toString()).toBe('small body');
    await pool.close();
    await expect(pool.parse({ body: Buffer.from('late') })).rejects.toThrow('the document workers were closed');
  });

  it('fails the requests of a worker that stops, and starts another for the next', async () => {
    const marker = join(tempDir(), 'died');
    const pool = new DocumentPool(
      workerFile(`const fs = require('node:fs');
if (!fs.existsSync(${JSON.stringify(marker)})) { fs.writeFileSync(${JSON.stringify(marker)}, ''); process.exit(3); }
parentPort.postMessage({ seq, answer: { invalid: true } });`),
      1,
    );
    await expect(pool.parse({ body: Buffer.from('{}') })).rejects.toThrow('a document worker stopped (exit code 3)');
    expect(await pool.parse({ body: Buffer.from('{}') })).toEqual({ invalid: true });
    await pool.close();
  });
});
