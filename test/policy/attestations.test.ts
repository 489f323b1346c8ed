// Issue 18: provenance attestations fetched on ingest through the mirror, verified with the sigstore libraries npm uses
// (against the test's own Fulcio-style CA and Rekor-style log key), kept, and served by Shelf with the upstream down. A
// real `shelf serve`, a stand-in upstream on loopback serving real sigstore bundles; nothing is mocked but the roots of
// trust, which are the test's.
//
// `npm audit signatures` itself cannot take part: npm verifies provenance only against sigstore's public-good root, which
// it loads through sigstore's TUF repository (pinned in npm, no option names another root), and tests never reach the
// internet. Its checks are made here instead as pacote makes them (the subject's PURL and sha512 against the manifest
// Shelf serves) and with @sigstore/verify, the library npm's `sigstore.verify` runs, given the test's trusted root.
import Database from 'better-sqlite3';
import { createPublicKey } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bundleFromJSON } from '@sigstore/bundle';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { Verifier, toSignedEntity, toTrustMaterial } from '@sigstore/verify';
import npa from 'npm-package-arg';
import ssri from 'ssri';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/clients';
import { startAttacked, type Attacked } from '../security/support';
import { NPM_PUBLISH, SLSA_V1 } from './sigstore';
import { DAY, startPolicyUpstream, type PolicyUpstream } from './upstream';

let upstream: PolicyUpstream;
let shelf: Attacked;
let work: string;

beforeAll(async () => {
  upstream = await startPolicyUpstream(
    {
      proven: { '1.0.0': { publishedAgoMs: 30 * DAY, provenance: true }, '1.1.0': { publishedAgoMs: 10 * DAY, provenance: true } },
      '@acme/proven': { '2.0.0': { publishedAgoMs: 10 * DAY, provenance: true } },
      // The statement's digest is another tarball's: what a swapped tarball behind a genuine attestation looks like.
      tampered: { '1.0.0': { publishedAgoMs: 30 * DAY, provenance: true }, '1.1.0': { publishedAgoMs: 10 * DAY, provenance: 'tampered' } },
      // Signed by a certificate from a CA the trusted root does not list.
      rogue: { '1.0.0': { publishedAgoMs: 30 * DAY, provenance: true }, '1.1.0': { publishedAgoMs: 10 * DAY, provenance: 'untrusted' } },
      // npm's publish attestation signed with some other key under the registry key's id.
      forged: {
        '1.0.0': { publishedAgoMs: 30 * DAY, provenance: true },
        '1.1.0': { publishedAgoMs: 10 * DAY, provenance: 'forged-publish' },
      },
    },
    {},
  );
  shelf = await startAttacked(['--upstream', upstream.fake.url]);
  work = tempDir('shelf-attestations-');
  writeFileSync(join(work, 'trusted_root.json'), JSON.stringify(upstream.sigstore.trustedRoot));
  const set = await shelf.rpc(
    'policy.set',
    { policy: { provenance: 'hold', provenanceTrustedRoot: join(work, 'trusted_root.json') } },
    'admin',
  );
  expect(set.status, set.text).toBe(200);
}, 60_000);

afterAll(async () => {
  await shelf?.close();
  await upstream?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

function kept(name: string, version: string): { integrity: string; bundles: string; summary: string } | undefined {
  const db = new Database(join(shelf.shelf.dataDir, 'shelf.db'), { readonly: true, fileMustExist: true });
  try {
    return db.prepare('SELECT integrity, bundles, summary FROM policy_attestations WHERE name = ? AND version = ?').get(name, version) as
      { integrity: string; bundles: string; summary: string } | undefined;
  } finally {
    db.close();
  }
}

const doc = async (name: string) => {
  const reply = await shelf.request('GET', `/${name.replace('/', '%2f')}`);
  expect(reply.status, reply.text).toBe(200);
  return reply.body as {
    versions: Record<string, { dist: { integrity: string; attestations?: { url: string } } }>;
    'dist-tags': Record<string, string>;
  };
};

/**
 * pacote's checks on the bundles for a manifest, then @sigstore/verify with the test's trusted root (npm's path): the
 * publish attestation's key is the one Shelf serves at /-/npm/v1/keys, as npm looks it up.
 */
async function verifyAsNpm(
  name: string,
  version: string,
  integrity: string,
  answer: { attestations: { predicateType: string; bundle: unknown }[] },
) {
  const keys = (await shelf.request('GET', '/-/npm/v1/keys')).body.keys as { keyid: string; key: string }[];
  const root = TrustedRoot.fromJSON(upstream.sigstore.trustedRoot);
  const keyFinder = (hint: string) => {
    const key = keys.find((k) => k.keyid === hint);
    if (!key) throw new Error(`no key ${hint}`);
    return { publicKey: createPublicKey(`-----BEGIN PUBLIC KEY-----\n${key.key}\n-----END PUBLIC KEY-----`), validFor: () => true };
  };
  const verifier = new Verifier(toTrustMaterial(root, keyFinder), { ctlogThreshold: 0 });
  expect(answer.attestations.map((a) => a.predicateType)).toEqual([NPM_PUBLISH, SLSA_V1]);
  for (const { bundle: json } of answer.attestations) {
    const bundle = bundleFromJSON(json);
    if (bundle.content.$case !== 'dsseEnvelope') throw new Error('not a DSSE bundle');
    const statement = JSON.parse(bundle.content.dsseEnvelope.payload.toString('utf8')) as {
      subject: { name: string; digest: { sha512: string } }[];
    };
    expect(statement.subject[0]!.name).toBe((npa as unknown as { toPurl(s: string): string }).toPurl(`${name}@${version}`));
    expect(statement.subject[0]!.digest.sha512).toBe(ssri.parse(integrity).hexDigest());
    verifier.verify(toSignedEntity(bundle));
  }
}

async function expectHeld(name: string, version: string, words: RegExp) {
  const body = await doc(name); // the decision is made (and stored) here
  expect(Object.keys(body.versions)).not.toContain(version);
  expect(body['dist-tags'].latest).toBe('1.0.0');
  const before = shelf.snapshot();
  const reply = await shelf.request('GET', `/${name}/-/${name}-${version}.tgz`);
  expect(reply.status, reply.text).toBe(403);
  expect(reply.body.error).toContain(
    `${name}@${version} is held by Shelf's policy (rule: provenance): held for review: its provenance does not verify`,
  );
  expect(reply.body.error).toMatch(words);
  expect(reply.headers.get('x-shelf-policy')).toBe(`${version}=provenance`);
  // Shelf's attestations endpoint passes the upstream's failing bundle on for the held version, and keeps nothing of it.
  const answer = await shelf.request('GET', `/-/npm/v1/attestations/${name}@${version}`);
  expect(answer.status, answer.text).toBe(200);
  expect(shelf.snapshot()).toEqual(before);
  expect(kept(name, version)).toBeUndefined();
  // The version before it verified and was kept.
  expect(kept(name, '1.0.0')).toBeDefined();
}

describe('provenance attestations', () => {
  it('verifies a valid attestation on ingest, keeps it, and points the packument at Shelf for it', async () => {
    const body = await doc('proven');
    expect(Object.keys(body.versions).sort()).toEqual(['1.0.0', '1.1.0']);
    const dist = body.versions['1.1.0']!.dist;
    expect(dist.attestations!.url).toBe(`${shelf.shelf.url}/-/npm/v1/attestations/proven@1.1.0`);
    const row = kept('proven', '1.1.0');
    expect(row?.integrity).toBe(dist.integrity);
    const summary = JSON.parse(row!.summary) as Record<string, unknown>;
    expect(summary).toMatchObject({
      sourceRepository: 'https://github.com/acme/proven',
      workflow: '.github/workflows/release.yml',
      issuer: 'https://token.actions.githubusercontent.com',
      predicateTypes: [NPM_PUBLISH, SLSA_V1],
    });
    expect(upstream.sigstore.logIndexes.map(String)).toContain(summary.logIndex);
    const answer = await shelf.request('GET', new URL(dist.attestations!.url).pathname);
    expect(answer.status, answer.text).toBe(200);
    await verifyAsNpm('proven', '1.1.0', dist.integrity, answer.body);
  });

  it('handles scoped names as npm writes them (@scope%2fname@version)', async () => {
    const body = await doc('@acme/proven');
    expect(body.versions['2.0.0']!.dist.attestations!.url).toBe(`${shelf.shelf.url}/-/npm/v1/attestations/@acme%2fproven@2.0.0`);
    expect(kept('@acme/proven', '2.0.0')).toBeDefined();
  });

  it('holds a version whose attested digest is not its tarball, saying so, and keeps nothing of it', async () => {
    await expectHeld(
      'tampered',
      '1.1.0',
      /subject digest \(sha512 [0-9a-f]{16}…\) is not the tarball's integrity \(sha512 [0-9a-f]{16}…\)/,
    );
  });

  it('holds a version whose signing certificate does not chain to the trusted root', async () => {
    await expectHeld('rogue', '1.1.0', /does not verify: Failed to verify certificate chain/);
  });

  it("holds a version whose npm publish attestation is not signed by the registry's key", async () => {
    await expectHeld(
      'forged',
      '1.1.0',
      /its https:\/\/github\.com\/npm\/attestation\/tree\/main\/specs\/publish\/v0\.1 attestation does not verify \(key SHA256:.+\): signature verification failed/,
    );
  });

  it('the package page hears why: provenance summaries of kept versions, and the held version with its reason', async () => {
    const why = await shelf.rpc('policy.why', { name: 'tampered' }, 'admin');
    expect(why.status, why.text).toBe(200);
    expect(why.body.items).toEqual([expect.objectContaining({ version: '1.1.0', held: true, rule: 'provenance' })]);
    expect(why.body.provenance).toEqual([
      expect.objectContaining({
        version: '1.0.0',
        summary: expect.objectContaining({ sourceRepository: 'https://github.com/acme/tampered' }),
      }),
    ]);
  });

  it('serves the kept attestations with the upstream down, and they still verify', async () => {
    const integrity = (await doc('proven')).versions['1.1.0']!.dist.integrity;
    await upstream.close();
    const answer = await shelf.request('GET', '/-/npm/v1/attestations/proven@1.1.0');
    expect(answer.status, answer.text).toBe(200);
    await verifyAsNpm('proven', '1.1.0', integrity, answer.body);
    // Not kept (held, never verified) and the upstream cannot be asked: an upstream failure that says so.
    const missing = await shelf.request('GET', '/-/npm/v1/attestations/rogue@1.1.0');
    expect(missing.status).toBe(502);
  });
});
