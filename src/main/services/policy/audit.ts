// `shelf audit`: a project's locked packages against the advisories the policy cached from the upstream (no network).
import semver from 'semver';
import type { MetadataDb } from '../../storage/sql/port';
import { getAdvisories } from '../../storage/db/policy';
import { findLockfile, readLockfile } from '../mirror/lockfiles';
import type { Advisory } from './evaluate';

export interface AuditFinding {
  name: string;
  version: string;
  advisories: Advisory[];
}

export interface AuditReport {
  lockfile: string;
  packages: number;
  findings: AuditFinding[];
  /** Packages with no cached advisory data: not known safe, just not known (they were never mirrored under a policy). */
  unknown: string[];
  /** When the oldest advisory data used was fetched. */
  oldestData: string | null;
}

export async function auditProject(db: MetadataDb, folder: string): Promise<AuditReport> {
  const lockfile = findLockfile(folder);
  const locked = readLockfile(lockfile);
  const findings: AuditFinding[] = [];
  const unknown = new Set<string>();
  let oldest: string | null = null;
  for (const { name, version } of locked) {
    const row = await getAdvisories(db, name);
    if (!row) {
      unknown.add(name);
      continue;
    }
    if (oldest === null || row.fetched_at < oldest) oldest = row.fetched_at;
    const affecting = (JSON.parse(row.advisories) as Advisory[]).filter((a) => {
      try {
        return semver.satisfies(version, a.vulnerable_versions, { includePrerelease: true });
      } catch {
        return false;
      }
    });
    if (affecting.length > 0) findings.push({ name, version, advisories: affecting });
  }
  return { lockfile, packages: locked.length, findings, unknown: [...unknown].sort(), oldestData: oldest };
}
