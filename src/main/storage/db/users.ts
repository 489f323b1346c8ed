// The users table: accounts that can sign in and own packages.
import type { SqlExecutor as Db } from '../sql/port';

export interface UserRow {
  id: number;
  name: string;
  email: string | null;
  password_hash: string;
  is_admin: number;
  created_at: string;
}

export async function findUserByName(db: Db, name: string): Promise<UserRow | undefined> {
  return (await db.get('SELECT * FROM users WHERE name = ?', [name])) as UserRow | undefined;
}

export async function findUserById(db: Db, id: number): Promise<UserRow | undefined> {
  return (await db.get('SELECT * FROM users WHERE id = ?', [id])) as UserRow | undefined;
}

export async function insertUser(
  db: Db,
  user: { name: string; email: string | null; passwordHash: string; isAdmin: boolean; createdAt: string },
): Promise<UserRow> {
  const inserted = (await db.get(
    'INSERT INTO users (name, email, password_hash, is_admin, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id',
    [user.name, user.email, user.passwordHash, user.isAdmin ? 1 : 0, user.createdAt],
  )) as { id: number };
  return (await findUserById(db, inserted.id))!;
}

export async function countUsers(db: Db): Promise<number> {
  return ((await db.get('SELECT count(*) AS n FROM users')) as { n: number }).n;
}

export async function hasAdmin(db: Db): Promise<boolean> {
  return (await db.get('SELECT 1 FROM users WHERE is_admin = 1 LIMIT 1')) !== undefined;
}

/** Replaces a password hash only if it is still the one that was checked (a concurrent change of password wins). */
export async function replacePasswordHash(db: Db, id: number, oldHash: string, newHash: string): Promise<boolean> {
  return (await db.run('UPDATE users SET password_hash = ? WHERE id = ? AND password_hash = ?', [newHash, id, oldHash])).changes === 1;
}
