// The versions.ecosystem column: which registry format a version was published in (npm, or a seed registry's through /api/v1).
import type { Db } from './connection';

export const ECOSYSTEMS = ['npm', 'synapse', 'vais'] as const;
export type Ecosystem = (typeof ECOSYSTEMS)[number];

/**
 * The ecosystem of a package's versions: 'npm' unless one of them is another (publishing keeps a package to one).
 * Reads only the partial index of non-npm versions, so it costs one probe on the npm door's hot path.
 */
export function packageEcosystem(db: Db, packageId: number): Ecosystem {
  const row = db.prepare("SELECT ecosystem FROM versions WHERE package_id = ? AND ecosystem <> 'npm' LIMIT 1").get(packageId) as
    { ecosystem: Ecosystem } | undefined;
  return row?.ecosystem ?? 'npm';
}

export function versionEcosystem(db: Db, packageId: number, version: string): Ecosystem | undefined {
  const row = db.prepare('SELECT ecosystem FROM versions WHERE package_id = ? AND version = ?').get(packageId, version) as
    { ecosystem: Ecosystem } | undefined;
  return row?.ecosystem;
}

export function setVersionEcosystem(db: Db, packageId: number, version: string, ecosystem: Ecosystem): void {
  db.prepare('UPDATE versions SET ecosystem = ? WHERE package_id = ? AND version = ?').run(ecosystem, packageId, version);
}
