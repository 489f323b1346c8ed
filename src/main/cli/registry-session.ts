// The command line's way to another registry: the client of services/remotes for the registry the flags name
// (--registry, SHELF_REGISTRY, else the local Shelf) with the token they give (--token, SHELF_TOKEN).
import type { CredentialStore } from '../services/credentials/credential-store';
import { RemoteRegistryClient } from '../services/remotes/registry-client';
import { registryUrl, type CommandIO, type RegistryFlags } from './command-io';
import type { InputIO } from './terminal-input';

export { packagePath } from '../services/remotes/names';

export interface SessionIO extends CommandIO, InputIO {
  /** Injected in tests; defaults to the system keychain (memory when none is reachable, with a warning). */
  credentials?: CredentialStore;
}

export function remoteRegistry(io: SessionIO, flags: RegistryFlags): RemoteRegistryClient {
  return new RemoteRegistryClient({
    registry: registryUrl(io, flags),
    token: flags.token ?? io.env.SHELF_TOKEN,
    fetch: io.fetch,
    credentials: io.credentials,
  });
}
