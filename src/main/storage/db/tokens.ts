// The tokens table: API tokens, stored only as a hash of their secret.
import type { SqlExecutor as Db } from '../sql/port';

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

export async function insertToken(db: Db, row: Omit<TokenRow, 'id' | 'last_used_at'>): Promise<TokenRow> {
  return (await db.get(
    `INSERT INTO tokens (key, user_id, secret_hash, prefix, last4, name, scope, cidr_whitelist, created_at, updated_at, expires_at)
       VALUES (@key, @user_id, @secret_hash, @prefix, @last4, @name, @scope, @cidr_whitelist, @created_at, @updated_at, @expires_at)
       RETURNING *`,
    row,
  )) as TokenRow;
}

export async function findTokenByHash(db: Db, secretHash: string): Promise<TokenRow | undefined> {
  return (await db.get('SELECT * FROM tokens WHERE secret_hash = ?', [secretHash])) as TokenRow | undefined;
}

export async function findTokenByKey(db: Db, key: string): Promise<TokenRow | undefined> {
  return (await db.get('SELECT * FROM tokens WHERE key = ?', [key])) as TokenRow | undefined;
}

export async function listTokensOfUser(db: Db, userId: number): Promise<TokenRow[]> {
  return (await db.all('SELECT * FROM tokens WHERE user_id = ? ORDER BY id', [userId])) as TokenRow[];
}

export async function deleteToken(db: Db, id: number): Promise<void> {
  await db.run('DELETE FROM tokens WHERE id = ?', [id]);
}

export async function touchToken(db: Db, id: number, at: string): Promise<void> {
  await db.run('UPDATE tokens SET last_used_at = ? WHERE id = ?', [at, id]);
}
