// Owns proposing fixes for a failed resolution and proving them: each candidate is applied and resolved again; only those that succeed are offered.
import semver from 'semver';
import { ResolutionFailure, type Conflict } from './failure';
import type { RegistryClient } from './registry-client';
import { resolveProject } from './resolve';
import type { Manifest, ProjectInput, ResolveOptions } from './types';

export interface VerifiedFix {
  /** One sentence saying what to change. */
  summary: string;
  /** The package.json change as unified-diff lines ("- ..." / "+ ..."). */
  diff: string[];
  /** Packages in the tree once the fix is applied. */
  packages: number;
  /** The resolved versions of the packages the conflict is about, after the fix. */
  outcome: string[];
}

interface Candidate {
  summary: string;
  manifest: Manifest;
  diff: string[];
  watch: string[];
}

const DEP_FIELDS = ['dependencies', 'devDependencies', 'optionalDependencies', 'peerDependencies'] as const;

export async function findVerifiedFixes(
  project: ProjectInput,
  conflict: Conflict,
  client: RegistryClient,
  options: ResolveOptions,
  limit = 4,
): Promise<VerifiedFix[]> {
  const candidates = await proposeCandidates(project.manifest, conflict, client);
  const results = await Promise.all(
    candidates.map(async (candidate): Promise<VerifiedFix | null> => {
      try {
        const graph = await resolveProject({ ...project, manifest: candidate.manifest }, client, { ...options, lockfile: undefined });
        const outcome = [...graph.nodes.values()]
          .filter((n) => candidate.watch.includes(n.packageName) && !n.isRoot)
          .map((n) => `${n.location} → ${n.packageName}@${n.version}`);
        return { summary: candidate.summary, diff: candidate.diff, packages: graph.nodes.size - 1, outcome };
      } catch (error) {
        if (error instanceof ResolutionFailure) return null;
        throw error;
      }
    }),
  );
  return results.filter((r): r is VerifiedFix => r !== null).slice(0, limit);
}

async function proposeCandidates(root: Manifest, conflict: Conflict, client: RegistryClient): Promise<Candidate[]> {
  const out: Candidate[] = [];
  const req = conflict.requirement;
  const direct = req.from.path[0];
  const name = conflict.kind === 'no-version' ? conflict.packageName : req.name;
  const packument = await client.packument(name).catch(() => undefined);
  const published = packument
    ? Object.keys(packument.versions)
        .filter((v) => !semver.prerelease(v))
        .sort(semver.rcompare)
    : [];

  // 1. Your own range for the contested package, changed to what the dependent accepts.
  const field = DEP_FIELDS.find((f) => root[f]?.[name] !== undefined);
  if (field) {
    const target = published.find((v) => semver.satisfies(v, req.spec, { loose: true }));
    if (target)
      out.push(
        changeRange(
          root,
          field,
          name,
          `^${target}`,
          `change your ${field} range for ${name} from "${root[field]![name]}" to "^${target}", which ${describeFrom(conflict)} accepts`,
          [name],
        ),
      );
  }

  // 2. An override forcing one version of the contested package everywhere.
  const forced = conflict.kind === 'peer-conflict' ? conflict.found.version : published[0];
  if (forced && (conflict.kind === 'no-version' || field === undefined)) {
    const manifest: Manifest = { ...root, overrides: { ...(root.overrides ?? {}), [name]: forced } };
    out.push({
      summary: `add an override so every package gets ${name}@${forced}`,
      manifest,
      diff: [`+ "overrides": { "${name}": "${forced}" }`],
      watch: [name],
    });
  }

  // 3. Another version of your direct dependency whose requirement fits (newer first, then older).
  if (direct) {
    const rootField = DEP_FIELDS.find((f) => root[f]?.[direct.name] !== undefined);
    const directDoc = await client.packument(direct.name).catch(() => undefined);
    if (rootField && directDoc) {
      const others = Object.keys(directDoc.versions)
        .filter((v) => v !== direct.version && !semver.prerelease(v))
        .sort((a, b) =>
          semver.gt(a, direct.version) === semver.gt(b, direct.version) ? semver.rcompare(a, b) : semver.gt(a, direct.version) ? -1 : 1,
        );
      for (const version of others.slice(0, 6)) {
        const verb = semver.gt(version, direct.version) ? 'upgrade' : 'use the older';
        out.push(
          changeRange(root, rootField, direct.name, version, `${verb} ${direct.name} ${version} instead of ${direct.version}`, [
            direct.name,
            name,
          ]),
        );
      }
    }
  }
  return out;
}

function changeRange(
  root: Manifest,
  field: (typeof DEP_FIELDS)[number],
  name: string,
  range: string,
  summary: string,
  watch: string[],
): Candidate {
  const before = root[field]![name]!;
  const manifest: Manifest = { ...root, [field]: { ...root[field], [name]: range } };
  return { summary, manifest, diff: [`- "${name}": "${before}"`, `+ "${name}": "${range}"`], watch };
}

function describeFrom(conflict: Conflict): string {
  const from = conflict.requirement.from;
  return from.location === '' && from.path.length === 0 ? 'your project' : `${from.name}@${from.version}`;
}
