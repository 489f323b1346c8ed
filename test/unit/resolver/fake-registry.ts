// An in-memory npm registry behind an injected fetch, so resolver unit tests run without sockets or the internet.
import { RegistryClient } from '../../../src/main/services/resolver/registry-client';
import type { Manifest, Packument } from '../../../src/main/services/resolver/types';

export const REGISTRY = 'http://registry.test/';

export type FixturePackages = Record<string, { versions: Record<string, Partial<Manifest>>; tags?: Record<string, string> }>;

export function packumentsOf(packages: FixturePackages): Map<string, Packument> {
  const docs = new Map<string, Packument>();
  for (const [name, spec] of Object.entries(packages)) {
    const versions: Record<string, Manifest> = {};
    for (const [version, manifest] of Object.entries(spec.versions)) {
      versions[version] = {
        name,
        version,
        ...manifest,
        dist: {
          tarball: `${REGISTRY}${name}/-/${name.replace(/^@[^/]+\//, '')}-${version}.tgz`,
          integrity: `sha512-${Buffer.from(`${name}@${version}`).toString('base64')}`,
        },
      };
    }
    const all = Object.keys(versions);
    docs.set(name, { name, 'dist-tags': spec.tags ?? { latest: all[all.length - 1]! }, versions });
  }
  return docs;
}

/** `tarballs` maps name@version to tarball bytes, served at the packument's tarball URL. */
export function fakeClient(packages: FixturePackages, tarballs: Record<string, Buffer> = {}): RegistryClient & { requests: string[] } {
  const docs = packumentsOf(packages);
  const requests: string[] = [];
  const byUrl = new Map<string, Buffer>();
  for (const [id, bytes] of Object.entries(tarballs)) {
    const at = id.lastIndexOf('@');
    const url = docs.get(id.slice(0, at))?.versions[id.slice(at + 1)]?.dist?.tarball;
    if (url) byUrl.set(url, bytes);
  }
  const client = new RegistryClient({
    registry: REGISTRY,
    fetch: async (url) => {
      requests.push(url);
      const tarball = byUrl.get(url);
      if (tarball) return new Response(tarball, { status: 200 });
      const name = decodeURIComponent(url.slice(REGISTRY.length));
      const doc = docs.get(name);
      return doc ? new Response(JSON.stringify(doc), { status: 200 }) : new Response('{"error":"not found"}', { status: 404 });
    },
  });
  return Object.assign(client, { requests });
}
