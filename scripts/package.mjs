// `npm run package`: the desktop app for this platform in dist/, as an asar archive, with Electron's fuses set.
// Needs the Electron release zip for this platform (downloaded by @electron/get into its cache, or given with
// ELECTRON_ZIP_DIR); on a machine that cannot reach Electron's downloads it stops with that reason.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { packager } from '@electron/packager';
import { buildElectronNative, electronNativeReady } from './electron-native.mjs';
import { applyShelfFuses } from './fuses.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const electronVersion = JSON.parse(readFileSync(join(ROOT, 'node_modules/electron/package.json'), 'utf8')).version;

const build = spawnSync(process.platform === 'win32' ? 'npx.cmd' : 'npx', ['electron-vite', 'build'], { cwd: ROOT, stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);

// The app loads SQLite and keytar from native/electron-<version>/ (Electron's ABI); they ship unpacked beside the archive.
const nativeFailure = electronNativeReady(electronVersion) ? undefined : buildElectronNative({ version: electronVersion });
if (nativeFailure) {
  console.error(`Shelf: packaging failed: ${nativeFailure}`);
  process.exit(1);
}

/** The binary packager wrote in a finished app folder (its name differs per platform). */
function binaryIn(appDir, platform) {
  if (platform === 'darwin') return join(appDir, 'Shelf.app');
  return join(appDir, platform === 'win32' ? 'shelf.exe' : 'shelf');
}

try {
  const folders = await packager({
    dir: ROOT,
    out: join(ROOT, 'dist'),
    name: 'Shelf',
    executableName: 'shelf',
    appVersion: pkg.version,
    electronVersion,
    overwrite: true,
    prune: true,
    // Native addons are loaded from the file system, not from inside the archive.
    asar: { unpack: '**/*.node' },
    // Only the built output, runtime dependencies and resources ship; sources, tests and benchmarks do not.
    ignore: [/^\/(src|test|e2e|bench|docs|scripts|\.ci|dist|test-results|playwright-report)(\/|$)/, /^\/\.[^/]+$/],
    ...(process.env.ELECTRON_ZIP_DIR && { electronZipDir: process.env.ELECTRON_ZIP_DIR }),
    afterComplete: [
      async (appDir, _version, platform) => {
        const wire = await applyShelfFuses(binaryIn(appDir, platform));
        console.log(`Shelf: fuses set on ${binaryIn(appDir, platform)}: ${JSON.stringify(wire)}`);
      },
    ],
  });
  for (const folder of folders) console.log(`Shelf: packaged ${folder}`);
} catch (error) {
  console.error(`Shelf: packaging failed: ${error.message}`);
  process.exit(1);
}
