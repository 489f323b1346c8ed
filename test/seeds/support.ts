// The seed registries' clients against a real `shelf serve`: their request shapes (JSON bodies, multipart parts typed as
// they type them, Bearer tokens), their archive layouts, and a before/after snapshot proving a refusal wrote nothing.
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import * as tar from 'tar';
import { expect } from 'vitest';
import { startShelf, type RunningShelf } from '../helpers/shelf-process';
import { storeSnapshot } from '../helpers/store-snapshot';

export interface Reply {
  status: number;
  headers: Headers;
  body: any;
  bytes: Buffer;
}

export interface Part {
  name: string;
  /** Left out for parts sent without a filename (a field with its own Content-Type, or bytes as Vais sends them). */
  filename?: string;
  /** Left out for parts without a Content-Type header. */
  contentType?: string;
  body: string | Buffer;
}

export interface SeedServer {
  shelf: RunningShelf;
  url: string;
  /** Calls `<url><path>`: a JSON body, a multipart body from parts, or raw bytes. */
  call(
    method: string,
    path: string,
    options?: { token?: string; json?: unknown; parts?: Part[]; raw?: Buffer | string; headers?: Record<string, string> },
  ): Promise<Reply>;
  /** Row counts of every table and the stored blobs' names, read from the real SQLite file. */
  snapshot(): Record<string, unknown>;
  close(): Promise<void>;
}

/** The seed registries' own test configurations switch rate limits off (Synapse's TestingConfig: RATELIMIT_ENABLED = False). */
export async function startSeedServer(extraArgs: string[] = []): Promise<SeedServer> {
  const shelf = await startShelf(['--api-rate-limit', 'off', ...extraArgs]);
  const url = shelf.url;

  const call: SeedServer['call'] = async (method, path, options = {}) => {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    let body: Buffer | string | undefined = options.raw;
    if (options.json !== undefined) {
      body = JSON.stringify(options.json);
      headers['content-type'] ??= 'application/json';
    }
    if (options.parts) {
      const encoded = multipart(options.parts);
      body = encoded.body;
      headers['content-type'] = encoded.contentType;
    }
    const response = await fetch(`${url}${path}`, { method, headers, body, redirect: 'manual' });
    const bytes = Buffer.from(await response.arrayBuffer());
    let parsed: unknown;
    try {
      parsed = bytes.length ? JSON.parse(bytes.toString('utf8')) : undefined;
    } catch {
      parsed = bytes.toString('utf8');
    }
    return { status: response.status, headers: response.headers, body: parsed, bytes };
  };

  const snapshot = () =>
    storeSnapshot(shelf.dataDir, (db) => ({
      versionRows: db.prepare('SELECT package_id, version, ecosystem FROM versions ORDER BY id').all(),
    }));

  return { shelf, url, call, snapshot, close: () => shelf.stop() };
}

/** A multipart/form-data body written part by part, so each part's headers are exactly what a client sends. */
export function multipart(parts: Part[]): { body: Buffer; contentType: string } {
  const boundary = `----seed-client-${createHash('sha1').update(String(parts.length)).digest('hex').slice(0, 16)}`;
  const chunks: Buffer[] = [];
  for (const part of parts) {
    let head = `--${boundary}\r\nContent-Disposition: form-data; name="${part.name}"`;
    if (part.filename !== undefined) head += `; filename="${part.filename}"`;
    head += '\r\n';
    if (part.contentType !== undefined) head += `Content-Type: ${part.contentType}\r\n`;
    chunks.push(Buffer.from(`${head}\r\n`), Buffer.isBuffer(part.body) ? part.body : Buffer.from(part.body), Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}

/**
 * A gzipped tar whose files sit at the archive root, as the Synapse and Vais clients pack a package folder.
 * `prefix` './' writes entries as `tar -C dir .` does. Fixed mtimes make the bytes depend on the content only.
 */
export async function rootArchive(files: Record<string, string | Buffer>, options: { prefix?: '' | './' } = {}): Promise<Buffer> {
  const dir = mkdtempSync(join(tmpdir(), 'shelf-seed-'));
  try {
    for (const [path, content] of Object.entries(files)) {
      const full = join(dir, path);
      mkdirSync(dirname(full), { recursive: true });
      writeFileSync(full, content);
    }
    const entries = options.prefix === './' ? ['.'] : readdirSync(dir).sort();
    const chunks: Buffer[] = [];
    const stream = tar.create({ gzip: true, cwd: dir, portable: true, mtime: new Date('2025-11-16T10:00:00Z') }, entries);
    for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(chunk);
    return Buffer.concat(chunks);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A gzipped tar written entry by entry (for archives no packing tool would make: "..", absolute paths, outside links). */
export async function craftedArchive(
  entries: { path: string; body?: string; type?: 'File' | 'SymbolicLink'; linkpath?: string }[],
): Promise<Buffer> {
  const { gzipSync } = await import('node:zlib');
  const blocks: Buffer[] = [];
  for (const entry of entries) {
    const body = Buffer.from(entry.body ?? '');
    const header = new tar.Header({
      path: entry.path,
      mode: 0o644,
      size: entry.type === 'SymbolicLink' ? 0 : body.length,
      type: entry.type ?? 'File',
      linkpath: entry.linkpath,
      mtime: new Date('2025-11-16T10:00:00Z'),
    });
    const block = Buffer.alloc(512);
    header.encode(block, 0);
    blocks.push(block);
    if (entry.type !== 'SymbolicLink' && body.length) {
      blocks.push(body, Buffer.alloc((512 - (body.length % 512)) % 512));
    }
  }
  blocks.push(Buffer.alloc(1024));
  return gzipSync(Buffer.concat(blocks));
}

export const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

/** Lists an archive's entries (paths as stored). */
export async function archiveEntries(bytes: Buffer): Promise<string[]> {
  const paths: string[] = [];
  const parser = new tar.Parser({ onReadEntry: (entry) => (paths.push(entry.path), entry.resume()) });
  await new Promise<void>((resolve, reject) => {
    parser.on('end', resolve);
    parser.on('error', reject);
    parser.end(bytes);
  });
  return paths;
}

/** Runs a refusal and checks the status, the message and that nothing was written. */
export async function expectRefused(server: SeedServer, attempt: () => Promise<Reply>, status: number, message: RegExp): Promise<Reply> {
  const before = server.snapshot();
  const reply = await attempt();
  expect({ status: reply.status, message: reply.body?.message ?? reply.body?.error }).toMatchObject({
    status,
    message: expect.stringMatching(message),
  });
  expect(server.snapshot()).toEqual(before);
  return reply;
}
