// The versions.ecosystem column: which registry format a version was published in (npm, or a seed registry's through /api/v1).
import type { SqlExecutor as Db } from '../sql/port';

export const ECOSYSTEMS = ['npm', 'synapse', 'vais'] as const;
export type Ecosystem = (typeof ECOSYSTEMS)[number];

/**
 * The ecosystem of a package's versions: 'npm' unless one of them is another (publishing keeps a package to one).
 * Reads only the partial index of non-npm versions, so it costs one probe on the npm door's hot path.
 */
export async function packageEcosystem(db: Db, packageId: number): Promise<Ecosystem> {
  const row = (await db.get("SELECT ecosystem FROM versions WHERE package_id = ? AND ecosystem <> 'npm' LIMIT 1", [packageId])) as
    { ecosystem: Ecosystem } | undefined;
  return row?.ecosystem ?? 'npm';
}

export async function versionEcosystem(db: Db, packageId: number, version: string): Promise<Ecosystem | undefined> {
  const row = (await db.get('SELECT ecosystem FROM versions WHERE package_id = ? AND version = ?', [packageId, version])) as
    { ecosystem: Ecosystem } | undefined;
  return row?.ecosystem;
}

export async function setVersionEcosystem(db: Db, packageId: number, version: string, ecosystem: Ecosystem): Promise<void> {
  await db.run('UPDATE versions SET ecosystem = ? WHERE package_id = ? AND version = ?', [ecosystem, packageId, version]);
}
