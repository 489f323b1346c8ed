// What a new token may carry: the one rule that a credential never mints anything wider than itself.
//
// Every door that makes a token (npm couch login, `npm token create`, /api/v1 login/refresh/tokens, the UI's
// tokens.create) goes through AuthService.mintToken, which asks this module two questions: what is the ceiling of the
// credential presented (`ceilingOf`), and does the requested token fit under it (`fitUnder`). A password (couch login,
// Basic auth, a UI session signed in with a password) stands for the whole account; a token stands only for itself.
import ipaddr from 'ipaddr.js';
import { forbidden } from '../../errors';
import type { TokenScope } from '../../storage/db/tokens';

/** The rights of a token: npm-level scope, the /api/v1 scope list, its expiry and the address ranges it may be used from. */
export interface TokenGrant {
  scope: TokenScope;
  /** The /api/v1 scopes (read, publish, yank, admin). */
  apiScopes: string[];
  /** ISO date, or null for a token that never expires. */
  expiresAt: string | null;
  /** Normalised CIDR ranges ("a.b.c.d/n"); empty means any address. */
  cidrs: string[];
}

/** What a token asks for; a field left undefined is taken from the presenting credential, so it can never be wider. */
export interface TokenRequest {
  scope: TokenScope;
  apiScopes?: readonly string[];
  expiresAt?: string | null;
  cidrs?: readonly string[];
}

const RANK: Record<TokenScope, number> = { read: 0, publish: 1, admin: 2 };

/** The /api/v1 scopes a token made without an explicit list has (npm tokens, logins). */
export function defaultApiScopes(scope: TokenScope): string[] {
  return scope === 'admin' ? ['read', 'publish', 'yank', 'admin'] : scope === 'publish' ? ['read', 'publish', 'yank'] : ['read'];
}

/** The ceiling of a password (or a session signed in with one): everything the account may do, anywhere, for ever. */
export const PASSWORD_CEILING: TokenGrant = { scope: 'admin', apiScopes: defaultApiScopes('admin'), expiresAt: null, cidrs: [] };

/** True when every address of `inner` lies inside `outer` (same family, at least as long a prefix, same network bits). */
function rangeInside(inner: string, outer: string): boolean {
  const [innerAddress, innerBits] = ipaddr.parseCIDR(inner);
  const [outerAddress, outerBits] = ipaddr.parseCIDR(outer);
  return innerAddress.kind() === outerAddress.kind() && innerBits >= outerBits && innerAddress.match(outerAddress, outerBits);
}

/**
 * The grant a request gets under `ceiling`: fields left out are inherited from the ceiling; fields given must be no
 * wider than it, or the request is refused (403) with what was too wide and how to get it (sign in with the password).
 */
export function fitUnder(ceiling: TokenGrant, request: TokenRequest, now: Date): TokenGrant {
  const how = 'a token can only make tokens with its own rights or fewer; log in with your password for a wider one';
  if (RANK[request.scope] > RANK[ceiling.scope]) {
    throw forbidden(`this credential is limited to ${ceiling.scope} and cannot make a token with ${request.scope} scope: ${how}`);
  }
  // Left out: the ceiling's own list when the same scope is asked for (a refresh), else the scope's defaults it holds.
  const inherited =
    request.scope === ceiling.scope ? ceiling.apiScopes : defaultApiScopes(request.scope).filter((s) => ceiling.apiScopes.includes(s));
  const apiScopes = [...new Set(request.apiScopes ?? inherited)];
  const extra = apiScopes.filter((s) => !ceiling.apiScopes.includes(s));
  if (extra.length > 0) {
    throw forbidden(
      `this credential does not have the scope${extra.length > 1 ? 's' : ''} ${extra.join(', ')}, so it cannot grant ${extra.length > 1 ? 'them' : 'it'}: ${how}`,
    );
  }

  let expiresAt = request.expiresAt === undefined ? ceiling.expiresAt : request.expiresAt;
  if (expiresAt !== null) expiresAt = new Date(expiresAt).toISOString();
  if (ceiling.expiresAt !== null) {
    if (expiresAt === null)
      throw forbidden(`this credential expires on ${ceiling.expiresAt} and cannot make a token that never expires: ${how}`);
    if (Date.parse(expiresAt) > Date.parse(ceiling.expiresAt)) {
      throw forbidden(`this credential expires on ${ceiling.expiresAt} and cannot make a token that outlives it (${expiresAt}): ${how}`);
    }
  }
  if (expiresAt !== null && Date.parse(expiresAt) <= now.getTime()) throw forbidden(`the expiry ${expiresAt} has already passed`);

  const cidrs = request.cidrs === undefined ? [...ceiling.cidrs] : [...request.cidrs];
  if (ceiling.cidrs.length > 0) {
    if (cidrs.length === 0) {
      throw forbidden(`this credential is limited to ${ceiling.cidrs.join(', ')} and cannot make a token usable from any address: ${how}`);
    }
    const outside = cidrs.filter((inner) => !ceiling.cidrs.some((outer) => rangeInside(inner, outer)));
    if (outside.length > 0) {
      throw forbidden(`this credential is limited to ${ceiling.cidrs.join(', ')}; ${outside.join(', ')} lies outside that: ${how}`);
    }
  }
  return { scope: request.scope, apiScopes, expiresAt, cidrs };
}
