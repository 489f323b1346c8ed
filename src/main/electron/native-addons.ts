// Where the desktop app finds its Electron-ABI builds of better-sqlite3 and keytar (made by scripts/electron-native.mjs,
// which `npm start` and `npm run package` run). node_modules keeps the Node-ABI builds that the CLI and the tests load.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { app } from 'electron';
import type { NativeAddons } from '../app';

export function electronNativeAddons(): NativeAddons {
  // Packaged, the addons sit beside the archive (asar cannot hold loadable .node files); in development, in the project.
  const root = app.getAppPath().replace(/app\.asar$/, 'app.asar.unpacked');
  const dir = join(root, 'native', `electron-${process.versions.electron}`);
  const addons = { sqlite: join(dir, 'better-sqlite3.node'), keytar: join(dir, 'keytar.node') };
  const missing = Object.values(addons).filter((file) => !existsSync(file));
  if (missing.length > 0) {
    throw new Error(
      `Shelf's SQLite and keychain support for Electron ${process.versions.electron} is missing (${missing.join(', ')}). ` +
        'Start the app with `npm start`, which builds it, or run `node scripts/electron-native.mjs`.',
    );
  }
  return addons;
}
