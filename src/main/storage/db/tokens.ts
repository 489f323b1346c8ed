// The tokens table: API tokens, stored only as a hash of their secret.
import type { Db } from './connection';

export type TokenScope = 'read' | 'publish' | 'admin';

export interface TokenRow {
  id: number;
  key: string;
  user_id: number;
  secret_hash: string;
  prefix: string;
  last4: string | null;
  name: string | null;
  scope: TokenScope;
  cidr_whitelist: string;
  created_at: string;
  updated_at: string;
  expires_at: string | null;
  last_used_at: string | null;
}

export function insertToken(db: Db, row: Omit<TokenRow, 'id' | 'last_used_at'>): TokenRow {
  const info = db
    .prepare(
      `INSERT INTO tokens (key, user_id, secret_hash, prefix, last4, name, scope, cidr_whitelist, created_at, updated_at, expires_at)
       VALUES (@key, @user_id, @secret_hash, @prefix, @last4, @name, @scope, @cidr_whitelist, @created_at, @updated_at, @expires_at)`,
    )
    .run(row);
  return db.prepare('SELECT * FROM tokens WHERE id = ?').get(Number(info.lastInsertRowid)) as TokenRow;
}

export function findTokenByHash(db: Db, secretHash: string): TokenRow | undefined {
  return db.prepare('SELECT * FROM tokens WHERE secret_hash = ?').get(secretHash) as TokenRow | undefined;
}

export function findTokenByKey(db: Db, key: string): TokenRow | undefined {
  return db.prepare('SELECT * FROM tokens WHERE key = ?').get(key) as TokenRow | undefined;
}

export function listTokensOfUser(db: Db, userId: number): TokenRow[] {
  return db.prepare('SELECT * FROM tokens WHERE user_id = ? ORDER BY id').all(userId) as TokenRow[];
}

export function deleteToken(db: Db, id: number): void {
  db.prepare('DELETE FROM tokens WHERE id = ?').run(id);
}

export function touchToken(db: Db, id: number, at: string): void {
  db.prepare('UPDATE tokens SET last_used_at = ? WHERE id = ?').run(at, id);
}
