// The users table: accounts that can sign in and own packages.
import type { Db } from './connection';

export interface UserRow {
  id: number;
  name: string;
  email: string | null;
  password_hash: string;
  is_admin: number;
  created_at: string;
}

export function findUserByName(db: Db, name: string): UserRow | undefined {
  return db.prepare('SELECT * FROM users WHERE name = ?').get(name) as UserRow | undefined;
}

export function findUserById(db: Db, id: number): UserRow | undefined {
  return db.prepare('SELECT * FROM users WHERE id = ?').get(id) as UserRow | undefined;
}

export function insertUser(
  db: Db,
  user: { name: string; email: string | null; passwordHash: string; isAdmin: boolean; createdAt: string },
): UserRow {
  const info = db
    .prepare('INSERT INTO users (name, email, password_hash, is_admin, created_at) VALUES (?, ?, ?, ?, ?)')
    .run(user.name, user.email, user.passwordHash, user.isAdmin ? 1 : 0, user.createdAt);
  return findUserById(db, Number(info.lastInsertRowid))!;
}

export function countUsers(db: Db): number {
  return (db.prepare('SELECT count(*) AS n FROM users').get() as { n: number }).n;
}

export function hasAdmin(db: Db): boolean {
  return db.prepare('SELECT 1 FROM users WHERE is_admin = 1 LIMIT 1').get() !== undefined;
}

/** Replaces a password hash only if it is still the one that was checked (a concurrent change of password wins). */
export function replacePasswordHash(db: Db, id: number, oldHash: string, newHash: string): boolean {
  return db.prepare('UPDATE users SET password_hash = ? WHERE id = ? AND password_hash = ?').run(newHash, id, oldHash).changes === 1;
}
