// ShelfError: the one error type services throw; shells map it to HTTP statuses or rejected IPC calls.

export type ShelfErrorCode =
  | 'invalid_request'
  | 'authentication_required'
  | 'permission_denied'
  | 'not_found'
  | 'conflict'
  | 'payload_too_large'
  | 'rate_limit_exceeded'
  | 'upstream_failed'
  | 'upstream_timeout'
  | 'unavailable'
  | 'internal';

const STATUS_BY_CODE: Record<ShelfErrorCode, number> = {
  invalid_request: 400,
  authentication_required: 401,
  permission_denied: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  rate_limit_exceeded: 429,
  upstream_failed: 502,
  upstream_timeout: 504,
  unavailable: 503,
  internal: 500,
};

export class ShelfError extends Error {
  readonly code: ShelfErrorCode;
  readonly status: number;
  /** Seconds a client should wait before retrying (429 only). */
  readonly retryAfter?: number;

  constructor(code: ShelfErrorCode, message: string, options: { retryAfter?: number; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'ShelfError';
    this.code = code;
    this.status = STATUS_BY_CODE[code];
    this.retryAfter = options.retryAfter;
  }
}

export const badRequest = (message: string): ShelfError => new ShelfError('invalid_request', message);
export const unauthorized = (message: string): ShelfError => new ShelfError('authentication_required', message);
export const forbidden = (message: string): ShelfError => new ShelfError('permission_denied', message);
export const notFound = (message: string): ShelfError => new ShelfError('not_found', message);
export const conflict = (message: string): ShelfError => new ShelfError('conflict', message);
export const tooLarge = (message: string): ShelfError => new ShelfError('payload_too_large', message);

export function isShelfError(error: unknown): error is ShelfError {
  return error instanceof ShelfError;
}
