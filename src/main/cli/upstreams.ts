// Picks the mirror's upstreams for a command: the configured ones, else the registry the user's npm configuration names.
import type { ShelfApp } from '../app';
import { readNpmRegistry } from '../config/npm-registry';

const LOOPBACK = ['127.0.0.1', 'localhost', '[::1]', '::1'];

/**
 * With no upstream configured, mirror the registry the user's npm names — unless that registry is this Shelf itself
 * (after `npm config set registry <shelf>`), which would send every unknown name round in a loop.
 */
export async function chooseUpstreams(app: ShelfApp, ownUrl: string): Promise<void> {
  if (!app.config.mirror.useNpmRegistry) return;
  const registry = await readNpmRegistry();
  if (!registry) return;
  const own = new URL(ownUrl);
  const candidate = new URL(registry);
  const sameHost = candidate.hostname === own.hostname || (LOOPBACK.includes(candidate.hostname) && LOOPBACK.includes(own.hostname));
  if (candidate.port === own.port && sameHost) {
    process.stderr.write(`shelf: your npm registry is this Shelf (${registry}), so there is no upstream to mirror; pass --upstream URL\n`);
    return;
  }
  app.services.mirror.setUpstreams([{ url: registry }]);
}
