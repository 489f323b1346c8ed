// LoginThrottle: counts failed sign-ins per client and refuses further tries for a while once too many fail.
import { ShelfError } from '../../errors';

export class LoginThrottle {
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly maxFailures: number,
    private readonly windowMs: number,
    private readonly now: () => Date,
  ) {}

  /** Throws 429 when the client has used up its failed attempts in the current window. */
  check(client: string): void {
    const recent = this.recent(client);
    if (recent.length >= this.maxFailures) {
      const retryAfter = Math.max(1, Math.ceil((recent[0]! + this.windowMs - this.now().getTime()) / 1000));
      throw new ShelfError('rate_limit_exceeded', `too many failed sign-in attempts from this client; try again in ${retryAfter} seconds`, {
        retryAfter,
      });
    }
  }

  recordFailure(client: string): void {
    const recent = this.recent(client);
    recent.push(this.now().getTime());
    this.failures.set(client, recent);
    // Bounded memory: forget the oldest clients rather than grow without limit under a spray of addresses.
    if (this.failures.size > 10_000) this.failures.delete(this.failures.keys().next().value!);
  }

  recordSuccess(client: string): void {
    this.failures.delete(client);
  }

  private recent(client: string): number[] {
    const cutoff = this.now().getTime() - this.windowMs;
    return (this.failures.get(client) ?? []).filter((t) => t > cutoff);
  }
}
