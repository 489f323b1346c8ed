// The provenance attestations the policy verified (migration 9): the upstream's answer for a version's
// /-/npm/v1/attestations, kept so Shelf serves it offline, and a summary (source repository, workflow, log index) for the UI.
import type { SqlExecutor as Db } from '../sql/port';

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

export async function getAttestation(db: Db, name: string, version: string): Promise<AttestationRow | undefined> {
  return await db.get<AttestationRow>('SELECT * FROM policy_attestations WHERE name = ? AND version = ?', [name, version]);
}

/** The kept versions of a package, without their bundles (the package page). */
export async function listAttestations(db: Db, name: string): Promise<Omit<AttestationRow, 'bundles'>[]> {
  return await db.all<Omit<AttestationRow, 'bundles'>>(
    'SELECT name, version, integrity, summary, verified_at FROM policy_attestations WHERE name = ? ORDER BY version',
    [name],
  );
}

export async function putAttestation(db: Db, row: AttestationRow): Promise<void> {
  await db.run(
    `INSERT INTO policy_attestations (name, version, integrity, bundles, summary, verified_at)
     VALUES (@name, @version, @integrity, @bundles, @summary, @verified_at)
     ON CONFLICT (name, version) DO UPDATE SET integrity = excluded.integrity, bundles = excluded.bundles,
       summary = excluded.summary, verified_at = excluded.verified_at`,
    row as unknown as Record<string, unknown>,
  );
}
