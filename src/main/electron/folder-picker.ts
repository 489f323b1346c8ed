// The desktop app's native folder picker (Electron's open dialog), for "publish from a folder" and the graph of a
// project folder. Browser mode has none: the page uploads the folder it picked instead.
import { BrowserWindow, dialog, type WebContents } from 'electron';
import type { FolderPurpose } from '../../shared/contract';

const TITLES: Record<FolderPurpose, string> = {
  publish: 'Choose the package folder to publish',
  graph: 'Choose the project folder to draw',
};

/** The folder the person chose, or null when they cancelled. The dialog is modal to the window that asked. */
export async function pickFolder(asker: WebContents, purpose: FolderPurpose): Promise<string | null> {
  const options = { title: TITLES[purpose] ?? TITLES.publish, properties: ['openDirectory' as const] };
  const window = BrowserWindow.fromWebContents(asker);
  const result = window ? await dialog.showOpenDialog(window, options) : await dialog.showOpenDialog(options);
  return result.canceled ? null : (result.filePaths[0] ?? null);
}
