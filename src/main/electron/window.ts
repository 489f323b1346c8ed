// The main window: sandboxed, isolated, and kept on the app's own page (no pop-ups, no navigating away, no permissions).
import { BrowserWindow, session, shell } from 'electron';
import { PRELOAD_PATH, RENDERER_INDEX, devServerUrl, isOwnRendererUrl } from './renderer-location';
import { loadWindowState, rememberWindowState } from './window-state';

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
  const saved = loadWindowState();
  const window = new BrowserWindow({
    width: saved?.bounds.width ?? 1120,
    height: saved?.bounds.height ?? 760,
    ...(saved && { x: saved.bounds.x, y: saved.bounds.y }),
    minWidth: 720,
    minHeight: 480,
    title: 'Shelf',
    show: false,
    webPreferences: {
      // The bundled preload exposes exactly the contract's calls (src/preload) and nothing else.
      preload: PRELOAD_PATH, // eng-disable PRELOAD_JS_CHECK
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      webviewTag: false,
      // A middle click would otherwise open a link in a new window without passing through the window-open handler.
      disableBlinkFeatures: 'Auxclick',
    },
  });
  const contents = window.webContents;
  // No window is ever opened inside the app. A link the user clicked to an https page (a package's homepage, say) goes
  // to the system browser; anything else (http, file:, javascript:, custom schemes) is dropped.
  contents.setWindowOpenHandler(({ url }) => {
    // Only https URLs, and only for a link the user clicked: the page itself cannot open anything else.
    if (isHttpsUrl(url)) void shell.openExternal(url); // eng-disable OPEN_EXTERNAL_JS_CHECK
    return { action: 'deny' };
  });
  contents.on('will-navigate', (event) => {
    if (!isOwnRendererUrl(event.url)) event.preventDefault();
  });
  contents.on('will-redirect', (event) => {
    if (!isOwnRendererUrl(event.url)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
  window.once('ready-to-show', () => {
    if (saved?.maximized) window.maximize();
    window.show();
  });
  rememberWindowState(window);

  const dev = devServerUrl();
  void (dev ? window.loadURL(dev) : window.loadFile(RENDERER_INDEX));
  return window;
}

function isHttpsUrl(url: string): boolean {
  try {
    return new URL(url).protocol === 'https:';
  } catch {
    return false;
  }
}
