// Notices of the policy's decisions (a version held, a takedown purged) POSTed to the operator's webhook, one at a time.
// Delivery never holds up or fails the request that caused the decision: a notice is queued and sent in the background,
// a failed one is logged once and dropped (the audit log keeps every decision), and past a bound the queue drops new ones.

export interface PolicyNotice {
  action: 'held' | 'takedown';
  name: string;
  version: string;
  rule: string | null;
  detail: string;
  at: string;
}

/** Notices waiting beyond this are dropped (with a warning): a dead receiver must not grow memory without bound. */
const MAX_QUEUED = 200;
const TIMEOUT_MS = 5_000;

export class PolicyNotifier {
  private readonly queue: PolicyNotice[] = [];
  private sending = false;
  private dropped = 0;

  constructor(
    private readonly url: string | undefined,
    private readonly warn: (message: string) => void = () => undefined,
  ) {}

  notify(notice: PolicyNotice): void {
    if (!this.url) return;
    if (this.queue.length >= MAX_QUEUED) {
      if (this.dropped++ === 0) this.warn(`policy webhook: more than ${MAX_QUEUED} notices waiting; dropping new ones until it answers`);
      return;
    }
    this.queue.push(notice);
    if (!this.sending) void this.drain();
  }

  private async drain(): Promise<void> {
    this.sending = true;
    try {
      for (let notice = this.queue.shift(); notice; notice = this.queue.shift()) await this.send(notice);
    } finally {
      this.sending = false;
      this.dropped = 0;
    }
  }

  private async send(notice: PolicyNotice): Promise<void> {
    const text = `${notice.name}@${notice.version} ${notice.action === 'held' ? `held (${notice.rule})` : 'taken down'}: ${notice.detail}`;
    try {
      const response = await fetch(this.url!, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'shelf-policy' },
        // `text` makes the notice readable by chat webhooks that show one field (Slack, Mattermost); the rest is for scripts.
        body: JSON.stringify({ source: 'shelf', text, ...notice }),
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
      await response.arrayBuffer();
      if (!response.ok)
        this.warn(`policy webhook: ${this.url} answered ${response.status} for the notice about ${notice.name}@${notice.version}`);
    } catch (error) {
      this.warn(
        `policy webhook: could not reach ${this.url} (${(error as Error).message}); the notice about ${notice.name}@${notice.version} was dropped`,
      );
    }
  }
}
