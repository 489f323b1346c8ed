// The document worker's entry (built as a bundle of its own; document-pool.ts starts it): per request, the GET, the
// JSON.parse, the trim and the metadata-cache rows, off the resolving thread. Answers are the rows with the manifests
// packed into one string, so a document crosses to the resolving thread as a few strings, not as one per version.
import { parentPort } from 'node:worker_threads';
import { packRows, toCacheRows } from './cached-packument';
import type { DocumentAnswer, DocumentRequest } from './document-pool';
import { httpGet } from './http-fetch';
import { carriesLicense, documentHeaders, heldVersions, trimPackument } from './registry-client';
import type { Packument } from './types';

async function answer({ url, headers: requestHeaders }: DocumentRequest): Promise<DocumentAnswer> {
  let raw;
  try {
    raw = await httpGet(url, requestHeaders);
  } catch (error) {
    return { unreachable: (error as Error).message };
  }
  const { status } = raw;
  const headers = documentHeaders((key) => {
    const value = raw.headers[key];
    return Array.isArray(value) ? value.join(', ') : value;
  });
  if (status === 404 || status === 304) return { status, headers };
  let body: unknown;
  try {
    body = JSON.parse(raw.body.toString('utf8'));
  } catch {
    body = undefined;
  }
  if (status < 200 || status >= 300) {
    const detail = body as { error?: string; message?: string } | undefined;
    return { status, headers, detail: detail?.message ?? detail?.error ?? '' };
  }
  const packument = body as Packument | undefined;
  if (!packument || typeof packument !== 'object' || !packument.versions) return { status, headers };
  const doc = trimPackument(packument);
  const held = heldVersions(headers.policy);
  if (held) doc._shelfHeld = held;
  return { status, headers, rows: packRows(toCacheRows(doc)), licensed: carriesLicense(doc) };
}

parentPort?.on('message', ({ seq, request }: { seq: number; request: DocumentRequest }) => {
  answer(request).then(
    (result) => parentPort!.postMessage({ seq, answer: result }),
    // A failure of this code, not of the registry: the resolving thread says which.
    (error: unknown) => parentPort!.postMessage({ seq, answer: { failed: String((error as Error)?.message ?? error) } }),
  );
});
