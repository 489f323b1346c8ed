// Maps errors under /api/v1 to the API's `{error, message, status}` shape (npm's routes keep npm's `{error}`).
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { isShelfError, storageError, type ShelfErrorCode } from '../../errors';
import { formatBytes } from '../../../shared/format-bytes';

const CODE_BY_STATUS: Record<number, ShelfErrorCode> = {
  400: 'invalid_request',
  401: 'authentication_required',
  403: 'permission_denied',
  404: 'not_found',
  409: 'conflict',
  413: 'payload_too_large',
  429: 'rate_limit_exceeded',
};

export function sendApiError(reply: FastifyReply, status: number, code: string, message: string, retryAfter?: number): void {
  if (status === 401) void reply.header('WWW-Authenticate', 'Bearer realm="Shelf"');
  if (retryAfter !== undefined) void reply.header('Retry-After', String(retryAfter));
  void reply.code(status).send({ error: code, message, status, ...(retryAfter !== undefined && { retry_after: retryAfter }) });
}

export function apiErrorHandler(maxTarballBytes: number, log: (message: string) => void, dataDir?: string) {
  return (raw: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): void => {
    // A full disk (or a read-only start on one) is a 507 saying where and how much room is needed, not a bare 500.
    const error = (dataDir === undefined ? undefined : storageError(raw, dataDir)) ?? raw;
    // The operator needs to hear of it as much as the client.
    if (isShelfError(error) && error.status === 507) log(`${request.method} ${request.url}: ${error.message}`);
    if (isShelfError(error)) return sendApiError(reply, error.status, error.code, error.message, error.retryAfter);
    const fastifyError = error as FastifyError;
    if (
      fastifyError.code === 'FST_ERR_CTP_BODY_TOO_LARGE' ||
      fastifyError.code === 'FST_REQ_FILE_TOO_LARGE' ||
      fastifyError.statusCode === 413
    ) {
      return sendApiError(
        reply,
        413,
        'payload_too_large',
        `the upload is larger than this registry accepts (archives up to ${formatBytes(maxTarballBytes)})`,
      );
    }
    const status = fastifyError.statusCode;
    if (status && status >= 400 && status < 500) {
      const message =
        fastifyError.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
          ? `unsupported content type '${request.headers['content-type'] ?? ''}'; send JSON or multipart/form-data`
          : error.message;
      return sendApiError(reply, status, CODE_BY_STATUS[status] ?? 'invalid_request', message);
    }
    log(`error on ${request.method} ${request.url}: ${error.stack ?? error.message}`);
    sendApiError(reply, 500, 'internal', 'Shelf hit an unexpected error; the server log has the details');
  };
}
