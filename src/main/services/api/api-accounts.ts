// Accounts through the REST API: register, log in (email or username), verify, refresh, and tokens with API scopes.
import { badRequest, conflict, forbidden, unauthorized } from '../../errors';
import { findUserByEmail } from '../../storage/db/api-queries';
import type { MetadataDb } from '../../storage/sql/port';
import { packagesMaintainedBy } from '../../storage/db/packages';
import { tokenScopesByKey } from '../../storage/db/token-scopes';
import type { TokenScope } from '../../storage/db/tokens';
import type { AuthService, TokenInfo } from '../auth/auth-service';
import { requireScope, requireUser, type Principal, type User } from '../auth/principal';
import { defaultApiScopes } from '../auth/token-grant';

export const API_SCOPES = ['read', 'publish', 'yank', 'admin'] as const;
export type ApiScope = (typeof API_SCOPES)[number];

/** How long a login's token lives; refresh before then. */
const SESSION_DAYS = 30;
const DAY_MS = 24 * 60 * 60 * 1000;

export interface ApiUser {
  id: number;
  username: string;
  email: string | null;
  is_admin: boolean;
}

export interface ApiToken {
  id: string;
  name: string | null;
  prefix: string;
  scopes: string[];
  created_at: string;
  expires_at: string | null;
  last_used_at: string | null;
}

const apiUser = (user: User): ApiUser => ({ id: user.id, username: user.name, email: user.email, is_admin: user.isAdmin });

/** The npm-level scope a list of API scopes implies: the highest of read < publish < admin ('yank' alone stays read plus its grant). */
function impliedScope(scopes: readonly ApiScope[]): TokenScope {
  if (scopes.includes('admin')) return 'admin';
  if (scopes.includes('publish')) return 'publish';
  return 'read';
}

function requiredString(body: Record<string, unknown>, field: string): string {
  const value = body[field];
  if (typeof value !== 'string' || value === '') throw badRequest(`${field} is required`);
  return value;
}

export class ApiAccounts {
  constructor(
    private readonly db: MetadataDb,
    private readonly auth: AuthService,
    private readonly now: () => Date,
  ) {}

  private sessionExpiry(): string {
    return new Date(this.now().getTime() + SESSION_DAYS * DAY_MS).toISOString();
  }

  /** A sign-up from `client`: counted against that address's sign-up budget, as every door's are. */
  async register(body: Record<string, unknown>, client: string): Promise<{ user: ApiUser; token: string }> {
    const username = requiredString(body, 'username');
    const password = requiredString(body, 'password');
    const email = body.email === undefined || body.email === null ? null : body.email;
    if (email !== null && typeof email !== 'string') throw badRequest('email must be a string');
    if (!this.auth.signupOpen) throw forbidden('sign-up is closed on this registry; ask its admin for an account');
    if (email && (await findUserByEmail(this.db, email))) throw conflict(`an account with the email '${email}' already exists`);
    const user = await this.auth.createUser({ name: username, email, password, client });
    const { secret } = await this.auth.mintToken(
      { user, scope: 'admin' },
      { scope: 'admin', name: 'api register', expiresAt: this.sessionExpiry() },
    );
    return { user: apiUser(user), token: secret };
  }

  async login(body: Record<string, unknown>, client: string): Promise<{ token: string; expires_at: string; user: ApiUser }> {
    const password = requiredString(body, 'password');
    const identifier =
      typeof body.username === 'string' && body.username
        ? body.username
        : typeof body.email === 'string' && body.email
          ? body.email
          : undefined;
    if (!identifier) throw badRequest('username or email is required');
    // An unknown email still goes through the password check (against no user) so both failures look and take the same;
    // it is throttled as an account of its own name, so a 429 says nothing about whether an account has that email.
    const found = typeof body.username === 'string' && body.username ? body.username : (await findUserByEmail(this.db, identifier))?.name;
    const user = await this.auth.checkPassword(found ?? '\u0000', password, client, found ?? `email:${identifier.toLowerCase()}`);
    const expiresAt = this.sessionExpiry();
    // The password was just proved: the session token may have the account's full rights.
    const { secret } = await this.auth.mintToken({ user, scope: 'admin' }, { scope: 'admin', name: 'api login', expiresAt });
    return { token: secret, expires_at: expiresAt, user: apiUser(user) };
  }

  async verify(body: Record<string, unknown>, client: string): Promise<{ valid: true; user: ApiUser } | { valid: false }> {
    if (typeof body.token !== 'string' || body.token === '') throw badRequest('token is required');
    try {
      return { valid: true, user: apiUser((await this.auth.authenticateToken(body.token, client)).user) };
    } catch {
      return { valid: false };
    }
  }

  /**
   * A new secret in place of the caller's token (the old one stops working in the same transaction), with every
   * restriction of the old one: the same scopes, the same address ranges and the same expiry. Refreshing rotates a
   * secret; it never lengthens its life, so a session token still ends 30 days after the password was last used.
   */
  async refresh(principal: Principal | undefined, secret: string | undefined): Promise<{ token: string; expires_at: string | null }> {
    const p = requireUser(principal, 'refresh a token');
    if (!p.tokenKey || !secret) throw unauthorized('refresh needs the token itself: send it as Authorization: Bearer <token>');
    const { secret: fresh, token } = await this.auth.mintToken(p, { scope: p.scope, name: 'api refresh', replaces: p.tokenKey });
    return { token: fresh, expires_at: token.expires };
  }

  async me(principal: Principal | undefined) {
    const p = requireUser(principal, 'see your account');
    return {
      ...apiUser(p.user),
      created_at: p.user.createdAt,
      packages: (await packagesMaintainedBy(this.db, p.user.id)).map((pkg) => pkg.name),
      tokens: await this.listTokens(p),
    };
  }

  async listTokens(principal: Principal | undefined): Promise<ApiToken[]> {
    const p = requireUser(principal, 'list your tokens');
    return Promise.all((await this.auth.listTokens(p.user)).map((t) => this.apiToken(t)));
  }

  async createToken(principal: Principal | undefined, body: Record<string, unknown>): Promise<{ token: string } & ApiToken> {
    // Managing tokens is for admin-scope credentials; AuthService.mintToken then keeps the new one within the presenting one.
    const p = requireScope(principal, 'admin', 'create tokens');
    const name = body.name;
    if (typeof name !== 'string' || name.trim() === '' || name.length > 100)
      throw badRequest('name is required: up to 100 characters saying what the token is for');
    const scopes = (body.scopes ?? ['read']) as unknown;
    if (!Array.isArray(scopes) || scopes.length === 0 || scopes.some((s) => !(API_SCOPES as readonly unknown[]).includes(s))) {
      throw badRequest(`scopes must be a non-empty list of ${API_SCOPES.join(', ')}`);
    }
    const days = body.expires_in_days;
    if (days !== undefined && days !== null && (typeof days !== 'number' || !Number.isInteger(days) || days < 1 || days > 3650)) {
      throw badRequest('expires_in_days must be a whole number of days from 1 to 3650');
    }
    // Without expires_in_days the token expires when the presenting credential does (never, for a password).
    const expiresAt = typeof days === 'number' ? new Date(this.now().getTime() + days * DAY_MS).toISOString() : undefined;
    const list = [...new Set(scopes as ApiScope[])];
    const created = await this.auth.mintToken(p, { scope: impliedScope(list), apiScopes: list, name, expiresAt });
    return { token: created.secret, ...(await this.apiToken(created.token)) };
  }

  async revokeToken(principal: Principal | undefined, id: string): Promise<void> {
    const p = requireScope(principal, 'admin', 'revoke tokens');
    await this.auth.revokeToken(p.user, id);
  }

  private async apiToken(t: TokenInfo): Promise<ApiToken> {
    return {
      id: t.key,
      name: t.name,
      prefix: t.prefix,
      scopes: (await tokenScopesByKey(this.db, t.key)) ?? defaultApiScopes(t.scope),
      created_at: t.created,
      expires_at: t.expires,
      last_used_at: t.lastUsed,
    };
  }
}
