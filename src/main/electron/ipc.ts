// Registers one ipcMain handler per contract call; each checks its sender is the app's own page, then dispatches.
import { ipcMain, type IpcMainInvokeEvent } from 'electron';
import { CALL_NAMES, IPC_PREFIX, type CallFailure } from '../../shared/contract';
import { dispatch, toCallFailure, type Handlers } from '../rpc/dispatch';
import { isOwnRendererUrl } from './renderer-location';

/**
 * invoke() rejections reach the preload as "Error invoking remote method …: Error: <message>" with nothing else kept,
 * so the failure travels as JSON in the message and the preload (src/preload/index.ts) parses it back out.
 */
function failureError(failure: CallFailure): Error {
  return new Error(JSON.stringify({ code: failure.code, message: failure.message }));
}

/** Only the top-level frame of our own page may call: not an iframe, not a page the window was somehow navigated to. */
function isTrustedSender(event: IpcMainInvokeEvent): boolean {
  const frame = event.senderFrame;
  return frame !== null && frame.parent === null && isOwnRendererUrl(frame.url);
}

/** Returns a function that removes the handlers again. */
export function registerIpc(handlers: Handlers, log: (message: string) => void = console.error): () => void {
  for (const name of CALL_NAMES) {
    ipcMain.handle(IPC_PREFIX + name, async (event, args: unknown) => {
      if (!isTrustedSender(event)) {
        throw failureError({ code: 'permission_denied', message: "refused: the call did not come from Shelf's own window" });
      }
      try {
        return await dispatch(handlers, name, args, { transport: 'ipc', isLocalOwner: true });
      } catch (error) {
        const failure = toCallFailure(error);
        if (failure.code === 'internal') log(`error in UI call ${name}: ${(error as Error)?.stack ?? String(error)}`);
        throw failureError(failure);
      }
    });
  }
  return () => {
    for (const name of CALL_NAMES) ipcMain.removeHandler(IPC_PREFIX + name);
  };
}
