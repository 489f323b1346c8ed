// The document worker's entry (built as a bundle of its own; document-pool.ts starts it): per fetched body, the
// JSON.parse, the trim and the metadata-cache rows, off the resolving thread. Answers are the rows with the manifests
// packed into shared memory, so a document crosses to the resolving thread as two strings and two buffers, not as a
// string per version.
import { parentPort } from 'node:worker_threads';
import { packRows, toCacheRows } from './cached-packument';
import type { DocumentAnswer, DocumentRequest } from './document-pool';
import { carriesLicense, heldVersions, trimPackument } from './registry-client';
import type { Packument } from './types';

function answer({ body, policy }: DocumentRequest): DocumentAnswer {
  let packument: Packument | undefined;
  try {
    packument = JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8')) as Packument;
  } catch {
    return { invalid: true };
  }
  if (!packument || typeof packument !== 'object' || !packument.versions) return { invalid: true };
  const doc = trimPackument(packument);
  const held = heldVersions(policy);
  if (held) doc._shelfHeld = held;
  return { rows: packRows(toCacheRows(doc)), licensed: carriesLicense(doc) };
}

parentPort?.on('message', ({ seq, request }: { seq: number; request: DocumentRequest }) => {
  let result: DocumentAnswer;
  try {
    result = answer(request);
  } catch (error) {
    // A failure of this code, not of the registry: the resolving thread says which.
    result = { failed: String((error as Error)?.message ?? error) };
  }
  parentPort!.postMessage({ seq, answer: result });
});
