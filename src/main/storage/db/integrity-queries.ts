// Read-only queries over the whole store that the collector and fsck need: every row that points at a blob, every
// dist-tag naming a version that does not exist.
import type { SqlExecutor as Db } from '../sql/port';

export interface BlobReference {
  kind: 'published' | 'cached';
  name: string;
  version: string;
  integrity: string;
}

/** Every published version and every cached upstream tarball, with the blob it points at. */
export async function allBlobReferences(db: Db): Promise<BlobReference[]> {
  return (await db.all(`SELECT 'published' AS kind, p.name AS name, v.version AS version, v.integrity AS integrity
         FROM versions v JOIN packages p ON p.id = v.package_id
       UNION ALL
       SELECT 'cached' AS kind, name, version, integrity FROM cached_tarballs`)) as BlobReference[];
}

export interface DanglingTag {
  packageId: number;
  name: string;
  tag: string;
  version: string;
}

/** Dist-tags that name a version the package does not have. */
export async function danglingDistTags(db: Db): Promise<DanglingTag[]> {
  return (await db.all(`SELECT d.package_id AS packageId, p.name AS name, d.tag AS tag, d.version AS version
         FROM dist_tags d JOIN packages p ON p.id = d.package_id
         LEFT JOIN versions v ON v.package_id = d.package_id AND v.version = d.version
        WHERE v.id IS NULL
        ORDER BY p.name, d.tag`)) as DanglingTag[];
}

/** Every local package's id and name, by name. */
export async function allPackageIds(db: Db): Promise<{ id: number; name: string }[]> {
  return (await db.all('SELECT id, name FROM packages ORDER BY name')) as { id: number; name: string }[];
}
