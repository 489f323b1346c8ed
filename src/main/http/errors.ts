// Maps errors to npm's `{"error": "..."}` responses with the right status and headers.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { isShelfError, storageError } from '../errors';
import { formatBytes } from '../../shared/format-bytes';

export function npmErrorHandler(maxBodyBytes: number, log: (message: string) => void, dataDir?: string) {
  return (raw: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): void => {
    // A full disk (or a read-only start on one) is a 507 saying where and how much room is needed, not a bare 500.
    const error = (dataDir === undefined ? undefined : storageError(raw, dataDir)) ?? raw;
    // The operator needs to hear of it as much as the client.
    if (isShelfError(error) && error.status === 507) log(`${request.method} ${request.url}: ${error.message}`);
    if (isShelfError(error)) {
      if (error.status === 401) reply.header('WWW-Authenticate', 'Bearer realm="Shelf", Basic realm="Shelf"');
      if (error.retryAfter !== undefined) reply.header('Retry-After', String(error.retryAfter));
      void reply.code(error.status).send({ error: error.message });
      return;
    }
    const code = (error as FastifyError).code;
    if (code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      void reply.code(413).send({
        error: `the request body is larger than this registry accepts (${formatBytes(maxBodyBytes)}); raise --max-tarball-size if the package is meant to be this big`,
      });
      return;
    }
    const status = (error as FastifyError).statusCode;
    if (status && status >= 400 && status < 500) {
      const message =
        code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
          ? `unsupported content type '${request.headers['content-type'] ?? ''}'; send JSON`
          : error.message;
      void reply.code(status).send({ error: message });
      return;
    }
    log(`error on ${request.method} ${request.url}: ${error.stack ?? error.message}`);
    void reply.code(500).send({ error: 'Shelf hit an unexpected error; the server log has the details' });
  };
}
