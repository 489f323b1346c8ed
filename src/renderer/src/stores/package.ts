// One package: details (versions, tags, owners, readme), a chosen version's tarball files, dependencies and dependents, and
// the actions on it.
import { create } from 'zustand';
import type { CallResult, PackageDetails, PackageRelations, TarballListing } from '../../../shared/contract';
import { call, CallError } from '../client';

export type CachedPackage = CallResult<'mirror.cachedPackage'>;

export type PackageAction =
  | { kind: 'setDistTag'; tag: string; version: string }
  | { kind: 'removeDistTag'; tag: string }
  | { kind: 'deprecate'; version: string; message: string }
  | { kind: 'yank'; version: string; yanked: boolean }
  | { kind: 'unpublishVersion'; version: string }
  | { kind: 'addOwner'; username: string }
  | { kind: 'removeOwner'; username: string };

interface PackageState {
  name?: string;
  details?: PackageDetails;
  /** Not in this registry but in its mirror cache: what is cached, from which upstream. */
  cached?: CachedPackage;
  files?: TarballListing;
  filesError?: string;
  /** The version whose files and dependencies are shown (the latest, until another is chosen). */
  version?: string;
  relations?: PackageRelations;
  relationsLoading: boolean;
  relationsError?: string;
  loading: boolean;
  error?: string;
  actionError?: string;
  notice?: string;
  /** The action that undoes the last one, where one exists (re-deprecate, re-tag, un-yank). */
  undo?: PackageAction;
  open(name: string): Promise<void>;
  loadFiles(version: string): Promise<void>;
  loadRelations(version: string): Promise<void>;
  /** Shows one version's files and dependencies. */
  selectVersion(version: string): Promise<void>;
  act(action: PackageAction, undo?: PackageAction): Promise<boolean>;
  clearNotice(): void;
}

function describe(action: PackageAction): string {
  switch (action.kind) {
    case 'setDistTag':
      return `Tag ${action.tag} now points at ${action.version}.`;
    case 'removeDistTag':
      return `Tag ${action.tag} removed.`;
    case 'deprecate':
      return action.message ? `${action.version} deprecated.` : `${action.version} is no longer deprecated.`;
    case 'yank':
      return action.yanked ? `${action.version} yanked.` : `${action.version} un-yanked.`;
    case 'unpublishVersion':
      return `${action.version} unpublished.`;
    case 'addOwner':
      return `${action.username} is now an owner.`;
    case 'removeOwner':
      return `${action.username} is no longer an owner.`;
  }
}

export const usePackageStore = create<PackageState>()((set, get) => ({
  loading: false,
  relationsLoading: false,
  async open(name) {
    if (get().name !== name)
      set({
        details: undefined,
        cached: undefined,
        files: undefined,
        filesError: undefined,
        version: undefined,
        relations: undefined,
        relationsError: undefined,
        notice: undefined,
        undo: undefined,
        actionError: undefined,
      });
    set({ name, loading: true, error: undefined });
    try {
      const details = await call('package.details', { name });
      if (get().name !== name) return;
      set({ details, loading: false });
      // Keep the chosen version after an action, unless it is gone (unpublished); else show the latest.
      const chosen = get().version;
      const version =
        chosen && details.versions.some((v) => v.version === chosen) ? chosen : (details.distTags.latest ?? details.versions[0]?.version);
      if (version) await get().selectVersion(version);
    } catch (error) {
      // Not a package of this registry: perhaps one it mirrors (installed through Shelf, so cached here).
      if (error instanceof CallError && error.code === 'not_found') {
        const cached = await call('mirror.cachedPackage', { name }).catch(() => undefined);
        if (get().name !== name) return;
        if (cached) return set({ cached, loading: false });
      }
      if (get().name === name) set({ loading: false, error: (error as Error).message });
    }
  },
  async loadFiles(version) {
    const name = get().name;
    if (!name) return;
    set({ filesError: undefined });
    try {
      const files = await call('package.files', { name, version });
      if (get().name === name && get().version === version) set({ files });
    } catch (error) {
      if (get().name === name && get().version === version) set({ filesError: (error as Error).message });
    }
  },
  async loadRelations(version) {
    const name = get().name;
    if (!name) return;
    set({ relationsLoading: true, relationsError: undefined });
    try {
      const relations = await call('package.relations', { name, version });
      // A slower answer for a version no longer shown must not replace the current one.
      if (get().name === name && get().version === version) set({ relations, relationsLoading: false });
    } catch (error) {
      if (get().name === name && get().version === version) set({ relationsLoading: false, relationsError: (error as Error).message });
    }
  },
  async selectVersion(version) {
    if (get().version !== version) set({ version, files: undefined, relations: undefined });
    else set({ version });
    await Promise.all([get().loadFiles(version), get().loadRelations(version)]);
  },
  async act(action, undo) {
    const name = get().name;
    if (!name) return false;
    set({ actionError: undefined, notice: undefined });
    try {
      const { kind, ...rest } = action;
      await call(`package.${kind}`, { name, ...rest } as never);
      set({ notice: describe(action), undo });
      await get().open(name);
      return true;
    } catch (error) {
      set({ actionError: (error as Error).message });
      return false;
    }
  },
  clearNotice() {
    set({ notice: undefined, undo: undefined });
  },
}));
