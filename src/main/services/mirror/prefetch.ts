// Prefetch: brings every packument and tarball a project (or a package) needs into the cache, in parallel, with progress.
import semver from 'semver';
import { badRequest, isShelfError } from '../../errors';
import type { PackageVersion } from './lockfiles';
import type { MirrorService } from './mirror-service';

export interface PrefetchProgress {
  phase: 'packuments' | 'tarballs' | 'done';
  done: number;
  total: number;
  fetched: number;
  alreadyCached: number;
  failed: number;
}

export interface PrefetchSummary {
  total: number;
  fetched: number;
  alreadyCached: number;
  failed: { spec: string; reason: string }[];
  interrupted: boolean;
}

export interface PrefetchOptions {
  concurrency?: number;
  onProgress?: (progress: PrefetchProgress) => void | Promise<void>;
  /** Stops starting new work; what finished stays cached, so running again resumes. */
  signal?: AbortSignal;
}

/** Runs `work` over items with at most `limit` in flight. */
async function eachLimited<T>(
  items: readonly T[],
  limit: number,
  signal: AbortSignal | undefined,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length && !signal?.aborted) await work(items[next++]!);
  });
  await Promise.all(lanes);
}

const reasonOf = (error: unknown) => (isShelfError(error) ? error.message : `unexpected error: ${(error as Error).message}`);

export async function prefetchVersions(
  mirror: MirrorService,
  wanted: readonly PackageVersion[],
  options: PrefetchOptions = {},
): Promise<PrefetchSummary> {
  if (mirror.listUpstreams().length === 0 && !mirror.offline) {
    throw badRequest('there is no upstream registry to mirror from; start Shelf with --upstream URL (or let it use your npm registry)');
  }
  const concurrency = options.concurrency ?? 8;
  const summary: PrefetchSummary = { total: wanted.length, fetched: 0, alreadyCached: 0, failed: [], interrupted: false };
  const names = [...new Set(wanted.map((w) => w.name))];
  const report = async (phase: PrefetchProgress['phase'], done: number, total: number) =>
    options.onProgress?.({
      phase,
      done,
      total,
      fetched: summary.fetched,
      alreadyCached: summary.alreadyCached,
      failed: summary.failed.length,
    });

  const unavailable = new Map<string, string>();
  let done = 0;
  await eachLimited(names, concurrency, options.signal, async (name) => {
    try {
      await mirror.ensurePackument(name);
    } catch (error) {
      unavailable.set(name, reasonOf(error));
    }
    await report('packuments', ++done, names.length);
  });

  done = 0;
  await eachLimited(wanted, concurrency, options.signal, async ({ name, version }) => {
    const spec = `${name}@${version}`;
    const missing = unavailable.get(name);
    if (missing) summary.failed.push({ spec, reason: missing });
    else {
      try {
        if (await mirror.ensureTarball(name, version)) summary.fetched++;
        else summary.alreadyCached++;
      } catch (error) {
        summary.failed.push({ spec, reason: reasonOf(error) });
      }
    }
    await report('tarballs', ++done, wanted.length);
  });
  summary.failed.sort((a, b) => (a.spec < b.spec ? -1 : 1));
  summary.interrupted = options.signal?.aborted ?? false;
  await report('done', done, wanted.length);
  return summary;
}

/** The versions of one package to mirror: all, the latest, or those in a range. */
export async function versionsOfPackage(mirror: MirrorService, name: string, which: string): Promise<PackageVersion[]> {
  const { versions, distTags } = await mirror.ensurePackument(name);
  let chosen: string[];
  if (which === 'all') chosen = versions;
  else if (which === 'latest') chosen = distTags.latest ? [distTags.latest] : [];
  else if (semver.validRange(which)) chosen = versions.filter((v) => semver.satisfies(v, which));
  else throw badRequest(`--versions takes all, latest or a semver range, not '${which}'`);
  if (chosen.length === 0) throw badRequest(`no version of ${name} matches '${which}'`);
  return chosen.map((version) => ({ name, version }));
}
