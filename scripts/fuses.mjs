// Electron's fuses for the packaged app: switches compiled into the Electron binary that no flag or environment
// variable can turn back on. `npm run package` flips them on the packaged binary (scripts/package.mjs).
import { FuseV1Options, FuseVersion, flipFuses, getCurrentFuseWire } from '@electron/fuses';

/** Why each fuse is set as it is; a fuse this @electron/fuses version does not know stays as Electron ships it. */
export const SHELF_FUSES = {
  version: FuseVersion.V1,
  // ELECTRON_RUN_AS_NODE would turn the signed app into a general-purpose Node interpreter.
  [FuseV1Options.RunAsNode]: false,
  // Cookies (the browser-mode session never lives here, but Chromium's own) are encrypted with the OS keychain key.
  [FuseV1Options.EnableCookieEncryption]: true,
  // NODE_OPTIONS and --inspect would let anything that can set the environment or the command line inject code.
  [FuseV1Options.EnableNodeOptionsEnvironmentVariable]: false,
  [FuseV1Options.EnableNodeCliInspectArguments]: false,
  // The app is loaded only from its asar archive, and that archive is checked against the hash in the binary
  // (the integrity check is enforced on macOS and Windows; on Linux the fuse is accepted and has no effect).
  [FuseV1Options.EnableEmbeddedAsarIntegrityValidation]: true,
  [FuseV1Options.OnlyLoadAppFromAsar]: true,
  // Shelf uses no custom V8 snapshot.
  [FuseV1Options.LoadBrowserProcessSpecificV8Snapshot]: false,
  // file:// pages get no privileges beyond an ordinary origin; the renderer is loaded from file:// and needs none.
  [FuseV1Options.GrantFileProtocolExtraPrivileges]: false,
};

/** Flips Shelf's fuses on an Electron binary in place and returns the wire as read back from the file. */
export async function applyShelfFuses(binaryPath) {
  await flipFuses(binaryPath, SHELF_FUSES);
  return getCurrentFuseWire(binaryPath);
}
