// The settings table: small facts the registry keeps about itself (such as the hash of the pending setup token).
import type { SqlExecutor as Db } from '../sql/port';

export async function getSetting(db: Db, key: string): Promise<string | undefined> {
  return ((await db.get('SELECT value FROM settings WHERE key = ?', [key])) as { value: string } | undefined)?.value;
}

export async function setSetting(db: Db, key: string, value: string): Promise<void> {
  await db.run('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value', [key, value]);
}

export async function deleteSetting(db: Db, key: string): Promise<void> {
  await db.run('DELETE FROM settings WHERE key = ?', [key]);
}
