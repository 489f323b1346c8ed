// Numbered schema migrations, applied in order at start; PRAGMA user_version records the last one applied.
import type Database from 'better-sqlite3';

/** Append only: never edit a migration that has shipped, add a new one. */
export const MIGRATIONS: readonly { version: number; name: string; sql: string }[] = [
  {
    version: 1,
    name: 'initial schema',
    sql: `
      CREATE TABLE users (
        id            INTEGER PRIMARY KEY,
        name          TEXT NOT NULL UNIQUE COLLATE NOCASE,
        email         TEXT,
        password_hash TEXT NOT NULL,
        is_admin      INTEGER NOT NULL DEFAULT 0,
        created_at    TEXT NOT NULL
      );

      CREATE TABLE tokens (
        id             INTEGER PRIMARY KEY,
        key            TEXT NOT NULL UNIQUE,
        user_id        INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        secret_hash    TEXT NOT NULL UNIQUE,
        prefix         TEXT NOT NULL,
        name           TEXT,
        scope          TEXT NOT NULL CHECK (scope IN ('read', 'publish', 'admin')),
        cidr_whitelist TEXT NOT NULL DEFAULT '[]',
        created_at     TEXT NOT NULL,
        updated_at     TEXT NOT NULL,
        expires_at     TEXT,
        last_used_at   TEXT
      );
      CREATE INDEX tokens_by_user ON tokens(user_id);

      CREATE TABLE packages (
        id          INTEGER PRIMARY KEY,
        name        TEXT NOT NULL UNIQUE,
        access      TEXT NOT NULL DEFAULT 'public' CHECK (access IN ('public', 'restricted')),
        rev         TEXT NOT NULL,
        created_at  TEXT NOT NULL,
        modified_at TEXT NOT NULL,
        readme      TEXT NOT NULL DEFAULT ''
      );

      CREATE TABLE versions (
        id           INTEGER PRIMARY KEY,
        package_id   INTEGER NOT NULL REFERENCES packages(id) ON DELETE CASCADE,
        version      TEXT NOT NULL,
        manifest     TEXT NOT NULL,
        integrity    TEXT NOT NULL,
        shasum       TEXT NOT NULL,
        tarball_size INTEGER NOT NULL,
        deprecated   TEXT,
        published_at TEXT NOT NULL,
        published_by INTEGER REFERENCES users(id) ON DELETE SET NULL,
        UNIQUE (package_id, version)
      );
      CREATE INDEX versions_by_integrity ON versions(integrity);

      CREATE TABLE dist_tags (
        package_id INTEGER NOT NULL REFERENCES packages(id) ON DELETE CASCADE,
        tag        TEXT NOT NULL,
        version    TEXT NOT NULL,
        PRIMARY KEY (package_id, tag)
      );

      CREATE TABLE maintainers (
        package_id INTEGER NOT NULL REFERENCES packages(id) ON DELETE CASCADE,
        user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        PRIMARY KEY (package_id, user_id)
      );

      -- Versions that once existed: npm forbids publishing them again, even after an unpublish.
      CREATE TABLE retired_versions (
        package_name TEXT NOT NULL,
        version      TEXT NOT NULL,
        retired_at   TEXT NOT NULL,
        PRIMARY KEY (package_name, version)
      );

      -- Packuments rendered once per change; reads send these bytes as they are.
      CREATE TABLE packuments (
        package_id  INTEGER PRIMARY KEY REFERENCES packages(id) ON DELETE CASCADE,
        base_url    TEXT NOT NULL,
        full_json   BLOB NOT NULL,
        full_gzip   BLOB NOT NULL,
        full_etag   TEXT NOT NULL,
        abbrev_json BLOB NOT NULL,
        abbrev_gzip BLOB NOT NULL,
        abbrev_etag TEXT NOT NULL
      );

      CREATE VIRTUAL TABLE search_index USING fts5(
        name, description, keywords, author, maintainers, readme,
        tokenize = "unicode61 tokenchars '-_.@/'"
      );

      CREATE TABLE settings (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
      );
    `,
  },
];

export function migrate(db: Database.Database): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  const latest = MIGRATIONS[MIGRATIONS.length - 1]?.version ?? 0;
  if (current > latest) {
    throw new Error(
      `this data folder was written by a newer Shelf (schema ${current}, this build knows up to ${latest}); upgrade Shelf or use another --data-dir`,
    );
  }
  for (const migration of MIGRATIONS) {
    if (migration.version <= current) continue;
    db.transaction(() => {
      db.exec(migration.sql);
      db.pragma(`user_version = ${migration.version}`);
    })();
  }
}
