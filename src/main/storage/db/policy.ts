// The supply-chain policy's tables (migration 8): decisions per mirrored package, reviews, takedowns, advisories, keys, audit.
import type { SqlExecutor as Db } from '../sql/port';

export interface PolicyDecisionRow {
  name: string;
  stamp: string;
  valid_until: string | null;
  /** JSON: {version: {rule, reason, until?}}. */
  holds: string;
  flags: string;
  decided_at: string;
}

export async function getPolicyDecision(db: Db, name: string): Promise<PolicyDecisionRow | undefined> {
  return (await db.get('SELECT * FROM policy_decisions WHERE name = ?', [name])) as PolicyDecisionRow | undefined;
}

export async function putPolicyDecision(db: Db, row: PolicyDecisionRow): Promise<void> {
  await db.run(
    `INSERT INTO policy_decisions (name, stamp, valid_until, holds, flags, decided_at)
     VALUES (@name, @stamp, @valid_until, @holds, @flags, @decided_at)
     ON CONFLICT (name) DO UPDATE SET stamp = excluded.stamp, valid_until = excluded.valid_until, holds = excluded.holds,
       flags = excluded.flags, decided_at = excluded.decided_at`,
    { ...row },
  );
}

export async function deletePolicyDecision(db: Db, name: string): Promise<void> {
  await db.run('DELETE FROM policy_decisions WHERE name = ?', [name]);
}

/** Decisions that hold or flag something (the Policy screen's list). */
export async function listPolicyDecisions(db: Db): Promise<PolicyDecisionRow[]> {
  return (await db.all(`SELECT * FROM policy_decisions WHERE holds <> '{}' OR flags <> '{}' ORDER BY name`)) as PolicyDecisionRow[];
}

export interface PolicyReviewRow {
  name: string;
  version: string;
  decision: 'approved' | 'denied';
  decided_by: string | null;
  decided_at: string;
}

export async function reviewsOf(db: Db, name: string): Promise<PolicyReviewRow[]> {
  return (await db.all('SELECT * FROM policy_reviews WHERE name = ?', [name])) as PolicyReviewRow[];
}

export async function putReview(db: Db, row: PolicyReviewRow): Promise<void> {
  await db.run(
    `INSERT INTO policy_reviews (name, version, decision, decided_by, decided_at) VALUES (@name, @version, @decision, @decided_by, @decided_at)
     ON CONFLICT (name, version) DO UPDATE SET decision = excluded.decision, decided_by = excluded.decided_by, decided_at = excluded.decided_at`,
    { ...row },
  );
}

export async function takedownsOf(db: Db, name: string): Promise<{ version: string; reason: string; marked_at: string }[]> {
  return (await db.all('SELECT version, reason, marked_at FROM policy_takedowns WHERE name = ?', [name])) as {
    version: string;
    reason: string;
    marked_at: string;
  }[];
}

/** True when the version was not marked before. */
export async function putTakedown(db: Db, name: string, version: string, reason: string, at: string): Promise<boolean> {
  return (
    (
      await db.run('INSERT INTO policy_takedowns (name, version, reason, marked_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING', [
        name,
        version,
        reason,
        at,
      ])
    ).changes > 0
  );
}

export async function getAdvisories(db: Db, name: string): Promise<{ advisories: string; fetched_at: string } | undefined> {
  return (await db.get('SELECT advisories, fetched_at FROM policy_advisories WHERE name = ?', [name])) as
    { advisories: string; fetched_at: string } | undefined;
}

export async function putAdvisories(db: Db, name: string, advisories: string, at: string): Promise<void> {
  await db.run(
    `INSERT INTO policy_advisories (name, advisories, fetched_at) VALUES (?, ?, ?)
     ON CONFLICT (name) DO UPDATE SET advisories = excluded.advisories, fetched_at = excluded.fetched_at`,
    [name, advisories, at],
  );
}

export async function getKeys(db: Db, upstreamUrl: string): Promise<{ keys: string; fetched_at: string } | undefined> {
  return (await db.get('SELECT keys, fetched_at FROM policy_keys WHERE upstream_url = ?', [upstreamUrl])) as
    { keys: string; fetched_at: string } | undefined;
}

export async function anyKeys(db: Db): Promise<{ keys: string } | undefined> {
  return (await db.get('SELECT keys FROM policy_keys ORDER BY fetched_at DESC LIMIT 1')) as { keys: string } | undefined;
}

export async function putKeys(db: Db, upstreamUrl: string, keys: string, at: string): Promise<void> {
  await db.run(
    `INSERT INTO policy_keys (upstream_url, keys, fetched_at) VALUES (?, ?, ?)
     ON CONFLICT (upstream_url) DO UPDATE SET keys = excluded.keys, fetched_at = excluded.fetched_at`,
    [upstreamUrl, keys, at],
  );
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

export async function addAudit(db: Db, row: Omit<PolicyAuditRow, 'id'>): Promise<void> {
  await db.run(
    'INSERT INTO policy_audit (at, action, name, version, rule, detail, actor) VALUES (@at, @action, @name, @version, @rule, @detail, @actor)',
    row,
  );
}

export async function listAudit(db: Db, limit: number): Promise<PolicyAuditRow[]> {
  return (await db.all('SELECT * FROM policy_audit ORDER BY id DESC LIMIT ?', [limit])) as PolicyAuditRow[];
}
