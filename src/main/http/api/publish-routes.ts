// /api/v1 publishing: a JSON body with a base64 archive, or multipart with a metadata part and an archive part.
import type { MultipartFile, MultipartValue } from '@fastify/multipart';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { badRequest } from '../../errors';
import type { Services } from '../../services';
import type { ApiPublishInput } from '../../services/api/api-publish';
import { requireScope } from '../../services/auth/principal';
import { principalOf } from '../request-auth';
import { bodyObject } from './api-request';

const METADATA_PARTS = new Set(['metadata', 'manifest']);
const ARCHIVE_PARTS = new Set(['tarball', 'archive', 'package']);

function parseMetadata(text: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text, (key, value) => (key === '__proto__' ? undefined : value));
  } catch {
    throw badRequest('the metadata part is not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw badRequest('the metadata part must be a JSON object');
  return parsed as Record<string, unknown>;
}

async function multipartInput(request: FastifyRequest): Promise<ApiPublishInput> {
  let metadata: Record<string, unknown> | undefined;
  let archive: Buffer | undefined;
  for await (const part of request.parts() as AsyncIterable<MultipartFile | MultipartValue>) {
    if (part.type === 'file') {
      const bytes = await part.toBuffer();
      if (ARCHIVE_PARTS.has(part.fieldname)) {
        if (archive) throw badRequest('send one archive per publish');
        archive = bytes;
      } else if (METADATA_PARTS.has(part.fieldname)) {
        metadata = parseMetadata(bytes.toString('utf8'));
      } else {
        throw badRequest(`unexpected file part '${part.fieldname}'; send the archive as 'tarball', 'archive' or 'package'`);
      }
    } else if (METADATA_PARTS.has(part.fieldname)) {
      metadata = parseMetadata(String(part.value));
    }
  }
  if (!metadata) throw badRequest("the multipart body needs a JSON part named 'metadata' (or 'manifest')");
  if (!archive) throw badRequest("the multipart body needs a file part named 'tarball' (or 'archive' or 'package')");
  return { metadata, archive };
}

export function registerPublishRoutes(app: FastifyInstance, services: Services): void {
  for (const path of ['/packages', '/packages/publish']) {
    app.post(path, async (request, reply) => {
      const principal = await principalOf(services.auth, request);
      // Refuse before reading an upload that could never be stored.
      requireScope(principal, 'publish', 'publish packages');
      const input = request.isMultipart() ? await multipartInput(request) : { metadata: bodyObject(request) };
      const result = await services.api.publish(principal, input);
      const url = services.api.catalog.tarballUrl(result.name, result.version).replace(/\/tarball$/, '');
      return reply.code(201).send({
        success: true,
        name: result.name,
        version: result.version,
        checksum: result.checksum,
        package: { id: result.versionId, name: result.name, version: result.version, published_at: result.publishedAt, url },
        download_url: services.api.catalog.tarballUrl(result.name, result.version),
      });
    });
  }
}
