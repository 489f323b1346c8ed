// The owner_roles table: whether a maintainer added through the API is an 'owner' (manages owners) or a 'maintainer'.
import type { SqlExecutor as Db } from '../sql/port';

export type OwnerRole = 'owner' | 'maintainer';

export async function roleOf(db: Db, packageId: number, userId: number): Promise<OwnerRole> {
  return (
    (
      (await db.get('SELECT role FROM owner_roles WHERE package_id = ? AND user_id = ?', [packageId, userId])) as
        { role: OwnerRole } | undefined
    )?.role ?? 'owner'
  );
}

export async function setRole(db: Db, packageId: number, userId: number, role: OwnerRole): Promise<void> {
  await db.run(
    'INSERT INTO owner_roles (package_id, user_id, role) VALUES (?, ?, ?) ON CONFLICT (package_id, user_id) DO UPDATE SET role = excluded.role',
    [packageId, userId, role],
  );
}

export async function clearRole(db: Db, packageId: number, userId: number): Promise<void> {
  await db.run('DELETE FROM owner_roles WHERE package_id = ? AND user_id = ?', [packageId, userId]);
}
