// Owns keeping yanked versions out of new resolutions: a yanked version stays installable from a lockfile but is never chosen.
import type { Manifest } from './types';

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
