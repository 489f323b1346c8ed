// Who is calling and what their credential lets them do; the one place scope rules are written down.
import { forbidden, unauthorized } from '../../errors';
import type { TokenScope } from '../../storage/db/tokens';

export interface User {
  id: number;
  name: string;
  email: string | null;
  isAdmin: boolean;
  createdAt: string;
}

export interface Principal {
  user: User;
  /** What the credential allows: read < publish < admin (admin: everything the account may do, tokens included). */
  scope: TokenScope;
  /** The token used, when the caller authenticated with one. */
  tokenKey?: string;
}

const RANK: Record<TokenScope, number> = { read: 0, publish: 1, admin: 2 };

export function requireUser(principal: Principal | undefined, action: string): Principal {
  if (!principal) throw unauthorized(`you must be logged in to ${action}; run \`npm login --registry <this registry>\``);
  return principal;
}

/** Requires a signed-in caller whose credential has at least the given scope. */
export function requireScope(principal: Principal | undefined, scope: TokenScope, action: string): Principal {
  const p = requireUser(principal, action);
  if (RANK[p.scope] < RANK[scope]) {
    throw forbidden(
      `this token is ${p.scope === 'read' ? 'read-only' : `limited to ${p.scope}`} and cannot ${action}; use a token with ${scope} scope`,
    );
  }
  return p;
}
