// The stand-in upstream for the policy tests: packages with versions published minutes, days and months ago, a takedown,
// an added postinstall, signed and unsigned versions (keys generated here), and an advisory a new version fixes.
import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import ssri from 'ssri';
import { startFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream';
import { makeTarball } from '../helpers/app-harness';
import { createTestSigstore, type TestSigstore } from './sigstore';

export const MINUTE = 60_000;
export const DAY = 86_400_000;

export interface VersionSpec {
  publishedAgoMs: number;
  scripts?: Record<string, string>;
  dependencies?: Record<string, string>;
  /**
   * Published with SLSA provenance: npm's `dist.attestations` pointer is in the manifest and the upstream answers for it
   * with a bundle from the test's sigstore. 'tampered': the statement's digest is not the tarball's; 'untrusted': the
   * certificate comes from a CA the trusted root does not list; 'forged-publish': npm's publish attestation is signed
   * with another key under the registry key's id.
   */
  provenance?: boolean | 'tampered' | 'untrusted' | 'forged-publish';
  license?: string;
  /** 'valid' signs name@version:integrity with the upstream's key; 'forged' signs other bytes with it. */
  signature?: 'valid' | 'forged';
}

export interface PolicyUpstream {
  fake: FakeUpstream;
  keyId: string;
  /** Publish time of a version, as the packument says it (ISO). */
  published(name: string, version: string): string;
  tarball(name: string, version: string): Buffer;
  /** Takes a version out of the upstream's packument (a takedown), or answers `status` for its tarball. */
  remove(name: string, version: string): void;
  refuseTarball(name: string, version: string, status: number): void;
  advisoryRequests: string[];
  /** The test's sigstore (its trusted_root.json names the CA and log key the attestations are signed with). */
  sigstore: TestSigstore;
  close(): Promise<void>;
}

const readBody = (request: IncomingMessage) =>
  new Promise<string>((resolve) => {
    let text = '';
    request.on('data', (chunk: Buffer) => (text += chunk.toString()));
    request.on('end', () => resolve(text));
  });

export async function startPolicyUpstream(
  packages: Record<string, Record<string, VersionSpec>>,
  advisories: Record<string, { id: number; title: string; vulnerable_versions: string; severity: string; url: string }[]>,
): Promise<PolicyUpstream> {
  const fake = await startFakeUpstream();
  const sigstore = await createTestSigstore();
  const now = Date.now();
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const spki = (publicKey as KeyObject).export({ format: 'der', type: 'spki' });
  const keyId = `SHA256:${createHash('sha256').update(spki).digest('base64')}`;
  const tarballs = new Map<string, Buffer>();
  const times = new Map<string, string>();
  const removed = new Set<string>();
  const refused = new Map<string, number>();
  const advisoryRequests: string[] = [];
  const unscoped = (name: string) => name.slice(name.indexOf('/') + 1);

  for (const [name, versions] of Object.entries(packages))
    for (const [version, spec] of Object.entries(versions)) {
      tarballs.set(
        `${name}@${version}`,
        await makeTarball({
          'package.json': JSON.stringify({ name, version, scripts: spec.scripts, dependencies: spec.dependencies }),
          'index.js': `module.exports = '${version}';\n`,
        }),
      );
      times.set(`${name}@${version}`, new Date(now - spec.publishedAgoMs).toISOString());
    }

  const packument = (name: string) => {
    const versions: Record<string, unknown> = {};
    const time: Record<string, string> = { created: '2025-01-01T00:00:00.000Z', modified: new Date(now).toISOString() };
    for (const [version, spec] of Object.entries(packages[name]!)) {
      if (removed.has(`${name}@${version}`)) continue;
      const bytes = tarballs.get(`${name}@${version}`)!;
      const integrity = ssri.fromData(bytes, { algorithms: ['sha512'] }).toString();
      const signed = spec.signature === 'forged' ? `${name}@${version}:sha512-forged` : `${name}@${version}:${integrity}`;
      versions[version] = {
        name,
        version,
        ...(spec.license && { license: spec.license }),
        ...(spec.scripts && { scripts: spec.scripts }),
        ...(spec.dependencies && { dependencies: spec.dependencies }),
        dist: {
          tarball: `${fake.url}${name}/-/${unscoped(name)}-${version}.tgz`,
          integrity,
          shasum: createHash('sha1').update(bytes).digest('hex'),
          ...(spec.provenance && {
            attestations: {
              url: `${fake.url}-/npm/v1/attestations/${name}@${version}`,
              provenance: { predicateType: 'https://slsa.dev/provenance/v1' },
            },
          }),
          ...(spec.signature && {
            signatures: [{ keyid: keyId, sig: sign('sha256', Buffer.from(signed), privateKey).toString('base64') }],
          }),
        },
      };
      time[version] = times.get(`${name}@${version}`)!;
    }
    const releases = Object.keys(versions);
    return { name, 'dist-tags': { latest: releases.at(-1) }, versions, time };
  };

  for (const name of Object.keys(packages)) {
    const path = `/${name.replace('/', '%2f')}`;
    fake.route(path, (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(packument(name))));
    if (name.startsWith('@'))
      fake.route(`/${name}`, (_req, res) =>
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(packument(name))),
      );
    for (const [version, spec] of Object.entries(packages[name]!)) {
      if (spec.provenance) {
        const bytes = tarballs.get(`${name}@${version}`)!;
        const integrity = ssri.fromData(bytes, { algorithms: ['sha512'] }).toString();
        const answer = await sigstore.attest(name, version, integrity, {
          digest: spec.provenance === 'tampered' ? createHash('sha512').update('other bytes').digest('hex') : undefined,
          untrusted: spec.provenance === 'untrusted',
          publishKey: {
            keyid: keyId,
            ...(spec.provenance === 'forged-publish' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : { privateKey, publicKey }),
          },
        });
        fake.route(`/-/npm/v1/attestations/${name.replace('/', '%2f')}@${version}`, (_req, res) =>
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer)),
        );
      }
      fake.route(`/${name}/-/${unscoped(name)}-${version}.tgz`, (_req, res) => {
        const status = refused.get(`${name}@${version}`);
        if (status) return void res.writeHead(status, { 'content-type': 'application/json' }).end('{"error":"gone"}');
        res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(tarballs.get(`${name}@${version}`));
      });
    }
  }
  fake.route('/-/npm/v1/keys', (_req, res) =>
    res.writeHead(200, { 'content-type': 'application/json' }).end(
      JSON.stringify({
        keys: [
          { expires: null, keyid: keyId, keytype: 'ecdsa-sha2-nistp256', scheme: 'ecdsa-sha2-nistp256', key: spki.toString('base64') },
        ],
      }),
    ),
  );
  fake.route('/-/npm/v1/security/advisories/bulk', (req, res) => {
    void readBody(req).then((text) => {
      const asked = Object.keys(JSON.parse(text || '{}') as Record<string, unknown>);
      advisoryRequests.push(...asked);
      const answer: Record<string, unknown> = {};
      for (const name of asked) if (advisories[name]) answer[name] = advisories[name];
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
    });
  });

  return {
    fake,
    keyId,
    published: (name, version) => times.get(`${name}@${version}`)!,
    tarball: (name, version) => tarballs.get(`${name}@${version}`)!,
    remove: (name, version) => removed.add(`${name}@${version}`),
    refuseTarball: (name, version, status) => refused.set(`${name}@${version}`, status),
    advisoryRequests,
    sigstore,
    close: () => fake.close(),
  };
}
