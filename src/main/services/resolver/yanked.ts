// Owns keeping yanked versions out of new resolutions: a yanked version stays installable from a lockfile but is never chosen.
import type { Manifest, Packument } from './types';

/**
 * Shelf's own notice on a yanked version in the full packument (src/main/services/packages/packument.ts renders it);
 * repeated here because a registry client must recognise it on any Shelf, including a remote one.
 */
export const SHELF_YANKED_NOTICE =
  'this version was yanked by its owners: it stays installable from lockfiles but is not chosen for new installs';

/** Whether a version is yanked: an explicit `yanked: true` on the version, or Shelf's yank notice as its deprecation. */
export function isYanked(manifest: Manifest): boolean {
  return manifest.yanked === true || manifest.deprecated === SHELF_YANKED_NOTICE;
}

const withoutYanked = new WeakMap<Packument, Packument>();

/** The packument without yanked versions, and without dist-tags that point at one (cached per document). */
export function choosablePackument(packument: Packument): Packument {
  const cached = withoutYanked.get(packument);
  if (cached) return cached;
  const yanked = Object.keys(packument.versions).filter((v) => isYanked(packument.versions[v]!));
  let result = packument;
  if (yanked.length) {
    const versions = Object.fromEntries(Object.entries(packument.versions).filter(([v]) => !yanked.includes(v)));
    const tags = Object.fromEntries(Object.entries(packument['dist-tags']).filter(([, v]) => versions[v] !== undefined));
    result = { ...packument, versions, 'dist-tags': tags };
  }
  withoutYanked.set(packument, result);
  return result;
}
