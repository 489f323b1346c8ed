// Runs Verdaccio's conformance suite (@verdaccio/e2e-cli) against one registry, for the clients named, and writes the
// results as JSON. A separate process because the suite changes the working directory (its temporary projects) and reads
// its uplink port from the environment, neither of which a test worker may share.
// Usage: node conformance-runner.mjs <registry-url> <results.json> <pm=bin>...   (E2E_UPLINK_PORT in the environment)
import { mkdtempSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { format, stripVTControlCharacters } from 'node:util';
import { allTests, createBunAdapter, createNpmAdapter, createPnpmAdapter, createYarnModernAdapter, runSuite } from '@verdaccio/e2e-cli';

const [registry, resultsFile, ...pms] = process.argv.slice(2);
if (!registry || !resultsFile || pms.length === 0) throw new Error('usage: conformance-runner.mjs <registry> <results.json> <pm=bin>...');
// The package's exports name only its entry; its user helper is loaded by file.
const suiteRoot = fileURLToPath(new URL('../../node_modules/@verdaccio/e2e-cli/build/esm/', import.meta.url));
const { createUser, legacyLogin, whoami, LegacyLoginError } = await import(join(suiteRoot, 'utils', 'registry-client.js'));

/**
 * Some of the suite's tests return early, and so count as passed, without checking anything: audit for clients other
 * than npm and bun (or when the client's audit fails with any message naming 'audit'), login for clients other than
 * yarn, ci for deno. They say so only in their debug log ('skipping …'). That log (the `debug` instance the suite
 * loads) is read here, so such a test is reported as a skip with the suite's own words, never as a pass.
 */
const suiteDebug = createRequire(join(suiteRoot, 'index.js'))('debug');
let quietSkips = [];
suiteDebug.enable('verdaccio:e2e-cli:test:*');
suiteDebug.log = function (...args) {
  const line = stripVTControlCharacters(format(...args)).replace(/ \+\d+m?s$/, '');
  const test = /^verdaccio:e2e-cli:test:(\S+)$/.exec(this.namespace)?.[1];
  if (test && /\bskipping\b/.test(line))
    quietSkips.push({ name: test, reason: line.slice(line.indexOf(this.namespace) + this.namespace.length).trim() });
};

/**
 * The login test's sub-tests that speak HTTP only (npm's, yarn's and pnpm's legacy login with the Basic retry), exactly
 * as the suite writes them. The suite runs them after yarn's own login, which needs a yarn plugin it downloads from the
 * public registry; they are run here as well so they are checked when that download cannot happen.
 */
async function loginOverHttp(runId) {
  const subTests = [];
  const step = async (label, fn) => {
    try {
      await fn();
      subTests.push({ label, passed: true });
    } catch (error) {
      subTests.push({ label, passed: false, error: error.message });
    }
  };
  const check = (ok, message) => {
    if (!ok) throw new Error(message);
  };
  for (const client of ['npm', 'yarn', 'pnpm']) {
    await step(`${client} logs an existing user in with the Basic retry`, async () => {
      const user = `login-retry-${client}-${runId}`;
      await createUser(registry, user, 'retry-password-123');
      const token = await legacyLogin(registry, user, 'retry-password-123', client);
      check((await whoami(registry, token)) === user, 'whoami does not name the user');
    });
    await step(`${client} registers a new user`, async () => {
      const user = `login-new-${client}-${runId}`;
      const token = await legacyLogin(registry, user, 'retry-password-123', client);
      check((await whoami(registry, token)) === user, 'whoami does not name the user');
    });
    await step(`${client} cannot log an existing user in with a wrong password`, async () => {
      const user = `login-wrong-${client}-${runId}`;
      await createUser(registry, user, 'retry-password-123');
      let refused;
      try {
        await legacyLogin(registry, user, 'wrong-password', client);
      } catch (error) {
        refused = error;
      }
      check(refused instanceof LegacyLoginError && refused.status === 401, `expected a 401 refusal, got ${refused ?? 'a login'}`);
    });
  }
  return { name: 'login (legacy login over HTTP)', passed: subTests.every((t) => t.passed), subTests };
}

/** The suite's yarn plugins come from the public registry at run time; tests here never reach it. */
const PLUGIN_DOWNLOAD = /npm pack @verdaccio\/yarn-plugin-[\w-]+/;

const factories = { npm: createNpmAdapter, pnpm: createPnpmAdapter, 'yarn-modern': createYarnModernAdapter, bun: createBunAdapter };
/**
 * The suite's adapter for a client binary. The suite reads the client's version with `<bin> --version` under a 5 s limit
 * and, when that runs out (a busy machine), names it '<pm>@unknown', which turns off its pnpm 11 argument handling and
 * its pnpm 11.1+ scenario: asked again, a bounded number of times, rather than run as an unknown version.
 */
function adapterFor(type, bin) {
  for (let attempt = 1; ; attempt++) {
    const adapter = factories[type](bin);
    if (!adapter.name.endsWith('@unknown')) return adapter;
    if (attempt === 3) throw new Error(`${bin} --version did not answer within the suite's 5 s, three times`);
  }
}

// Explicit binaries: the suite would otherwise install a client version from the network.
// A client the suite refuses (its version) is reported, not run.
const adapters = [];
const unavailable = [];
for (const spec of pms) {
  const [type, bin] = spec.split('=');
  try {
    adapters.push(adapterFor(type, bin));
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
      return adapter.type === 'pnpm' ? `needs pnpm 11.1+ (minimumReleaseAge); this is ${adapter.name}` : 'pnpm 11.1+ only (a pnpm setting)';
    if (test.name === 'scenario:uplink-failure' || test.name === 'scenario:reserved-names')
      return adapter.type === 'npm' ? 'needs E2E_UPLINK_PORT' : 'run once per suite, with the npm adapter';
    return 'run once per suite, with the npm adapter';
  }
  return undefined;
}

process.chdir(mkdtempSync(join(tmpdir(), 'shelf-conformance-run-')));
const auth = await createUser(registry);
// The suite writes each project's npm login for '//localhost:<port>/' only. Reached by another name, the clients find
// their login where `npm login` would have put it: the user's ~/.npmrc (HOME is the run's own folder).
const { host } = new URL(registry);
if (!host.startsWith('localhost:')) writeFileSync(join(homedir(), '.npmrc'), `//${host}/:_authToken=${auth.token}\n`);
const suites = [];
for (const adapter of adapters) {
  const skips = [];
  for (const test of allTests) {
    const reason = skipReason(test, adapter);
    if (reason) skips.push({ name: test.name, reason });
  }
  // 120 s a test rather than the suite's 50 s: on a shared machine under load, npm's own start-up eats the budget.
  quietSkips = [];
  const result = await runSuite(adapter, allTests, registry, auth.token, { timeout: 120_000, concurrency: 1 });
  // A test that failed only because the suite could not download its yarn plugin did not run: a skip, with the reason.
  const tests = [];
  for (const test of result.tests) {
    const quiet = test.passed && quietSkips.find((q) => q.name === test.name);
    if (quiet) {
      skips.push({ name: test.name, reason: `the suite's test returned without checking anything: "${quiet.reason}"` });
      continue;
    }
    const download =
      !test.passed && PLUGIN_DOWNLOAD.exec(`${test.error ?? ''} ${(test.subTests ?? []).map((t) => t.error ?? '').join(' ')}`);
    if (download)
      skips.push({
        name: test.name,
        reason: `the suite fetches its yarn plugin at run time (${download[0].slice('npm pack '.length)}) from the public registry, which tests never reach`,
      });
    else tests.push(test);
  }
  if (adapter.type === 'yarn-modern') tests.push(await loginOverHttp(`${Date.now().toString(36)}`));
  suites.push({
    ...result,
    tests,
    passed: tests.filter((t) => t.passed).length,
    failed: tests.filter((t) => !t.passed).length,
    skipped: skips.length,
    type: adapter.type,
    skips,
  });
  // Written after each client, so a run cut short still shows what it did.
  writeFileSync(resultsFile, JSON.stringify([...suites, ...unavailable], null, 2));
}
writeFileSync(resultsFile, JSON.stringify([...suites, ...unavailable], null, 2));
