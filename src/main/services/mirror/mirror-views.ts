// The mirror as the UI's Mirror screen shows it: its state, its upstreams' health, cached packages, and a prefetch of a
// project's packages as a job (the job board, which owns progress events, runs what is returned here).
import { resolve } from 'node:path';
import type { CachedPackageView } from './cached-view';
import { cachedPackageView, searchCached } from './cached-view';
import type { MirrorService } from './mirror-service';
import { prefetchVersions } from './prefetch';
import { projectPackages } from './project-packages';
import { UpstreamProbe, type UpstreamHealth } from './upstream-health';
import type { PolicyService } from '../policy/policy-service';
import type { MetadataDb } from '../../storage/sql/port';
import { formatBytes } from '../../../shared/format-bytes';

/** What a job reports as it goes: the board's side of the contract, as the services see it. */
export interface ProgressReport {
  progress(update: { phase?: string; done?: number; total?: number; bytes?: number }): void;
  readonly signal: AbortSignal;
}

/** A job ready to start: its title and its work (summary lines; `partial` when not all of it could be done). */
export interface PlannedJob {
  title: string;
  run(report: ProgressReport): Promise<{ summary: string[]; partial: boolean }>;
}

export class MirrorViews {
  private readonly probe = new UpstreamProbe();

  constructor(
    private readonly mirror: MirrorService,
    private readonly db: MetadataDb,
    private readonly policy: PolicyService | undefined,
  ) {}

  async status() {
    return {
      offline: this.mirror.offline,
      upstreams: this.mirror.listUpstreams().map((u) => ({ url: u.url, scopes: u.scope ? [u.scope] : [] })),
      cache: await this.mirror.admin.status(),
    };
  }

  /** Offline mode reaches no upstream on purpose: nothing to probe. */
  async health(): Promise<{ offline: boolean; upstreams: UpstreamHealth[] }> {
    const offline = this.mirror.offline;
    return { offline, upstreams: offline ? [] : await this.probe.check(this.mirror.listUpstreams()) };
  }

  async setPinned(name: string, pinned: boolean): Promise<void> {
    if (pinned) await this.mirror.admin.pin(name);
    else await this.mirror.admin.unpin(name);
  }

  async cachedPackage(name: string): Promise<CachedPackageView> {
    return cachedPackageView(this.db, name, this.policy);
  }

  async searchCached(text: string, limit: number) {
    return { results: await searchCached(this.db, text, limit, this.policy) };
  }

  /** A lockfile is read as it is; a package.json without one is resolved through this registry first. */
  async planPrefetch(path: string, registryUrl: string): Promise<PlannedJob> {
    const { source: file, packages: wanted } = await projectPackages(resolve(path), registryUrl);
    const cacheBytes = async () => (await this.mirror.admin.status()).totalBytes;
    return {
      title: `Prefetch ${file}`,
      run: async (report) => {
        report.progress({ phase: 'reading lockfile', done: 0, total: wanted.length });
        const summary = await prefetchVersions(this.mirror, wanted, {
          signal: report.signal,
          onProgress: async (p) => report.progress({ phase: p.phase, done: p.done, total: p.total, bytes: await cacheBytes() }),
        });
        return {
          partial: summary.failed.length > 0,
          summary: [
            `${summary.total} package versions in ${file}`,
            `${summary.fetched} fetched, ${summary.alreadyCached} already cached, ${summary.failed.length} failed`,
            ...summary.failed.slice(0, 50).map((f) => `failed: ${f.spec}: ${f.reason}`),
            ...(summary.interrupted ? ['interrupted: run the prefetch again to resume'] : []),
            `cache now holds ${formatBytes(await cacheBytes())}`,
          ],
        };
      },
    };
  }
}
