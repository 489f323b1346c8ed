// The supply-chain policy's tables (migration 8): decisions per mirrored package, reviews, takedowns, advisories, keys, audit.
import type { Db } from './connection';

export interface PolicyDecisionRow {
  name: string;
  stamp: string;
  valid_until: string | null;
  /** JSON: {version: {rule, reason, until?}}. */
  holds: string;
  flags: string;
  decided_at: string;
}

export function getPolicyDecision(db: Db, name: string): PolicyDecisionRow | undefined {
  return db.prepare('SELECT * FROM policy_decisions WHERE name = ?').get(name) as PolicyDecisionRow | undefined;
}

export function putPolicyDecision(db: Db, row: PolicyDecisionRow): void {
  db.prepare(
    `INSERT INTO policy_decisions (name, stamp, valid_until, holds, flags, decided_at)
     VALUES (@name, @stamp, @valid_until, @holds, @flags, @decided_at)
     ON CONFLICT (name) DO UPDATE SET stamp = excluded.stamp, valid_until = excluded.valid_until, holds = excluded.holds,
       flags = excluded.flags, decided_at = excluded.decided_at`,
  ).run(row);
}

export function deletePolicyDecision(db: Db, name: string): void {
  db.prepare('DELETE FROM policy_decisions WHERE name = ?').run(name);
}

/** Decisions that hold or flag something (the Policy screen's list). */
export function listPolicyDecisions(db: Db): PolicyDecisionRow[] {
  return db.prepare(`SELECT * FROM policy_decisions WHERE holds <> '{}' OR flags <> '{}' ORDER BY name`).all() as PolicyDecisionRow[];
}

export interface PolicyReviewRow {
  name: string;
  version: string;
  decision: 'approved' | 'denied';
  decided_by: string | null;
  decided_at: string;
}

export function reviewsOf(db: Db, name: string): PolicyReviewRow[] {
  return db.prepare('SELECT * FROM policy_reviews WHERE name = ?').all(name) as PolicyReviewRow[];
}

export function putReview(db: Db, row: PolicyReviewRow): void {
  db.prepare(
    `INSERT INTO policy_reviews (name, version, decision, decided_by, decided_at) VALUES (@name, @version, @decision, @decided_by, @decided_at)
     ON CONFLICT (name, version) DO UPDATE SET decision = excluded.decision, decided_by = excluded.decided_by, decided_at = excluded.decided_at`,
  ).run(row);
}

export function takedownsOf(db: Db, name: string): { version: string; reason: string; marked_at: string }[] {
  return db.prepare('SELECT version, reason, marked_at FROM policy_takedowns WHERE name = ?').all(name) as {
    version: string;
    reason: string;
    marked_at: string;
  }[];
}

/** True when the version was not marked before. */
export function putTakedown(db: Db, name: string, version: string, reason: string, at: string): boolean {
  return (
    db
      .prepare('INSERT OR IGNORE INTO policy_takedowns (name, version, reason, marked_at) VALUES (?, ?, ?, ?)')
      .run(name, version, reason, at).changes > 0
  );
}

export function getAdvisories(db: Db, name: string): { advisories: string; fetched_at: string } | undefined {
  return db.prepare('SELECT advisories, fetched_at FROM policy_advisories WHERE name = ?').get(name) as
    { advisories: string; fetched_at: string } | undefined;
}

export function putAdvisories(db: Db, name: string, advisories: string, at: string): void {
  db.prepare(
    `INSERT INTO policy_advisories (name, advisories, fetched_at) VALUES (?, ?, ?)
     ON CONFLICT (name) DO UPDATE SET advisories = excluded.advisories, fetched_at = excluded.fetched_at`,
  ).run(name, advisories, at);
}

export function getKeys(db: Db, upstreamUrl: string): { keys: string; fetched_at: string } | undefined {
  return db.prepare('SELECT keys, fetched_at FROM policy_keys WHERE upstream_url = ?').get(upstreamUrl) as
    { keys: string; fetched_at: string } | undefined;
}

export function anyKeys(db: Db): { keys: string } | undefined {
  return db.prepare('SELECT keys FROM policy_keys ORDER BY fetched_at DESC LIMIT 1').get() as { keys: string } | undefined;
}

export function putKeys(db: Db, upstreamUrl: string, keys: string, at: string): void {
  db.prepare(
    `INSERT INTO policy_keys (upstream_url, keys, fetched_at) VALUES (?, ?, ?)
     ON CONFLICT (upstream_url) DO UPDATE SET keys = excluded.keys, fetched_at = excluded.fetched_at`,
  ).run(upstreamUrl, keys, at);
}

export interface PolicyAuditRow {
  id: number;
  at: string;
  action: string;
  name: string | null;
  version: string | null;
  rule: string | null;
  detail: string;
  actor: string | null;
}

export function addAudit(db: Db, row: Omit<PolicyAuditRow, 'id'>): void {
  db.prepare(
    'INSERT INTO policy_audit (at, action, name, version, rule, detail, actor) VALUES (@at, @action, @name, @version, @rule, @detail, @actor)',
  ).run(row);
}

export function listAudit(db: Db, limit: number): PolicyAuditRow[] {
  return db.prepare('SELECT * FROM policy_audit ORDER BY id DESC LIMIT ?').all(limit) as PolicyAuditRow[];
}
