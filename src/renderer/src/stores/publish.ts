// Publish from a folder: choose the registry (this Shelf or a remote added on the Registries screen), inspect (validate,
// pack, list files, warn), then publish and verify. The desktop window names a path on its own machine; a browser sends
// the files of the folder the user picked (the server reads no path for it), encoded again for each call.
import { create } from 'zustand';
import type { PublishOutcome, PublishPreview } from '../../../shared/contract';
import { call } from '../client';
import { toUpload, type PickedFile } from '../upload';

/** A folder picked in the browser: its name and files, with each file's path inside it. */
export interface PickedFolder {
  name: string;
  files: PickedFile[];
  paths: string[];
}

interface PublishState {
  /** The desktop window's folder path. */
  path: string;
  /** The browser's picked folder (used instead of `path` when set). */
  folder?: PickedFolder;
  tag: string;
  /** 'local' (this Shelf) or a remote registry's id. */
  registryId: string;
  preview?: PublishPreview;
  outcome?: PublishOutcome;
  inspecting: boolean;
  publishing: boolean;
  error?: string;
  /** What to do with files that look like secrets: leave them out (the default) or publish them after a confirmation. */
  secrets: 'exclude' | 'include';
  /** The files the last publish left out. */
  excluded: string[];
  setSecrets(choice: 'exclude' | 'include'): void;
  setPath(path: string): void;
  setFolder(folder: PickedFolder | undefined): void;
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
  secrets: 'exclude',
  excluded: [],
  setSecrets(secrets) {
    set({ secrets });
  },
  setPath(path) {
    set({ path, preview: undefined, outcome: undefined, error: undefined });
  },
  setFolder(folder) {
    set({ folder, preview: undefined, outcome: undefined, error: undefined });
  },
  setTag(tag) {
    set({ tag });
  },
  setRegistry(registryId) {
    if (registryId !== get().registryId) set({ registryId, preview: undefined, outcome: undefined, error: undefined });
  },
  async inspect() {
    set({ inspecting: true, error: undefined, preview: undefined, outcome: undefined, secrets: 'exclude' });
    try {
      set({ preview: await call('publish.inspect', { ...(await source(get())), registryId: get().registryId }), inspecting: false });
    } catch (error) {
      set({ inspecting: false, error: (error as Error).message });
    }
  },
  async publish() {
    set({ publishing: true, error: undefined });
    const exclude = get().secrets === 'exclude' ? suspiciousFiles(get().preview) : [];
    try {
      const outcome = await call('publish.run', {
        ...(await source(get())),
        tag: get().tag.trim() || 'latest',
        registryId: get().registryId,
        exclude,
      });
      set({ outcome, publishing: false, excluded: exclude });
    } catch (error) {
      set({ publishing: false, error: (error as Error).message });
    }
  },
  reset() {
    set({ preview: undefined, outcome: undefined, error: undefined });
  },
}));

/** What the calls send: the picked folder's files, else the typed path. */
async function source(state: PublishState): Promise<{ upload: Awaited<ReturnType<typeof toUpload>> } | { path: string }> {
  if (state.folder) {
    if (state.folder.files.length === 0)
      throw new Error(`${state.folder.name} holds no files to publish; pick the folder that holds package.json`);
    return { upload: await toUpload(state.folder) };
  }
  return { path: state.path.trim() };
}

/** The preview's files that look like secrets (.env, keys): left out of the publish unless the user chose otherwise. */
export function suspiciousFiles(preview: PublishPreview | undefined): string[] {
  return preview?.files.filter((f) => f.suspicious).map((f) => f.path) ?? [];
}
