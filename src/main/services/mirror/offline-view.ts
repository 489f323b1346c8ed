// What an offline client may see of an upstream package: only versions with cached tarballs, with dist-tags moved onto them.
import semver from 'semver';

/**
 * Moves each tag to the highest cached version it may point to: its own target if cached, else the highest cached
 * version not above the target with the same stability (a release tag never lands on a prerelease). `latest` always
 * survives while anything is cached, since clients need it.
 */
export function offlineDistTags(tags: Record<string, string>, cached: readonly string[]): Record<string, string> {
  const valid = cached.filter((v) => semver.valid(v));
  const out: Record<string, string> = {};
  for (const [tag, target] of Object.entries(tags)) {
    if (valid.includes(target)) {
      out[tag] = target;
      continue;
    }
    const stable = semver.prerelease(target) === null;
    const candidates = valid.filter((v) => (!semver.valid(target) || semver.lte(v, target)) && (!stable || semver.prerelease(v) === null));
    const best = semver.rsort([...candidates])[0];
    if (best) out[tag] = best;
  }
  if (!out.latest && valid.length > 0) {
    const releases = valid.filter((v) => semver.prerelease(v) === null);
    out.latest = semver.rsort(releases.length > 0 ? releases : [...valid])[0]!;
  }
  return out;
}
