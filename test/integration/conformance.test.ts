// Verdaccio's vendor-neutral conformance suite (@verdaccio/e2e-cli) against a fresh `shelf serve` on loopback, for npm,
// pnpm, yarn 4 and bun, with the scenarios it runs only when configured: a mock uplink (uplink failures, reserved names)
// the suite starts itself on a port Shelf's --upstream names, and yarn's login.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startShelf, type RunningShelf } from '../helpers/shelf-process';
import { clients, failures, freePort, report, runConformance, startUplinkRouter } from './conformance-suite';

describe('conformance suite (@verdaccio/e2e-cli) on loopback', () => {
  let shelf: RunningShelf;
  let uplinkPort: number;
  let router: Awaited<ReturnType<typeof startUplinkRouter>>;

  beforeAll(async () => {
    uplinkPort = await freePort();
    router = await startUplinkRouter(uplinkPort);
    shelf = await startShelf([
      // The suite's mock uplink names (and nothing else) reach the mock, as its battery config routes them for Verdaccio.
      '--upstream',
      router.url,
      // The mock writes its tarball links to itself ('localhost'); Shelf fetches tarballs only from under its upstreams.
      '--upstream',
      `@e2e-uplink=http://localhost:${uplinkPort}/`,
      // The slow-uplink case expects an answer within 6 s; the limit covers retries too.
      '--upstream-timeout',
      '3s',
      // scenario:tarballs publishes packages of some 30 MB.
      '--max-tarball-size',
      '100mb',
    ]);
  });
  afterAll(async () => {
    await shelf?.stop();
    await router?.close();
  });

  it('passes every test for npm, pnpm, yarn 4 and bun; skips only what the suite cannot run for a client, with the reason', async () => {
    // As the suite is written: yarn accepts plain http only for 'localhost' (its unsafeHttpWhitelist), and every tarball
    // link must then name localhost too, not the address Shelf listens on.
    const registry = shelf.url.replace('//127.0.0.1:', '//localhost:');
    const { suites } = await runConformance(registry, clients(), { E2E_UPLINK_PORT: String(uplinkPort) }, 840_000);
    console.log(report(suites));
    // The suite (4.x) accepts only pnpm 11+, which needs Node 22: with this project's pnpm 10 it refuses the client.
    expect(suites.filter((s) => !s.unavailable).map((s) => s.type)).toEqual(['npm', 'yarn-modern', 'bun']);
    for (const s of suites.filter((x) => x.unavailable))
      expect(s.unavailable).toMatch(/pnpm@10\S* is not supported\. Minimum supported major: 11/);
    expect(failures(suites)).toEqual([]);
    // The configured scenarios ran (not skipped) for npm, and login for yarn.
    const npm = suites[0]!;
    for (const name of ['scenario:uplink-failure', 'scenario:reserved-names', 'scenario:tarballs', 'scenario:metadata', 'scenario:search'])
      expect(npm.tests.map((t) => t.name)).toContain(name);
    expect(suites.find((s) => s.type === 'yarn-modern')!.tests.map((t) => t.name)).toContain('login (legacy login over HTTP)');
  }, 900_000);
});
