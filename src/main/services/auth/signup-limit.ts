// SignupLimit: how many accounts one client address may create in a window, whatever door it uses (npm adduser,
// /api/v1/auth/register). Each sign-up costs a slow password hash and a row, so an open registry must not let one
// address create them without bound.
import { ShelfError } from '../../errors';

export interface SignupLimitSettings {
  /** Accounts one address may create per window. */
  perAddress: number;
  windowMs: number;
}

export const DEFAULT_SIGNUP_LIMIT: SignupLimitSettings = { perAddress: 10, windowMs: 60 * 60 * 1000 };

export class SignupLimit {
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
      const retryAfter = Math.max(1, Math.ceil((recent[0]! + this.settings.windowMs - at) / 1000));
      throw new ShelfError(
        'rate_limit_exceeded',
        `too many accounts were created from this address; try again in ${retryAfter} seconds, or ask the registry's admin for an account`,
        { retryAfter },
      );
    }
    recent.push(at);
    this.byAddress.delete(client);
    this.byAddress.set(client, recent);
    // Bounded memory: forget the oldest addresses rather than grow without limit under a spray of addresses.
    if (this.byAddress.size > 10_000) this.byAddress.delete(this.byAddress.keys().next().value!);
  }
}
