// Access tokens as the UI's Tokens screen shows them: never the secret again, only a hint (its last four characters).
import type { TokenView } from '../../../shared/schemas';
import type { AuthService, TokenInfo } from './auth-service';
import type { Principal, User } from './principal';

export const tokenView = (t: TokenInfo): TokenView => ({
  key: t.key,
  name: t.name,
  hint: t.last4 ? `…${t.last4}` : `${t.prefix}…`,
  scope: t.scope,
  cidr: t.cidrWhitelist,
  created: t.created,
  expires: t.expires,
  lastUsed: t.lastUsed,
});

export async function listTokenViews(auth: AuthService, user: User): Promise<{ tokens: TokenView[] }> {
  return { tokens: (await auth.listTokens(user)).map(tokenView) };
}

/**
 * A new token for the signed-in user; the secret is in the answer once. The session was signed in with the password, and
 * mintToken is the one place that bounds a token by its presenter.
 */
export async function createTokenForUi(
  auth: AuthService,
  presenter: Principal,
  now: Date,
  request: { name: string; scope: TokenInfo['scope']; expiresInDays: number | null; cidr: string[] },
): Promise<{ secret: string; token: TokenView }> {
  const expiresAt = request.expiresInDays ? new Date(now.getTime() + request.expiresInDays * 86_400_000).toISOString() : null;
  const { secret, token } = await auth.mintToken(presenter, {
    name: request.name,
    scope: request.scope,
    cidrWhitelist: request.cidr,
    expiresAt,
  });
  return { secret, token: tokenView(token) };
}
