// The package_categories table: the categories a package's publisher filed it under.
import type { SqlExecutor as Db } from '../sql/port';

export async function setCategories(db: Db, packageId: number, categories: readonly string[]): Promise<void> {
  await db.run('DELETE FROM package_categories WHERE package_id = ?', [packageId]);
  for (const category of categories) {
    await db.run('INSERT INTO package_categories (package_id, category) VALUES (?, ?) ON CONFLICT DO NOTHING', [packageId, category]);
  }
}

export async function categoriesOf(db: Db, packageId: number): Promise<string[]> {
  return (
    (await db.all('SELECT category FROM package_categories WHERE package_id = ? ORDER BY category', [packageId])) as { category: string }[]
  ).map((r) => r.category);
}

export async function listCategoryCounts(db: Db): Promise<{ category: string; count: number }[]> {
  return (await db.all('SELECT category, count(*) AS count FROM package_categories GROUP BY category ORDER BY category')) as {
    category: string;
    count: number;
  }[];
}
