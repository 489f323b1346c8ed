// The token_api_scopes table: the scope list a token was created with through the API (e.g. ["read", "yank"]).
import type { SqlExecutor as Db } from '../sql/port';

export async function setTokenScopes(db: Db, tokenId: number, scopes: readonly string[]): Promise<void> {
  await db.run(
    'INSERT INTO token_api_scopes (token_id, scopes) VALUES (?, ?) ON CONFLICT (token_id) DO UPDATE SET scopes = excluded.scopes',
    [tokenId, JSON.stringify(scopes)],
  );
}

/** The API scopes of a token, by its public key; undefined for tokens made by npm or by login. */
export async function tokenScopesByKey(db: Db, key: string): Promise<string[] | undefined> {
  const row = (await db.get('SELECT s.scopes FROM token_api_scopes s JOIN tokens t ON t.id = s.token_id WHERE t.key = ?', [key])) as
    { scopes: string } | undefined;
  return row && (JSON.parse(row.scopes) as string[]);
}

export async function tokenIdByKey(db: Db, key: string): Promise<number | undefined> {
  return ((await db.get('SELECT id FROM tokens WHERE key = ?', [key])) as { id: number } | undefined)?.id;
}
