// Runs Verdaccio's conformance suite (@verdaccio/e2e-cli) against one registry, for the clients named, and writes the
// results as JSON. A separate process because the suite changes the working directory (its temporary projects) and reads
// its uplink port from the environment, neither of which a test worker may share.
// Usage: node conformance-runner.mjs <registry-url> <results.json> <pm=bin>...   (E2E_UPLINK_PORT in the environment)
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { allTests, createBunAdapter, createNpmAdapter, createPnpmAdapter, createYarnModernAdapter, runSuite } from '@verdaccio/e2e-cli';

const [registry, resultsFile, ...pms] = process.argv.slice(2);
if (!registry || !resultsFile || pms.length === 0) throw new Error('usage: conformance-runner.mjs <registry> <results.json> <pm=bin>...');
// The package's exports name only its entry; its user helper is loaded by file.
const suiteRoot = fileURLToPath(new URL('../../node_modules/@verdaccio/e2e-cli/build/esm/', import.meta.url));
const { createUser } = await import(join(suiteRoot, 'utils', 'registry-client.js'));

const factories = { npm: createNpmAdapter, pnpm: createPnpmAdapter, 'yarn-modern': createYarnModernAdapter, bun: createBunAdapter };
// Explicit binaries: the suite would otherwise install a client version from the network.
// A client the suite refuses (pnpm 10: the suite needs pnpm 11, which needs Node 22) is reported, not run.
const adapters = [];
const unavailable = [];
for (const spec of pms) {
  const [type, bin] = spec.split('=');
  try {
    adapters.push(factories[type](bin));
  } catch (error) {
    unavailable.push({ type, adapter: type, unavailable: error.message, passed: 0, failed: 0, skipped: 0, tests: [], skips: [] });
  }
}

/** Why the suite skips a test for an adapter, in the words of its own gating (requires / appliesTo). */
function skipReason(test, adapter) {
  const missing = (test.requires ?? []).filter((cmd) => !adapter.supports.has(cmd));
  if (missing.length > 0) return `the suite's ${adapter.type} adapter has no '${missing.join("', '")}' command`;
  if (test.appliesTo && !test.appliesTo(adapter)) {
    if (test.name === 'scenario:minimum-release-age')
      return adapter.type === 'pnpm'
        ? `needs pnpm 11.1+ (minimumReleaseAge); this is ${adapter.name}, and pnpm 11 needs Node 22 while this project runs Node ${process.versions.node}`
        : 'pnpm 11.1+ only (a pnpm setting)';
    if (test.name === 'scenario:uplink-failure' || test.name === 'scenario:reserved-names')
      return adapter.type === 'npm' ? 'needs E2E_UPLINK_PORT' : 'run once per suite, with the npm adapter';
    return 'run once per suite, with the npm adapter';
  }
  return undefined;
}

process.chdir(mkdtempSync(join(tmpdir(), 'shelf-conformance-run-')));
const auth = await createUser(registry);
const suites = [];
for (const adapter of adapters) {
  const skips = [];
  for (const test of allTests) {
    const reason = skipReason(test, adapter);
    if (reason) skips.push({ name: test.name, reason });
  }
  const result = await runSuite(adapter, allTests, registry, auth.token, { timeout: 50_000, concurrency: 1 });
  suites.push({ ...result, type: adapter.type, skips });
}
writeFileSync(resultsFile, JSON.stringify([...suites, ...unavailable], null, 2));
