// Owns a lean GET for registry documents and tarballs over node:http(s) with keep-alive: undici's fetch costs more per request than a resolution can afford.
import http from 'node:http';
import https from 'node:https';
import { brotliDecompressSync, gunzipSync, inflateSync } from 'node:zlib';
import type { FetchLike } from './registry-client';

const agents = {
  'http:': new http.Agent({ keepAlive: true, maxSockets: 32 }),
  'https:': new https.Agent({ keepAlive: true, maxSockets: 32 }),
};
const MAX_REDIRECTS = 5;
const TIMEOUT_MS = 60_000;

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** GET `url` and resolve with a Response holding the whole (decompressed) body; follows redirects. */
export const httpFetch: FetchLike = async (url, init) => {
  const raw = await httpGet(url, init?.headers ?? {});
  const headers = new Headers();
  for (const [key, value] of Object.entries(raw.headers)) {
    if (value !== undefined && key !== 'content-encoding' && key !== 'content-length')
      headers.set(key, Array.isArray(value) ? value.join(', ') : value);
  }
  return new Response(raw.status === 204 || raw.status === 304 ? null : raw.body, { status: raw.status, headers });
};

/** The same GET without building a WHATWG Response (which costs more than parsing a small document). */
export const httpGet = (url: string, headers: Record<string, string>): Promise<RawResponse> => get(url, headers, 0);

function get(url: string, headers: Record<string, string>, redirects: number): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const protocol = target.protocol as 'http:' | 'https:';
    const lib = protocol === 'https:' ? https : http;
    if (!agents[protocol]) return reject(new Error(`unsupported protocol ${target.protocol}`));
    const request = lib.get(
      target,
      { agent: agents[protocol], headers: { 'accept-encoding': 'gzip, deflate, br', ...headers } },
      (response) => {
        const status = response.statusCode ?? 0;
        const location = response.headers.location;
        if (status >= 300 && status < 400 && location && redirects < MAX_REDIRECTS) {
          response.resume();
          const next = new URL(location, target);
          // Credentials stay with the origin they were meant for.
          const nextHeaders =
            next.origin === target.origin
              ? headers
              : Object.fromEntries(Object.entries(headers).filter(([k]) => k.toLowerCase() !== 'authorization'));
          resolve(get(next.toString(), nextHeaders, redirects + 1));
          return;
        }
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () => {
          try {
            let body = Buffer.concat(chunks);
            const encoding = response.headers['content-encoding'];
            if (encoding === 'gzip') body = gunzipSync(body);
            else if (encoding === 'deflate') body = inflateSync(body);
            else if (encoding === 'br') body = brotliDecompressSync(body);
            resolve({ status, headers: response.headers, body });
          } catch (error) {
            reject(error);
          }
        });
      },
    );
    request.setTimeout(TIMEOUT_MS, () => request.destroy(new Error(`no answer within ${TIMEOUT_MS / 1000} s`)));
    request.on('error', reject);
  });
}
