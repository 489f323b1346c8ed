// AuthService: accounts, passwords, tokens and the first-run admin setup.
import { createHash, randomBytes as nodeRandomBytes, timingSafeEqual } from 'node:crypto';
import { ShelfError, badRequest, conflict, forbidden, notFound, unauthorized } from '../../errors';
import type { Db } from '../../storage/db/connection';
import { deleteSetting, getSetting, setSetting } from '../../storage/db/settings';
import {
  deleteToken,
  findTokenByHash,
  insertToken,
  listTokensOfUser,
  touchToken,
  type TokenRow,
  type TokenScope,
} from '../../storage/db/tokens';
import { countUsers, findUserById, findUserByName, hasAdmin, insertUser, type UserRow } from '../../storage/db/users';
import { addressAllowed, parseCidrList } from './cidr';
import { LoginThrottle } from './login-throttle';
import { hashPassword, passwordProblem, verifyPassword } from './passwords';
import type { Principal, User } from './principal';

const TOKEN_PREFIX = 'shelf_';
const SETUP_TOKEN_SETTING = 'setup_token_sha256';
const USERNAME_RULE = /^[A-Za-z0-9_-]{3,32}$/;
const EMAIL_RULE = /^[^\s@]+@[^\s@]+$/;

export interface TokenInfo {
  key: string;
  name: string | null;
  /** The first characters of the secret, enough to recognise it, never enough to use it. */
  prefix: string;
  /** Its last four characters (null for tokens made before Shelf kept them). */
  last4: string | null;
  scope: TokenScope;
  cidrWhitelist: string[];
  created: string;
  updated: string;
  expires: string | null;
  lastUsed: string | null;
}

export interface AuthServiceOptions {
  signup: 'open' | 'closed';
  loginThrottle: { maxFailures: number; windowMs: number };
  now: () => Date;
  randomBytes?: (size: number) => Buffer;
}

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

function toUser(row: UserRow): User {
  return { id: row.id, name: row.name, email: row.email, isAdmin: row.is_admin === 1, createdAt: row.created_at };
}

function toTokenInfo(row: TokenRow): TokenInfo {
  return {
    key: row.key,
    name: row.name,
    prefix: row.prefix,
    last4: row.last4,
    scope: row.scope,
    cidrWhitelist: JSON.parse(row.cidr_whitelist) as string[],
    created: row.created_at,
    updated: row.updated_at,
    expires: row.expires_at,
    lastUsed: row.last_used_at,
  };
}

export class AuthService {
  readonly throttle: LoginThrottle;
  private readonly now: () => Date;
  private readonly randomBytes: (size: number) => Buffer;

  constructor(
    private readonly db: Db,
    private readonly options: AuthServiceOptions,
  ) {
    this.now = options.now;
    this.randomBytes = options.randomBytes ?? nodeRandomBytes;
    this.throttle = new LoginThrottle(options.loginThrottle.maxFailures, options.loginThrottle.windowMs, this.now);
  }

  get signupOpen(): boolean {
    return this.options.signup === 'open';
  }

  userCount(): number {
    return countUsers(this.db);
  }

  findUser(name: string): User | undefined {
    const row = findUserByName(this.db, name);
    return row && toUser(row);
  }

  getUser(id: number): User | undefined {
    const row = findUserById(this.db, id);
    return row && toUser(row);
  }

  /** Creates an account after checking its name, email and password; the caller decides who may do so. */
  async createUser(input: { name: string; email?: string | null; password: string; isAdmin?: boolean }): Promise<User> {
    if (!USERNAME_RULE.test(input.name)) {
      throw badRequest(`username '${input.name}' is not allowed: use 3 to 32 letters, digits, '-' or '_'`);
    }
    if (input.email && !EMAIL_RULE.test(input.email)) throw badRequest(`'${input.email}' is not an email address`);
    const problem = passwordProblem(input.password);
    if (problem) throw badRequest(problem);
    if (findUserByName(this.db, input.name)) throw conflict(`the username '${input.name}' is already taken`);
    const passwordHash = await hashPassword(input.password, this.randomBytes);
    // Re-check after the slow hash: another request may have taken the name meanwhile; the UNIQUE index decides.
    try {
      return toUser(
        insertUser(this.db, {
          name: input.name,
          email: input.email ?? null,
          passwordHash,
          isAdmin: input.isAdmin ?? false,
          createdAt: this.now().toISOString(),
        }),
      );
    } catch (error) {
      if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') throw conflict(`the username '${input.name}' is already taken`);
      throw error;
    }
  }

  /** Checks a name and password, throttling repeated failures from one client. Same message whether or not the user exists. */
  async checkPassword(name: string, password: string, client: string): Promise<User> {
    this.throttle.check(client);
    const row = findUserByName(this.db, name);
    const ok = row ? await verifyPassword(password, row.password_hash) : await verifyPassword(password, DUMMY_HASH);
    if (!row || !ok) {
      this.throttle.recordFailure(client);
      throw unauthorized('incorrect username or password');
    }
    this.throttle.recordSuccess(client);
    return toUser(row);
  }

  /**
   * npm's couch login and adduser (PUT /-/user/org.couchdb.user:NAME): signs in an existing user,
   * or creates the account when sign-up is open. Returns a new token with the account's full rights.
   */
  async couchLogin(
    input: { name: string; password: string; email?: string },
    client: string,
  ): Promise<{ token: string; user: User; created: boolean }> {
    let user: User;
    let created = false;
    if (findUserByName(this.db, input.name)) {
      user = await this.checkPassword(input.name, input.password, client);
    } else {
      if (!this.signupOpen) {
        throw forbidden(`there is no user '${input.name}' and sign-up is closed on this registry; ask its admin for an account`);
      }
      this.throttle.check(client);
      user = await this.createUser({ name: input.name, email: input.email ?? null, password: input.password });
      created = true;
    }
    const { secret } = this.createToken(user, { scope: 'admin', name: 'npm login' });
    return { token: secret, user, created };
  }

  createToken(
    user: User,
    input: { scope: TokenScope; name?: string | null; cidrWhitelist?: readonly string[]; expiresAt?: string | null },
  ): { secret: string; token: TokenInfo } {
    const cidrs = parseCidrList(input.cidrWhitelist ?? []);
    if (input.expiresAt && Number.isNaN(Date.parse(input.expiresAt))) throw badRequest(`'${input.expiresAt}' is not a date`);
    const secret = TOKEN_PREFIX + this.randomBytes(32).toString('base64url');
    const at = this.now().toISOString();
    const row = insertToken(this.db, {
      key: this.randomBytes(16).toString('hex'),
      user_id: user.id,
      secret_hash: sha256(secret),
      prefix: secret.slice(0, TOKEN_PREFIX.length + 6),
      last4: secret.slice(-4),
      name: input.name ?? null,
      scope: input.scope,
      cidr_whitelist: JSON.stringify(cidrs),
      created_at: at,
      updated_at: at,
      expires_at: input.expiresAt ? new Date(input.expiresAt).toISOString() : null,
    });
    return { secret, token: toTokenInfo(row) };
  }

  /** Resolves a bearer token; throws 401 for unknown, expired or out-of-range use. */
  authenticateToken(secret: string, clientIp: string): Principal {
    const hash = sha256(secret);
    const row = findTokenByHash(this.db, hash);
    // The lookup is by hash, so its timing reveals nothing of the secret; compare once more in constant time anyway.
    if (!row || !timingSafeEqual(Buffer.from(row.secret_hash), Buffer.from(hash))) {
      throw unauthorized('this token is not valid on this registry (revoked, or from another registry); log in again');
    }
    if (row.expires_at && Date.parse(row.expires_at) <= this.now().getTime()) {
      throw unauthorized(`this token expired on ${row.expires_at}; create a new one`);
    }
    if (!addressAllowed(clientIp, JSON.parse(row.cidr_whitelist) as string[])) {
      throw forbidden(`this token may not be used from ${clientIp}: it is limited to ${JSON.parse(row.cidr_whitelist).join(', ')}`);
    }
    const user = findUserById(this.db, row.user_id);
    if (!user) throw unauthorized('the account this token belonged to no longer exists');
    touchToken(this.db, row.id, this.now().toISOString());
    return { user: toUser(user), scope: row.scope, tokenKey: row.key };
  }

  /** Basic auth (yarn, and npm with `_auth`): the password stands for the account's full rights. */
  async authenticateBasic(name: string, password: string, client: string): Promise<Principal> {
    const user = await this.checkPassword(name, password, client);
    return { user, scope: 'admin' };
  }

  listTokens(user: User): TokenInfo[] {
    return listTokensOfUser(this.db, user.id).map(toTokenInfo);
  }

  /** Revokes one of the user's tokens, named by its key or by the full secret (npm may send either). */
  revokeToken(user: User, keyOrSecret: string): void {
    const rows = listTokensOfUser(this.db, user.id);
    const hash = sha256(keyOrSecret);
    const row = rows.find((r) => r.key === keyOrSecret || r.secret_hash === hash);
    if (!row) throw notFound(`you have no token '${keyOrSecret}'; \`npm token list\` shows your tokens`);
    deleteToken(this.db, row.id);
  }

  /** Logout: the token revokes itself. Unknown tokens are already logged out. */
  revokeBySecret(secret: string): void {
    const row = findTokenByHash(this.db, sha256(secret));
    if (row) deleteToken(this.db, row.id);
  }

  // ── First-run setup ───────────────────────────────────────────────────────────

  needsSetup(): boolean {
    return !hasAdmin(this.db);
  }

  /** A fresh one-time setup token (the old one stops working); only while no admin exists. */
  issueSetupToken(): string | undefined {
    if (!this.needsSetup()) return undefined;
    const token = this.randomBytes(24).toString('base64url');
    setSetting(this.db, SETUP_TOKEN_SETTING, sha256(token));
    return token;
  }

  async createAdmin(input: {
    setupToken?: string;
    isLocalOwner: boolean;
    username: string;
    password: string;
    email: string;
  }): Promise<User> {
    if (!this.needsSetup()) throw conflict('the admin account already exists; sign in instead');
    if (!input.isLocalOwner) {
      const expected = getSetting(this.db, SETUP_TOKEN_SETTING);
      const given = input.setupToken ? sha256(input.setupToken) : '';
      if (!expected || !given || !timingSafeEqual(Buffer.from(expected), Buffer.from(given))) {
        throw new ShelfError(
          'permission_denied',
          'this setup link is not valid (it was used already, or Shelf was restarted); open the newest link that `shelf serve` printed',
        );
      }
    }
    const user = await this.createUser({ name: input.username, email: input.email, password: input.password, isAdmin: true });
    deleteSetting(this.db, SETUP_TOKEN_SETTING);
    return user;
  }
}

// Verifying against a fixed hash when the user does not exist keeps the timing of both failures alike.
const DUMMY_HASH = 'scrypt$32768$8$1$AAAAAAAAAAAAAAAAAAAAAA==$' + Buffer.alloc(64).toString('base64');
