// The token_api_scopes table: the scope list a token was created with through the API (e.g. ["read", "yank"]).
import type { Db } from './connection';

export function setTokenScopes(db: Db, tokenId: number, scopes: readonly string[]): void {
  db.prepare('INSERT OR REPLACE INTO token_api_scopes (token_id, scopes) VALUES (?, ?)').run(tokenId, JSON.stringify(scopes));
}

/** The API scopes of a token, by its public key; undefined for tokens made by npm or by login. */
export function tokenScopesByKey(db: Db, key: string): string[] | undefined {
  const row = db.prepare('SELECT s.scopes FROM token_api_scopes s JOIN tokens t ON t.id = s.token_id WHERE t.key = ?').get(key) as
    { scopes: string } | undefined;
  return row && (JSON.parse(row.scopes) as string[]);
}

export function tokenIdByKey(db: Db, key: string): number | undefined {
  return (db.prepare('SELECT id FROM tokens WHERE key = ?').get(key) as { id: number } | undefined)?.id;
}
