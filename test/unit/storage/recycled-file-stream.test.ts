// Large tarballs are streamed with reused read buffers (storage/blobs/recycled-file-stream.ts): a buffer is read into
// again only once the HTTP response it was piped into has handed its bytes to the kernel. These tests send a file through
// a real node:http server to a real client, slow and fast, and check every byte, and that buffers really are reused only
// where that is safe.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, get, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { RecycledFileStream } from '../../../src/main/storage/blobs/recycled-file-stream';

const CHUNK = 256 * 1024;
const cleanups: (() => void)[] = [];
afterEach(async () => {
  for (const done of cleanups.splice(0).reverse()) await done();
});

function fileOf(bytes: number): { path: string; sha: string } {
  const dir = mkdtempSync(join(tmpdir(), 'shelf-recycled-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const body = randomBytes(bytes);
  const path = join(dir, 'blob');
  writeFileSync(path, body);
  return { path, sha: createHash('sha256').update(body).digest('hex') };
}

async function serve(handler: Parameters<typeof createServer>[1]): Promise<string> {
  const server: Server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
}

/** The body's sha256 and length; `slow` pauses after every chunk so the server's socket fills up and must wait. */
function fetchBody(url: string, slow = false): Promise<{ sha: string; length: number }> {
  return new Promise((resolve, reject) => {
    get(url, (res: IncomingMessage) => {
      const hash = createHash('sha256');
      let length = 0;
      res.on('data', (chunk: Buffer) => {
        hash.update(chunk);
        length += chunk.length;
        if (slow) {
          res.pause();
          setTimeout(() => res.resume(), 2);
        }
      });
      res.on('end', () => resolve({ sha: hash.digest('hex'), length }));
      res.on('error', reject);
    }).on('error', reject);
  });
}

/** Counts Buffer.allocUnsafeSlow calls (the stream's only way to get a new read buffer) while `work` runs. */
async function countingAllocations<T>(work: () => Promise<T>): Promise<{ result: T; allocations: number }> {
  const original = Buffer.allocUnsafeSlow;
  let allocations = 0;
  Buffer.allocUnsafeSlow = (size: number) => {
    if (size === CHUNK) allocations += 1;
    return original(size);
  };
  try {
    return { result: await work(), allocations };
  } finally {
    Buffer.allocUnsafeSlow = original;
  }
}

describe('RecycledFileStream', () => {
  it('sends every byte to a fast and to a slow client, reusing a few buffers instead of one per read', async () => {
    const file = fileOf(40 * CHUNK + 12_345);
    const url = await serve((_req, res) => {
      res.writeHead(200, { 'content-length': String(40 * CHUNK + 12_345) });
      new RecycledFileStream(file.path, CHUNK).pipe(res);
    });
    for (const slow of [false, true]) {
      const { result, allocations } = await countingAllocations(() => fetchBody(url, slow));
      expect(result).toEqual({ sha: file.sha, length: 40 * CHUNK + 12_345 });
      // 41 reads; fs.createReadStream would allocate 41 buffers.
      expect(allocations).toBeLessThanOrEqual(8);
      expect(allocations).toBeGreaterThan(0);
    }
  });

  it('reuses nothing when the stream goes through a PassThrough (which keeps the chunk itself), and the bytes stay intact', async () => {
    const file = fileOf(24 * CHUNK);
    const url = await serve((_req, res) => {
      res.writeHead(200);
      new RecycledFileStream(file.path, CHUNK).pipe(new PassThrough({ highWaterMark: 8 * CHUNK })).pipe(res);
    });
    const { result, allocations } = await countingAllocations(() => fetchBody(url, true));
    expect(result).toEqual({ sha: file.sha, length: 24 * CHUNK });
    expect(allocations).toBe(25);
  });

  it('reuses nothing while another reader also takes the chunks', async () => {
    const file = fileOf(16 * CHUNK);
    const kept: Buffer[] = [];
    const url = await serve((_req, res) => {
      res.writeHead(200);
      const stream = new RecycledFileStream(file.path, CHUNK);
      stream.on('data', (chunk: Buffer) => kept.push(chunk));
      stream.pipe(res);
    });
    const { result } = await countingAllocations(() => fetchBody(url));
    expect(result.sha).toBe(file.sha);
    // Had a buffer been read into again, the chunks this reader kept would no longer add up to the file.
    expect(createHash('sha256').update(Buffer.concat(kept)).digest('hex')).toBe(file.sha);
  });

  it('fails as a stream error when the file is missing, and closes what it opened when the client goes away', async () => {
    const missing = new RecycledFileStream(join(tmpdir(), `shelf-no-such-blob-${process.pid}`), CHUNK);
    await expect(new Promise((resolve, reject) => missing.on('error', reject).on('end', resolve).resume())).rejects.toThrow(/ENOENT/);

    const file = fileOf(64 * CHUNK);
    let stream: RecycledFileStream | undefined;
    const closed = new Promise<void>((resolve) => {
      void serve((_req, res) => {
        res.writeHead(200);
        stream = new RecycledFileStream(file.path, CHUNK);
        stream.on('close', resolve);
        res.on('close', () => stream!.destroy());
        stream.pipe(res);
      }).then((url) => {
        const request = get(url, (res) => {
          res.once('data', () => request.destroy());
        });
        request.on('error', () => undefined);
      });
    });
    await closed;
    expect(stream!.destroyed).toBe(true);
  });
});
