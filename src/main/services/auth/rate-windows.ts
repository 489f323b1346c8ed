// /api/v1's fixed-window request counters in the shared database, for several nodes on PostgreSQL: each counted request
// is one upsert of its budget keys (one round trip), so the budget holds for the cluster rather than per node.
import { hitWindows, sweepWindows, type CounterSql, type CountedWindow } from '../../storage/db/counters';

/** How often (at most) one node deletes ended windows, beside a counted request. */
const SWEEP_EVERY_MS = 60_000;

export class SharedWindowCounter {
  private lastSweep = 0;

  constructor(
    private readonly sql: CounterSql,
    private readonly now: () => number,
  ) {}

  async hitAll(keys: string[], windowMs: number): Promise<CountedWindow[]> {
    const at = this.now();
    if (at - this.lastSweep >= SWEEP_EVERY_MS) {
      this.lastSweep = at;
      await sweepWindows(this.sql, at);
    }
    return hitWindows(this.sql, keys, windowMs, at);
  }
}
