// Search latency over 100,000 packages: seeds a data folder, starts the built `shelf serve` (out/main/cli.js; run
// `npm run build` first), and times /api/v1/search and /-/v1/search over HTTP on loopback. Prints p50/p95/p99 per query kind.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';

const PACKAGES = Number(process.env.BENCH_PACKAGES ?? 100_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 300);
const CLI = new URL('../out/main/cli.js', import.meta.url).pathname;

// A deterministic generator, so every run searches the same registry.
let seed = 42;
const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
const VOCAB = Array.from({ length: 5000 }, (_, i) => `w${i.toString(36)}${'abcdefghij'[i % 10]}`);
const COMMON = [
  'react',
  'parser',
  'json',
  'cli',
  'http',
  'stream',
  'test',
  'plugin',
  'config',
  'logger',
  'yaml',
  'date',
  'color',
  'promise',
  'async',
];
// Zipf-like: low indexes are much more frequent, as words are in real descriptions.
const word = () => (random() < 0.3 ? COMMON[Math.floor(random() ** 2 * COMMON.length)] : VOCAB[Math.floor(random() ** 3 * VOCAB.length)]);

function startServe(dataDir) {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [CLI, 'serve', '--port', '0', '--data-dir', dataDir, '--api-rate-limit', 'off', '--log-level', 'error', '--offline'],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    child.stdout.on('data', (chunk) => {
      const match = /listening on (http:\/\/\S+)/.exec(String(chunk));
      if (match) resolve({ child, url: match[1].replace(/\/$/, '') });
    });
    child.on('exit', (code) => reject(new Error(`shelf serve exited with ${code}`)));
  });
}

function seedRegistry(dataDir) {
  const db = new Database(join(dataDir, 'shelf.db'));
  const now = Date.now();
  db.transaction(() => {
    const user = db
      .prepare("INSERT INTO users (name, email, password_hash, is_admin, created_at) VALUES ('bench', NULL, 'x', 0, ?)")
      .run(new Date(now).toISOString()).lastInsertRowid;
    const pkg = db.prepare(
      "INSERT INTO packages (name, access, rev, created_at, modified_at, readme) VALUES (?, 'public', '1-bench', ?, ?, '')",
    );
    const version = db.prepare(
      "INSERT INTO versions (package_id, version, manifest, integrity, shasum, tarball_size, published_at, published_by) VALUES (?, '1.0.0', ?, 'sha512-x', 'x', 100, ?, ?)",
    );
    const tag = db.prepare("INSERT INTO dist_tags (package_id, tag, version) VALUES (?, 'latest', '1.0.0')");
    const owner = db.prepare('INSERT INTO maintainers (package_id, user_id) VALUES (?, ?)');
    const index = db.prepare(
      "INSERT INTO search_index (rowid, name, description, keywords, author, maintainers, readme) VALUES (?, ?, ?, ?, 'bench', 'bench', ?)",
    );
    const downloads = db.prepare('UPDATE package_downloads SET total = ?, popularity = ln(? + 1) WHERE package_id = ?');
    for (let i = 0; i < PACKAGES; i++) {
      const name = `${word()}-${word()}-${i.toString(36)}`;
      const description = Array.from({ length: 8 }, word).join(' ');
      const keywords = Array.from({ length: 3 }, word);
      const at = new Date(now - Math.floor(random() * 3 * 365 * 86_400_000)).toISOString();
      const id = pkg.run(name, at, at).lastInsertRowid;
      version.run(id, JSON.stringify({ name, version: '1.0.0', description, keywords }), at, user);
      tag.run(id);
      owner.run(id, user);
      index.run(id, name, description, keywords.join(' '), Array.from({ length: 30 }, word).join(' '));
      const total = Math.floor(random() ** 4 * 100_000);
      downloads.run(total, total, id);
    }
  })();
  db.exec("INSERT INTO search_fts(search_fts) VALUES('optimize')");
  db.close();
}

const QUERIES = {
  'one common word': () => `q=${COMMON[Math.floor(random() * COMMON.length)]}`,
  'two words': () => `q=${word()}+${word()}`,
  'rare word': () => `q=${VOCAB[Math.floor(random() * VOCAB.length)]}`,
  'phrase, exclusion, OR': () => `q=${encodeURIComponent(`"${word()} ${word()}" OR ${word()} -${word()}`)}`,
  'keywords qualifier': () => `q=keywords:${word()}`,
  'empty query (list all)': () => 'q=',
  'sort by downloads': () => `q=${COMMON[Math.floor(random() * COMMON.length)]}&sort=downloads`,
  'npm /-/v1/search': () => `npm:text=${word()}`,
};

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];

async function main() {
  const dataDir = mkdtempSync(join(tmpdir(), 'shelf-bench-search-'));
  try {
    let { child } = await startServe(dataDir); // applies the migrations
    child.kill();
    const seeding = performance.now();
    seedRegistry(dataDir);
    console.log(`seeded ${PACKAGES} packages in ${((performance.now() - seeding) / 1000).toFixed(1)} s`);
    const started = await startServe(dataDir);
    child = started.child;
    const all = [];
    try {
      for (const [kind, make] of Object.entries(QUERIES)) {
        const times = [];
        for (let i = 0; i < ROUNDS + 20; i++) {
          const query = make();
          const path = query.startsWith('npm:') ? `/-/v1/search?${query.slice(4)}&size=20` : `/api/v1/search?${query}&limit=20`;
          const t0 = performance.now();
          const response = await fetch(`${started.url}${path}`);
          await response.arrayBuffer();
          const elapsed = performance.now() - t0;
          if (response.status !== 200) throw new Error(`${path} answered ${response.status}`);
          if (i >= 20) times.push(elapsed); // the first 20 warm the caches
        }
        times.sort((a, b) => a - b);
        all.push(...times);
        console.log(
          `${kind.padEnd(26)} p50 ${percentile(times, 50).toFixed(2)} ms  p95 ${percentile(times, 95).toFixed(2)} ms  p99 ${percentile(times, 99).toFixed(2)} ms`,
        );
      }
      all.sort((a, b) => a - b);
      console.log(
        `${'all queries'.padEnd(26)} p50 ${percentile(all, 50).toFixed(2)} ms  p95 ${percentile(all, 95).toFixed(2)} ms  p99 ${percentile(all, 99).toFixed(2)} ms  (${all.length} requests, end to end over HTTP)`,
      );
    } finally {
      child.kill();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
