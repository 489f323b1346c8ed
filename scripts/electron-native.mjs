// Native addons for Electron's ABI, built beside (never over) the Node builds in node_modules, so that `npm test`
// (plain Node) and the desktop app (Electron) both keep working. `npm start` runs this once per Electron version
// before it launches Electron; run alone with `node scripts/electron-native.mjs`.
//
// Each addon's package is copied to a scratch folder and compiled there by node-gyp against Electron's headers; only
// the resulting .node file is kept, in native/electron-<version>/. The Electron shell hands those paths to
// better-sqlite3 (its `nativeBinding` option) and to the credential store (keytar's binding). @electron/rebuild would
// do the same but cannot be installed here (it depends on a GitHub tarball); node-gyp is what it runs underneath.
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const require = createRequire(import.meta.url);

/** The addons the main process loads, and where each package's build puts its binary. */
export const ELECTRON_ADDONS = [
  { name: 'better-sqlite3', binary: 'build/Release/better_sqlite3.node' },
  { name: 'keytar', binary: 'build/Release/keytar.node' },
];

// Electron publishes its headers here (the address node-gyp's docs give for Electron); a mirror can be set with
// ELECTRON_HEADERS_URL, as electron-rebuild's users do with its --dist-url.
const HEADERS_URL = process.env.ELECTRON_HEADERS_URL || 'https://electronjs.org/headers';

export function electronVersion() {
  return JSON.parse(readFileSync(join(ROOT, 'node_modules/electron/package.json'), 'utf8')).version;
}

/** Where the Electron builds of this Electron version live (also what src/main/electron/native-addons.ts looks for). */
export function electronNativeDir(version = electronVersion()) {
  return join(ROOT, 'native', `electron-${version}`);
}

export function electronNativeReady(version = electronVersion()) {
  const dir = electronNativeDir(version);
  return ELECTRON_ADDONS.every((addon) => existsSync(join(dir, `${addon.name}.node`)));
}

/** The one line of node-gyp's output that says what went wrong. */
function gypFailure(result) {
  const output = `${result.stderr}${result.stdout}`;
  const download = output.match(/gyp http GET (\S+)/);
  if (/network connectivity|ENOTFOUND|EAI_AGAIN|ECONNREFUSED/.test(output) && download)
    return `Electron's headers could not be downloaded from ${download[1]} (no network access to it?)`;
  const error = output.split('\n').find((line) => /gyp ERR! stack Error:|error:/.test(line));
  return (error ?? 'node-gyp failed').replace(/^gyp ERR! stack /, '').trim();
}

/** Builds every addon for Electron; resolves with undefined when done, else one line saying what failed. */
export function buildElectronNative({ version = electronVersion(), log = () => {} } = {}) {
  const out = electronNativeDir(version);
  const scratch = mkdtempSync(join(tmpdir(), 'shelf-electron-native-'));
  const nodeGyp = require.resolve('node-gyp/bin/node-gyp.js');
  // npm's `nodedir` setting (Node's own headers) would override the Electron target; drop it for this build.
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_config_nodedir$/i.test(key)));
  try {
    for (const addon of ELECTRON_ADDONS) {
      const source = join(ROOT, 'node_modules', addon.name);
      const copy = join(scratch, addon.name);
      cpSync(source, copy, { recursive: true, filter: (path) => !path.includes(`${addon.name}/build`) });
      log(`building ${addon.name} for Electron ${version}…`);
      const args = [
        nodeGyp,
        'rebuild',
        '--runtime=electron',
        `--target=${version}`,
        `--dist-url=${HEADERS_URL}`,
        `--devdir=${join(scratch, 'headers')}`,
        '--release',
      ];
      const result = spawnSync(process.execPath, args, { cwd: copy, env, encoding: 'utf8' });
      if (result.status !== 0) return `${addon.name} could not be built for Electron ${version}: ${gypFailure(result)}`;
      mkdirSync(out, { recursive: true });
      copyFileSync(join(copy, addon.binary), join(out, `${addon.name}.node`));
    }
    return undefined;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const failure = buildElectronNative({ log: (line) => process.stdout.write(`Shelf: ${line}\n`) });
  if (failure) {
    process.stderr.write(`Shelf: ${failure}\n`);
    process.exitCode = 1;
  } else process.stdout.write(`Shelf: Electron builds written to ${electronNativeDir()}\n`);
}
