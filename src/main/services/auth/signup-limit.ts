// SignupLimit: how many accounts one client address may create in a window, whatever door it uses (npm adduser,
// /api/v1/auth/register). Each sign-up costs a slow password hash and a row, so an open registry must not let one
// address create them without bound. SignupLimit counts in memory (one process: SQLite); SharedSignupLimit counts in
// the database's throttle_events, so several nodes on PostgreSQL share one budget per address.
import { ShelfError } from '../../errors';
import { eventsByAddress, insertEvent, sweepEvents, type CounterSql } from '../../storage/db/counters';

export interface SignupLimitSettings {
  /** Accounts one address may create per window. */
  perAddress: number;
  windowMs: number;
}

export const DEFAULT_SIGNUP_LIMIT: SignupLimitSettings = { perAddress: 10, windowMs: 60 * 60 * 1000 };

/** What AuthService asks of either implementation. */
export interface SignupGate {
  take(client: string): void | Promise<void>;
}

function refusal(retryAfter: number): ShelfError {
  return new ShelfError(
    'rate_limit_exceeded',
    `too many accounts were created from this address; try again in ${retryAfter} seconds, or ask the registry's admin for an account`,
    { retryAfter },
  );
}

export class SignupLimit implements SignupGate {
  private readonly byAddress = new Map<string, number[]>();

  constructor(
    private readonly settings: SignupLimitSettings,
    private readonly now: () => Date,
  ) {}

  /** Counts one sign-up from `client`, or throws 429 (nothing counted) when the address has used its budget. */
  take(client: string): void {
    const at = this.now().getTime();
    const recent = (this.byAddress.get(client) ?? []).filter((t) => t > at - this.settings.windowMs);
    if (recent.length >= this.settings.perAddress) {
      throw refusal(Math.max(1, Math.ceil((recent[0]! + this.settings.windowMs - at) / 1000)));
    }
    recent.push(at);
    this.byAddress.delete(client);
    this.byAddress.set(client, recent);
    // Bounded memory: forget the oldest addresses rather than grow without limit under a spray of addresses.
    if (this.byAddress.size > 10_000) this.byAddress.delete(this.byAddress.keys().next().value!);
  }
}

/** SignupLimit's rule over the shared throttle_events table; the check and the count run under one lock per address. */
export class SharedSignupLimit implements SignupGate {
  constructor(
    private readonly sql: CounterSql,
    private readonly settings: SignupLimitSettings,
    private readonly now: () => Date,
  ) {}

  async take(client: string): Promise<void> {
    const at = this.now().getTime();
    await this.sql.locked([`signup|${client}`], async (sql) => {
      const recent = await eventsByAddress(sql, 'signup', client, at - this.settings.windowMs);
      if (recent.length >= this.settings.perAddress) {
        throw refusal(Math.max(1, Math.ceil((recent[0]!.at + this.settings.windowMs - at) / 1000)));
      }
      await insertEvent(sql, 'signup', client, '', at);
    });
    // Sign-ups are rare: the aged ones can go at each one (a bounded batch).
    await sweepEvents(this.sql, ['signup'], at - this.settings.windowMs);
  }
}
