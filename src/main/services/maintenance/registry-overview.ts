// What the UI's status bar and Settings screen show about this Shelf: its address, counts, free space and where it keeps
// its data — the data folder only to its owner and admins, as the machine's paths are theirs to know.
import type { AppSettings, RegistryStatus } from '../../../shared/schemas';
import type { Config } from '../../config/config';
import type { Principal } from '../auth/principal';
import type { CredentialStore } from '../credentials/credential-store';
import type { Services } from '../index';

/** The settings a UI call may depend on: the Config's fields the rpc layer needs, without the rest of it. */
export type UiSettings = Pick<Config, 'dataDir' | 'host' | 'signup' | 'allowPrivateRemotes' | 'blobs'> & {
  limits: Pick<Config['limits'], 'maxTarballBytes'>;
};

export interface RunningShelf {
  /** The registry's current address (known once listening). */
  url: () => string;
  version: string;
  mode: 'desktop' | 'browser';
  startedAt: string;
}

export class RegistryOverview {
  constructor(
    private readonly services: Services,
    private readonly settings: UiSettings,
    private readonly shelf: RunningShelf,
    private readonly credentials: () => Promise<CredentialStore>,
  ) {}

  /** Counted as `viewer` sees them; `mayKnowDataDir`: the desktop app's own user, or an admin. */
  async status(viewer: Principal | undefined, isLocalOwner: boolean): Promise<RegistryStatus> {
    const mayKnowDataDir = isLocalOwner || viewer?.user.isAdmin === true;
    return {
      url: this.shelf.url(),
      state: 'running',
      version: this.shelf.version,
      mode: this.shelf.mode,
      packageCount: (await this.services.packages.list(viewer, 0, 0)).total,
      userCount: await this.services.auth.userCount(),
      needsSetup: await this.services.auth.needsSetup(),
      signup: this.settings.signup,
      dataDir: mayKnowDataDir ? this.settings.dataDir : '',
      startedAt: this.shelf.startedAt,
      disk: this.disk(mayKnowDataDir),
    };
  }

  async appSettings(): Promise<AppSettings> {
    const url = new URL(this.shelf.url());
    const store = await this.credentials();
    return {
      url: this.shelf.url(),
      host: this.settings.host,
      port: Number(url.port) || (url.protocol === 'https:' ? 443 : 80),
      dataDir: this.settings.dataDir,
      mode: this.shelf.mode,
      startAtLogin: null,
      credentialWarning: store.warning ?? null,
    };
  }

  /** Free space; the warning names the data folder, so only its owner and admins read it in full. */
  private disk(mayKnowDataDir: boolean): RegistryStatus['disk'] {
    const disk = this.services.maintenance?.health().disk;
    if (!disk) return undefined;
    const warning =
      disk.warning === null || mayKnowDataDir
        ? disk.warning
        : disk.readOnly
          ? "Shelf is read-only: its disk was full when it started; ask the registry's admin to free space and restart it"
          : "the registry's disk is low on free space; publishes may soon fail";
    return { freeBytes: disk.freeBytes, minFreeBytes: disk.minFreeBytes, low: disk.low, readOnly: disk.readOnly, warning };
  }
}
