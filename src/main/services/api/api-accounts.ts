// Accounts through the REST API: register, log in (email or username), verify, refresh, and tokens with API scopes.
import { badRequest, conflict, forbidden, unauthorized } from '../../errors';
import { findUserByEmail } from '../../storage/db/api-queries';
import type { Db } from '../../storage/db/connection';
import { packagesMaintainedBy } from '../../storage/db/packages';
import { setTokenScopes, tokenIdByKey, tokenScopesByKey } from '../../storage/db/token-scopes';
import type { TokenScope } from '../../storage/db/tokens';
import type { AuthService, TokenInfo } from '../auth/auth-service';
import { requireScope, requireUser, type Principal, type User } from '../auth/principal';

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

function defaultScopes(scope: TokenScope): string[] {
  return scope === 'admin' ? ['read', 'publish', 'yank', 'admin'] : scope === 'publish' ? ['read', 'publish', 'yank'] : ['read'];
}

function requiredString(body: Record<string, unknown>, field: string): string {
  const value = body[field];
  if (typeof value !== 'string' || value === '') throw badRequest(`${field} is required`);
  return value;
}

export class ApiAccounts {
  constructor(
    private readonly db: Db,
    private readonly auth: AuthService,
    private readonly now: () => Date,
  ) {}

  private sessionExpiry(): string {
    return new Date(this.now().getTime() + SESSION_DAYS * DAY_MS).toISOString();
  }

  async register(body: Record<string, unknown>): Promise<{ user: ApiUser; token: string }> {
    const username = requiredString(body, 'username');
    const password = requiredString(body, 'password');
    const email = body.email === undefined || body.email === null ? null : body.email;
    if (email !== null && typeof email !== 'string') throw badRequest('email must be a string');
    if (!this.auth.signupOpen) throw forbidden('sign-up is closed on this registry; ask its admin for an account');
    if (email && findUserByEmail(this.db, email)) throw conflict(`an account with the email '${email}' already exists`);
    const user = await this.auth.createUser({ name: username, email, password });
    const { secret } = this.auth.createToken(user, { scope: 'admin', name: 'api register', expiresAt: this.sessionExpiry() });
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
    // An unknown email still goes through the password check (against no user) so both failures look and take the same.
    const name =
      typeof body.username === 'string' && body.username ? body.username : (findUserByEmail(this.db, identifier)?.name ?? '\u0000');
    const user = await this.auth.checkPassword(name, password, client);
    const expiresAt = this.sessionExpiry();
    const { secret } = this.auth.createToken(user, { scope: 'admin', name: 'api login', expiresAt });
    return { token: secret, expires_at: expiresAt, user: apiUser(user) };
  }

  verify(body: Record<string, unknown>, client: string): { valid: true; user: ApiUser } | { valid: false } {
    if (typeof body.token !== 'string' || body.token === '') throw badRequest('token is required');
    try {
      return { valid: true, user: apiUser(this.auth.authenticateToken(body.token, client).user) };
    } catch {
      return { valid: false };
    }
  }

  /** A new token in place of the caller's (the old one stops working), with a fresh expiry. */
  refresh(principal: Principal | undefined, secret: string | undefined): { token: string; expires_at: string } {
    const p = requireUser(principal, 'refresh a token');
    if (!p.tokenKey || !secret) throw unauthorized('refresh needs the token itself: send it as Authorization: Bearer <token>');
    const scopes = tokenScopesByKey(this.db, p.tokenKey);
    const expiresAt = this.sessionExpiry();
    const { secret: fresh, token } = this.auth.createToken(p.user, { scope: p.scope, name: 'api refresh', expiresAt });
    if (scopes) setTokenScopes(this.db, tokenIdByKey(this.db, token.key)!, scopes);
    this.auth.revokeBySecret(secret);
    return { token: fresh, expires_at: expiresAt };
  }

  me(principal: Principal | undefined) {
    const p = requireUser(principal, 'see your account');
    return {
      ...apiUser(p.user),
      created_at: p.user.createdAt,
      packages: packagesMaintainedBy(this.db, p.user.id).map((pkg) => pkg.name),
      tokens: this.listTokens(p),
    };
  }

  listTokens(principal: Principal | undefined): ApiToken[] {
    const p = requireUser(principal, 'list your tokens');
    return this.auth.listTokens(p.user).map((t) => this.apiToken(t));
  }

  createToken(principal: Principal | undefined, body: Record<string, unknown>): { token: string } & ApiToken {
    // Tokens are credentials: only a credential with the account's full rights may mint them, so a narrow token cannot widen itself.
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
    const expiresAt = typeof days === 'number' ? new Date(this.now().getTime() + days * DAY_MS).toISOString() : null;
    const list = [...new Set(scopes as ApiScope[])];
    const created = this.db.transaction(() => {
      const result = this.auth.createToken(p.user, { scope: impliedScope(list), name, expiresAt });
      setTokenScopes(this.db, tokenIdByKey(this.db, result.token.key)!, list);
      return result;
    })();
    return { token: created.secret, ...this.apiToken(created.token) };
  }

  revokeToken(principal: Principal | undefined, id: string): void {
    const p = requireScope(principal, 'admin', 'revoke tokens');
    this.auth.revokeToken(p.user, id);
  }

  private apiToken(t: TokenInfo): ApiToken {
    return {
      id: t.key,
      name: t.name,
      prefix: t.prefix,
      scopes: tokenScopesByKey(this.db, t.key) ?? defaultScopes(t.scope),
      created_at: t.created,
      expires_at: t.expires,
      last_used_at: t.lastUsed,
    };
  }
}
