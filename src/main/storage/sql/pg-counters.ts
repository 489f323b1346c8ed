// The shared counters' SQL on PostgreSQL (storage/db/counters.ts), straight on the adapter's pool rather than through
// MetadataDb: a write there moves generation(), and a counter written on every /api/v1 request would then drop this
// node's in-memory packuments each time (the counter tables also send no shelf_changes; see postgres/migrations.ts).
// Loaded only on PostgreSQL.
import type { CounterSql } from '../db/counters';
import type { SqlExecutor, SqlParams } from './port';
import { translatePlaceholders, type PostgresMetadataDb } from './postgres';
import type pg from 'pg';

export function pgCounterSql(db: PostgresMetadataDb): CounterSql {
  const translations = new Map<string, string>();
  const text = (sql: string) => {
    let translated = translations.get(sql);
    if (translated === undefined) {
      // Counter statements come from a handful of fixed texts, so this map stays small.
      translated = translatePlaceholders(sql).text;
      translations.set(sql, translated);
    }
    return translated;
  };
  const over = (run: (text: string, values: unknown[]) => Promise<pg.QueryResult>): SqlExecutor => ({
    dialect: 'postgres',
    get: async <T>(sql: string, params?: SqlParams) => (await run(text(sql), positional(params))).rows[0] as T | undefined,
    all: async <T>(sql: string, params?: SqlParams) => (await run(text(sql), positional(params))).rows as T[],
    run: async (sql: string, params?: SqlParams) => ({ changes: (await run(text(sql), positional(params))).rowCount ?? 0 }),
  });
  const pool = over((sql, values) => db.pool.query(sql, values));
  return {
    ...pool,
    async locked(keys, fn) {
      const client = await db.pool.connect();
      let broken = false;
      try {
        await client.query('BEGIN');
        try {
          // Sorted, so two nodes locking the same pair of keys cannot deadlock; released at COMMIT or ROLLBACK.
          await client.query('SELECT pg_advisory_xact_lock(hashtextextended(k, 17)) FROM unnest($1::text[]) AS k ORDER BY k', [
            [...new Set(keys)].sort(),
          ]);
          const result = await fn(over((sql, values) => client.query(sql, values)));
          await client.query('COMMIT');
          return result;
        } catch (error) {
          await client.query('ROLLBACK').catch(() => (broken = true));
          throw error;
        }
      } finally {
        client.release(broken);
      }
    },
  };
}

function positional(params: SqlParams | undefined): unknown[] {
  if (params === undefined) return [];
  if (!Array.isArray(params)) throw new Error('the counters use positional parameters only');
  return params as unknown[];
}
