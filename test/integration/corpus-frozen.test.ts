// The frozen corpus: for each test/corpus project with a frozen registry (registry.json.gz, written by
// scripts/freeze-corpus.mjs) and the lock the real npm wrote from it (npm-lock.json), `shelf lock` against that
// registry on loopback must write the same name@version at every path, and npm's own `npm ci --dry-run` must accept
// Shelf's lock. Always includes the peer-override case of issue 15 (cra4-ts-eslint5: react-scripts 4 brings
// @typescript-eslint 4 while the project asks for 5). No network: the registry is a server on 127.0.0.1.
import { cpSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lockCommand } from '../../src/main/cli/lock';
import { NpmUser, tempDir } from '../helpers/clients';
import { compareLocks, lockEntries } from '../fixtures/lock-registry.mjs';
import { readFrozen, serveFrozen } from '../corpus/frozen-registry.mjs';
import { captureIO } from './resolver-fixture';

const CORPUS = resolve(__dirname, '..', 'corpus');
const FROZEN = readdirSync(CORPUS)
  .filter((name) => existsSync(join(CORPUS, name, 'registry.json.gz')) && existsSync(join(CORPUS, name, 'npm-lock.json')))
  .sort();

/** The project folder (package.json and any workspace folders) without the frozen files. */
function copyProject(name: string): string {
  const dir = tempDir();
  cpSync(join(CORPUS, name), dir, { recursive: true, filter: (src) => !/registry\.json\.gz$|npm-lock\.json$/.test(src) });
  return dir;
}

it('the frozen corpus always holds the peer-override case, and npm resolved it with two @typescript-eslint majors', () => {
  expect(FROZEN).toContain('cra4-ts-eslint5');
  const entries = lockEntries(JSON.parse(readFileSync(join(CORPUS, 'cra4-ts-eslint5', 'npm-lock.json'), 'utf8')));
  expect(entries['node_modules/@typescript-eslint/eslint-plugin']).toMatch(/@5\./);
  expect(entries['node_modules/react-scripts/node_modules/@typescript-eslint/eslint-plugin']).toMatch(/@4\./);
});

describe.each(FROZEN)('frozen corpus: %s', (name) => {
  let registry: Awaited<ReturnType<typeof serveFrozen>>;
  let npmLock: { packages: Record<string, { name?: string; version?: string; link?: boolean }> };

  beforeAll(async () => {
    registry = await serveFrozen(readFrozen(join(CORPUS, name, 'registry.json.gz')));
    npmLock = JSON.parse(readFileSync(join(CORPUS, name, 'npm-lock.json'), 'utf8'));
  });
  afterAll(async () => registry?.close());

  it("shelf lock writes npm's entries, and npm ci --dry-run accepts the lock", async () => {
    const dir = copyProject(name);
    const io = captureIO(dir);
    expect(await lockCommand(undefined, { registry: `${registry.url}/` }, io), io.stderr()).toBe(0);
    const shelfLock = JSON.parse(readFileSync(join(dir, 'package-lock.json'), 'utf8'));
    const agreement = compareLocks(npmLock, shelfLock);
    expect(agreement.total).toBeGreaterThan(0);
    expect(agreement.differences).toEqual([]);

    // npm's own validation: `npm ci` compares the lock with the tree it would build and refuses any mismatch.
    const npm = new NpmUser(`${registry.url}/`);
    const ci = await npm.npm(['ci', '--ignore-scripts', '--dry-run', '--no-audit', '--no-fund'], dir);
    expect(ci.code, ci.stderr).toBe(0);
    expect(ci.stderr).not.toMatch(/can only install packages when your package\.json and package-lock\.json/);
    // The lock on disk is still Shelf's (dry run), so the check above was about Shelf's lock.
    expect(JSON.parse(readFileSync(join(dir, 'package-lock.json'), 'utf8'))).toEqual(shelfLock);
  }, 240_000);
});
