// `shelf search TEXT` and `shelf info NAME[@VERSION]`: what a registry holds, for people and (with --json) scripts.
import type { Command } from 'commander';
import npa from 'npm-package-arg';
import pickManifest from 'npm-pick-manifest';
import { ShelfError } from '../errors';
import type { Packument } from '../services/resolver';
import { isYanked } from '../services/resolver/yanked';
import { addRegistryOptions, colour, exitWith, processIO, runCommand, type RegistryFlags } from './command-io';
import { packagePath, remoteRegistry, type SessionIO } from './registry-session';

export interface SearchFlags extends RegistryFlags {
  size?: string;
}

interface SearchResult {
  objects: { package: { name: string; version: string; description?: string; date?: string } }[];
  total: number;
}

export function searchCommand(text: string, flags: SearchFlags, io: SessionIO): Promise<number> {
  return runCommand(io, async () => {
    const size = Number(flags.size ?? 20);
    if (!Number.isInteger(size) || size < 1 || size > 250)
      throw new ShelfError('invalid_request', '--size must be a whole number from 1 to 250');
    const session = remoteRegistry(io, flags);
    const result = await session.json<SearchResult>('GET', `-/v1/search?text=${encodeURIComponent(text)}&size=${size}`, {
      what: `search for "${text}"`,
    });
    if (flags.json) io.out(`${JSON.stringify(result, null, 2)}\n`);
    else if (result.objects.length === 0) io.out(`nothing matches "${text}" on ${session.registry}\n`);
    else {
      for (const { package: p } of result.objects)
        io.out(`${colour(io, 1, p.name)}@${p.version}${p.description ? `  ${p.description}` : ''}\n`);
      if (result.total > result.objects.length) io.out(`(${result.objects.length} of ${result.total}; --size for more)\n`);
    }
    return 0;
  });
}

export function infoCommand(spec: string, flags: RegistryFlags, io: SessionIO): Promise<number> {
  return runCommand(io, async () => {
    let parsed: npa.Result;
    try {
      parsed = npa(spec);
    } catch (error) {
      throw new ShelfError('invalid_request', `"${spec}" is not a package name or name@version (${(error as Error).message})`);
    }
    if (!parsed.name) throw new ShelfError('invalid_request', `"${spec}" names no registry package; give NAME or NAME@VERSION`);
    const session = remoteRegistry(io, flags);
    const doc = await session.json<Packument & { description?: string; time?: Record<string, string> }>('GET', packagePath(parsed.name), {
      what: `read ${parsed.name}`,
    });
    let manifest;
    try {
      manifest = pickManifest(doc, parsed.rawSpec === '' || parsed.rawSpec === '*' ? 'latest' : parsed.rawSpec);
    } catch {
      throw new ShelfError(
        'not_found',
        `${parsed.name} has no version matching "${parsed.rawSpec}"; versions: ${Object.keys(doc.versions).join(', ')}`,
      );
    }
    const yanked = Object.keys(doc.versions).filter((v) => isYanked(doc.versions[v]!));
    const info = {
      name: doc.name,
      version: manifest.version,
      description: manifest.description ?? doc.description,
      license: manifest.license,
      distTags: doc['dist-tags'],
      versions: Object.keys(doc.versions),
      yanked,
      deprecated: manifest.deprecated,
      dependencies: manifest.dependencies ?? {},
      peerDependencies: manifest.peerDependencies ?? {},
      bin: manifest.bin,
      dist: manifest.dist,
      published: doc.time?.[manifest.version],
    };
    if (flags.json) {
      io.out(`${JSON.stringify(info, null, 2)}\n`);
      return 0;
    }
    const lines = [
      `${colour(io, 1, `${info.name}@${info.version}`)}${info.license ? ` | ${String(info.license)}` : ''} | versions: ${info.versions.length}`,
      ...(info.description ? [String(info.description)] : []),
      ...(info.deprecated ? [colour(io, 33, `deprecated: ${info.deprecated}`)] : []),
      '',
      `dist-tags: ${Object.entries(info.distTags)
        .map(([t, v]) => `${t}: ${v}`)
        .join('  ')}`,
      ...(yanked.length ? [`yanked (never chosen for new installs): ${yanked.join(', ')}`] : []),
      `dependencies (${Object.keys(info.dependencies).length}): ${
        Object.entries(info.dependencies)
          .map(([n, r]) => `${n}@${r}`)
          .join(', ') || 'none'
      }`,
      ...(Object.keys(info.peerDependencies).length
        ? [
            `peer dependencies: ${Object.entries(info.peerDependencies)
              .map(([n, r]) => `${n}@${r}`)
              .join(', ')}`,
          ]
        : []),
      `tarball: ${info.dist?.tarball ?? '?'}`,
      `integrity: ${info.dist?.integrity ?? '?'}`,
      ...(info.published ? [`published ${info.published}`] : []),
    ];
    io.out(`${lines.join('\n')}\n`);
    return 0;
  });
}

export function registerInfoSearch(program: Command): void {
  addRegistryOptions(
    program.command('search <text>').description('search the registry').option('--size <n>', 'how many results', '20'),
  ).action((text: string, flags: SearchFlags) => exitWith(searchCommand(text, flags, processIO())));
  addRegistryOptions(
    program.command('info <spec>').description('show a package version: tags, versions, dependencies, tarball and integrity'),
  ).action((spec: string, flags: RegistryFlags) => exitWith(infoCommand(spec, flags, processIO())));
}
