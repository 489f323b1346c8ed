// Sends a stored packument: content negotiation (full or abbreviated), ETag and Last-Modified revalidation, gzip, and
// the base URL the client used spliced into the stored template.
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { BoundedCache } from '../../bounded-cache';
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
  return acceptsAbbreviated(request.headers.accept);
}

/** The Accept header's half of wantsAbbreviated (the fast path, http/fast-path.ts, serves only URLs without a query). */
export function acceptsAbbreviated(accept: string | undefined): boolean {
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

/** The request headers a stored document's answer depends on (besides Accept and the address, decided before). */
export interface DocumentRequest {
  'if-none-match'?: string;
  'if-modified-since'?: string;
  'accept-encoding'?: string;
}

function notModified(headers: DocumentRequest, etag: string, lastModified: string): boolean {
  const inm = headers['if-none-match'];
  if (inm) return inm.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag);
  const ims = headers['if-modified-since'];
  if (ims) {
    const since = Date.parse(ims);
    // HTTP dates have one-second resolution; compare at that grain.
    return !Number.isNaN(since) && Math.floor(Date.parse(lastModified) / 1000) <= Math.floor(since / 1000);
  }
  return false;
}

/**
 * Documents for addresses other than the one their stored gzip copy was made for (another name for this machine, a
 * proxy's name, a port the server no longer has), by ETag and base URL, one cache per encoding. Bounded by bytes, the
 * oldest not read lately out first: a miss costs one splice (and one gzip, off the event loop), never a rendering.
 */
class SplicedDocuments {
  private readonly entries: BoundedCache<string, Buffer>;

  constructor(private readonly maxBytes: number) {
    this.entries = new BoundedCache(maxBytes);
  }

  get(key: string): Buffer | undefined {
    return this.entries.get(key);
  }

  set(key: string, body: Buffer): void {
    if (body.length <= this.maxBytes / 4) this.entries.set(key, body, body.length);
  }
}

/**
 * Apart, so that one kind of traffic cannot push out the other: `shelf lock` asks a loopback registry for identity, and
 * its 58 MB of identity splices for the CRA tree went through one shared 32 MB cache and took out every gzip copy npm
 * and bun had made, so their next install sent each document down the full path to be gzipped again (bun's empty-cache
 * resolution went from 0.8 to 2.0 s after each `shelf lock`). An identity miss is only a splice; a gzip miss is a gzip.
 */
const spliced = { gzip: new SplicedDocuments(32 * 1024 * 1024), identity: new SplicedDocuments(32 * 1024 * 1024) };

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

/** The body when it is already in memory (the stored gzip copy, a copy made before, or a splice made now); else undefined. */
function bodyInMemory(doc: StoredDocument, baseUrl: string, gzipped: boolean): Buffer | undefined {
  if (gzipped && baseUrl === doc.gzipBase) return doc.gzip;
  const key = `${doc.etag}\n${baseUrl}`;
  if (gzipped) return spliced.gzip.get(key);
  const hit = spliced.identity.get(key);
  if (hit) return hit;
  // A splice is one scan and one copy, no JSON parsing: done at once.
  const json = spliceBaseUrl(doc.json, baseUrl);
  spliced.identity.set(key, json);
  return json;
}

/** The body to send, made now where it is not in memory (exported for test/unit/http/spliced-documents.test.ts). */
export async function bodyFor(doc: StoredDocument, baseUrl: string, gzipped: boolean): Promise<Buffer> {
  const ready = bodyInMemory(doc, baseUrl, gzipped);
  if (ready) return ready;
  // Only a gzip copy for another address is missing: made once (off the event loop), then kept.
  const body = await gzip(spliceBaseUrl(doc.json, baseUrl));
  spliced.gzip.set(`${doc.etag}\n${baseUrl}`, body);
  return body;
}

/**
 * The answer to a GET of a stored document, as header pairs (lower-case names, in the order they are sent), status and
 * body; both the fastify route and the fast path (http/fast-path.ts) send exactly this, so they cannot drift apart.
 * `body` is undefined for a 304, and also when the body is not in memory yet (`ready: false`: a gzip copy for another
 * address, made by bodyFor).
 */
export interface DocumentAnswer {
  status: 200 | 304;
  headers: [string, string][];
  body: Buffer | undefined;
  ready: boolean;
}

export function documentAnswer(
  request: DocumentRequest,
  doc: StoredDocument,
  abbreviated: boolean,
  baseUrl: string,
  /** Headers sent before the document's own (the mirror's cache state, the policy's holds). */
  leading: [string, string][] = [],
): DocumentAnswer {
  const etag = etagFor(doc, baseUrl);
  const headers: [string, string][] = [
    ...leading,
    ['content-type', abbreviated ? ABBREVIATED_TYPE : 'application/json'],
    ['etag', etag],
    ['last-modified', httpDate(doc.lastModified)],
    ['vary', 'Accept, Accept-Encoding, Authorization'],
    ['cache-control', `${doc.isPublic ? 'public' : 'private'}, no-cache`],
  ];
  if (notModified(request, etag, doc.lastModified)) return { status: 304, headers, body: undefined, ready: true };
  const gzipped = /\bgzip\b/.test(request['accept-encoding'] ?? '');
  if (gzipped) headers.push(['content-encoding', 'gzip']);
  const body = bodyInMemory(doc, baseUrl, gzipped);
  return { status: 200, headers, body, ready: body !== undefined };
}

export async function sendStoredDocument(
  request: FastifyRequest,
  reply: FastifyReply,
  doc: StoredDocument,
  abbreviated: boolean,
  baseUrl: string,
): Promise<FastifyReply> {
  const answer = documentAnswer(request.headers as DocumentRequest, doc, abbreviated, baseUrl);
  for (const [name, value] of answer.headers) reply.header(name, value);
  if (answer.status === 304) return reply.code(304).send();
  const gzipped = answer.headers.at(-1)![0] === 'content-encoding';
  return reply.send(answer.body ?? (await bodyFor(doc, baseUrl, gzipped)));
}
