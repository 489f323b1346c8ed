// LoginThrottle: slows password guessing per client address and per account, without letting an attacker lock a
// user out of their own account.
//
// Two limits, checked before the (expensive) password check:
// - Per address: `maxFailures` failed sign-ins within `windowMs` from one address, and that address is refused (429)
//   until the oldest ages out. It stops one machine guessing many accounts.
// - Per account: after `accountMaxFailures` failures against one account within `accountWindowMs` (from any
//   addresses), each further try must wait a backoff since the last failure, doubling from `backoffMs` up to
//   `windowMs`. It stops many machines guessing one account. It is not a lockout: the addresses the account signed in
//   from successfully before (the last few, kept for 30 days) skip the account's backoff, so an attacker elsewhere
//   cannot keep the owner out; a new address waits at most `windowMs` for its next try.
// Attempts still being checked count as failures, so a burst of parallel guesses cannot slip in before the first
// failure is recorded. Failures of unknown account names are counted the same way, so a 429 says nothing about whether
// an account exists.
//
// Two implementations of the same rules: LoginThrottle keeps its state in memory (one process: SQLite; a restart forgets
// it, and every map is bounded), SharedLoginThrottle in the database's throttle_events (several nodes on PostgreSQL: the
// limits hold for the whole cluster, not per node; each check-and-reserve runs under a lock on its address and account).
import { ShelfError } from '../../errors';
import {
  clearAddressFailures,
  deleteEvent,
  eventsByAddress,
  failuresOfAccount,
  insertEvent,
  lastKnown,
  moveEvent,
  rememberAddress,
  sweepEvents,
  type CounterSql,
} from '../../storage/db/counters';

export interface LoginThrottleSettings {
  maxFailures: number;
  windowMs: number;
  /** Failures against one account (from anywhere) before its backoff starts; default twice maxFailures. */
  accountMaxFailures?: number;
  /** How long account failures are remembered; default 24 hours. */
  accountWindowMs?: number;
  /** The first backoff once an account is past its free failures; default one minute, doubling up to windowMs. */
  backoffMs?: number;
}

/** One attempt in progress: report how it ended exactly once (later reports are ignored). */
export interface LoginAttempt {
  succeeded(): void | Promise<void>;
  failed(): void | Promise<void>;
}

/** What AuthService asks of either implementation. */
export interface LoginGate {
  begin(client: string, account: string): LoginAttempt | Promise<LoginAttempt>;
  clearAddress(client: string): void | Promise<void>;
}

const MAX_KEYS = 10_000;
const KNOWN_ADDRESS_MS = 30 * 24 * 60 * 60 * 1000;
const KNOWN_ADDRESSES_PER_ACCOUNT = 8;

/** Sets a key, dropping the oldest key first when the map is full (a spray of addresses or names cannot grow memory). */
function setBounded<K, V>(map: Map<K, V>, key: K, value: V): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > MAX_KEYS) map.delete(map.keys().next().value!);
}

function bump(map: Map<string, number>, key: string, by: number): void {
  const n = (map.get(key) ?? 0) + by;
  if (n <= 0) map.delete(key);
  else map.set(key, n);
}

export class LoginThrottle implements LoginGate {
  /** Failures per address, each remembering the account it was against. */
  private readonly byAddress = new Map<string, Array<{ at: number; account: string }>>();
  private readonly byAccount = new Map<string, number[]>();
  private readonly pendingByAddress = new Map<string, number>();
  private readonly pendingByAccount = new Map<string, number>();
  /** account → address → last successful sign-in. */
  private readonly known = new Map<string, Map<string, number>>();
  private readonly accountMaxFailures: number;
  private readonly accountWindowMs: number;
  private readonly backoffMs: number;

  constructor(
    private readonly settings: LoginThrottleSettings,
    private readonly now: () => Date,
  ) {
    this.accountMaxFailures = settings.accountMaxFailures ?? settings.maxFailures * 2;
    this.accountWindowMs = settings.accountWindowMs ?? 24 * 60 * 60 * 1000;
    this.backoffMs = settings.backoffMs ?? 60_000;
  }

  /**
   * Reserves one password check of `account` from `client`, or throws 429 with when to try again. The caller
   * reports the outcome on the returned attempt (and must, in a finally, so the reservation is released).
   */
  begin(client: string, account: string): LoginAttempt {
    const at = this.now().getTime();
    account = account.toLowerCase();
    this.checkAddress(client, at);
    if (!this.isKnown(account, client, at)) this.checkAccount(account, at);
    bump(this.pendingByAddress, client, 1);
    bump(this.pendingByAccount, account, 1);
    let settled = false;
    const settle = (failed: boolean) => {
      if (settled) return;
      settled = true;
      bump(this.pendingByAddress, client, -1);
      bump(this.pendingByAccount, account, -1);
      if (failed) this.recordFailure(client, account);
      else this.recordSuccess(client, account);
    };
    return { succeeded: () => settle(false), failed: () => settle(true) };
  }

  /** Forgets an address's failures (an admin's or a test's reset). */
  clearAddress(client: string): void {
    this.byAddress.delete(client);
  }

  private checkAddress(client: string, at: number): void {
    const recent = this.addressFailures(client, at);
    const pending = this.pendingByAddress.get(client) ?? 0;
    if (recent.length + pending >= this.settings.maxFailures) {
      const oldest = recent[0]?.at ?? at;
      const retryAfter = Math.max(1, Math.ceil((oldest + this.settings.windowMs - at) / 1000));
      throw new ShelfError('rate_limit_exceeded', `too many failed sign-in attempts from this client; try again in ${retryAfter} seconds`, {
        retryAfter,
      });
    }
  }

  private checkAccount(account: string, at: number): void {
    const failures = this.accountFailures(account, at);
    const total = failures.length + (this.pendingByAccount.get(account) ?? 0);
    if (total < this.accountMaxFailures) return;
    const excess = Math.min(30, total - this.accountMaxFailures);
    const wait = Math.min(this.backoffMs * 2 ** excess, this.settings.windowMs);
    const last = failures[failures.length - 1] ?? at;
    if (at >= last + wait) return;
    const retryAfter = Math.max(1, Math.ceil((last + wait - at) / 1000));
    throw new ShelfError(
      'rate_limit_exceeded',
      `too many failed sign-in attempts for this account; try again in ${retryAfter} seconds, or from an address you signed in from before`,
      { retryAfter },
    );
  }

  private recordFailure(client: string, account: string): void {
    const at = this.now().getTime();
    setBounded(this.byAddress, client, [...this.addressFailures(client, at), { at, account }]);
    setBounded(this.byAccount, account, [...this.accountFailures(account, at), at]);
  }

  /** A success clears this address's failures against this account only: signing in to one's own account does not
   * wipe the guesses the same address made at others. The address becomes one the account is known from. */
  private recordSuccess(client: string, account: string): void {
    const at = this.now().getTime();
    const rest = this.addressFailures(client, at).filter((f) => f.account !== account);
    if (rest.length > 0) this.byAddress.set(client, rest);
    else this.byAddress.delete(client);
    const addresses = new Map([...(this.known.get(account) ?? new Map<string, number>())].filter(([, t]) => t + KNOWN_ADDRESS_MS > at));
    addresses.delete(client);
    addresses.set(client, at);
    if (addresses.size > KNOWN_ADDRESSES_PER_ACCOUNT) addresses.delete(addresses.keys().next().value!);
    setBounded(this.known, account, addresses);
  }

  private isKnown(account: string, client: string, at: number): boolean {
    const last = this.known.get(account)?.get(client);
    return last !== undefined && last + KNOWN_ADDRESS_MS > at;
  }

  private addressFailures(client: string, at: number): Array<{ at: number; account: string }> {
    const cutoff = at - this.settings.windowMs;
    return (this.byAddress.get(client) ?? []).filter((f) => f.at > cutoff);
  }

  private accountFailures(account: string, at: number): number[] {
    const cutoff = at - this.accountWindowMs;
    return (this.byAccount.get(account) ?? []).filter((t) => t > cutoff);
  }
}

function addressRefusal(retryAfter: number): ShelfError {
  return new ShelfError('rate_limit_exceeded', `too many failed sign-in attempts from this client; try again in ${retryAfter} seconds`, {
    retryAfter,
  });
}

/** How often (at most) one node deletes aged events while checking a sign-in. */
const SWEEP_EVERY_MS = 60_000;

/**
 * LoginThrottle's rules over the shared throttle_events table, for several nodes on one database. An attempt is recorded
 * as a failure when it begins (so attempts in progress on any node count), moved to the time it failed, or deleted when
 * it succeeds. The messages and Retry-After are the same as LoginThrottle's.
 */
export class SharedLoginThrottle implements LoginGate {
  private readonly accountMaxFailures: number;
  private readonly accountWindowMs: number;
  private readonly backoffMs: number;
  private lastSweep = 0;

  constructor(
    private readonly sql: CounterSql,
    private readonly settings: LoginThrottleSettings,
    private readonly now: () => Date,
  ) {
    this.accountMaxFailures = settings.accountMaxFailures ?? settings.maxFailures * 2;
    this.accountWindowMs = settings.accountWindowMs ?? 24 * 60 * 60 * 1000;
    this.backoffMs = settings.backoffMs ?? 60_000;
  }

  async begin(client: string, account: string): Promise<LoginAttempt> {
    const at = this.now().getTime();
    account = account.toLowerCase();
    await this.sweep(at);
    const id = await this.sql.locked([`login-address|${client}`, `login-account|${account}`], async (sql) => {
      const recent = await eventsByAddress(sql, 'fail', client, at - this.settings.windowMs);
      if (recent.length >= this.settings.maxFailures) {
        throw addressRefusal(Math.max(1, Math.ceil((recent[0]!.at + this.settings.windowMs - at) / 1000)));
      }
      const known = await lastKnown(sql, account, client);
      if (known === undefined || known + KNOWN_ADDRESS_MS <= at) {
        const failures = await failuresOfAccount(sql, account, at - this.accountWindowMs);
        if (failures.length >= this.accountMaxFailures) {
          const excess = Math.min(30, failures.length - this.accountMaxFailures);
          const wait = Math.min(this.backoffMs * 2 ** excess, this.settings.windowMs);
          const last = failures[failures.length - 1]!.at;
          if (at < last + wait) {
            const retryAfter = Math.max(1, Math.ceil((last + wait - at) / 1000));
            throw new ShelfError(
              'rate_limit_exceeded',
              `too many failed sign-in attempts for this account; try again in ${retryAfter} seconds, or from an address you signed in from before`,
              { retryAfter },
            );
          }
        }
      }
      return insertEvent(sql, 'fail', client, account, at);
    });
    let settled = false;
    const settle = async (failed: boolean) => {
      if (settled) return;
      settled = true;
      const when = this.now().getTime();
      if (failed) {
        await moveEvent(this.sql, id, when);
        return;
      }
      await this.sql.locked([`login-address|${client}`, `login-account|${account}`], async (sql) => {
        await deleteEvent(sql, id);
        await clearAddressFailures(sql, client, account);
        await rememberAddress(sql, account, client, when, KNOWN_ADDRESSES_PER_ACCOUNT);
      });
    };
    return { succeeded: () => settle(false), failed: () => settle(true) };
  }

  async clearAddress(client: string): Promise<void> {
    await clearAddressFailures(this.sql, client);
  }

  /** Now and then, deletes events no check can see any more (bounded batches; every node may do it). */
  private async sweep(at: number): Promise<void> {
    if (at - this.lastSweep < SWEEP_EVERY_MS) return;
    this.lastSweep = at;
    await sweepEvents(this.sql, ['fail', 'fail_account'], at - Math.max(this.settings.windowMs, this.accountWindowMs));
    await sweepEvents(this.sql, ['known'], at - KNOWN_ADDRESS_MS);
  }
}
