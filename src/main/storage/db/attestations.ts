// The provenance attestations the policy verified (migration 9): the upstream's answer for a version's
// /-/npm/v1/attestations, kept so Shelf serves it offline, and a summary (source repository, workflow, log index) for the UI.
import type { Db } from './connection';

export interface AttestationRow {
  name: string;
  version: string;
  /** The tarball integrity (sha512) the bundles' subject digest was checked against. */
  integrity: string;
  /** JSON: the upstream's answer, `{attestations: [{predicateType, bundle}]}`, as verified. */
  bundles: string;
  /** JSON: what the package page shows (ProvenanceSummary). */
  summary: string;
  verified_at: string;
}

export function getAttestation(db: Db, name: string, version: string): AttestationRow | undefined {
  return db.prepare('SELECT * FROM policy_attestations WHERE name = ? AND version = ?').get(name, version) as AttestationRow | undefined;
}

/** The kept versions of a package, without their bundles (the package page). */
export function listAttestations(db: Db, name: string): Omit<AttestationRow, 'bundles'>[] {
  return db
    .prepare('SELECT name, version, integrity, summary, verified_at FROM policy_attestations WHERE name = ? ORDER BY version')
    .all(name) as Omit<AttestationRow, 'bundles'>[];
}

export function putAttestation(db: Db, row: AttestationRow): void {
  db.prepare(
    `INSERT INTO policy_attestations (name, version, integrity, bundles, summary, verified_at)
     VALUES (@name, @version, @integrity, @bundles, @summary, @verified_at)
     ON CONFLICT (name, version) DO UPDATE SET integrity = excluded.integrity, bundles = excluded.bundles,
       summary = excluded.summary, verified_at = excluded.verified_at`,
  ).run(row);
}
