// A file read as a stream that reuses its read buffers once the HTTP response it is piped into has handed their bytes to
// the kernel. fs.createReadStream allocates a fresh buffer per read; in a process with Shelf's heap, each megabyte of
// those fresh buffers pushed V8 toward another full collection, so a 20 MB tarball GET cost 1.6–2.0 ms of CPU per MB
// against 0.8 for the same stream in a bare process (bench/16-tarball-ceiling.mjs; a bare server with a comparable heap
// measured 2.6). Reusing two buffers per stream takes that pressure away.
import { close, open, read } from 'node:fs';
import { ServerResponse } from 'node:http';
import { Readable, type Writable } from 'node:stream';

/** Buffers remembered for reuse; a stream's response rarely holds more than one of them at a time. */
const MAX_LENT = 4;

export class RecycledFileStream extends Readable {
  private fd: number | undefined;
  private position = 0;
  /** Buffers free to read into. */
  private readonly spare: Buffer[] = [];
  /** Buffers pushed whose bytes may still be on their way: in this stream's queue or in the response's. */
  private readonly lent: Buffer[] = [];
  /** The response this stream is piped into, when that is its only reader. */
  private response: ServerResponse | undefined;
  /** A read is running on the thread pool. */
  private reading = false;
  /** Set when the stream was destroyed during a read: closes the file once that read is over. */
  private closeWhenRead: (() => void) | undefined;

  constructor(
    private readonly path: string,
    private readonly chunkBytes: number,
  ) {
    super({ highWaterMark: chunkBytes });
  }

  override pipe<T extends NodeJS.WritableStream>(destination: T, options?: { end?: boolean }): T {
    // Only a response writes straight to its socket, whose write callback means the kernel has the bytes: a Transform
    // or PassThrough would keep the chunk itself after its write completed.
    if (destination instanceof ServerResponse) this.response = destination;
    return super.pipe(destination, options);
  }

  override _construct(callback: (error?: Error | null) => void): void {
    open(this.path, 'r', (error, fd) => {
      this.fd = fd;
      callback(error);
    });
  }

  override _read(): void {
    this.reclaim();
    const buffer = this.spare.pop() ?? Buffer.allocUnsafeSlow(this.chunkBytes);
    this.reading = true;
    read(this.fd!, buffer, 0, this.chunkBytes, this.position, (error, bytes) => {
      this.reading = false;
      if (this.closeWhenRead) return this.closeWhenRead();
      if (error) return this.destroy(error);
      if (bytes === 0) return void this.push(null);
      this.position += bytes;
      // Tracked only while reuse is possible, and a few at most: a buffer let go is simply collected, as before.
      if (this.response && this.lent.push(buffer) > MAX_LENT) this.lent.shift();
      this.push(bytes === buffer.length ? buffer : buffer.subarray(0, bytes));
    });
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    // Buffers lent out are dropped with the stream, never reused: a socket torn down mid-write may still hold one.
    this.spare.length = 0;
    this.lent.length = 0;
    if (this.fd === undefined) return callback(error);
    const fd = this.fd;
    const closeFile = (): void => close(fd, () => callback(error));
    // A read still running keeps the descriptor until it ends (as fs.ReadStream does): closed under it, the number
    // could be reused by another open and the read would land in that file.
    if (this.reading) this.closeWhenRead = closeFile;
    else closeFile();
  }

  /**
   * Every lent buffer is free again when nothing is queued here, the pipe is the only reader (nobody else kept a chunk),
   * and the response has nothing left to write: a socket's writable length drops only when the kernel took the bytes.
   */
  private reclaim(): void {
    const response = this.response as (ServerResponse & Pick<Writable, 'writableLength'>) | undefined;
    if (!response || this.lent.length === 0) return;
    if (this.readableLength !== 0 || this.listenerCount('data') !== 1 || response.writableLength !== 0) return;
    this.spare.push(...this.lent);
    this.lent.length = 0;
  }
}
