// One package: details (versions, tags, owners, readme), a version's tarball files, and the actions on it.
import { create } from 'zustand';
import type { PackageDetails, TarballListing } from '../../../shared/contract';
import { call } from '../client';

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
  files?: TarballListing;
  filesError?: string;
  loading: boolean;
  error?: string;
  actionError?: string;
  notice?: string;
  /** The action that undoes the last one, where one exists (re-deprecate, re-tag, un-yank). */
  undo?: PackageAction;
  open(name: string): Promise<void>;
  loadFiles(version: string): Promise<void>;
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
  async open(name) {
    if (get().name !== name) set({ details: undefined, files: undefined, notice: undefined, undo: undefined, actionError: undefined });
    set({ name, loading: true, error: undefined });
    try {
      const details = await call('package.details', { name });
      set({ details, loading: false });
      const latest = details.distTags.latest ?? details.versions[0]?.version;
      if (latest && get().files?.version !== latest) void get().loadFiles(latest);
    } catch (error) {
      set({ loading: false, error: (error as Error).message });
    }
  },
  async loadFiles(version) {
    const name = get().name;
    if (!name) return;
    set({ filesError: undefined });
    try {
      set({ files: await call('package.files', { name, version }) });
    } catch (error) {
      set({ filesError: (error as Error).message });
    }
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
