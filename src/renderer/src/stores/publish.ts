// Publish from a folder: choose the registry (this Shelf or a remote added on the Registries screen), inspect (validate,
// pack, list files, warn), then publish and verify.
import { create } from 'zustand';
import type { PublishOutcome, PublishPreview } from '../../../shared/contract';
import { call } from '../client';

interface PublishState {
  path: string;
  tag: string;
  /** 'local' (this Shelf) or a remote registry's id. */
  registryId: string;
  preview?: PublishPreview;
  outcome?: PublishOutcome;
  inspecting: boolean;
  publishing: boolean;
  error?: string;
  setPath(path: string): void;
  setTag(tag: string): void;
  /** Another registry: the preview's checks (already published?) were made against the old one, so it is dropped. */
  setRegistry(id: string): void;
  inspect(): Promise<void>;
  publish(): Promise<void>;
  reset(): void;
}

export const usePublishStore = create<PublishState>()((set, get) => ({
  path: '',
  tag: 'latest',
  registryId: 'local',
  inspecting: false,
  publishing: false,
  setPath(path) {
    set({ path, preview: undefined, outcome: undefined, error: undefined });
  },
  setTag(tag) {
    set({ tag });
  },
  setRegistry(registryId) {
    if (registryId !== get().registryId) set({ registryId, preview: undefined, outcome: undefined, error: undefined });
  },
  async inspect() {
    set({ inspecting: true, error: undefined, preview: undefined, outcome: undefined });
    try {
      set({ preview: await call('publish.inspect', { path: get().path.trim(), registryId: get().registryId }), inspecting: false });
    } catch (error) {
      set({ inspecting: false, error: (error as Error).message });
    }
  },
  async publish() {
    set({ publishing: true, error: undefined });
    try {
      const outcome = await call('publish.run', {
        path: get().path.trim(),
        tag: get().tag.trim() || 'latest',
        registryId: get().registryId,
      });
      set({ outcome, publishing: false });
    } catch (error) {
      set({ publishing: false, error: (error as Error).message });
    }
  },
  reset() {
    set({ preview: undefined, outcome: undefined, error: undefined });
  },
}));
