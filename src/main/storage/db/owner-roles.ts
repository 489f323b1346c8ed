// The owner_roles table: whether a maintainer added through the API is an 'owner' (manages owners) or a 'maintainer'.
import type { Db } from './connection';

export type OwnerRole = 'owner' | 'maintainer';

export function roleOf(db: Db, packageId: number, userId: number): OwnerRole {
  return (
    (
      db.prepare('SELECT role FROM owner_roles WHERE package_id = ? AND user_id = ?').get(packageId, userId) as
        { role: OwnerRole } | undefined
    )?.role ?? 'owner'
  );
}

export function setRole(db: Db, packageId: number, userId: number, role: OwnerRole): void {
  db.prepare(
    'INSERT INTO owner_roles (package_id, user_id, role) VALUES (?, ?, ?) ON CONFLICT (package_id, user_id) DO UPDATE SET role = excluded.role',
  ).run(packageId, userId, role);
}

export function clearRole(db: Db, packageId: number, userId: number): void {
  db.prepare('DELETE FROM owner_roles WHERE package_id = ? AND user_id = ?').run(packageId, userId);
}
