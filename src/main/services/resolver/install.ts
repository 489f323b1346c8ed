// Owns writing node_modules from a lockfile: parallel verified downloads through the cache, safe extraction, workspace links, .bin links, opt-in scripts.
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { checkPlatform } from 'npm-install-checks';
import { ShelfError } from '../../errors';
import { createLimiter } from './limit';
import { UnpackedStore } from './unpacked-store';
import type { Lockfile } from './lockfile-write';
import type { RegistryClient } from './registry-client';
import type { TarballCache } from './tarball-cache';

export interface InstallOptions {
  client: RegistryClient;
  cache: TarballCache;
  /** Run dependencies' preinstall/install/postinstall scripts (off by default). */
  scripts?: boolean;
  /** Leave out dev dependencies. */
  omitDev?: boolean;
  onProgress?: (done: number, total: number) => void;
  /** Threads that link packages into node_modules (0: the main thread); see UnpackedStore. */
  linkThreads?: number;
}

export interface InstallReport {
  installed: number;
  linked: number;
  skipped: { location: string; reason: string }[];
  /** Packages that have install scripts; they ran only with `scripts`. */
  wantedScripts: string[];
  ranScripts: string[];
  cacheHits: number;
  downloads: number;
  /** Files hard-linked from the install cache's unpacked store, files copied, and why any were copied. */
  filesLinked: number;
  filesCopied: number;
  copyReason?: string;
}

/**
 * Packages fetched and unpacked at once on a cold install: enough to keep the registry connection pool (16 sockets)
 * busy while others are being unpacked, few enough that memory stays bounded by a handful of tarballs.
 */
const COLD_CONCURRENCY = 24;

type Entry = Record<string, unknown> & { version?: string; resolved?: string; integrity?: string; link?: boolean; name?: string };

export async function installFromLockfile(dir: string, lock: Lockfile, options: InstallOptions): Promise<InstallReport> {
  const report: InstallReport = {
    installed: 0,
    linked: 0,
    skipped: [],
    wantedScripts: [],
    ranScripts: [],
    cacheHits: 0,
    downloads: 0,
    filesLinked: 0,
    filesCopied: 0,
  };
  // Made first so its link threads boot while node_modules is cleared and the lockfile sorted.
  const store = new UnpackedStore(options.cache.dir, { linkThreads: options.linkThreads });
  // Start from an empty node_modules so nothing stale or extraneous survives (what npm ci does).
  try {
    rmSync(join(dir, 'node_modules'), { recursive: true, force: true });
  } catch (error) {
    await store.close();
    throw error;
  }
  const entries = Object.entries(lock.packages as Record<string, Entry>).filter(([location]) => location.includes('node_modules/'));
  const toFetch: [string, Entry][] = [];
  const skippedPrefixes: string[] = [];
  for (const [location, entry] of entries) {
    if (entry.link) continue;
    if (entry.inBundle) continue;
    if (options.omitDev && entry.dev) {
      report.skipped.push({ location, reason: 'dev dependency (omitted)' });
      continue;
    }
    if (entry.optional && !platformFits(entry)) {
      report.skipped.push({ location, reason: `optional, for ${[entry.os, entry.cpu, entry.libc].filter(Boolean).join(' ')}` });
      skippedPrefixes.push(`${location}/`);
      continue;
    }
    if (skippedPrefixes.some((p) => location.startsWith(p))) continue;
    toFetch.push([location, entry]);
  }
  let done = 0;
  const hitsBefore = options.cache.hits;
  const cold = createLimiter(COLD_CONCURRENCY);
  try {
    const wanted = toFetch.map(([location, entry]) => {
      const name = entry.name ?? location.slice(location.lastIndexOf('node_modules/') + 13);
      const label = `${name}@${entry.version}`;
      if (!entry.resolved && !(entry.version && entry.integrity))
        throw new ShelfError(
          'invalid_request',
          `the lockfile has no "resolved" URL for ${label} at ${location}; run \`shelf lock\` to write one`,
        );
      // npm leaves registry URLs out when told to (omit-lockfile-registry-resolved) and then fetches from the
      // configured registry at the conventional address; so does Shelf (the integrity still pins the bytes).
      const url = entry.resolved ?? `${options.client.registry}${name}/-/${name.replace(/^@[^/]+\//, '')}-${entry.version}.tgz`;
      // A package whose install script will run gets its own copies: the script may rewrite its files in place.
      return { label, url, integrity: entry.integrity, dest: join(dir, location), link: !(options.scripts && entry.hasInstallScript) };
    });
    const progress = (): void => options.onProgress?.(++done, toFetch.length);
    // Warm first: every package already verified and unpacked is linked from the store, in batches on the link threads.
    const placed = await store.placeAll(wanted, progress);
    // Cold: fetch (or read the tarball cache), verify, unpack once into the store, link.
    await Promise.all(
      wanted
        .filter((_, i) => !placed[i])
        .map((w) =>
          // Bounded from download to unpacked: only this many tarballs (and their unpacked bodies) are in memory at once.
          cold(async () => {
            const { bytes } = await options.cache.get(w.label, w.integrity, () => options.client.tarball(w.url));
            await store.add(bytes, w.integrity, w.dest, w.label, { link: w.link });
            progress();
          }),
        ),
    );
    report.installed = toFetch.length;
  } finally {
    await store.close();
  }
  report.cacheHits = options.cache.hits - hitsBefore + store.hits;
  report.downloads = toFetch.length - report.cacheHits;
  report.filesLinked = store.filesLinked;
  report.filesCopied = store.filesCopied;
  if (store.copyReason) report.copyReason = store.copyReason;

  for (const [location, entry] of entries) {
    if (!entry.link || typeof entry.resolved !== 'string') continue;
    const linkPath = join(dir, location);
    mkdirSync(dirname(linkPath), { recursive: true });
    symlinkSync(relative(dirname(linkPath), join(dir, entry.resolved)), linkPath, 'junction');
    report.linked += 1;
  }
  const installed = new Set(toFetch.map(([location]) => location));
  for (const [location, entry] of entries) {
    if (!installed.has(location)) continue;
    linkBins(dir, location, entry);
    if (entry.hasInstallScript)
      report.wantedScripts.push(`${entry.name ?? location.slice(location.lastIndexOf('node_modules/') + 13)}@${entry.version}`);
  }
  if (options.scripts) {
    // Deepest first, as npm does, so a package's dependencies are built before it.
    const withScripts = [...installed]
      .filter((l) => (lock.packages[l] as Entry).hasInstallScript)
      .sort((a, b) => b.split('node_modules/').length - a.split('node_modules/').length);
    for (const location of withScripts) {
      await runInstallScripts(join(dir, location));
      report.ranScripts.push(location);
    }
  }
  writeFileSync(
    join(dir, 'node_modules', '.package-lock.json'),
    `${JSON.stringify({ name: lock.name, version: lock.version, lockfileVersion: 3, requires: true, packages: Object.fromEntries(entries.filter(([l]) => installed.has(l) || (lock.packages[l] as Entry).link)) }, null, 2)}\n`,
  );
  return report;
}

function platformFits(entry: Entry): boolean {
  try {
    checkPlatform({
      os: entry.os as string[] | undefined,
      cpu: entry.cpu as string[] | undefined,
      libc: entry.libc as string[] | undefined,
    });
    return true;
  } catch {
    return false;
  }
}

/** `.bin` sits in the node_modules folder that holds the package, as npm lays it out. */
function linkBins(dir: string, location: string, entry: Entry): void {
  const bin = entry.bin as Record<string, string> | undefined;
  if (!bin) return;
  const binDir = join(dir, location.slice(0, location.lastIndexOf('node_modules/') + 'node_modules'.length), '.bin');
  mkdirSync(binDir, { recursive: true });
  for (const [command, target] of Object.entries(bin)) {
    const targetPath = join(dir, location, target);
    if (!existsSync(targetPath)) continue;
    const linkPath = join(binDir, command);
    rmSync(linkPath, { force: true });
    symlinkSync(relative(binDir, targetPath), linkPath);
    // Add execute bits only: a hard-linked file stays read-only (its mode is the store's too).
    const mode = statSync(targetPath).mode;
    if ((mode & 0o111) !== 0o111) chmodSync(targetPath, mode | 0o111);
  }
}

async function runInstallScripts(pkgDir: string): Promise<void> {
  const scripts = (JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as { scripts?: Record<string, string> }).scripts ?? {};
  for (const stage of ['preinstall', 'install', 'postinstall']) {
    const script = scripts[stage];
    if (!script) continue;
    const code = await new Promise<number>((resolve) => {
      const child = spawn(script, { cwd: pkgDir, shell: true, stdio: 'inherit', env: { ...process.env, npm_lifecycle_event: stage } });
      child.on('close', (c) => resolve(c ?? 1));
    });
    if (code !== 0) throw new ShelfError('internal', `the ${stage} script of ${pkgDir} failed with exit code ${code}`);
  }
}
