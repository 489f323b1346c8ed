// The resolver's metadata path: trimmed packuments, abbreviated documents with a license fallback, and the fast version pick.
import * as crypto from 'node:crypto';
import * as zlib from 'node:zlib';
import pickManifest from 'npm-pick-manifest';
import { describe, expect, it } from 'vitest';
import { ABBREVIATED_FIELDS } from '../../../src/main/services/packages/packument';
import { transformPackument } from '../../../src/main/services/mirror/packument-transform';
import { pickVersion } from '../../../src/main/services/resolver/pick-version';
import { RegistryClient, trimPackument } from '../../../src/main/services/resolver/registry-client';
import type { Manifest, Packument } from '../../../src/main/services/resolver/types';

const REGISTRY = 'http://registry.test/';
const ABBREVIATED = 'application/vnd.npm.install-v1+json';

function doc(name: string, versions: Record<string, Partial<Manifest>>, latest?: string): Packument {
  const all = Object.keys(versions);
  return {
    name,
    'dist-tags': { latest: latest ?? all[all.length - 1]! },
    versions: Object.fromEntries(
      Object.entries(versions).map(([v, m]) => [v, { name, version: v, ...m, dist: { tarball: `${REGISTRY}${name}/-/${name}-${v}.tgz` } }]),
    ),
  };
}

/** A registry answering abbreviated requests with `abbreviated(name)` (when given) and full ones with the document. */
function client(docs: Record<string, Packument>, abbreviated?: (name: string) => Packument) {
  const requests: string[] = [];
  const c = new RegistryClient({
    registry: REGISTRY,
    fullMetadata: true,
    fetch: async (url, init) => {
      const name = decodeURIComponent(url.slice(REGISTRY.length));
      const wantsAbbreviated = init?.headers?.accept?.startsWith(ABBREVIATED) && abbreviated !== undefined;
      requests.push(`${wantsAbbreviated ? 'abbreviated' : 'full'} ${name}`);
      const body = wantsAbbreviated ? abbreviated(name) : docs[name];
      return new Response(JSON.stringify(body), {
        status: 200,
        headers: { 'content-type': wantsAbbreviated ? ABBREVIATED : 'application/json' },
      });
    },
  });
  return Object.assign(c, { requests });
}

describe('trimPackument', () => {
  it('keeps what resolution and the lockfile read, in the manifest order, and only the install hooks of scripts', () => {
    const full = {
      ...doc('a', {
        '1.0.0': {
          description: 'long',
          license: 'MIT',
          readme: 'x'.repeat(1000),
          scripts: { test: 'vitest', postinstall: 'node setup.js' },
          dependencies: { b: '^1.0.0' },
          maintainers: [{ name: 'm' }],
        } as Partial<Manifest>,
      }),
      readme: 'top readme',
      time: { '1.0.0': '2024-01-01T00:00:00.000Z' },
    };
    const trimmed = trimPackument(full);
    expect(Object.keys(trimmed)).toEqual(['name', 'dist-tags', 'versions']);
    const m = trimmed.versions['1.0.0']!;
    expect(Object.keys(m)).toEqual(['name', 'version', 'license', 'scripts', 'dependencies', 'dist']);
    expect(m.scripts).toEqual({ postinstall: 'node setup.js' });
  });
});

describe('RegistryClient with fullMetadata', () => {
  it('uses an abbreviated document that carries licenses, with one request', async () => {
    const full = doc('a', { '1.0.0': { license: 'MIT', description: 'd' } });
    const c = client({ a: full }, () => doc('a', { '1.0.0': { license: 'MIT' } }));
    expect((await c.packument('a')).versions['1.0.0']!.license).toBe('MIT');
    expect(c.requests).toEqual(['abbreviated a']);
  });

  it('falls back to the full document when the abbreviated one has no license, and asks for full ones after three', async () => {
    const docs = Object.fromEntries(['a', 'b', 'c', 'd'].map((n) => [n, doc(n, { '1.0.0': { license: 'ISC' } })]));
    const c = client(docs, (name) => doc(name, { '1.0.0': {} }));
    for (const name of ['a', 'b', 'c', 'd']) expect((await c.packument(name)).versions['1.0.0']!.license).toBe('ISC');
    expect(c.requests).toEqual(['abbreviated a', 'full a', 'abbreviated b', 'full b', 'abbreviated c', 'full c', 'full d']);
  });

  it('takes a full document as it is when the registry answers an abbreviated request with one', async () => {
    const c = client({ a: doc('a', { '1.0.0': {} }) });
    await c.packument('a');
    expect(c.requests).toEqual(['full a']);
  });
});

describe('pickVersion', () => {
  const node = 'v20.0.0';
  const cases: [string, Packument][] = [
    ['latest satisfies', doc('p', { '1.0.0': {}, '1.1.0': {}, '2.0.0': {} }, '1.1.0')],
    ['deprecated latest', doc('p', { '1.0.0': {}, '1.1.0': { deprecated: 'no' }, '1.2.0-beta.1': {} }, '1.1.0')],
    [
      'engine-incompatible highest',
      doc('p', { '1.0.0': {}, '1.2.0': { engines: { node: '>=22' } }, '1.3.0': { deprecated: 'x' } }, '1.0.0'),
    ],
    ['all deprecated', doc('p', { '1.0.0': { deprecated: 'a' }, '1.1.0': { deprecated: 'b' } })],
    ['prereleases', doc('p', { '1.0.0-rc.1': {}, '1.0.0-rc.2': {}, '0.9.0': {} }, '0.9.0')],
  ];
  for (const [label, packument] of cases) {
    for (const range of ['*', '^1.0.0', '~1.0.0', '>=0.9.0', '1.x', '>=1.0.0-0', '1.0.0', '<1.1.0']) {
      it(`chooses what npm-pick-manifest chooses: ${label}, "${range}"`, () => {
        let expected: string;
        try {
          expected = pickManifest(structuredClone(packument), range, { defaultTag: 'latest', nodeVersion: node }).version;
        } catch {
          expected = 'none';
        }
        let actual: string;
        try {
          actual = pickVersion(packument, { kind: 'range', packageName: 'p', range } as never, node).manifest.version;
        } catch {
          actual = 'none';
        }
        expect(actual).toBe(expected);
      });
    }
  }

  it('records the newer matching versions it passed over and the newest one the range kept out', () => {
    const packument = doc('p', { '1.0.0': {}, '1.1.0': { deprecated: 'broken' }, '2.0.0': {} }, '2.0.0');
    const { manifest, choice } = pickVersion(packument, { kind: 'range', packageName: 'p', range: '^1.0.0' } as never, node);
    expect(manifest.version).toBe('1.0.0');
    expect(choice.skipped).toEqual([{ version: '1.1.0', reason: 'deprecated: broken' }]);
    expect(choice.newestRejected).toEqual({ version: '2.0.0', range: '^1.0.0' });
  });
});

describe("the mirror's abbreviated document", () => {
  it('keeps license and the manifest order, and derives hasInstallScript from the install hooks', () => {
    const upstream = {
      name: 'a',
      'dist-tags': { latest: '1.0.0' },
      versions: {
        '1.0.0': {
          name: 'a',
          version: '1.0.0',
          license: 'MIT',
          description: 'dropped',
          scripts: { postinstall: 'node x.js' },
          engines: { node: '>=18' },
          dependencies: { b: '1' },
          dist: { tarball: 'https://upstream.test/a/-/a-1.0.0.tgz', integrity: 'sha512-x' },
        },
      },
    };
    const out = transformPackument(
      {
        raw: Buffer.from(JSON.stringify(upstream)),
        name: 'a',
        baseUrl: 'http://shelf.test/',
        abbreviatedFields: ABBREVIATED_FIELDS,
        keepVersions: null,
        distTags: null,
      },
      zlib,
      crypto,
    );
    const abbreviated = JSON.parse(Buffer.from(out.abbrev).toString('utf8')) as Packument;
    const m = abbreviated.versions['1.0.0']!;
    expect(Object.keys(m)).toEqual(['name', 'version', 'license', 'engines', 'dependencies', 'dist', 'hasInstallScript']);
    expect(m.hasInstallScript).toBe(true);
    expect(m.dist?.tarball).toBe('http://shelf.test/a/-/a-1.0.0.tgz');
  });
});
