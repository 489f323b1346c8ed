// The tests' own sigstore: a Fulcio-style CA (certificates built with @peculiar/x509), a Rekor-style log key signing
// inclusion promises, the trusted_root.json naming both, and npm-shaped attestation answers (an in-toto statement about
// `pkg:npm/<name>@<version>` with the tarball's sha512, in a DSSE envelope signed by a short-lived certificate the CA
// issued for a GitHub Actions workflow, logged as a dsse 0.0.1 entry). Nothing here is mocked: the bundles are real
// sigstore bundles that @sigstore/verify checks, only the roots of trust are the test's.
import { createHash, generateKeyPairSync, sign, webcrypto, type KeyObject } from 'node:crypto';
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import ssri from 'ssri';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const EC = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const PAYLOAD_TYPE = 'application/vnd.in-toto+json';
export const SLSA_V1 = 'https://slsa.dev/provenance/v1';
export const NPM_PUBLISH = 'https://github.com/npm/attestation/tree/main/specs/publish/v0.1';
const BUNDLE_V01 = 'application/vnd.dev.sigstore.bundle+json;version=0.1';

export interface AttestOptions {
  /** Sign a statement carrying this sha512 (hex) instead of the tarball's: the tampered case. */
  digest?: string;
  /** Issue the signing certificate from a CA the trusted root does not list. */
  untrusted?: boolean;
  repository?: string;
  /** Also npm's publish attestation, signed with the registry's key (the one /-/npm/v1/keys lists under `keyid`). */
  publishKey?: { keyid: string; privateKey: KeyObject; publicKey: KeyObject };
}

export interface TestSigstore {
  /** trusted_root.json naming the test's CA and log. */
  trustedRoot: Record<string, unknown>;
  /** The upstream's answer for /-/npm/v1/attestations/<name>@<version>. */
  attest(name: string, version: string, integrity: string, options?: AttestOptions): Promise<{ attestations: unknown[] }>;
  logIndexes: number[];
}

interface Ca {
  cert: x509.X509Certificate;
  keys: webcrypto.CryptoKeyPair;
}

async function makeCa(commonName: string): Promise<Ca> {
  const keys = (await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: `CN=${commonName}, O=shelf-test`,
    notBefore: new Date(Date.now() - 365 * 86_400_000),
    notAfter: new Date(Date.now() + 365 * 86_400_000),
    keys,
    signingAlgorithm: EC,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { cert, keys };
}

const b64 = (bytes: ArrayBuffer | Buffer) => Buffer.from(bytes as ArrayBuffer).toString('base64');
const pae = (type: string, payload: Buffer) =>
  Buffer.concat([Buffer.from(`DSSEv1 ${Buffer.byteLength(type)} ${type} ${payload.length} `), payload]);
/** JSON canonicalisation (RFC 8785 for these plain objects: sorted keys, no spaces), as Rekor signs it. */
const canonical = (value: unknown): string =>
  Array.isArray(value)
    ? `[${value.map(canonical).join(',')}]`
    : value && typeof value === 'object'
      ? `{${Object.keys(value)
          .sort()
          .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
          .join(',')}}`
      : JSON.stringify(value);

export async function createTestSigstore(): Promise<TestSigstore> {
  const fulcio = await makeCa('shelf-test-fulcio');
  const rogue = await makeCa('shelf-test-rogue');
  const log = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const logSpki = (log.publicKey as KeyObject).export({ format: 'der', type: 'spki' });
  const logId = createHash('sha256').update(logSpki).digest();
  const since = new Date(Date.now() - 365 * 86_400_000).toISOString();
  const trustedRoot = {
    mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
    tlogs: [
      {
        baseUrl: 'https://rekor.shelf-test.invalid',
        hashAlgorithm: 'SHA2_256',
        publicKey: { rawBytes: b64(logSpki), keyDetails: 'PKIX_ECDSA_P256_SHA_256', validFor: { start: since } },
        logId: { keyId: b64(logId) },
      },
    ],
    certificateAuthorities: [
      {
        subject: { organization: 'shelf-test', commonName: 'shelf-test-fulcio' },
        uri: 'https://fulcio.shelf-test.invalid',
        certChain: { certificates: [{ rawBytes: b64(fulcio.cert.rawData) }] },
        validFor: { start: since },
      },
    ],
    ctlogs: [],
    timestampAuthorities: [],
  };
  const logIndexes: number[] = [];
  let nextIndex = 41_000_000;

  async function attest(name: string, version: string, integrity: string, options: AttestOptions = {}) {
    const repository = options.repository ?? `https://github.com/acme/${name.replace(/^@/, '').replace('/', '-')}`;
    const digest = options.digest ?? Buffer.from(ssri.parse(integrity).sha512![0]!.digest, 'base64').toString('hex');
    const purl = `pkg:npm/${name.replace(/^@/, '%40')}@${version}`;
    const statement = {
      _type: 'https://in-toto.io/Statement/v1',
      subject: [{ name: purl, digest: { sha512: digest } }],
      predicateType: SLSA_V1,
      predicate: {
        buildDefinition: {
          buildType: 'https://slsa-framework.github.io/github-actions-buildtypes/workflow/v1',
          externalParameters: { workflow: { ref: 'refs/heads/main', repository, path: '.github/workflows/release.yml' } },
        },
        runDetails: { builder: { id: 'https://github.com/actions/runner/github-hosted' } },
      },
    };
    const payload = Buffer.from(JSON.stringify(statement));
    const issuer = options.untrusted ? rogue : fulcio;
    const keys = (await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
    const now = Date.now();
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: createHash('sha256').update(`${name}@${version}${now}`).digest('hex').slice(0, 16),
      subject: 'CN=sigstore',
      issuer: issuer.cert.subject,
      notBefore: new Date(now - 60_000),
      notAfter: new Date(now + 10 * 60_000),
      signingKey: issuer.keys.privateKey,
      publicKey: keys.publicKey,
      signingAlgorithm: EC,
      extensions: [
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension(['1.3.6.1.5.5.7.3.3'], false),
        new x509.SubjectAlternativeNameExtension(
          [{ type: 'url', value: `${repository}/.github/workflows/release.yml@refs/heads/main` }],
          true,
        ),
        await x509.AuthorityKeyIdentifierExtension.create(issuer.keys.publicKey),
        // Fulcio's OIDC issuer (v1: the raw string).
        new x509.Extension('1.3.6.1.4.1.57264.1.1', false, Buffer.from('https://token.actions.githubusercontent.com')),
      ],
    });
    const signature = Buffer.from(await webcrypto.subtle.sign(EC, keys.privateKey, pae(PAYLOAD_TYPE, payload)));
    // WebCrypto signs ECDSA as r||s; sigstore (like Rekor) expects DER.
    const derSignature = toDer(signature);
    const bundle = {
      mediaType: BUNDLE_V01,
      verificationMaterial: {
        x509CertificateChain: { certificates: [{ rawBytes: b64(cert.rawData) }] },
        tlogEntries: [logEntry(payload, derSignature, Buffer.from(cert.toString('pem')), now)],
        timestampVerificationData: { rfc3161Timestamps: [] },
      },
      dsseEnvelope: {
        payload: payload.toString('base64'),
        payloadType: PAYLOAD_TYPE,
        signatures: [{ sig: derSignature.toString('base64'), keyid: '' }],
      },
    };
    const attestations: unknown[] = [{ predicateType: SLSA_V1, bundle }];
    if (options.publishKey) {
      // npm's publish attestation: signed with the registry's own key (keyid set), logged like the provenance.
      const key = options.publishKey;
      const publishPayload = Buffer.from(
        JSON.stringify({
          _type: 'https://in-toto.io/Statement/v1',
          subject: [{ name: purl, digest: { sha512: digest } }],
          predicateType: NPM_PUBLISH,
          predicate: { name, version, registry: 'https://registry.npmjs.org' },
        }),
      );
      const sig = sign('sha256', pae(PAYLOAD_TYPE, publishPayload), key.privateKey);
      const pem = Buffer.from(key.publicKey.export({ format: 'pem', type: 'spki' }) as string);
      attestations.unshift({
        predicateType: NPM_PUBLISH,
        bundle: {
          mediaType: BUNDLE_V01,
          verificationMaterial: {
            publicKey: { hint: key.keyid },
            tlogEntries: [logEntry(publishPayload, sig, pem, now)],
            timestampVerificationData: { rfc3161Timestamps: [] },
          },
          dsseEnvelope: {
            payload: publishPayload.toString('base64'),
            payloadType: PAYLOAD_TYPE,
            signatures: [{ sig: sig.toString('base64'), keyid: key.keyid }],
          },
        },
      });
    }
    return { attestations };
  }

  /** A Rekor-style dsse 0.0.1 entry for an envelope, with an inclusion promise signed by the test's log key. */
  function logEntry(payload: Buffer, signature: Buffer, verifierPem: Buffer, now: number) {
    const payloadHash = createHash('sha256').update(payload).digest('hex');
    const body = {
      apiVersion: '0.0.1',
      kind: 'dsse',
      spec: {
        envelopeHash: { algorithm: 'sha256', value: payloadHash },
        payloadHash: { algorithm: 'sha256', value: payloadHash },
        signatures: [{ signature: signature.toString('base64'), verifier: verifierPem.toString('base64') }],
      },
    };
    const canonicalizedBody = Buffer.from(canonical(body));
    const logIndex = nextIndex++;
    logIndexes.push(logIndex);
    const integratedTime = Math.floor(now / 1000);
    const promise = canonical({ body: canonicalizedBody.toString('base64'), integratedTime, logID: logId.toString('hex'), logIndex });
    return {
      logIndex: String(logIndex),
      logId: { keyId: logId.toString('base64') },
      kindVersion: { kind: 'dsse', version: '0.0.1' },
      integratedTime: String(integratedTime),
      inclusionPromise: { signedEntryTimestamp: sign('sha256', Buffer.from(promise), log.privateKey).toString('base64') },
      canonicalizedBody: canonicalizedBody.toString('base64'),
    };
  }

  return { trustedRoot, attest, logIndexes };
}

/** An ECDSA r||s signature (WebCrypto's form) as the DER SEQUENCE of two INTEGERs. */
function toDer(raw: Buffer): Buffer {
  const int = (bytes: Buffer) => {
    let i = 0;
    while (i < bytes.length - 1 && bytes[i] === 0) i++;
    let v = bytes.subarray(i);
    if (v[0]! & 0x80) v = Buffer.concat([Buffer.from([0]), v]);
    return Buffer.concat([Buffer.from([0x02, v.length]), v]);
  };
  const half = raw.length / 2;
  const seq = Buffer.concat([int(raw.subarray(0, half)), int(raw.subarray(half))]);
  return Buffer.concat([Buffer.from([0x30, seq.length]), seq]);
}
