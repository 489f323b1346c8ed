// The sandboxed preload: exposes `window.shelf`, exactly one function per contract call, each forwarded over IPC.
import { contextBridge, ipcRenderer } from 'electron';
import {
  CALL_NAMES,
  EVENT_CHANNEL,
  FOLDER_PICKER_CHANNEL,
  IPC_PREFIX,
  type CallFailure,
  type FolderPurpose,
  type ShelfBridge,
} from '../shared/contract';

/**
 * Electron rejects invoke() with "Error invoking remote method '<channel>': Error: <message>", and the main process
 * (src/main/electron/ipc.ts) makes <message> the JSON of the failure; take it back out.
 */
function toFailure(error: unknown): CallFailure {
  const message = error instanceof Error ? error.message : String(error);
  const json = message.indexOf('{');
  if (json !== -1) {
    try {
      const parsed = JSON.parse(message.slice(json)) as Partial<CallFailure>;
      if (typeof parsed.code === 'string' && typeof parsed.message === 'string') return { code: parsed.code, message: parsed.message };
    } catch {
      /* not ours: fall through */
    }
  }
  return { code: 'internal', message: 'Shelf could not complete the request; see the log for details' };
}

/**
 * Rejects with the plain failure, not an Error: contextBridge copies an Error into the page as its message alone (custom
 * properties such as `code` are dropped), while plain data crosses intact. The renderer's client
 * (src/renderer/src/client.ts) turns it into an Error carrying `code`.
 */
function callFailure(failure: CallFailure): CallFailure & { name: string } {
  return { name: 'ShelfCallError', code: failure.code, message: failure.message };
}

const bridge = {} as Record<string, (args: unknown) => Promise<unknown>>;
for (const name of CALL_NAMES) {
  bridge[name] = (args: unknown) =>
    ipcRenderer.invoke(IPC_PREFIX + name, args ?? {}).catch((error: unknown) => Promise.reject(callFailure(toFailure(error))));
}

/** Events (job progress) from main; the page gets plain data only, never the IpcRendererEvent (which exposes `sender`). */
const onEvent = (listener: (event: unknown) => void): (() => void) => {
  const forward = (_event: Electron.IpcRendererEvent, payload: unknown) => listener(payload);
  ipcRenderer.on(EVENT_CHANNEL, forward);
  return () => ipcRenderer.removeListener(EVENT_CHANNEL, forward);
};

/** The native folder picker (desktop only): the chosen path, or null when cancelled. */
const pickFolder = (purpose: FolderPurpose): Promise<string | null> =>
  ipcRenderer.invoke(FOLDER_PICKER_CHANNEL, purpose).catch((error: unknown) => Promise.reject(callFailure(toFailure(error))));

contextBridge.exposeInMainWorld('shelf', { ...bridge, onEvent, pickFolder } as ShelfBridge);
