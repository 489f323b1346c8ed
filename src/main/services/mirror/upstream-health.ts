// Whether each configured upstream answers at all, for the app-wide status in the UI's shell. Any HTTP answer counts as
// reachable (a registry may answer 404 to /-/ping); only a failed connection or a time-out counts as unreachable. Results
// are kept briefly so many open pages polling the status make one probe, not one each.
import type { UpstreamConfig } from '../../config/config';

export interface UpstreamHealth {
  url: string;
  reachable: boolean;
  /** Why it is unreachable, for people. */
  problem: string | null;
}

const PROBE_TIMEOUT_MS = 4000;
const KEEP_MS = 15_000;

export class UpstreamProbe {
  private last: { at: number; result: Promise<UpstreamHealth[]>; key: string } | undefined;

  constructor(private readonly fetchImpl: typeof fetch = (input, init) => fetch(input, init)) {}

  check(upstreams: UpstreamConfig[], now = Date.now()): Promise<UpstreamHealth[]> {
    const key = upstreams.map((u) => u.url).join('\n');
    if (this.last && this.last.key === key && now - this.last.at < KEEP_MS) return this.last.result;
    const result = Promise.all(upstreams.map((u) => this.probe(u.url)));
    this.last = { at: now, result, key };
    return result;
  }

  private async probe(url: string): Promise<UpstreamHealth> {
    try {
      const response = await this.fetchImpl(new URL('-/ping', url), { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS), redirect: 'manual' });
      await response.body?.cancel();
      return { url, reachable: true, problem: null };
    } catch (error) {
      const e = error as Error & { cause?: { code?: string } };
      const problem = e.name === 'TimeoutError' ? `no answer within ${PROBE_TIMEOUT_MS / 1000} s` : (e.cause?.code ?? e.message);
      return { url, reachable: false, problem };
    }
  }
}
