// The handler for every contract call, written once against the services and shared by IPC and browser-mode HTTP.
import type { Config } from '../config/config';
import type { Services } from '../services';
import type { Handlers } from './dispatch';

export interface HandlerDeps {
  services: Services;
  config: Config;
  mode: 'desktop' | 'browser';
  version: string;
  startedAt: string;
  /** The registry's current address (known once listening). */
  url: () => string;
}

export function createHandlers(deps: HandlerDeps): Handlers {
  const { services, config } = deps;
  return {
    'registry.status': async () => ({
      url: deps.url(),
      state: 'running',
      version: deps.version,
      mode: deps.mode,
      packageCount: services.packages.list(undefined, 0, 0).total,
      userCount: services.auth.userCount(),
      needsSetup: services.auth.needsSetup(),
      signup: config.signup,
      dataDir: config.dataDir,
      startedAt: deps.startedAt,
    }),
    // Browser mode has no signed-in session yet (the desktop issue adds one), so the list is what anonymous readers see.
    'packages.list': async ({ offset, limit }) => services.packages.list(undefined, offset, limit),
    'setup.createAdmin': async (args, ctx) => {
      const user = await services.auth.createAdmin({ ...args, isLocalOwner: ctx.isLocalOwner });
      return { username: user.name };
    },
  };
}
