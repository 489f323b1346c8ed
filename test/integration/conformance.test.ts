// Verdaccio's vendor-neutral conformance suite (@verdaccio/e2e-cli) against a fresh `shelf serve` on loopback, for npm,
// pnpm, yarn 4 and bun, with the scenarios it runs only when configured: a mock uplink (uplink failures, reserved names)
// the suite starts itself on a port Shelf's --upstream names, and yarn's login.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startShelf, type RunningShelf } from '../helpers/shelf-process';
import { ensurePnpm11 } from '../helpers/tool-pnpm11';
import { EXPECTED_SKIPS, clients, failures, freePort, report, runConformance, skipsOf, startUplinkRouter } from './conformance-suite';

describe('conformance suite (@verdaccio/e2e-cli) on loopback', () => {
  let shelf: RunningShelf;
  let uplinkPort: number;
  let router: Awaited<ReturnType<typeof startUplinkRouter>>;

  beforeAll(async () => {
    // pnpm 11 and its Node 22, installed on first use (the only network access, before the server starts).
    ensurePnpm11();
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
  }, 600_000);
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
    expect(suites.map((s) => [s.type, s.unavailable])).toEqual([
      ['npm', undefined],
      ['pnpm', undefined],
      ['yarn-modern', undefined],
      ['bun', undefined],
    ]);
    expect(failures(suites)).toEqual([]);
    // Skipped only where the suite cannot run a test for that client (each with its reason, in the output above).
    expect(skipsOf(suites)).toEqual(EXPECTED_SKIPS);
    // pnpm is pnpm 11.1+ (the suite's own gate), so its minimum-release-age scenario ran.
    expect(suites[1]!.tests.map((t) => t.name)).toContain('scenario:minimum-release-age');
    // The configured scenarios ran (not skipped) for npm, and login for yarn.
    const npm = suites[0]!;
    for (const name of ['scenario:uplink-failure', 'scenario:reserved-names', 'scenario:tarballs', 'scenario:metadata', 'scenario:search'])
      expect(npm.tests.map((t) => t.name)).toContain(name);
    expect(suites.find((s) => s.type === 'yarn-modern')!.tests.map((t) => t.name)).toContain('login (legacy login over HTTP)');
  }, 900_000);
});
