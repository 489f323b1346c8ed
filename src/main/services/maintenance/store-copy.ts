// `shelf store copy` (issue 17, "moving in and out"): copies a whole store — metadata and blobs — from a single-node data
// folder (SQLite + folder blobs) into team mode (PostgreSQL + S3 or a folder) and back.
//
// - The table list, columns, primary keys and foreign keys are read from the two live schemas, never from a list kept
//   here: a table a later migration adds is copied without this file knowing. Tables go parents first (foreign keys).
// - Ids are copied as they are; PostgreSQL identity sequences are moved past the copied ids afterwards.
// - Resumable: each table is copied in one target transaction that also records it as done in `shelf_store_copy`, so a
//   killed copy leaves whole tables or nothing, and a rerun skips the tables already done. Blobs are content-addressed:
//   those already in the target (and matching their sha512) are skipped.
// - The source is read inside one read-only transaction: the copy is of the store as it was when the copy started.
// - Verified: row counts of every source table against the target, and every referenced blob read back from the target
//   and checked against its sha512.
import { existsSync, mkdirSync, realpathSync } from 'node:fs';
import { join, resolve } from 'node:path';
import ssri from 'ssri';
import { ShelfError } from '../../errors';
import type { BlobStore } from '../../storage/blobs/blob-store';
import { openBlobStore, type S3Location } from '../../storage/blobs/open-blob-store';
import { allBlobReferences } from '../../storage/db/integrity-queries';
import { redactDatabaseUrl } from '../../storage/sql/database-url';
import type { MetadataDb } from '../../storage/sql/port';
import { openSqliteMetadata } from '../../storage/sql/sqlite';

/** The target's record of a copy in progress (never copied itself). */
export const PROGRESS_TABLE = 'shelf_store_copy';
/** Bookkeeping tables of each engine that are not store data. */
const NOT_COPIED = new Set(['shelf_schema', PROGRESS_TABLE]);
/** Rows read from the source per query. */
const PAGE_ROWS = 500;
/** Parameters per INSERT statement (well under both engines' limits). */
const PARAMS_PER_INSERT = 900;
/** Blobs copied at the same time. */
const BLOB_CONCURRENCY = 4;

export interface StoreCopyOptions {
  /** A postgres:// URL or a data folder. */
  from: string;
  to: string;
  /** The source's blob store when it is not the source data folder's (required for a PostgreSQL source). */
  fromBlobs?: S3Location;
  /** The target's blob store when it is not the target data folder's (required for a PostgreSQL target). */
  toBlobs?: S3Location;
  /** Called as work advances: tables then blobs. */
  progress?: (done: number, total: number, label: string) => void;
  /** Called after each table is committed on the target (the CLI's test hook stalls here to be killed mid-copy). */
  afterTable?: (table: string, index: number) => Promise<void>;
}

export interface TableCount {
  table: string;
  source: number;
  target: number;
  /** Skipped: a previous run of this copy had already committed it. */
  resumed: boolean;
}

export interface StoreCopyReport {
  from: string;
  to: string;
  fromBlobs: string;
  toBlobs: string;
  tables: TableCount[];
  blobs: { referenced: number; copied: number; alreadyThere: number; verified: number };
  /** What differs or failed; empty when the target is a verified copy. */
  problems: string[];
  ok: boolean;
}

interface TableShape {
  name: string;
  /** Columns with stored values (generated columns are left to the target to compute). */
  columns: string[];
  primaryKey: string[];
  references: string[];
}

interface End {
  db: MetadataDb;
  blobs: BlobStore;
  label: string;
  blobLabel: string;
}

const isDatabaseUrl = (value: string): boolean => /^postgres(ql)?:\/\//i.test(value);

export async function copyStore(options: StoreCopyOptions): Promise<StoreCopyReport> {
  const source = await openEnd(options.from, options.fromBlobs, 'source');
  let target: End | undefined;
  try {
    target = await openEnd(options.to, options.toBlobs, 'target');
    return await copyBetween(source, target, options);
  } finally {
    await source.db.close();
    await source.blobs.close();
    if (target) {
      await target.db.close();
      await target.blobs.close();
    }
  }
}

async function openEnd(where: string, blobs: S3Location | undefined, role: 'source' | 'target'): Promise<End> {
  if (isDatabaseUrl(where)) {
    if (!blobs)
      throw new ShelfError(
        'invalid_request',
        `a PostgreSQL ${role} needs its blob store: pass ${role === 'source' ? '--from-blobs' : '--blobs'} s3://bucket/prefix`,
      );
    let db: MetadataDb;
    try {
      const { PostgresMetadataDb } = await import('../../storage/sql/postgres');
      db = await PostgresMetadataDb.open(where, { max: 4 });
    } catch (error) {
      throw new ShelfError(
        'unavailable',
        `could not open the ${role} database ${redactDatabaseUrl(where)}: ${(error as Error).message}; check the URL and that the server accepts connections`,
        { cause: error },
      );
    }
    // A scratch folder is only used by the S3 adapter for its local bookkeeping; none is needed for a copy.
    const store = openBlobStore(resolve('.'), blobs);
    return { db, blobs: store, label: redactDatabaseUrl(where), blobLabel: store.location };
  }
  const dir = resolve(where);
  const file = join(dir, 'shelf.db');
  if (role === 'source' && !existsSync(file))
    throw new ShelfError('not_found', `${file} does not exist: --from must be a Shelf data folder or a postgres:// URL`);
  if (role === 'target') mkdirSync(dir, { recursive: true });
  const db = openSqliteMetadata(file);
  const store = openBlobStore(dir, blobs);
  return { db, blobs: store, label: realpathSync(dir), blobLabel: store.location };
}

async function copyBetween(source: End, target: End, options: StoreCopyOptions): Promise<StoreCopyReport> {
  if (source.label === target.label)
    throw new ShelfError('invalid_request', `the source and the target are the same store (${source.label})`);
  const sourceTables = await tableShapes(source.db);
  const targetTables = new Map((await tableShapes(target.db)).map((t) => [t.name, t]));
  // Every source table and column must have a place in the target: otherwise data would be left behind silently.
  for (const table of sourceTables) {
    const there = targetTables.get(table.name);
    const missing = there ? table.columns.filter((c) => !there.columns.includes(c)) : [];
    if (!there || missing.length > 0)
      throw new ShelfError(
        'conflict',
        `the target has no ${there ? `column(s) ${missing.join(', ')} in table ${table.name}` : `table ${table.name}`}: the two stores are at different schema versions; run the same Shelf version on both (start it once on each to migrate)`,
      );
  }

  await refuseForeignTarget(source, target, targetTables);
  await target.db.run(
    `CREATE TABLE IF NOT EXISTS ${PROGRESS_TABLE} (source TEXT NOT NULL, item TEXT NOT NULL, row_count BIGINT NOT NULL, PRIMARY KEY (source, item))`,
  );
  await target.db.run(`INSERT INTO ${PROGRESS_TABLE} (source, item, row_count) VALUES (?, '', 0) ON CONFLICT DO NOTHING`, [source.label]);
  const done = new Set(
    (await target.db.all<{ item: string }>(`SELECT item FROM ${PROGRESS_TABLE} WHERE source = ? AND item <> ''`, [source.label])).map(
      (r) => r.item,
    ),
  );

  const ordered = dependencyOrder(sourceTables);
  const counts: TableCount[] = [];
  // One snapshot of the source for the whole copy: what it held when the copy started.
  await source.db.transaction(
    async () => {
      for (const [index, table] of ordered.entries()) {
        options.progress?.(index, ordered.length, `table ${table.name}`);
        const sourceRows = await countRows(source.db, table.name);
        const resumed = done.has(table.name);
        if (!resumed) await copyTable(source.db, target.db, table, source.label);
        counts.push({ table: table.name, source: sourceRows, target: 0, resumed });
        if (!resumed) await options.afterTable?.(table.name, index);
      }
    },
    { readOnly: true },
  );
  options.progress?.(ordered.length, ordered.length, 'tables copied');
  if (target.db.dialect === 'postgres') await advanceSequences(target.db, ordered);

  const problems: string[] = [];
  for (const count of counts) {
    count.target = await countRows(target.db, count.table);
    if (count.target !== count.source)
      problems.push(`table ${count.table}: ${count.source} row(s) in the source, ${count.target} in the target`);
  }
  const blobs = await copyBlobs(source, target, options, problems);
  return {
    from: source.label,
    to: target.label,
    fromBlobs: source.blobLabel,
    toBlobs: target.blobLabel,
    tables: counts,
    blobs,
    problems,
    ok: problems.length === 0,
  };
}

/** A target with data is taken only when it is a partial (or finished) copy of this same source. */
async function refuseForeignTarget(source: End, target: End, targetTables: Map<string, TableShape>): Promise<void> {
  let filled: { table: string; rows: number } | undefined;
  for (const name of targetTables.keys()) {
    const rows = await countRows(target.db, name);
    if (rows > 0) {
      filled = { table: name, rows };
      break;
    }
  }
  if (!filled) return;
  const progress = await target.db.get<{ n: number }>(
    target.db.dialect === 'postgres'
      ? `SELECT count(*) AS n FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = ?`
      : `SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name = ?`,
    [PROGRESS_TABLE],
  );
  const ours =
    (progress?.n ?? 0) > 0 &&
    (await target.db.get(`SELECT 1 AS one FROM ${PROGRESS_TABLE} WHERE source = ? AND item = ''`, [source.label])) !== undefined;
  if (!ours)
    throw new ShelfError(
      'conflict',
      `the target ${target.label} is not empty (table ${filled.table} has ${filled.rows} row(s)) and is not a copy of ${source.label} in progress; copy into a new, empty database (CREATE DATABASE …) or a new data folder, or empty this one first. Nothing was written.`,
    );
}

async function tableShapes(db: MetadataDb): Promise<TableShape[]> {
  const shapes: TableShape[] = [];
  if (db.dialect === 'sqlite') {
    // pragma_table_list tells ordinary tables from FTS5 virtual tables and their shadow tables (the search index is
    // rebuilt by the target's own triggers from search_index, a plain table).
    const tables = await db.all<{ name: string }>(
      `SELECT name FROM pragma_table_list WHERE schema = 'main' AND type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`,
    );
    for (const { name } of tables) {
      if (NOT_COPIED.has(name)) continue;
      // hidden: 0 ordinary, 2/3 generated columns.
      const columns = await db.all<{ name: string; pk: number; hidden: number }>(
        'SELECT name, pk, hidden FROM pragma_table_xinfo(?) ORDER BY cid',
        [name],
      );
      const references = await db.all<{ table: string }>('SELECT DISTINCT "table" AS "table" FROM pragma_foreign_key_list(?)', [name]);
      shapes.push({
        name,
        columns: columns.filter((c) => c.hidden === 0).map((c) => c.name),
        primaryKey: columns
          .filter((c) => c.pk > 0)
          .sort((a, b) => a.pk - b.pk)
          .map((c) => c.name),
        references: references.map((r) => r.table),
      });
    }
    return shapes;
  }
  const tables = await db.all<{ name: string }>(
    `SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name`,
  );
  for (const { name } of tables) {
    if (NOT_COPIED.has(name)) continue;
    const columns = await db.all<{ name: string; generated: string }>(
      `SELECT column_name AS name, is_generated AS generated FROM information_schema.columns
        WHERE table_schema = current_schema() AND table_name = ? ORDER BY ordinal_position`,
      [name],
    );
    const primaryKey = await db.all<{ name: string }>(
      `SELECT a.attname AS name FROM pg_index i
         JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
        WHERE i.indrelid = to_regclass(?) AND i.indisprimary ORDER BY array_position(i.indkey, a.attnum)`,
      [quote(name)],
    );
    const references = await db.all<{ table: string }>(
      `SELECT DISTINCT r.relname AS table FROM pg_constraint c JOIN pg_class r ON r.oid = c.confrelid
        WHERE c.contype = 'f' AND c.conrelid = to_regclass(?)`,
      [quote(name)],
    );
    shapes.push({
      name,
      columns: columns.filter((c) => c.generated !== 'ALWAYS').map((c) => c.name),
      primaryKey: primaryKey.map((c) => c.name),
      references: references.map((r) => r.table),
    });
  }
  return shapes;
}

/** Parents before children (foreign keys); a cycle, should one appear, falls back to name order for what remains. */
function dependencyOrder(tables: TableShape[]): TableShape[] {
  const byName = new Map(tables.map((t) => [t.name, t]));
  const ordered: TableShape[] = [];
  const placed = new Set<string>();
  const remaining = [...tables];
  while (remaining.length > 0) {
    const ready = remaining.findIndex((t) => t.references.every((r) => r === t.name || placed.has(r) || !byName.has(r)));
    const [next] = remaining.splice(ready >= 0 ? ready : 0, 1);
    ordered.push(next!);
    placed.add(next!.name);
  }
  return ordered;
}

async function copyTable(from: MetadataDb, to: MetadataDb, table: TableShape, sourceLabel: string): Promise<void> {
  const columnList = table.columns.map(quote).join(', ');
  // A stable order to page by: the primary key, else the engine's row address (stable inside the source snapshot).
  const orderBy = table.primaryKey.length > 0 ? table.primaryKey.map(quote).join(', ') : from.dialect === 'sqlite' ? 'rowid' : 'ctid';
  const perInsert = Math.max(1, Math.floor(PARAMS_PER_INSERT / table.columns.length));
  const rowPlaceholders = `(${table.columns.map(() => '?').join(', ')})`;
  await to.transaction(async () => {
    for (let offset = 0; ; offset += PAGE_ROWS) {
      const rows = await from.all<Record<string, unknown>>(
        `SELECT ${columnList} FROM ${quote(table.name)} ORDER BY ${orderBy} LIMIT ? OFFSET ?`,
        [PAGE_ROWS, offset],
      );
      for (let start = 0; start < rows.length; start += perInsert) {
        const chunk = rows.slice(start, start + perInsert);
        const values = chunk.flatMap((row) => table.columns.map((column) => portable(row[column], to.dialect)));
        await to.run(
          `INSERT INTO ${quote(table.name)} (${columnList}) VALUES ${chunk.map(() => rowPlaceholders).join(', ')} ON CONFLICT DO NOTHING`,
          values,
        );
      }
      if (rows.length < PAGE_ROWS) break;
    }
    await to.run(`INSERT INTO ${PROGRESS_TABLE} (source, item, row_count) VALUES (?, ?, 0) ON CONFLICT DO NOTHING`, [
      sourceLabel,
      table.name,
    ]);
  });
}

/** A value one engine returned, in a form the other takes (better-sqlite3 refuses booleans, dates and objects). */
function portable(value: unknown, dialect: MetadataDb['dialect']): unknown {
  if (value === null || value === undefined || Buffer.isBuffer(value)) return value ?? null;
  if (typeof value === 'boolean') return dialect === 'sqlite' ? (value ? 1 : 0) : value;
  if (typeof value === 'bigint') return Number(value);
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Uint8Array) return Buffer.from(value);
  if (typeof value === 'object') return JSON.stringify(value);
  return value;
}

/** Identity columns got explicit ids: their sequences must start after the largest one, or the next insert collides. */
async function advanceSequences(db: MetadataDb, tables: TableShape[]): Promise<void> {
  for (const table of tables) {
    const identities = await db.all<{ name: string }>(
      `SELECT column_name AS name FROM information_schema.columns
        WHERE table_schema = current_schema() AND table_name = ? AND (is_identity = 'YES' OR column_default LIKE 'nextval(%')`,
      [table.name],
    );
    for (const { name } of identities)
      await db.get(
        `SELECT setval(pg_get_serial_sequence(?, ?), (SELECT coalesce(max(${quote(name)}), 0) + 1 FROM ${quote(table.name)}), false) AS v`,
        [quote(table.name), name],
      );
  }
}

async function copyBlobs(source: End, target: End, options: StoreCopyOptions, problems: string[]): Promise<StoreCopyReport['blobs']> {
  const references = await allBlobReferences(source.db);
  const byIntegrity = new Map<string, string>();
  for (const ref of references) if (!byIntegrity.has(ref.integrity)) byIntegrity.set(ref.integrity, `${ref.name}@${ref.version}`);
  const integrities = [...byIntegrity.keys()];
  const result = { referenced: integrities.length, copied: 0, alreadyThere: 0, verified: 0 };
  let next = 0;
  let finished = 0;
  const worker = async (): Promise<void> => {
    while (next < integrities.length) {
      const integrity = integrities[next++]!;
      const what = byIntegrity.get(integrity)!;
      try {
        const present = await target.blobs.read(integrity);
        if (present && ssri.checkData(present, integrity)) {
          result.alreadyThere++;
          result.verified++;
        } else {
          const bytes = await source.blobs.read(integrity);
          if (!bytes) problems.push(`tarball of ${what} is missing from the source blob store (run shelf fsck on the source)`);
          else if (!ssri.checkData(bytes, integrity))
            problems.push(`tarball of ${what} in the source does not match its sha512 (run shelf fsck on the source)`);
          else {
            await target.blobs.put(integrity, bytes);
            result.copied++;
            const written = await target.blobs.read(integrity);
            if (written && ssri.checkData(written, integrity)) result.verified++;
            else problems.push(`tarball of ${what} read back from the target does not match its sha512`);
          }
        }
      } catch (error) {
        problems.push(`tarball of ${what}: ${(error as Error).message}`);
      }
      options.progress?.(++finished, integrities.length, 'tarballs');
    }
  };
  await Promise.all(Array.from({ length: BLOB_CONCURRENCY }, worker));
  return result;
}

async function countRows(db: MetadataDb, table: string): Promise<number> {
  return (await db.get<{ n: number }>(`SELECT count(*) AS n FROM ${quote(table)}`))?.n ?? 0;
}

function quote(identifier: string): string {
  return `"${identifier.replace(/"/g, '""')}"`;
}
