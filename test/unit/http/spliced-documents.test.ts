// Documents sent to an address other than the one their stored gzip copy was made for are spliced (and gzipped) once,
// then kept (http/npm/stored-document.ts). Identity and gzip copies are kept apart: a client that asks for identity
// (shelf lock on loopback) must not push out the gzip copies npm and bun use, each of which costs a gzip to make again.
import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { bodyFor, documentAnswer, type DocumentRequest } from '../../../src/main/http/npm/stored-document';
import { BASE_URL_MARK } from '../../../src/main/services/packages/packument';
import type { StoredDocument } from '../../../src/main/services/packages/read';

/** A stored template of about `kb` KB whose tarball links carry the base-URL mark. */
function storedDocument(name: string, kb: number): StoredDocument {
  const versions: Record<string, unknown> = {};
  for (let i = 0; versions && JSON.stringify(versions).length < kb * 1024; i++)
    versions[`1.0.${i}`] = { name, version: `1.0.${i}`, dist: { tarball: `${BASE_URL_MARK}${name}/-/${name}-1.0.${i}.tgz` } };
  const json = Buffer.from(JSON.stringify({ name, versions }));
  const gzipBase = 'http://stored.example/';
  return {
    json,
    gzip: gzipSync(json.toString().replaceAll(BASE_URL_MARK, gzipBase)),
    gzipBase,
    etag: `"${name}-etag"`,
    lastModified: '2026-12-01T00:00:00.000Z',
    isPublic: true,
  };
}

const GZIP: DocumentRequest = { 'accept-encoding': 'gzip' } as DocumentRequest;
const IDENTITY: DocumentRequest = {} as DocumentRequest;

describe('spliced documents', () => {
  it('makes a gzip copy for another address once, with that address in it, and keeps it in memory', async () => {
    const doc = storedDocument('spliced-once', 4);
    const address = 'http://127.0.0.1:9/';
    expect(documentAnswer(GZIP, doc, true, address).ready).toBe(false);
    const body = await bodyFor(doc, address, true);
    expect(gunzipSync(body).toString()).toBe(doc.json.toString().replaceAll(BASE_URL_MARK, address));
    const answer = documentAnswer(GZIP, doc, true, address);
    expect(answer.ready).toBe(true);
    expect(answer.body).toBe(body);
  });

  it('keeps gzip copies while more identity splices pass than the identity cache holds', async () => {
    const doc = storedDocument('gzip-survivor', 4);
    const address = 'http://localhost:9/';
    await bodyFor(doc, address, true);
    // 40 MB of identity splices (400 documents of 100 KB), more than the 32 MB an encoding's cache holds.
    const big = storedDocument('identity-flood', 100);
    for (let i = 0; i < 400; i++) {
      const answer = documentAnswer(IDENTITY, { ...big, etag: `"flood-${i}"` }, true, address);
      expect(answer.ready).toBe(true);
    }
    expect(documentAnswer(GZIP, doc, true, address).ready).toBe(true);
  });
});
