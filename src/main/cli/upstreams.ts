// Picks the mirror's upstreams for a command: the configured ones, else the registry the user's npm configuration names.
import type { ShelfApp } from '../app';
import { isLoopbackHost } from '../config/config';
import { readNpmRegistry } from '../config/npm-registry';
import { openCredentialStore } from '../services/credentials/credential-store';

/** The credential-store account an upstream's token is kept under. */
export const upstreamAccount = (url: string) => `upstream:${url}`;

/** Hands the mirror the tokens the credential store holds for its upstreams. */
export async function loadUpstreamTokens(app: ShelfApp): Promise<void> {
  const upstreams = app.services.mirror.listUpstreams();
  if (upstreams.length === 0) return;
  const store = await openCredentialStore();
  for (const upstream of upstreams) {
    const token = await store.get(upstreamAccount(upstream.url));
    if (token) app.services.mirror.setToken(upstream.url, token);
  }
}

/**
 * With no upstream configured, mirror the registry the user's npm names — unless that registry is this Shelf itself
 * (after `npm config set registry <shelf>`), which would send every unknown name round in a loop.
 */
export async function chooseUpstreams(app: ShelfApp, ownUrl: string): Promise<void> {
  await pickUpstreams(app, ownUrl);
  await loadUpstreamTokens(app);
}

async function pickUpstreams(app: ShelfApp, ownUrl: string): Promise<void> {
  if (!app.config.mirror.useNpmRegistry) return;
  const registry = await readNpmRegistry();
  if (!registry) return;
  const own = new URL(ownUrl);
  const candidate = new URL(registry);
  const sameHost = candidate.hostname === own.hostname || (isLoopbackHost(candidate.hostname) && isLoopbackHost(own.hostname));
  if (candidate.port === own.port && sameHost) {
    process.stderr.write(`shelf: your npm registry is this Shelf (${registry}), so there is no upstream to mirror; pass --upstream URL\n`);
    return;
  }
  app.services.mirror.setUpstreams([{ url: registry }]);
}
