// The desktop app's entry: one instance, the registry started on ready, IPC registered, one window; quitting closes it all.
import { join } from 'node:path';
import { app, BrowserWindow, dialog } from 'electron';
import { createApp, type ShelfApp } from '../app';
import { resolveConfig } from '../config/load';
import { createLogger } from '../logger';
import { startUpkeep } from '../services/maintenance/upkeep';
import { registerIpc } from './ipc';
import { electronNativeAddons } from './native-addons';
import { desktopSecretCipher } from './safe-storage';
import { RENDERER_DIR } from './renderer-location';
import { createMainWindow } from './window';

// The same folder defaultDataDir() gives (<appData>/Shelf), so the desktop app and `shelf serve` share one registry;
// Electron would otherwise name it after package.json's lower-case "shelf". SHELF_DATA_DIR moves it, as it does for
// `shelf serve` (tests run the app on a throw-away folder). Must be set before 'ready'.
app.setPath('userData', process.env.SHELF_DATA_DIR || join(app.getPath('appData'), 'Shelf'));

let shelfApp: ShelfApp | undefined;
let mainWindow: BrowserWindow | undefined;
let closed = false;

function showWindow(): void {
  if (!mainWindow || mainWindow.isDestroyed()) {
    mainWindow = createMainWindow();
    return;
  }
  if (mainWindow.isMinimized()) mainWindow.restore();
  mainWindow.focus();
}

async function start(): Promise<void> {
  try {
    const config = resolveConfig({ dataDir: app.getPath('userData'), rendererDir: RENDERER_DIR });
    shelfApp = await createApp(config, { mode: 'desktop', nativeAddons: electronNativeAddons(), secretCipher: desktopSecretCipher() });
    // The registry serves npm clients for as long as the app runs, not only while the window is open.
    await shelfApp.listen();
    // The same upkeep as `shelf serve`: the process guard, the collector and the free-space watch. After an unsafe
    // failure the guard closes the registry and ends the app with exit code 70.
    startUpkeep(shelfApp, { log: createLogger(config.logLevel), exit: (code) => app.exit(code) });
  } catch (error) {
    dialog.showErrorBox('Shelf could not start', (error as Error).message);
    app.quit();
    return;
  }
  registerIpc(await shelfApp.handlers(), () => (mainWindow && !mainWindow.isDestroyed() ? mainWindow.webContents : undefined));
  showWindow();
}

// A second launch focuses the running app: two instances would fight over the port and the database.
if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', () => {
    if (shelfApp) showWindow();
  });
  app.on('activate', () => {
    if (shelfApp) showWindow();
  });
  app.on('window-all-closed', () => app.quit());
  // Quitting waits for the server and the database to close, so no write is cut off half-way.
  app.on('will-quit', (event) => {
    if (closed || !shelfApp) return;
    event.preventDefault();
    void shelfApp
      .close()
      .catch((error: unknown) => console.error(`Shelf: error while closing: ${(error as Error).message}`))
      .finally(() => {
        closed = true;
        app.quit();
      });
  });
  void app.whenReady().then(start);
}
