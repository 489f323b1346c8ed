// The main window: sandboxed, isolated, and kept on the app's own page (no pop-ups, no navigating away, no permissions).
import { BrowserWindow, session } from 'electron';
import { PRELOAD_PATH, RENDERER_INDEX, devServerUrl, isOwnRendererUrl } from './renderer-location';

/** The copy button writes the registry address; nothing else in the page needs a permission. */
const ALLOWED_PERMISSIONS = new Set(['clipboard-sanitized-write']);

function lockDownSession(): void {
  const allowed = (permission: string, url: string | undefined) =>
    ALLOWED_PERMISSIONS.has(permission) && url !== undefined && isOwnRendererUrl(url);
  session.defaultSession.setPermissionRequestHandler((contents, permission, callback) => callback(allowed(permission, contents.getURL())));
  session.defaultSession.setPermissionCheckHandler((contents, permission) => allowed(permission, contents?.getURL()));
}

export function createMainWindow(): BrowserWindow {
  lockDownSession();
  const window = new BrowserWindow({
    width: 1120,
    height: 760,
    minWidth: 720,
    minHeight: 480,
    title: 'Shelf',
    show: false,
    webPreferences: {
      preload: PRELOAD_PATH,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      webviewTag: false,
    },
  });
  const contents = window.webContents;
  // Links that would open windows are refused outright; the desktop-app issue may route https links to the system browser.
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
  contents.on('will-navigate', (event) => {
    if (!isOwnRendererUrl(event.url)) event.preventDefault();
  });
  contents.on('will-redirect', (event) => {
    if (!isOwnRendererUrl(event.url)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
  window.once('ready-to-show', () => window.show());

  const dev = devServerUrl();
  void (dev ? window.loadURL(dev) : window.loadFile(RENDERER_INDEX));
  return window;
}
