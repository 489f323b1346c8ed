// The policy's shape (<data-dir>/policy.json, edited by admins in the UI or by hand), read and written atomically.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import semver from 'semver';
import { z } from 'zod';
import { ShelfError } from '../../errors';

const duration = z.union([z.number().int().nonnegative(), z.string().regex(/^\d+(\.\d+)?\s*(ms|s|m|h|d)$/i)]);

export const policySchema = z.object({
  /** Quarantine: upstream versions younger than this are hidden ('3d', '12h' or milliseconds). */
  minReleaseAge: duration.optional(),
  /** Names ('left-pad'), scopes ('@acme/*') or exact versions ('left-pad@1.3.0') the quarantine does not apply to. */
  exceptions: z.array(z.string().min(1)).default([]),
  /** Let a quarantined version through early when it fixes an advisory that affects every version allowed now. */
  advisoryException: z.boolean().default(true),
  /** Denied versions: a name or scope and a semver range ('*' for all). */
  deny: z.array(z.object({ package: z.string().min(1), range: z.string().default('*'), reason: z.string().default('') })).default([]),
  /** A version the upstream removed (gone from its packument, 404/451 for its tarball) is never served again. */
  takedowns: z.boolean().default(true),
  /** A version that adds or changes preinstall/install/postinstall compared to the one before it: held, flagged, or ignored. */
  installScripts: z.enum(['hold', 'flag', 'off']).default('off'),
  /** SPDX licence ids: with `allow`, a version's licence expression must be satisfiable by them; `deny` ids are never accepted. */
  licenses: z.object({ allow: z.array(z.string()).default([]), deny: z.array(z.string()).default([]) }).default({ allow: [], deny: [] }),
  /** Registry signatures (dist.signatures) checked against the upstream's keys: invalid ones are held ('verify'), missing ones too ('require'). */
  signatures: z.enum(['off', 'verify', 'require']).default('off'),
  /** A version published without the provenance attestation the version before it had (a downgrade): held, flagged, or ignored. */
  provenance: z.enum(['hold', 'flag', 'off']).default('off'),
  /**
   * The sigstore trusted_root.json provenance attestations are verified against (absolute, or relative to the data
   * folder); absent, sigstore's public-good root from its TUF repository, cached in the data folder.
   */
  provenanceTrustedRoot: z.string().min(1).optional(),
});

export type Policy = z.infer<typeof policySchema>;
export type PolicyInput = z.input<typeof policySchema>;

export const POLICY_FILE = 'policy.json';

export function parseDurationMs(value: string | number | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'number') return value;
  const match = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/i.exec(value.trim())!;
  const factor = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2]!.toLowerCase() as 'ms'];
  return Math.round(Number(match[1]) * factor);
}

export function parsePolicy(input: unknown, where: string): Policy {
  const result = policySchema.safeParse(input ?? {});
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw new ShelfError('invalid_request', `${where}: ${issue.path.join('.') || 'the policy'}: ${issue.message}`);
  }
  for (const rule of result.data.deny)
    if (rule.range !== '*' && semver.validRange(rule.range) === null)
      throw new ShelfError('invalid_request', `${where}: deny: '${rule.range}' (for ${rule.package}) is not a semver range`);
  return result.data;
}

export function readPolicyFile(dataDir: string): { policy: Policy; present: boolean } {
  const path = join(dataDir, POLICY_FILE);
  if (!existsSync(path)) return { policy: parsePolicy({}, path), present: false };
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ShelfError('invalid_request', `${path} is not JSON (${(error as Error).message}); fix or delete it`);
  }
  return { policy: parsePolicy(json, path), present: true };
}

/** Written to a temp file and renamed, so a crash never leaves half a policy. */
export function writePolicyFile(dataDir: string, policy: Policy): void {
  const path = join(dataDir, POLICY_FILE);
  writeFileSync(`${path}.tmp`, `${JSON.stringify(policy, null, 2)}\n`, { mode: 0o600 });
  renameSync(`${path}.tmp`, path);
}

/** Whether any rule can hide a version (an empty policy costs nothing and renders nothing differently). */
export function isActive(policy: Policy, minReleaseAgeMs: number | undefined): boolean {
  return (
    (minReleaseAgeMs ?? 0) > 0 ||
    policy.deny.length > 0 ||
    policy.installScripts !== 'off' ||
    policy.licenses.allow.length > 0 ||
    policy.licenses.deny.length > 0 ||
    policy.signatures !== 'off' ||
    policy.provenance !== 'off'
  );
}

/** What renderings were made under: a policy change changes it, so every stored decision is re-made on its next read. */
export function stampOf(policy: Policy, minReleaseAgeMs: number | undefined, present: boolean): string {
  if (!present && !isActive(policy, minReleaseAgeMs)) return EMPTY_STAMP;
  return createHash('sha256').update(JSON.stringify({ policy, minReleaseAgeMs })).digest('base64url').slice(0, 22);
}

/** The stamp of "no policy": a package without a stored decision was rendered under it. */
export const EMPTY_STAMP = 'none';
