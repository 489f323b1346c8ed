// AuthService: accounts, passwords, tokens and the first-run admin setup.
import { createHash, createHmac, randomBytes as nodeRandomBytes, timingSafeEqual } from 'node:crypto';
import { ShelfError, badRequest, conflict, forbidden, notFound, unauthorized } from '../../errors';
import type { MetadataDb } from '../../storage/sql/port';
import { deleteSetting, getSetting, setSetting } from '../../storage/db/settings';
import {
  deleteToken,
  findTokenByHash,
  findTokenByKey,
  insertToken,
  listTokensOfUser,
  touchToken,
  type TokenRow,
  type TokenScope,
} from '../../storage/db/tokens';
import { setTokenScopes, tokenScopesByKey } from '../../storage/db/token-scopes';
import { countUsers, findUserById, findUserByName, hasAdmin, insertUser, replacePasswordHash, type UserRow } from '../../storage/db/users';
import { addressAllowed, parseCidrList } from './cidr';
import { LoginThrottle, SharedLoginThrottle, type LoginGate, type LoginThrottleSettings } from './login-throttle';
import { CURRENT_PARAMS, hashPassword, needsRehash, passwordProblem, verifyPassword, type ScryptParams } from './passwords';
import type { Principal, User } from './principal';
import { DEFAULT_SIGNUP_LIMIT, SharedSignupLimit, SignupLimit, type SignupGate, type SignupLimitSettings } from './signup-limit';
import { SharedWindowCounter } from './rate-windows';
import { UiSessionRecords } from './ui-sessions';
import type { CounterSql } from '../../storage/db/counters';
import { PASSWORD_CEILING, defaultApiScopes, fitUnder, type TokenGrant, type TokenRequest } from './token-grant';
import { isUniqueViolation } from '../../storage/sql/errors';

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
  loginThrottle: LoginThrottleSettings;
  /** Accounts one address may create per window; DEFAULT_SIGNUP_LIMIT when unset. */
  signupLimit?: SignupLimitSettings;
  /**
   * Where the login throttle, sign-up limit and /api/v1 rate limits count when several nodes share the database
   * (PostgreSQL); unset, they count in this process's memory (SQLite: one process).
   */
  sharedCounters?: CounterSql;
  /** Browser sessions in memory instead of the database (a read-only start on a full disk cannot write them). */
  sessionsInMemory?: boolean;
  now: () => Date;
  randomBytes?: (size: number) => Buffer;
  /** scrypt cost of new hashes; only unit tests of the hashing itself pass anything but the default. */
  passwordParams?: ScryptParams;
}

/** What a new token asks for at any door; fields left out are taken from the presenting credential. */
export interface MintRequest extends Omit<TokenRequest, 'cidrs'> {
  name?: string | null;
  cidrWhitelist?: readonly string[];
  /** The key of a token this one replaces (refresh): revoked in the same transaction. */
  replaces?: string;
}

/**
 * How stale a token's "last used" may get. Writing it on every request made every authenticated GET a database write,
 * and every write moves the store's generation, which drops every hot document on every node: an `npm ci` with a token
 * re-read each packument from the database instead of memory.
 */
const TOKEN_TOUCH_MS = 60 * 1000;
/** How long a verified Basic password is remembered, so clients sending it on every request pay the hash once. */
const BASIC_CACHE_MS = 5 * 60 * 1000;
const BASIC_CACHE_MAX = 1000;

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
  readonly throttle: LoginGate;
  readonly signups: SignupGate;
  /** /api/v1's shared request counters; unset on one process (the API counts in memory). */
  readonly rateWindows: SharedWindowCounter | undefined;
  /** Browser-mode sign-in sessions, in the database (every node sees them). */
  readonly uiSessions: UiSessionRecords;
  private readonly now: () => Date;
  private readonly randomBytes: (size: number) => Buffer;
  private readonly passwordParams: ScryptParams;
  /** HMAC(name, password) under a per-process key → the user it verified as, and the hash it was verified against. */
  private readonly basicVerified = new Map<string, { userId: number; hash: string; until: number }>();
  private readonly basicPending = new Map<string, Promise<User>>();
  private readonly basicKey = nodeRandomBytes(32);

  constructor(
    private readonly db: MetadataDb,
    private readonly options: AuthServiceOptions,
  ) {
    this.now = options.now;
    this.randomBytes = options.randomBytes ?? nodeRandomBytes;
    const shared = options.sharedCounters;
    const signupLimit = options.signupLimit ?? DEFAULT_SIGNUP_LIMIT;
    this.throttle = shared
      ? new SharedLoginThrottle(shared, options.loginThrottle, this.now)
      : new LoginThrottle(options.loginThrottle, this.now);
    this.signups = shared ? new SharedSignupLimit(shared, signupLimit, this.now) : new SignupLimit(signupLimit, this.now);
    this.rateWindows = shared ? new SharedWindowCounter(shared, () => this.now().getTime()) : undefined;
    this.uiSessions = new UiSessionRecords(options.sessionsInMemory ? undefined : db, () => this.now().getTime());
    this.passwordParams = options.passwordParams ?? CURRENT_PARAMS;
  }

  get signupOpen(): boolean {
    return this.options.signup === 'open';
  }

  async userCount(): Promise<number> {
    return countUsers(this.db);
  }

  async findUser(name: string): Promise<User | undefined> {
    const row = await findUserByName(this.db, name);
    return row && toUser(row);
  }

  async getUser(id: number): Promise<User | undefined> {
    const row = await findUserById(this.db, id);
    return row && toUser(row);
  }

  /**
   * Creates an account after checking its name, email and password; the caller decides who may do so. A sign-up
   * from a client address (`client`) counts against that address's sign-up budget, whichever door it came through.
   */
  async createUser(input: { name: string; email?: string | null; password: string; isAdmin?: boolean; client?: string }): Promise<User> {
    if (!USERNAME_RULE.test(input.name)) {
      throw badRequest(`username '${input.name}' is not allowed: use 3 to 32 letters, digits, '-' or '_'`);
    }
    if (input.email && !EMAIL_RULE.test(input.email)) throw badRequest(`'${input.email}' is not an email address`);
    const problem = passwordProblem(input.password);
    if (problem) throw badRequest(problem);
    if (await findUserByName(this.db, input.name)) throw conflict(`the username '${input.name}' is already taken`);
    if (input.client !== undefined) await this.signups.take(input.client);
    const passwordHash = await hashPassword(input.password, this.randomBytes, this.passwordParams);
    // Re-check after the slow hash: another request may have taken the name meanwhile; the UNIQUE index decides.
    try {
      return toUser(
        await insertUser(this.db, {
          name: input.name,
          email: input.email ?? null,
          passwordHash,
          isAdmin: input.isAdmin ?? false,
          createdAt: this.now().toISOString(),
        }),
      );
    } catch (error) {
      if (isUniqueViolation(error)) throw conflict(`the username '${input.name}' is already taken`);
      throw error;
    }
  }

  /**
   * Checks a name and password, throttled per client address and per account (`account`: the name the caller
   * typed, which for a login by email is the email when no account has it). Same message whether or not the user
   * exists. A hash made at older scrypt parameters is replaced by one at today's on success.
   */
  async checkPassword(name: string, password: string, client: string, account: string = name): Promise<User> {
    const attempt = await this.throttle.begin(client, account);
    try {
      const row = await findUserByName(this.db, name);
      const ok = row ? await verifyPassword(password, row.password_hash) : await verifyPassword(password, this.dummyHash);
      if (!row || !ok) {
        await attempt.failed();
        throw unauthorized('incorrect username or password');
      }
      await attempt.succeeded();
      if (needsRehash(row.password_hash, this.passwordParams)) {
        await replacePasswordHash(this.db, row.id, row.password_hash, await hashPassword(password, this.randomBytes, this.passwordParams));
      }
      return toUser(row);
    } finally {
      // A throw before either outcome (a database error) still releases the reservation, as a failure.
      await attempt.failed();
    }
  }

  /** Verifying against a fixed hash when the user does not exist keeps the timing of both failures alike. */
  private get dummyHash(): string {
    const { N, r, p } = this.passwordParams;
    return `scrypt$${N}$${r}$${p}$AAAAAAAAAAAAAAAAAAAAAA==$` + Buffer.alloc(64).toString('base64');
  }

  /**
   * npm's couch login and adduser (PUT /-/user/org.couchdb.user:NAME): signs in an existing user,
   * or creates the account when sign-up is open. Returns a new token with the account's full rights.
   */
  async couchLogin(
    input: { name: string; password: string; email?: string; existingOnly?: boolean },
    client: string,
  ): Promise<{ token: string; user: User; created: boolean }> {
    let user: User;
    let created = false;
    if ((await findUserByName(this.db, input.name)) || input.existingOnly) {
      user = await this.checkPassword(input.name, input.password, client);
    } else {
      if (!this.signupOpen) {
        throw forbidden(`there is no user '${input.name}' and sign-up is closed on this registry; ask its admin for an account`);
      }
      user = await this.createUser({ name: input.name, email: input.email ?? null, password: input.password, client });
      created = true;
    }
    // The password was just proved, so the new token may have the account's full rights.
    const { secret } = await this.mintToken({ user, scope: 'admin' }, { scope: 'admin', name: 'npm login' });
    return { token: secret, user, created };
  }

  /**
   * The rights of the credential a caller presented, which bound any token it mints: a token's own scope, API
   * scopes, expiry and address ranges; a password or a signed-in session (a principal without a token) stands for
   * the whole account.
   */
  async ceilingOf(presenter: Principal): Promise<TokenGrant> {
    if (presenter.tokenKey === undefined) return PASSWORD_CEILING;
    const row = await findTokenByKey(this.db, presenter.tokenKey);
    if (!row) throw unauthorized('the token you used was revoked meanwhile; log in again');
    return {
      scope: row.scope,
      apiScopes: (await tokenScopesByKey(this.db, row.key)) ?? defaultApiScopes(row.scope),
      expiresAt: row.expires_at,
      cidrs: JSON.parse(row.cidr_whitelist) as string[],
    };
  }

  /**
   * Makes a token for the presenting caller, never wider than the credential presented (see token-grant.ts): every
   * door that hands out a token comes through here. Refusals write nothing.
   */
  async mintToken(presenter: Principal, request: MintRequest): Promise<{ secret: string; token: TokenInfo }> {
    const cidrs = request.cidrWhitelist === undefined ? undefined : parseCidrList(request.cidrWhitelist);
    if (request.expiresAt && Number.isNaN(Date.parse(request.expiresAt))) throw badRequest(`'${request.expiresAt}' is not a date`);
    const grant = fitUnder(await this.ceilingOf(presenter), { ...request, cidrs }, this.now());
    const secret = TOKEN_PREFIX + this.randomBytes(32).toString('base64url');
    const at = this.now().toISOString();
    const row = await this.db.transaction(async () => {
      const inserted = await insertToken(this.db, {
        key: this.randomBytes(16).toString('hex'),
        user_id: presenter.user.id,
        secret_hash: sha256(secret),
        prefix: secret.slice(0, TOKEN_PREFIX.length + 6),
        last4: secret.slice(-4),
        name: request.name ?? null,
        scope: grant.scope,
        cidr_whitelist: JSON.stringify(grant.cidrs),
        created_at: at,
        updated_at: at,
        expires_at: grant.expiresAt,
      });
      await setTokenScopes(this.db, inserted.id, grant.apiScopes);
      if (request.replaces !== undefined) {
        const old = await findTokenByKey(this.db, request.replaces);
        if (old && old.user_id === presenter.user.id) await deleteToken(this.db, old.id);
      }
      return inserted;
    });
    return { secret, token: toTokenInfo(row) };
  }

  /** A token for a user who has just proved their password (or an admin tool acting for the account). */
  createToken(
    user: User,
    input: { scope: TokenScope; name?: string | null; cidrWhitelist?: readonly string[]; expiresAt?: string | null },
  ): Promise<{ secret: string; token: TokenInfo }> {
    return this.mintToken({ user, scope: 'admin' }, input);
  }

  /** Resolves a bearer token; throws 401 for unknown, expired or out-of-range use. */
  async authenticateToken(secret: string, clientIp: string): Promise<Principal> {
    const hash = sha256(secret);
    const row = await findTokenByHash(this.db, hash);
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
    const user = await findUserById(this.db, row.user_id);
    if (!user) throw unauthorized('the account this token belonged to no longer exists');
    const now = this.now();
    if (!row.last_used_at || Date.parse(row.last_used_at) <= now.getTime() - TOKEN_TOUCH_MS)
      await touchToken(this.db, row.id, now.toISOString());
    return { user: toUser(user), scope: row.scope, tokenKey: row.key };
  }

  /**
   * Basic auth (yarn, and npm with `_auth`): the password stands for the account's full rights. Such clients send it
   * on every request, often many at once, so a verified password is remembered for a few minutes (as an HMAC under a
   * key that lives only in this process, and only while the account's hash is unchanged) and concurrent checks of the
   * same credential share one hash; failures are never remembered, so guessing stays throttled.
   */
  async authenticateBasic(name: string, password: string, client: string): Promise<Principal> {
    const key = createHmac('sha256', this.basicKey).update(name).update('\u0000').update(password).digest('base64url');
    const at = this.now().getTime();
    const cached = this.basicVerified.get(key);
    if (cached && cached.until > at) {
      const row = await findUserById(this.db, cached.userId);
      if (row && row.name === name && row.password_hash === cached.hash) return { user: toUser(row), scope: 'admin' };
    }
    this.basicVerified.delete(key);
    let pending = this.basicPending.get(key);
    if (!pending) {
      pending = this.checkPassword(name, password, client).finally(() => this.basicPending.delete(key));
      this.basicPending.set(key, pending);
    }
    const user = await pending;
    const row = await findUserById(this.db, user.id);
    if (row) {
      this.basicVerified.set(key, { userId: row.id, hash: row.password_hash, until: at + BASIC_CACHE_MS });
      if (this.basicVerified.size > BASIC_CACHE_MAX) this.basicVerified.delete(this.basicVerified.keys().next().value!);
    }
    return { user, scope: 'admin' };
  }

  async listTokens(user: User): Promise<TokenInfo[]> {
    return (await listTokensOfUser(this.db, user.id)).map(toTokenInfo);
  }

  /** Revokes one of the user's tokens, named by its key or by the full secret (npm may send either). */
  async revokeToken(user: User, keyOrSecret: string): Promise<void> {
    const rows = await listTokensOfUser(this.db, user.id);
    const hash = sha256(keyOrSecret);
    const row = rows.find((r) => r.key === keyOrSecret || r.secret_hash === hash);
    if (!row) throw notFound(`you have no token '${keyOrSecret}'; \`npm token list\` shows your tokens`);
    await deleteToken(this.db, row.id);
  }

  /** Logout: the token revokes itself. Unknown tokens are already logged out. */
  async revokeBySecret(secret: string): Promise<void> {
    const row = await findTokenByHash(this.db, sha256(secret));
    if (row) await deleteToken(this.db, row.id);
  }

  // ── First-run setup ───────────────────────────────────────────────────────────

  async needsSetup(): Promise<boolean> {
    return !(await hasAdmin(this.db));
  }

  /** A fresh one-time setup token (the old one stops working); only while no admin exists. */
  async issueSetupToken(): Promise<string | undefined> {
    if (!(await this.needsSetup())) return undefined;
    const token = this.randomBytes(24).toString('base64url');
    await setSetting(this.db, SETUP_TOKEN_SETTING, sha256(token));
    return token;
  }

  async createAdmin(input: {
    setupToken?: string;
    isLocalOwner: boolean;
    username: string;
    password: string;
    email: string;
  }): Promise<User> {
    if (!(await this.needsSetup())) throw conflict('the admin account already exists; sign in instead');
    if (!input.isLocalOwner) {
      const expected = await getSetting(this.db, SETUP_TOKEN_SETTING);
      const given = input.setupToken ? sha256(input.setupToken) : '';
      if (!expected || !given || !timingSafeEqual(Buffer.from(expected), Buffer.from(given))) {
        throw new ShelfError(
          'permission_denied',
          'this setup link is not valid (it was used already, or Shelf was restarted); open the newest link that `shelf serve` printed',
        );
      }
    }
    const user = await this.createUser({ name: input.username, email: input.email, password: input.password, isAdmin: true });
    await deleteSetting(this.db, SETUP_TOKEN_SETTING);
    return user;
  }
}
