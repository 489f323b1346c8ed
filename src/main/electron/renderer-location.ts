// Where the desktop window's page comes from, and whether a URL is that page: the one fact the window and IPC checks share.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { app } from 'electron';
import { isRendererPageUrl } from './renderer-url';

/** Built as out/main/index.js, next to out/renderer and out/preload. */
export const RENDERER_DIR = join(__dirname, '..', 'renderer');
export const RENDERER_INDEX = join(RENDERER_DIR, 'index.html');
export const PRELOAD_PATH = join(__dirname, '..', 'preload', 'index.js');

/** electron-vite's dev server, in development only: a packaged app never trusts an environment variable for its page. */
export function devServerUrl(): string | undefined {
  const url = process.env.ELECTRON_RENDERER_URL;
  return !app.isPackaged && url ? url : undefined;
}

/** True for the app's own page (the built file, or the dev server's origin in development); false for anything else. */
export function isOwnRendererUrl(raw: string): boolean {
  return isRendererPageUrl(raw, { indexUrl: pathToFileURL(RENDERER_INDEX).href, devUrl: devServerUrl() });
}
