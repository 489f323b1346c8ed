// Sends a stored packument: content negotiation (full or abbreviated), ETag and Last-Modified revalidation, gzip.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { StoredDocument } from '../../services/packages/read';

export const ABBREVIATED_TYPE = 'application/vnd.npm.install-v1+json';

/** True when the client prefers npm's abbreviated document (and did not ask for the writable full one). */
export function wantsAbbreviated(request: FastifyRequest): boolean {
  if ((request.query as Record<string, string | undefined>).write === 'true') return false;
  const accept = request.headers.accept;
  if (!accept) return false;
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

function notModified(request: FastifyRequest, doc: StoredDocument): boolean {
  const inm = request.headers['if-none-match'];
  if (inm) return inm.split(',').some((tag) => tag.trim().replace(/^W\//, '') === doc.etag);
  const ims = request.headers['if-modified-since'];
  if (ims) {
    const since = Date.parse(ims);
    // HTTP dates have one-second resolution; compare at that grain.
    return !Number.isNaN(since) && Math.floor(Date.parse(doc.lastModified) / 1000) <= Math.floor(since / 1000);
  }
  return false;
}

export function sendStoredDocument(request: FastifyRequest, reply: FastifyReply, doc: StoredDocument, abbreviated: boolean): FastifyReply {
  reply
    .header('Content-Type', abbreviated ? ABBREVIATED_TYPE : 'application/json')
    .header('ETag', doc.etag)
    .header('Last-Modified', new Date(doc.lastModified).toUTCString())
    .header('Vary', 'Accept, Accept-Encoding, Authorization')
    .header('Cache-Control', `${doc.isPublic ? 'public' : 'private'}, no-cache`);
  if (notModified(request, doc)) return reply.code(304).send();
  if (/\bgzip\b/.test(request.headers['accept-encoding'] ?? '')) {
    return reply.header('Content-Encoding', 'gzip').send(doc.gzip);
  }
  return reply.send(doc.json);
}
