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
  {
    version: 2,
    name: 'REST API: yanked versions, download counts, categories, owner roles, token scopes',
    sql: `
      -- Yanked versions stay downloadable but are hidden from resolution and search.
      CREATE TABLE yanked_versions (
        package_id INTEGER NOT NULL REFERENCES packages(id) ON DELETE CASCADE,
        version    TEXT NOT NULL,
        yanked_at  TEXT NOT NULL,
        yanked_by  INTEGER REFERENCES users(id) ON DELETE SET NULL,
        PRIMARY KEY (package_id, version)
      );

      -- Packages whose every version is yanked: left out of search listings.
      CREATE TABLE unlisted_packages (
        package_id INTEGER PRIMARY KEY REFERENCES packages(id) ON DELETE CASCADE
      );

      -- Daily download counts per version; no client addresses are kept.
      CREATE TABLE download_counts (
        package_id INTEGER NOT NULL REFERENCES packages(id) ON DELETE CASCADE,
        version    TEXT NOT NULL,
        day        TEXT NOT NULL,
        count      INTEGER NOT NULL,
        PRIMARY KEY (package_id, version, day)
      );
      CREATE INDEX download_counts_by_day ON download_counts(day);

      -- Running totals per package, so ranking by popularity needs no aggregate over download_counts.
      CREATE TABLE package_downloads (
        package_id INTEGER PRIMARY KEY REFERENCES packages(id) ON DELETE CASCADE,
        total      INTEGER NOT NULL DEFAULT 0,
        popularity REAL NOT NULL DEFAULT 0
      );
      CREATE INDEX package_downloads_by_total ON package_downloads(total DESC, package_id DESC);
      INSERT INTO package_downloads (package_id) SELECT id FROM packages;
      CREATE TRIGGER package_downloads_row AFTER INSERT ON packages
      BEGIN
        INSERT OR IGNORE INTO package_downloads (package_id) VALUES (new.id);
      END;

      CREATE TABLE package_categories (
        package_id INTEGER NOT NULL REFERENCES packages(id) ON DELETE CASCADE,
        category   TEXT NOT NULL,
        PRIMARY KEY (package_id, category)
      );
      CREATE INDEX package_categories_by_category ON package_categories(category);

      -- Roles of owners added through the API; a maintainer without a row here is an 'owner'.
      CREATE TABLE owner_roles (
        package_id INTEGER NOT NULL REFERENCES packages(id) ON DELETE CASCADE,
        user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        role       TEXT NOT NULL CHECK (role IN ('owner', 'maintainer')),
        PRIMARY KEY (package_id, user_id)
      );

      -- sha256 of each tarball, the checksum the API reports (npm's own digests are sha512 and sha1).
      CREATE TABLE version_checksums (
        package_id INTEGER NOT NULL REFERENCES packages(id) ON DELETE CASCADE,
        version    TEXT NOT NULL,
        sha256     TEXT NOT NULL,
        PRIMARY KEY (package_id, version)
      );

      -- The scopes a token was created with through the API (tokens.scope holds the npm-level rank they imply).
      CREATE TABLE token_api_scopes (
        token_id INTEGER PRIMARY KEY REFERENCES tokens(id) ON DELETE CASCADE,
        scopes   TEXT NOT NULL
      );
    `,
  },
  {
    version: 3,
    name: 'offline mirror of upstream registries',
    sql: `
      -- Packuments of upstream packages: the upstream's bytes as received, its validators, and the renderings Shelf serves.
      CREATE TABLE upstream_packuments (
        name          TEXT PRIMARY KEY,
        upstream_url  TEXT NOT NULL,
        etag          TEXT,
        last_modified TEXT,
        fetched_at    TEXT NOT NULL,
        modified      TEXT NOT NULL,
        dist_tags     TEXT NOT NULL,
        raw_gzip      BLOB NOT NULL,
        base_url      TEXT NOT NULL,
        full_json     BLOB NOT NULL,
        full_gzip     BLOB NOT NULL,
        full_etag     TEXT NOT NULL,
        abbrev_json   BLOB NOT NULL,
        abbrev_gzip   BLOB NOT NULL,
        abbrev_etag   TEXT NOT NULL
      );

      -- Every version an upstream packument lists, so a tarball request can find its source URL and integrity.
      CREATE TABLE upstream_versions (
        name         TEXT NOT NULL REFERENCES upstream_packuments(name) ON DELETE CASCADE,
        version      TEXT NOT NULL,
        integrity    TEXT,
        shasum       TEXT,
        tarball_url  TEXT NOT NULL,
        PRIMARY KEY (name, version)
      );

      -- Tarballs of upstream packages held in the blob store.
      CREATE TABLE cached_tarballs (
        name         TEXT NOT NULL,
        version      TEXT NOT NULL,
        integrity    TEXT NOT NULL,
        size         INTEGER NOT NULL,
        fetched_at   TEXT NOT NULL,
        last_used_at TEXT NOT NULL,
        PRIMARY KEY (name, version)
      );
      CREATE INDEX cached_tarballs_by_use ON cached_tarballs(last_used_at);

      CREATE TABLE cache_pins (
        name      TEXT PRIMARY KEY,
        pinned_at TEXT NOT NULL
      );
    `,
  },
  {
    version: 4,
    name: 'last four characters of each token',
    sql: `
      -- Shown in token lists so a person can tell tokens apart; the secret itself is never stored.
      ALTER TABLE tokens ADD COLUMN last4 TEXT;
    `,
  },
  {
    version: 5,
    name: 'search index keyed by visibility, popularity and age',
    sql: `
      -- Ranking every match with bm25 cost ~1 µs a row, too slow when a word matches tens of thousands of packages.
      -- search_fts is keyed so that key order is most popular first (layout in storage/db/search.ts), which lets a
      -- query read and score only its most popular matches; search_index keeps the text (the writes in packages.ts
      -- go on addressing it by package id) and triggers keep the index and its keys in step.
      ALTER TABLE search_index RENAME TO search_index_v1;
      CREATE TABLE search_index (
        package_id  INTEGER PRIMARY KEY REFERENCES packages(id) ON DELETE CASCADE,
        name        TEXT NOT NULL DEFAULT '',
        description TEXT NOT NULL DEFAULT '',
        keywords    TEXT NOT NULL DEFAULT '',
        author      TEXT NOT NULL DEFAULT '',
        maintainers TEXT NOT NULL DEFAULT '',
        readme      TEXT NOT NULL DEFAULT '',
        rank_key    INTEGER
      );
      -- Words split at every punctuation mark (names too: "react-dom" is "react" "dom"), so a prefix such as "react"*
      -- expands to a few words rather than to every package name that starts with it.
      CREATE VIRTUAL TABLE search_fts USING fts5(
        name, description, keywords, author, maintainers, readme,
        content = '', contentless_delete = 1, tokenize = 'unicode61'
      );
      CREATE VIRTUAL TABLE search_vocab USING fts5vocab(search_fts, 'row');
      CREATE INDEX packages_by_lower_name ON packages(lower(name));
      -- Counting the packages a listing shows reads this index instead of every package row.
      CREATE INDEX packages_by_access ON packages(access);
      -- A signed-in user's searches include the restricted packages they maintain.
      CREATE INDEX maintainers_by_user ON maintainers(user_id);

      CREATE VIEW search_rank_keys AS
      SELECT p.id AS package_id,
        (CASE WHEN u.package_id IS NOT NULL THEN 2 WHEN p.access = 'restricted' THEN 1 ELSE 0 END) * 1152921504606846976
        + (1023 - CASE WHEN coalesce(d.popularity, 0.0) <= 0.0 THEN 0 ELSE min(1023, 1 + CAST(d.popularity * 16 AS INTEGER)) END)
          * 1125899906842624
        + (65535 - min(65535, max(0, CAST(coalesce(julianday(p.modified_at), 2440587.5) - 2440587.5 AS INTEGER)))) * 4294967296
        + (4294967295 - p.id) AS rank_key
      FROM packages p
      LEFT JOIN package_downloads d ON d.package_id = p.id
      LEFT JOIN unlisted_packages u ON u.package_id = p.id;

      CREATE TRIGGER search_index_inserted AFTER INSERT ON search_index BEGIN
        UPDATE search_index SET rank_key = (SELECT rank_key FROM search_rank_keys WHERE package_id = new.package_id)
        WHERE package_id = new.package_id;
      END;
      CREATE TRIGGER search_index_rekeyed AFTER UPDATE OF rank_key ON search_index WHEN old.rank_key IS NOT new.rank_key BEGIN
        DELETE FROM search_fts WHERE rowid = old.rank_key;
        INSERT INTO search_fts (rowid, name, description, keywords, author, maintainers, readme)
        SELECT new.rank_key, new.name, new.description, new.keywords, new.author, new.maintainers, new.readme
        WHERE new.rank_key IS NOT NULL;
      END;
      CREATE TRIGGER search_index_edited AFTER UPDATE OF name, description, keywords, author, maintainers, readme ON search_index
      WHEN old.rank_key IS new.rank_key BEGIN
        DELETE FROM search_fts WHERE rowid = old.rank_key;
        INSERT INTO search_fts (rowid, name, description, keywords, author, maintainers, readme)
        SELECT new.rank_key, new.name, new.description, new.keywords, new.author, new.maintainers, new.readme
        WHERE new.rank_key IS NOT NULL;
      END;
      CREATE TRIGGER search_index_deleted AFTER DELETE ON search_index BEGIN
        DELETE FROM search_fts WHERE rowid = old.rank_key;
      END;

      -- What the key is made of changes: re-key (the WHEN clauses keep a download that stays in its bucket cheap).
      CREATE TRIGGER search_key_downloads AFTER UPDATE OF popularity ON package_downloads
      WHEN CASE WHEN coalesce(new.popularity, 0.0) <= 0.0 THEN 0 ELSE min(1023, 1 + CAST(new.popularity * 16 AS INTEGER)) END
        IS NOT CASE WHEN coalesce(old.popularity, 0.0) <= 0.0 THEN 0 ELSE min(1023, 1 + CAST(old.popularity * 16 AS INTEGER)) END BEGIN
        UPDATE search_index SET rank_key = (SELECT rank_key FROM search_rank_keys WHERE package_id = new.package_id)
        WHERE package_id = new.package_id;
      END;
      CREATE TRIGGER search_key_downloads_row AFTER INSERT ON package_downloads BEGIN
        UPDATE search_index SET rank_key = (SELECT rank_key FROM search_rank_keys WHERE package_id = new.package_id)
        WHERE package_id = new.package_id;
      END;
      CREATE TRIGGER search_key_package AFTER UPDATE OF access, modified_at ON packages
      WHEN old.access IS NOT new.access
        OR CAST(coalesce(julianday(old.modified_at), 2440587.5) - 2440587.5 AS INTEGER)
          IS NOT CAST(coalesce(julianday(new.modified_at), 2440587.5) - 2440587.5 AS INTEGER) BEGIN
        UPDATE search_index SET rank_key = (SELECT rank_key FROM search_rank_keys WHERE package_id = new.id)
        WHERE package_id = new.id;
      END;
      CREATE TRIGGER search_key_unlisted AFTER INSERT ON unlisted_packages BEGIN
        UPDATE search_index SET rank_key = (SELECT rank_key FROM search_rank_keys WHERE package_id = new.package_id)
        WHERE package_id = new.package_id;
      END;
      CREATE TRIGGER search_key_relisted AFTER DELETE ON unlisted_packages BEGIN
        UPDATE search_index SET rank_key = (SELECT rank_key FROM search_rank_keys WHERE package_id = old.package_id)
        WHERE package_id = old.package_id;
      END;

      INSERT INTO search_index (package_id, name, description, keywords, author, maintainers, readme)
      SELECT rowid, name, description, keywords, author, maintainers, readme FROM search_index_v1
      WHERE rowid IN (SELECT id FROM packages);
      DROP TABLE search_index_v1;
      INSERT INTO search_fts (search_fts) VALUES ('optimize');
    `,
  },
  {
    version: 6,
    name: 'scope owners and names reserved after an unpublish',
    sql: `
      -- Scopes belong to whoever first published into them (and to whom an admin granted them): others may not add
      -- new packages there. Existing scoped packages' maintainers own their scopes, so nobody loses a right.
      CREATE TABLE scope_owners (
        scope      TEXT NOT NULL COLLATE NOCASE,
        user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        granted_at TEXT NOT NULL,
        granted_by INTEGER REFERENCES users(id) ON DELETE SET NULL,
        PRIMARY KEY (scope, user_id)
      );
      INSERT OR IGNORE INTO scope_owners (scope, user_id, granted_at)
      SELECT substr(p.name, 1, instr(p.name, '/') - 1), m.user_id, p.created_at
      FROM packages p JOIN maintainers m ON m.package_id = p.id WHERE p.name LIKE '@%/%';

      -- A wholly unpublished name stays reserved for its former owners for a while (--unpublish-reserve).
      CREATE TABLE unpublished_names (
        name           TEXT NOT NULL,
        user_id        INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        unpublished_at TEXT NOT NULL,
        PRIMARY KEY (name, user_id)
      );
    `,
  },
  {
    version: 7,
    name: 'the ecosystem each version was published for',
    sql: `
      -- npm, or a seed registry's format published through /api/v1 (synapse.json or vais.toml at the archive root), which
      -- npm cannot install. Every version before this one was an npm tarball (package/package.json was required).
      ALTER TABLE versions ADD COLUMN ecosystem TEXT NOT NULL DEFAULT 'npm' CHECK (ecosystem IN ('npm', 'synapse', 'vais'));
      -- Only the rare non-npm versions are indexed, so the npm door's per-request "is this an npm package?" costs one probe.
      CREATE INDEX versions_other_ecosystems ON versions(package_id, ecosystem) WHERE ecosystem <> 'npm';
    `,
  },
  {
    version: 8,
    name: 'the supply-chain policy: decisions per mirrored package, reviews, takedowns, advisories, signing keys, audit log',
    sql: `
      -- The policy's decision for a mirrored package, written with its renderings (on ingest or when the policy changed):
      -- the stamp of the policy it was made under and when it expires (the earliest quarantine end), so a read checks two
      -- values instead of evaluating rules. holds: JSON {version: {rule, reason, until?}}; flags likewise (served, shown).
      CREATE TABLE policy_decisions (
        name        TEXT PRIMARY KEY,
        stamp       TEXT NOT NULL,
        valid_until TEXT,
        holds       TEXT NOT NULL,
        flags       TEXT NOT NULL,
        decided_at  TEXT NOT NULL
      );
      -- An admin's approval or denial of a held version.
      CREATE TABLE policy_reviews (
        name       TEXT NOT NULL,
        version    TEXT NOT NULL,
        decision   TEXT NOT NULL CHECK (decision IN ('approved', 'denied')),
        decided_by TEXT,
        decided_at TEXT NOT NULL,
        PRIMARY KEY (name, version)
      );
      -- Versions the upstream removed (gone from its packument, or 404/451 for the tarball): never served again.
      CREATE TABLE policy_takedowns (
        name      TEXT NOT NULL,
        version   TEXT NOT NULL,
        reason    TEXT NOT NULL,
        marked_at TEXT NOT NULL,
        PRIMARY KEY (name, version)
      );
      -- The upstream's advisories per package (bulk endpoint), kept for offline use (shelf audit, the fix exception).
      CREATE TABLE policy_advisories (
        name       TEXT PRIMARY KEY,
        advisories TEXT NOT NULL,
        fetched_at TEXT NOT NULL
      );
      -- The upstream's registry signing keys (/-/npm/v1/keys), served again by Shelf for npm audit signatures.
      CREATE TABLE policy_keys (
        upstream_url TEXT PRIMARY KEY,
        keys         TEXT NOT NULL,
        fetched_at   TEXT NOT NULL
      );
      CREATE TABLE policy_audit (
        id      INTEGER PRIMARY KEY AUTOINCREMENT,
        at      TEXT NOT NULL,
        action  TEXT NOT NULL,
        name    TEXT,
        version TEXT,
        rule    TEXT,
        detail  TEXT NOT NULL,
        actor   TEXT
      );
    `,
  },
  {
    version: 9,
    name: "provenance attestations verified on ingest, kept for offline use (the policy's provenance rule)",
    sql: `
      -- The upstream's answer for /-/npm/v1/attestations/<name>@<version> as it was verified (sigstore bundles), kept so Shelf
      -- serves it with the upstream unreachable; integrity is the tarball's the bundles were checked against; summary is
      -- JSON (source repository, workflow, transparency-log index) for the package page.
      CREATE TABLE policy_attestations (
        name        TEXT NOT NULL,
        version     TEXT NOT NULL,
        integrity   TEXT NOT NULL,
        bundles     TEXT NOT NULL,
        summary     TEXT NOT NULL,
        verified_at TEXT NOT NULL,
        PRIMARY KEY (name, version)
      );
    `,
  },
  {
    version: 10,
    name: 'browser sessions and login/sign-up/API counters shared by every node (team mode)',
    sql: `
      -- A browser-mode sign-in: the SHA-256 of the cookie value (never the value itself, so a copy of the database signs no
      -- one in), the user, and epoch-millisecond times (compared on every UI request; integers keep that an index probe).
      CREATE TABLE ui_sessions (
        id_hash    TEXT PRIMARY KEY,
        user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        expires_at INTEGER NOT NULL,
        created_at INTEGER NOT NULL
      );
      CREATE INDEX ui_sessions_by_expiry ON ui_sessions(expires_at);
      CREATE INDEX ui_sessions_by_user ON ui_sessions(user_id, created_at);
      -- Fixed-window request counters (/api/v1 rate limits), one row per budget key. Written only on PostgreSQL (several
      -- nodes); a single SQLite process counts in memory. The table exists in both so the schemas stay twins.
      CREATE TABLE rate_windows (
        key      TEXT PRIMARY KEY,
        count    INTEGER NOT NULL,
        reset_at INTEGER NOT NULL
      );
      CREATE INDEX rate_windows_by_reset ON rate_windows(reset_at);
      -- Timed events of the sliding-window limits (failed or in-progress sign-ins, sign-ups, addresses an account signed in
      -- from), shared by every node on PostgreSQL; as above, SQLite keeps these in memory.
      CREATE TABLE throttle_events (
        id      INTEGER PRIMARY KEY,
        kind    TEXT NOT NULL,
        address TEXT NOT NULL,
        account TEXT NOT NULL DEFAULT '',
        at      INTEGER NOT NULL
      );
      CREATE INDEX throttle_events_by_address ON throttle_events(kind, address, at);
      CREATE INDEX throttle_events_by_account ON throttle_events(kind, account, at);
      CREATE INDEX throttle_events_by_age ON throttle_events(at);
    `,
  },
];

export function migrate(db: Database.Database): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  const ordered = [...MIGRATIONS].sort((a, b) => a.version - b.version);
  const latest = ordered.at(-1)?.version ?? 0;
  if (current > latest) {
    throw new Error(
      `this data folder was written by a newer Shelf (schema ${current}, this build knows up to ${latest}); upgrade Shelf or use another --data-dir`,
    );
  }
  for (const migration of ordered) {
    if (migration.version <= current) continue;
    db.transaction(() => {
      db.exec(migration.sql);
      db.pragma(`user_version = ${migration.version}`);
    })();
  }
}
