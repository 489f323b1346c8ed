// Provenance attestations (npm's /-/npm/v1/attestations/<name>@<version>): each sigstore bundle is verified as
// `npm audit signatures` verifies it (pacote's checks, with the sigstore libraries npm bundles): the DSSE statement's
// subject names this package version and carries the tarball's sha512; the signing certificate chains to the trusted
// root's CA (or, for npm's publish attestation, the key is the registry's); the transparency-log entry matches the
// envelope and its inclusion promise is signed by a trusted log; the envelope's signature verifies.
import { createPublicKey } from 'node:crypto';
import { bundleFromJSON, type Bundle } from '@sigstore/bundle';
import type { TrustedRoot } from '@sigstore/protobuf-specs';
import { Verifier, toSignedEntity, toTrustMaterial, type Signer } from '@sigstore/verify';
import npa from 'npm-package-arg';
import ssri from 'ssri';
import type { RegistryKey } from './signatures';

/** What the package page shows of a version's provenance. */
export interface ProvenanceSummary {
  predicateTypes: string[];
  /** The source repository the build ran from (SLSA provenance), e.g. https://github.com/acme/widget. */
  sourceRepository?: string;
  /** The workflow that built it, e.g. .github/workflows/release.yml, and the ref it ran on. */
  workflow?: string;
  ref?: string;
  /** The signing certificate's identity (its subject alternative name) and the OIDC issuer Fulcio recorded. */
  identity?: string;
  issuer?: string;
  /** The provenance bundle's transparency-log entry. */
  logIndex?: string;
  integratedTime?: string;
}

export type AttestationsCheck = { ok: true; summary: ProvenanceSummary } | { ok: false; problem: string };

interface Statement {
  subject?: { name?: string; digest?: { sha512?: string } }[];
  predicateType?: string;
  predicate?: Record<string, unknown>;
}

/** Checks the upstream's attestations answer for one version; the problem names what failed. */
export function verifyAttestations(
  name: string,
  version: string,
  integrity: string | undefined,
  body: unknown,
  verifier: Verifier,
): AttestationsCheck {
  const list = (body as { attestations?: unknown } | null)?.attestations;
  if (!Array.isArray(list) || list.length === 0) return { ok: false, problem: 'the upstream answered for its attestations with no bundle' };
  const digest = integrity ? ssri.parse(integrity, { single: false })?.sha512?.[0]?.digest : undefined;
  const sha512 = digest ? Buffer.from(digest, 'base64').toString('hex') : undefined;
  if (!sha512) return { ok: false, problem: 'it has no sha512 integrity to check its attestations against' };
  // npm's own PURL (its types omit toPurl): pkg:npm/%40scope/name@1.0.0.
  const purl = (npa as unknown as { toPurl(spec: string): string }).toPurl(`${name}@${version}`);
  const summary: ProvenanceSummary = { predicateTypes: [] };
  for (const item of list as { predicateType?: string; bundle?: unknown }[]) {
    const kind = item?.predicateType ?? 'unknown';
    let bundle: Bundle;
    try {
      bundle = bundleFromJSON(item?.bundle);
    } catch (error) {
      return { ok: false, problem: `its ${kind} attestation is not a valid sigstore bundle (${(error as Error).message})` };
    }
    if (bundle.content.$case !== 'dsseEnvelope') return { ok: false, problem: `its ${kind} attestation is not a DSSE envelope` };
    const envelope = bundle.content.dsseEnvelope;
    let statement: Statement;
    try {
      statement = JSON.parse(envelope.payload.toString('utf8')) as Statement;
    } catch {
      return { ok: false, problem: `its ${kind} attestation's payload is not an in-toto statement` };
    }
    const subject = statement.subject?.[0];
    if (!subject || subject.name !== purl)
      return { ok: false, problem: `its ${kind} attestation was signed for ${subject?.name ?? 'no subject'}, not ${purl}` };
    if (subject.digest?.sha512 !== sha512)
      return {
        ok: false,
        problem: `its ${kind} attestation's subject digest (sha512 ${short(subject.digest?.sha512)}) is not the tarball's integrity (sha512 ${short(sha512)}): the tarball is not the one that was attested`,
      };
    // npm's publish attestation is signed with the registry's key (keyid set); provenance with a Fulcio certificate.
    const keyid = envelope.signatures[0]?.keyid;
    let signer: Signer;
    try {
      signer = verifier.verify(toSignedEntity(bundle));
    } catch (error) {
      const cause = (error as { cause?: Error }).cause?.message;
      return {
        ok: false,
        problem: `its ${kind} attestation does not verify${keyid ? ` (key ${keyid})` : ''}: ${(error as Error).message}${cause ? ` (${cause})` : ''}`,
      };
    }
    summary.predicateTypes.push(kind);
    if (!keyid) {
      const entry = bundle.verificationMaterial.tlogEntries[0];
      Object.assign(summary, sourceOf(statement), {
        identity: signer.identity?.subjectAlternativeName,
        issuer: signer.identity?.extensions?.issuer,
        logIndex: entry?.logIndex,
        integratedTime: entry ? new Date(Number(entry.integratedTime) * 1000).toISOString() : undefined,
      });
    }
  }
  return { ok: true, summary };
}

/**
 * The verifier for a trusted root and the upstream's registry keys: made once per decision (building the trust material
 * parses every certificate and key of the root, most of a bundle's verification time when made per bundle).
 */
export function attestationVerifier(root: TrustedRoot, keys: readonly RegistryKey[] | undefined): Verifier {
  const material = toTrustMaterial(root, (hint) => registryKey(hint, keys));
  // A root without certificate-transparency logs (a private deployment) cannot check SCTs; the public-good root has
  // one, and then an SCT is required, as npm requires it.
  return new Verifier(material, { ctlogThreshold: root.ctlogs.length > 0 ? 1 : 0 });
}

function registryKey(hint: string, keys: readonly RegistryKey[] | undefined) {
  const key = keys?.find((k) => k.keyid === hint);
  if (!key) throw new Error(`the upstream's keys (/-/npm/v1/keys) do not list ${hint}`);
  return {
    publicKey: createPublicKey({ key: Buffer.from(key.key, 'base64'), format: 'der', type: 'spki' }),
    validFor: (date: Date) => !key.expires || date.getTime() < Date.parse(key.expires),
  };
}

/** The source repository and workflow of a SLSA provenance statement (v1, and v0.2 as npm published it before). */
function sourceOf(statement: Statement): Partial<ProvenanceSummary> {
  const predicate = statement.predicate ?? {};
  const v1 = (predicate.buildDefinition as { externalParameters?: { workflow?: Record<string, string> } } | undefined)?.externalParameters
    ?.workflow;
  if (v1) return { sourceRepository: v1.repository, workflow: v1.path, ref: v1.ref };
  const v02 = (predicate.invocation as { configSource?: { uri?: string; entryPoint?: string } } | undefined)?.configSource;
  if (v02)
    return { sourceRepository: v02.uri?.replace(/^git\+/, '').replace(/@.*$/, ''), workflow: v02.entryPoint, ref: v02.uri?.split('@')[1] };
  return {};
}

/** A digest's first 16 hex digits: enough to tell two apart in a message that people read (the UI, a 403, a toast). */
function short(hex: string | undefined): string {
  return hex ? `${hex.slice(0, 16)}…` : 'missing';
}
