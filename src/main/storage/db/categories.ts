// The package_categories table: the categories a package's publisher filed it under.
import type { Db } from './connection';

export function setCategories(db: Db, packageId: number, categories: readonly string[]): void {
  db.prepare('DELETE FROM package_categories WHERE package_id = ?').run(packageId);
  const insert = db.prepare('INSERT OR IGNORE INTO package_categories (package_id, category) VALUES (?, ?)');
  for (const category of categories) insert.run(packageId, category);
}

export function categoriesOf(db: Db, packageId: number): string[] {
  return (
    db.prepare('SELECT category FROM package_categories WHERE package_id = ? ORDER BY category').all(packageId) as { category: string }[]
  ).map((r) => r.category);
}

export function listCategoryCounts(db: Db): { category: string; count: number }[] {
  return db.prepare('SELECT category, count(*) AS count FROM package_categories GROUP BY category ORDER BY category').all() as {
    category: string;
    count: number;
  }[];
}
