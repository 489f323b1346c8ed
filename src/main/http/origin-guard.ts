// Refuses state-changing requests sent by another site's page. A browser attaches the user's saved credentials (Basic
// auth, cookies) to requests a foreign page makes, but it always names that page in an Origin header on PUT, POST,
// DELETE and PATCH; command-line clients (npm, pnpm, yarn, bun, curl) send no Origin at all and are unaffected. Paired
// with JSON being parsed only from JSON content types (which a foreign page cannot send without a CORS preflight that
// Shelf never grants), a web page cannot change anything in the registry.
import type { FastifyRequest } from 'fastify';
import { forbidden } from '../errors';

const STATE_CHANGING = new Set(['PUT', 'POST', 'DELETE', 'PATCH']);

export interface OriginGuardOptions {
  /** True for an Origin that is one of Shelf's own pages. */
  isOwnOrigin(origin: string, request: FastifyRequest): boolean;
  /** Paths with their own, stricter check (the UI's RPC requires an Origin and refuses a missing one too). */
  skip?(path: string): boolean;
}

export function originGuard(options: OriginGuardOptions) {
  return async (request: FastifyRequest): Promise<void> => {
    if (!STATE_CHANGING.has(request.method)) return;
    const origin = request.headers.origin;
    if (origin === undefined || options.skip?.(request.url)) return;
    if (options.isOwnOrigin(origin, request)) return;
    throw forbidden(
      `cross-site requests are refused: this ${request.method} came from a web page at '${origin}', not from Shelf or a command-line client; nothing was changed`,
    );
  };
}

/** Same-origin: the page's scheme and host are those the request itself was sent to (Host already passed the host guard). */
export function isSameOrigin(origin: string, request: FastifyRequest): boolean {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  return url.protocol === `${request.protocol}:` && url.host.toLowerCase() === String(request.host ?? '').toLowerCase();
}
