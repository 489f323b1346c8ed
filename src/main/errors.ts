// ShelfError: the one error type services throw; shells map it to HTTP statuses or rejected IPC calls.
import { statfsSync } from 'node:fs';
import { formatBytes } from '../shared/format-bytes';

export type ShelfErrorCode =
  | 'invalid_request'
  | 'authentication_required'
  | 'permission_denied'
  | 'not_found'
  | 'not_acceptable'
  | 'conflict'
  | 'payload_too_large'
  | 'rate_limit_exceeded'
  | 'upstream_failed'
  | 'upstream_timeout'
  | 'unavailable'
  | 'insufficient_storage'
  | 'internal';

const STATUS_BY_CODE: Record<ShelfErrorCode, number> = {
  invalid_request: 400,
  authentication_required: 401,
  permission_denied: 403,
  not_found: 404,
  // A package that exists, but not in the format asked for (a Synapse or Vais package asked of the npm door).
  not_acceptable: 406,
  conflict: 409,
  payload_too_large: 413,
  rate_limit_exceeded: 429,
  upstream_failed: 502,
  upstream_timeout: 504,
  unavailable: 503,
  insufficient_storage: 507,
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

/** Error codes (from Node's fs and from SQLite) that mean the disk or the user's quota has no room left. */
const OUT_OF_SPACE_CODES = new Set(['ENOSPC', 'EDQUOT', 'SQLITE_FULL']);

/** The error, or one of its causes, says the disk is full; or the database was opened read-only for that reason. */
export function storageFailureOf(error: unknown): 'full' | 'read-only' | undefined {
  let current: unknown = error;
  // Causes chain at most a few deep; the bound guards against a cycle.
  for (let depth = 0; depth < 5 && current; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && OUT_OF_SPACE_CODES.has(code)) return 'full';
    // Shelf opens its database with query_only when it starts on a full disk (storage/db/connection.ts).
    if (code === 'SQLITE_READONLY') return 'read-only';
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Free bytes on the file system holding a folder, or undefined when it cannot be read. */
export function freeBytesAt(dir: string): number | undefined {
  try {
    const stats = statfsSync(dir);
    return Number(stats.bavail) * Number(stats.bsize);
  } catch {
    return undefined;
  }
}

/** What a database write needs at least, when the size of the write itself is not known: a few pages and WAL frames. */
export const DATABASE_WRITE_ROOM_BYTES = 1024 * 1024;

/**
 * The 507 for a write that found no room: names the data folder, what is free and what the write needs, so whoever
 * reads it knows which disk to clean up and by how much.
 */
export function outOfSpace(dataDir: string, neededBytes: number | undefined, cause?: unknown): ShelfError {
  const free = freeBytesAt(dataDir);
  const needed = Math.max(neededBytes ?? 0, DATABASE_WRITE_ROOM_BYTES);
  return new ShelfError(
    'insufficient_storage',
    `the disk holding Shelf's data folder (${dataDir}) is full${free === undefined ? '' : ` (${formatBytes(free)} free)`}: ` +
      `this write needs about ${formatBytes(needed)}; free some space there and try again. Nothing was stored`,
    { cause },
  );
}

/** The 507 while Shelf runs read-only because it started on a full disk. */
export function readOnlyStorage(dataDir: string, cause?: unknown): ShelfError {
  const free = freeBytesAt(dataDir);
  return new ShelfError(
    'insufficient_storage',
    `Shelf is running read-only: the disk holding its data folder (${dataDir}) was full when it started` +
      `${free === undefined ? '' : ` (${formatBytes(free)} free now)`}. Free at least ${formatBytes(DATABASE_WRITE_ROOM_BYTES * 16)} there ` +
      'and restart Shelf to publish or change anything; reads keep working',
    { cause },
  );
}

/** A disk-full or read-only failure from storage as the ShelfError a client should see; undefined for any other error. */
export function storageError(error: unknown, dataDir: string): ShelfError | undefined {
  if (isShelfError(error)) return undefined;
  const kind = storageFailureOf(error);
  if (kind === 'full') return outOfSpace(dataDir, (error as { neededBytes?: number }).neededBytes, error);
  if (kind === 'read-only') return readOnlyStorage(dataDir, error);
  return undefined;
}
