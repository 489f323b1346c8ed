// Search on PostgreSQL answers as on SQLite: the same data in both stores, the same queries through the two modules'
// identical functions, the same counts, key orders and final ranking (exact name first, then relevance × popularity ×
// recency, the same tie-breaks).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/main/storage/db/connection';
import * as lite from '../../src/main/storage/db/search';
import { PostgresMetadataDb } from '../../src/main/storage/sql/postgres';
import * as pgs from '../../src/main/storage/postgres/search';
import { SqliteMetadataDb } from '../../src/main/storage/sql/sqlite';
import type { SqlExecutor } from '../../src/main/storage/sql/port';
import { freshDatabase, type FreshDatabase } from './pg';

const NOW = Date.parse('2026-06-01T00:00:00.000Z');
const DAY = 86_400_000;

/** One seed, run as the same SQL on both stores. */
function seed(): { sql: string; params: unknown[] }[] {
  const statements: { sql: string; params: unknown[] }[] = [];
  const add = (sql: string, ...params: unknown[]) => statements.push({ sql, params });
  add("INSERT INTO users (id, name, password_hash, created_at) VALUES (1, 'ann', 'x', '2026-01-01T00:00:00.000Z')");
  add("INSERT INTO users (id, name, password_hash, created_at) VALUES (2, 'bob', 'x', '2026-01-01T00:00:00.000Z')");
  const pkg = (
    id: number,
    name: string,
    description: string,
    o: { days: number; downloads: number; access?: string; author?: string; keywords?: string; maintainer?: string; unlisted?: boolean },
  ) => {
    const at = new Date(NOW - o.days * DAY).toISOString();
    add(
      'INSERT INTO packages (id, name, access, rev, created_at, modified_at) VALUES (?, ?, ?, ?, ?, ?)',
      id,
      name,
      o.access ?? 'public',
      '1-a',
      at,
      at,
    );
    add('INSERT INTO maintainers (package_id, user_id) VALUES (?, ?)', id, o.maintainer === 'bob' ? 2 : 1);
    add(
      'INSERT INTO search_index (package_id, name, description, keywords, author, maintainers, readme) VALUES (?, ?, ?, ?, ?, ?, ?)',
      id,
      name,
      description,
      o.keywords ?? '',
      o.author ?? 'ann',
      o.maintainer ?? 'ann',
      '',
    );
    add('UPDATE package_downloads SET total = ?, popularity = ? WHERE package_id = ?', o.downloads, Math.log(o.downloads + 1), id);
    if (o.unlisted) add('INSERT INTO unlisted_packages (package_id) VALUES (?)', id);
  };
  // The same shape of text for every widget-N, so relevance ties and popularity, recency and id decide.
  for (let i = 0; i < 24; i++)
    pkg(10 + i, `widget-${i}`, `component number ${i}`, {
      days: (i * 7) % 40,
      downloads: [0, 3, 40, 500, 9000][i % 5]!,
      keywords: i % 3 === 0 ? 'ui forms' : 'ui extra',
    });
  pkg(50, 'widget', 'the widget', { days: 300, downloads: 0 });
  pkg(51, 'widgetry', 'tools for building', { days: 2, downloads: 20 });
  pkg(52, 'gadget', 'works with any widget', { days: 60, downloads: 0 });
  pkg(53, 'secret-widget', 'internal component', { days: 3, downloads: 100, access: 'restricted', maintainer: 'bob' });
  pkg(54, 'yanked-widget', 'every version yanked', { days: 3, downloads: 100, unlisted: true });
  pkg(55, 'authored', 'by someone else', { days: 61, downloads: 0, author: 'carol widget' });
  return statements;
}

let sqliteDir: string;
let sqliteDb: SqliteMetadataDb;
let pgDb: PostgresMetadataDb;
let database: FreshDatabase;

beforeAll(async () => {
  sqliteDir = mkdtempSync(join(tmpdir(), 'shelf-search-'));
  sqliteDb = new SqliteMetadataDb(openDatabase(join(sqliteDir, 'shelf.db')));
  database = await freshDatabase('search');
  // The real adapter: its parameter translation meets every query shape the search module writes.
  pgDb = await PostgresMetadataDb.open(database.url);
  for (const { sql, params } of seed()) {
    await sqliteDb.run(sql, params);
    await pgDb.run(sql, params);
  }
});
afterAll(async () => {
  await sqliteDb?.close();
  rmSync(sqliteDir, { recursive: true, force: true });
  await pgDb?.close();
  await database?.drop();
});

type Module = typeof lite;
const both = async <T>(fn: (m: Module, db: SqlExecutor) => Promise<T>): Promise<[T, T]> => [
  await fn(lite, sqliteDb),
  await fn(pgs as unknown as Module, pgDb),
];

const scopes: lite.MatchScope[] = [
  { match: '"widget"*', restricted: 'none' },
  { match: '"widget"', restricted: 'none' },
  { match: '"widget"*', restricted: 'all' },
  { match: '"widget"*', restricted: { maintainedBy: 2 } },
  { match: '"widget"*', restricted: { maintainedBy: 1 } },
  { match: '("component" OR "tools")', restricted: 'none' },
  { match: '"widget"* AND keywords : ("forms")', restricted: 'none' },
  { match: 'author : "carol"', restricted: 'none' },
  { match: '("widget"*) NOT ("component")', restricted: 'all' },
  { match: '"component number"', restricted: 'none' },
  { match: '"widget"*', restricted: 'none', namePrefix: 'widget-1' },
];

/** The search service's relevance order over the whole match (no window): exact name, then exact score, tie-breaks. */
async function ranked(m: Module, db: SqlExecutor, scope: lite.MatchScope, exactName: string): Promise<string[]> {
  const ranges = m.keyRanges(scope);
  const counts = await m.countMatches(db, scope, ranges);
  const total = counts.reduce((a, b) => a + b, 0);
  const rows = await m.contenders(
    db,
    scope,
    ranges,
    counts.map(() => undefined),
    NOW / DAY,
    total,
    total,
  );
  const info = new Map(
    (
      await m.rankingRows(
        db,
        rows.map((r) => r.id),
      )
    ).map((r) => [r.id, r]),
  );
  const exactId = await m.packageIdByLowerName(db, exactName);
  const score = (r: { id: number; relevance: number }) => {
    const row = info.get(r.id)!;
    const age = Math.max(0, (NOW - Date.parse(row.modified_at)) / DAY);
    return r.relevance * (1 + m.BOOST.popularity * row.popularity) * (1 + m.BOOST.recency / (1 + age / m.BOOST.recencyDays));
  };
  const sorted = rows
    .map((r) => ({ ...r, rank: score(r), modified: info.get(r.id)!.modified_at }))
    .sort((a, b) =>
      a.id === exactId ? -1 : b.id === exactId ? 1 : a.rank - b.rank || b.modified.localeCompare(a.modified) || b.id - a.id,
    );
  return sorted.map((r) => info.get(r.id)!.name);
}

describe('search on PostgreSQL matches SQLite', () => {
  it('counts the same matches for every query shape (prefix, phrase, OR, qualifiers, NOT, restricted, scope prefix)', async () => {
    for (const scope of scopes) {
      const [a, b] = await both((m, db) => m.countMatches(db, scope, m.keyRanges(scope)));
      expect(b, scope.match).toEqual(a);
    }
    // And the cases are not vacuous: public widgets are 24 + widget + widgetry + gadget + authored (author "carol widget").
    const [counts] = await both((m, db) => m.countMatches(db, scopes[0]!, m.keyRanges(scopes[0]!)));
    expect(counts).toEqual([28]);
  });

  it('lists matches in the same key order (popularity, recency, id), by name and newest first', async () => {
    for (const scope of scopes) {
      const ranges = lite.keyRanges(scope);
      for (const [i, range] of ranges.entries()) {
        const [a, b] = await both((m, db) => m.inKeyOrder(db, scope, range, 0, -1, 0, 100));
        expect(
          b.map((r) => r.id),
          `${scope.match} range ${i}`,
        ).toEqual(a.map((r) => r.id));
        const [sa, sb] = await both((m, db) => m.inKeyOrder(db, scope, range, 3, -1, 1, 5));
        expect(sb.map((r) => r.id)).toEqual(sa.map((r) => r.id));
      }
      for (const order of ['name', 'newest'] as const) {
        const [a, b] = await both((m, db) => m.idsInPackageOrder(db, scope, m.keyRanges(scope), order, 0, 100));
        expect(b, `${scope.match} by ${order}`).toEqual(a);
      }
    }
  });

  // Relevance itself is bm25 on SQLite and ts_rank here: equal text ranks equal on both, so the order below comes from
  // the shared rules (exact name, column weights, popularity, recency, tie-breaks). Prefix matches of different words
  // are left out of the order check: bm25 weighs a rarer word higher, ts_rank does not.
  it('picks the same download candidates and the same relevance order, exact name first', async () => {
    for (const scope of scopes) {
      const ranges = lite.keyRanges(scope);
      const counts = await lite.countMatches(sqliteDb, scope, ranges);
      const [a, b] = await both((m, db) => m.downloadCandidates(db, scope, ranges, counts, 4, 50));
      expect(b.taken).toEqual(a.taken);
      expect(b.candidates.map((r) => r.id)).toEqual(a.candidates.map((r) => r.id));
    }
    for (const [query, exact] of [
      [scopes[1]!, 'widget'],
      [{ ...scopes[1]!, restricted: 'all' }, 'widget'],
      [{ match: '"component"', restricted: 'all' }, 'component'],
      [{ match: '"widget" AND keywords : ("forms")', restricted: 'none' }, 'widget'],
    ] as const) {
      const [a, b] = await both((m, db) => ranked(m, db, query, exact));
      expect(b, query.match).toEqual(a);
      expect(a.length).toBeGreaterThan(0);
    }
    const [order] = await both((m, db) => ranked(m, db, scopes[1]!, 'widget'));
    expect(order[0]).toBe('widget');
    // A description match ranks below every name match, an author match below that.
    expect(order.slice(-2)).toEqual(['gadget', 'authored']);
  });

  it('finds the words that start with a prefix, with their row counts', async () => {
    const [a, b] = await both((m, db) => m.termsWithPrefix(db, 'widget', 16));
    expect(b).toEqual(a);
    expect(a!.map((t) => t.term)).toContain('widgetry');
    const [none] = await both((m, db) => m.termsWithPrefix(db, 'w', 1));
    expect(none).toBeUndefined();
    const [x, y] = await both((m, db) => m.relevanceOf(db, scopes[0]!, m.keyRanges(scopes[0]!), 50));
    expect(y?.range).toBe(x?.range);
    expect(y!.relevance).toBeLessThan(0);
  });

  it("spells the service's listing SQL for PostgreSQL: the same boost as SQLite's, the same joins", async () => {
    const now = new Date(NOW).toISOString();
    const liteBoost = `(1.0 + ${lite.BOOST.popularity} * coalesce(d.popularity, 0)) * (1.0 + ${lite.BOOST.recency} / (1.0 + max(0.0, julianday(@now) - julianday(p.modified_at)) / ${lite.BOOST.recencyDays}.0))`;
    const query = (boost: string, from: string) =>
      `SELECT p.name, ${boost} AS boost FROM ${from} WHERE p.access = 'public' ORDER BY d.total DESC, d.package_id DESC LIMIT 8`;
    const a = await sqliteDb.all<{ name: string; boost: number }>(
      query(liteBoost, 'package_downloads d CROSS JOIN packages p ON p.id = d.package_id'),
      { now },
    );
    const b = await pgDb.all<{ name: string; boost: number }>(query(pgs.LISTING_BOOST_SQL, pgs.LISTING_BY_POPULARITY_FROM), { now });
    expect(b.map((r) => r.name)).toEqual(a.map((r) => r.name));
    b.forEach((row, i) => expect(Number(row.boost)).toBeCloseTo(a[i]!.boost, 9));
    const ids = [52, 10, 50];
    const page = await pgDb.all<{ name: string }>(`SELECT p.name FROM ${pgs.PACKAGES_BY_IDS_FROM} ORDER BY j.n`, [JSON.stringify(ids)]);
    expect(page.map((r) => r.name)).toEqual(['gadget', 'widget-0', 'widget']);
  });

  it('takes any text the service quotes: quotes, apostrophes, backslashes and symbols are data, never syntax', async () => {
    for (const match of [
      `"o'reilly"*`,
      `"back\\slash"*`,
      `"say ""hi"""`,
      `"c++"`,
      `"'); DROP TABLE packages; --"*`,
      `keywords : ("ui" OR "forms")`,
      `("widget"*) NOT ("component" OR (author : "carol"))`,
    ]) {
      const scope: lite.MatchScope = { match, restricted: 'all' };
      const [a, b] = await both((m, db) => m.countMatches(db, scope, m.keyRanges(scope)));
      expect(b, match).toEqual(a);
    }
    const [counts] = await both((m, db) =>
      m.countMatches(db, { match: '"widget"*', restricted: 'all' }, m.keyRanges({ match: '"widget"*', restricted: 'all' })),
    );
    expect(counts.reduce((x, y) => x + y, 0)).toBeGreaterThan(20);
    expect(() => pgs.ftsMatch('("unbalanced"')).toThrow(/unbalanced parentheses|ends early/);
  });
});
