// Remembers the main window's size, position and maximised state between launches, in the user data folder.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { app, screen, type BrowserWindow, type Rectangle } from 'electron';

interface WindowState {
  bounds: Rectangle;
  maximized: boolean;
}

const file = () => join(app.getPath('userData'), 'window-state.json');

/** The saved state, if it still fits on one of the connected displays (a monitor may have been unplugged since). */
export function loadWindowState(): WindowState | undefined {
  try {
    const state = JSON.parse(readFileSync(file(), 'utf8')) as WindowState;
    const { x, y, width, height } = state.bounds;
    const visible = screen
      .getAllDisplays()
      .some(({ workArea: a }) => x >= a.x && y >= a.y && x + width <= a.x + a.width && y + height <= a.y + a.height);
    return visible ? state : undefined;
  } catch {
    return undefined;
  }
}

export function rememberWindowState(window: BrowserWindow): void {
  const save = () => {
    if (window.isDestroyed()) return;
    const state: WindowState = { bounds: window.getNormalBounds(), maximized: window.isMaximized() };
    try {
      writeFileSync(file(), JSON.stringify(state));
    } catch {
      // Losing the window's position is harmless; never let it stop the app from closing.
    }
  };
  window.on('close', save);
}
