// Reads the caller's credential from the Authorization header (Bearer token or Basic password), once per request.
import type { FastifyRequest } from 'fastify';
import { unauthorized } from '../errors';
import type { AuthService } from '../services/auth/auth-service';
import type { Principal } from '../services/auth/principal';

const cache = new WeakMap<FastifyRequest, Promise<Principal | undefined>>();

export function principalOf(auth: AuthService, request: FastifyRequest): Promise<Principal | undefined> {
  let pending = cache.get(request);
  if (!pending) {
    pending = resolve(auth, request);
    cache.set(request, pending);
  }
  return pending;
}

async function resolve(auth: AuthService, request: FastifyRequest): Promise<Principal | undefined> {
  const header = request.headers.authorization;
  if (!header) return undefined;
  const space = header.indexOf(' ');
  const scheme = header.slice(0, space).toLowerCase();
  const value = header.slice(space + 1).trim();
  if (scheme === 'bearer' && value) return auth.authenticateToken(value, request.ip);
  if (scheme === 'basic' && value) {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon <= 0) throw unauthorized('the Basic credentials are malformed; log in again with `npm login`');
    return auth.authenticateBasic(decoded.slice(0, colon), decoded.slice(colon + 1), request.ip);
  }
  throw unauthorized(`the '${scheme}' authorization scheme is not supported here; use a Bearer token from \`npm login\``);
}
