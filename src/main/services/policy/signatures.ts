// Registry signatures: npm's ECDSA P-256 signature over `${name}@${version}:${integrity}`, checked against the keys the
// upstream publishes at /-/npm/v1/keys (the check `npm audit signatures` makes, done once on ingest for everyone).
import { createPublicKey, verify } from 'node:crypto';

export interface RegistryKey {
  keyid: string;
  /** base64 SPKI DER. */
  key: string;
  keytype?: string;
  scheme?: string;
  expires?: string | null;
}

/** Undefined when the version's signatures check out (or it has none and they are not required); else the reason. */
export function verifySignatures(
  name: string,
  version: string,
  dist: { integrity?: string; signatures?: { keyid: string; sig: string }[] } | undefined,
  keys: readonly RegistryKey[] | undefined,
  required: boolean,
  publishedAt: string | undefined,
): string | undefined {
  const signatures = Array.isArray(dist?.signatures) ? dist!.signatures : [];
  if (signatures.length === 0) return required ? 'it carries no registry signature, and the policy requires one' : undefined;
  if (!keys || keys.length === 0)
    return required ? "the upstream's signing keys are not known, so its signature cannot be checked" : undefined;
  if (typeof dist?.integrity !== 'string') return 'it is signed but has no integrity to check the signature against';
  const message = Buffer.from(`${name}@${version}:${dist.integrity}`);
  for (const signature of signatures) {
    const key = keys.find((k) => k.keyid === signature.keyid);
    if (!key) continue;
    // A key that expired before the version was published cannot have signed it legitimately (npm's own rule).
    if (key.expires && publishedAt && Date.parse(publishedAt) > Date.parse(key.expires))
      return `its signature uses key ${key.keyid}, which expired at ${key.expires}, before it was published`;
    try {
      const publicKey = createPublicKey({ key: Buffer.from(key.key, 'base64'), format: 'der', type: 'spki' });
      if (verify('sha256', message, publicKey, Buffer.from(signature.sig, 'base64'))) return undefined;
    } catch {
      /* a malformed key or signature is an invalid signature */
    }
    return `its registry signature (key ${signature.keyid}) does not verify: the metadata or tarball integrity was altered`;
  }
  return `it is signed with key ${signatures.map((s) => s.keyid).join(', ')}, which the upstream's keys do not list`;
}
