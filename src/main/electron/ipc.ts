// Registers one ipcMain handler per contract call; each checks its sender is the app's own page, then dispatches.
import { ipcMain, type IpcMainInvokeEvent, type WebContents } from 'electron';
import { CALL_NAMES, EVENT_CHANNEL, FOLDER_PICKER_CHANNEL, IPC_PREFIX, type CallFailure, type FolderPurpose } from '../../shared/contract';
import { dispatch, memorySession, toCallFailure, type Handlers } from '../rpc/dispatch';
import { jobBoardOf } from '../rpc/handlers';
import { pickFolder } from './folder-picker';
import { isOwnRendererUrl } from './renderer-location';
import { isTrustedSender } from './trusted-sender';

/**
 * invoke() rejections reach the preload as "Error invoking remote method …: Error: <message>" with nothing else kept,
 * so the failure travels as JSON in the message and the preload (src/preload/index.ts) parses it back out.
 */
function failureError(failure: CallFailure): Error {
  return new Error(JSON.stringify({ code: failure.code, message: failure.message }));
}

function isOwnSender(event: IpcMainInvokeEvent): boolean {
  return isTrustedSender(event, isOwnRendererUrl);
}

/**
 * Returns a function that removes the handlers again. `target` gives the window events (job progress) go to.
 * The desktop window has one in-memory session: the person at the machine, signed in through the same calls.
 */
export function registerIpc(
  handlers: Handlers,
  target: () => WebContents | undefined,
  log: (message: string) => void = console.error,
): () => void {
  const session = memorySession();
  const stopEvents = jobBoardOf(handlers)?.subscribe((event) => {
    const contents = target();
    if (contents && !contents.isDestroyed() && isOwnRendererUrl(contents.getURL())) contents.send(EVENT_CHANNEL, event);
  });
  for (const name of CALL_NAMES) {
    ipcMain.handle(IPC_PREFIX + name, async (event, args: unknown) => {
      if (!isOwnSender(event)) {
        throw failureError({ code: 'permission_denied', message: "refused: the call did not come from Shelf's own window" });
      }
      try {
        return await dispatch(handlers, name, args, { transport: 'ipc', isLocalOwner: true, session, client: 'local' });
      } catch (error) {
        const failure = toCallFailure(error);
        if (failure.code === 'internal') log(`error in UI call ${name}: ${(error as Error)?.stack ?? String(error)}`);
        throw failureError(failure);
      }
    });
  }
  // The native folder picker: a shell capability, not a contract call (browser mode has nothing like it).
  ipcMain.handle(FOLDER_PICKER_CHANNEL, async (event, purpose: unknown) => {
    if (!isOwnSender(event)) {
      throw failureError({ code: 'permission_denied', message: "refused: the call did not come from Shelf's own window" });
    }
    // Anything but a known purpose gets the publish dialog: the value only chooses the dialog's title.
    const chosen: FolderPurpose = purpose === 'graph' ? 'graph' : 'publish';
    return pickFolder(event.sender, chosen);
  });
  return () => {
    stopEvents?.();
    for (const name of CALL_NAMES) ipcMain.removeHandler(IPC_PREFIX + name);
    ipcMain.removeHandler(FOLDER_PICKER_CHANNEL);
  };
}
