// /api/v1 publishing: a JSON body with a base64 archive, or multipart with an archive part and its metadata (a JSON part,
// typed application/json or not, or plain name/version/… fields), as the npm-style, Synapse and Vais clients send them.
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
/** Plain form fields a client may send instead of a JSON metadata part (Synapse's multipart: fields plus a `package` file). */
const METADATA_FIELDS = new Set([
  'name',
  'version',
  'description',
  'author',
  'license',
  'homepage',
  'repository',
  'readme',
  'checksum',
  'keywords',
  'categories',
  'dependencies',
]);

/**
 * Which parts are files, for @fastify/multipart's parser: the archive part by its name even when it comes without a
 * filename (Vais's and Synapse's clients send bytes that way), anything with a filename, and binary content types.
 * JSON and plain-text parts without a filename are fields (a metadata part typed application/json is parsed as JSON).
 */
export function isPartAFile(fieldName: string | undefined, contentType: string | undefined, fileName: string | undefined): boolean {
  if (fileName !== undefined || (fieldName !== undefined && ARCHIVE_PARTS.has(fieldName))) return true;
  const type = (contentType ?? 'text/plain').toLowerCase();
  return !type.startsWith('text/') && !type.startsWith('application/json');
}

function parseMetadata(text: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text, (key, value) => (key === '__proto__' ? undefined : value));
  } catch {
    throw badRequest('the metadata part is not valid JSON');
  }
  return metadataObject(parsed);
}

function metadataObject(parsed: unknown): Record<string, unknown> {
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw badRequest('the metadata part must be a JSON object');
  return parsed as Record<string, unknown>;
}

/** A plain field's value: lists and maps may come as JSON text, lists also comma-separated. */
function fieldValue(name: string, raw: string): unknown {
  if (name !== 'keywords' && name !== 'categories' && name !== 'dependencies') return raw;
  const text = raw.trim();
  if (text.startsWith('[') || text.startsWith('{')) {
    try {
      return JSON.parse(text, (key, value) => (key === '__proto__' ? undefined : value));
    } catch {
      throw badRequest(`the ${name} field is not valid JSON`);
    }
  }
  if (name === 'dependencies') throw badRequest('the dependencies field must be a JSON object of package name → version range');
  return text === '' ? [] : text.split(',').map((k) => k.trim());
}

async function multipartInput(request: FastifyRequest): Promise<ApiPublishInput> {
  let metadata: Record<string, unknown> | undefined;
  const fields: Record<string, unknown> = {};
  let archive: Buffer | undefined;
  try {
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
        // A part typed application/json arrives parsed; one without a type arrives as text.
        metadata = typeof part.value === 'string' ? parseMetadata(part.value) : metadataObject(part.value);
      } else if (METADATA_FIELDS.has(part.fieldname)) {
        fields[part.fieldname] = typeof part.value === 'string' ? fieldValue(part.fieldname, part.value) : part.value;
      }
    }
  } catch (error) {
    if ((error as { code?: unknown }).code === 'FST_INVALID_JSON_FIELD_ERROR') {
      throw badRequest('the metadata part is typed application/json but is not valid JSON; send the metadata object as its body');
    }
    throw error;
  }
  // Without a JSON metadata part, plain name and version fields describe the archive.
  if (!metadata && (fields.name !== undefined || fields.version !== undefined)) metadata = fields;
  if (!metadata) {
    throw badRequest("the multipart body needs its metadata: a JSON part named 'metadata' (or 'manifest'), or name and version fields");
  }
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
