// Sends a stored packument: content negotiation (full or abbreviated), ETag and Last-Modified revalidation, gzip, and
// the base URL the client used spliced into the stored template.
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { spliceBaseUrl } from '../../services/packages/packument';
import type { StoredDocument } from '../../services/packages/read';

const gzip = promisify(gzipCallback);

export const ABBREVIATED_TYPE = 'application/vnd.npm.install-v1+json';

/**
 * Accept values seen lately and what they asked for: clients send one fixed header each, so parsing it on every request
 * was work repeated thousands of times a second. Bounded: cleared when full.
 */
const acceptAnswers = new Map<string, boolean>();
const ACCEPT_ANSWERS_LIMIT = 256;

/** True when the client prefers npm's abbreviated document (and did not ask for the writable full one). */
export function wantsAbbreviated(request: FastifyRequest): boolean {
  if ((request.query as Record<string, string | undefined>).write === 'true') return false;
  const accept = request.headers.accept;
  if (!accept) return false;
  let answer = acceptAnswers.get(accept);
  if (answer === undefined) {
    answer = prefersAbbreviated(accept);
    if (acceptAnswers.size >= ACCEPT_ANSWERS_LIMIT) acceptAnswers.clear();
    acceptAnswers.set(accept, answer);
  }
  return answer;
}

function prefersAbbreviated(accept: string): boolean {
  let corgi = -1;
  let json = -1;
  for (const part of accept.split(',')) {
    const [type, ...params] = part.trim().split(';');
    const q = Number(
      params
        .map((p) => p.trim())
        .find((p) => p.startsWith('q='))
        ?.slice(2) ?? '1',
    );
    const t = type?.trim().toLowerCase();
    if (t === ABBREVIATED_TYPE) corgi = Math.max(corgi, q);
    else if (t === 'application/json' || t === '*/*') json = Math.max(json, q);
  }
  return corgi > 0 && corgi >= json;
}

function notModified(request: FastifyRequest, etag: string, lastModified: string): boolean {
  const inm = request.headers['if-none-match'];
  if (inm) return inm.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag);
  const ims = request.headers['if-modified-since'];
  if (ims) {
    const since = Date.parse(ims);
    // HTTP dates have one-second resolution; compare at that grain.
    return !Number.isNaN(since) && Math.floor(Date.parse(lastModified) / 1000) <= Math.floor(since / 1000);
  }
  return false;
}

/**
 * Documents for addresses other than the one their stored gzip copy was made for (another name for this machine, a
 * proxy's name, a port the server no longer has), by ETag, base URL and encoding. Bounded by bytes, least recently used
 * first out: a miss costs one splice (and one gzip, off the event loop), never a rendering.
 */
class SplicedDocuments {
  private readonly entries = new Map<string, Buffer>();
  private bytes = 0;

  constructor(private readonly maxBytes: number) {}

  get(key: string): Buffer | undefined {
    const hit = this.entries.get(key);
    if (hit) {
      this.entries.delete(key);
      this.entries.set(key, hit);
    }
    return hit;
  }

  set(key: string, body: Buffer): void {
    if (body.length > this.maxBytes / 4) return;
    this.entries.set(key, body);
    this.bytes += body.length;
    for (const [oldest, value] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.entries.delete(oldest);
      this.bytes -= value.length;
    }
  }
}

const spliced = new SplicedDocuments(32 * 1024 * 1024);

/** Each address's ETag suffix, by address: a sha256 per request was a visible share of a small GET's time. Bounded. */
const addressTags = new Map<string, string>();
const ADDRESS_TAGS_LIMIT = 1024;

/** Each address gets its own ETag (its bytes differ); the one the gzip copy was made for keeps the stored tag. */
function etagFor(doc: StoredDocument, baseUrl: string): string {
  if (baseUrl === doc.gzipBase) return doc.etag;
  let tag = addressTags.get(baseUrl);
  if (tag === undefined) {
    tag = createHash('sha256').update(baseUrl).digest('base64url').slice(0, 10);
    if (addressTags.size >= ADDRESS_TAGS_LIMIT) addressTags.clear();
    addressTags.set(baseUrl, tag);
  }
  return `${doc.etag.slice(0, -1)}.${tag}"`;
}

/** The HTTP date of a stored ISO time; documents served from memory come back with the same time, so the last is kept. */
let lastModifiedIso = '';
let lastModifiedHttp = '';
function httpDate(iso: string): string {
  if (iso !== lastModifiedIso) {
    lastModifiedHttp = new Date(iso).toUTCString();
    lastModifiedIso = iso;
  }
  return lastModifiedHttp;
}

async function bodyFor(doc: StoredDocument, baseUrl: string, gzipped: boolean): Promise<Buffer> {
  if (gzipped && baseUrl === doc.gzipBase) return doc.gzip;
  const key = `${doc.etag}\n${baseUrl}\n${gzipped ? 'gzip' : 'identity'}`;
  const hit = spliced.get(key);
  if (hit) return hit;
  const json = spliceBaseUrl(doc.json, baseUrl);
  const body = gzipped ? await gzip(json) : json;
  spliced.set(key, body);
  return body;
}

export async function sendStoredDocument(
  request: FastifyRequest,
  reply: FastifyReply,
  doc: StoredDocument,
  abbreviated: boolean,
  baseUrl: string,
): Promise<FastifyReply> {
  const etag = etagFor(doc, baseUrl);
  reply
    .header('Content-Type', abbreviated ? ABBREVIATED_TYPE : 'application/json')
    .header('ETag', etag)
    .header('Last-Modified', httpDate(doc.lastModified))
    .header('Vary', 'Accept, Accept-Encoding, Authorization')
    .header('Cache-Control', `${doc.isPublic ? 'public' : 'private'}, no-cache`);
  if (notModified(request, etag, doc.lastModified)) return reply.code(304).send();
  if (/\bgzip\b/.test(request.headers['accept-encoding'] ?? '')) {
    return reply.header('Content-Encoding', 'gzip').send(await bodyFor(doc, baseUrl, true));
  }
  return reply.send(await bodyFor(doc, baseUrl, false));
}
