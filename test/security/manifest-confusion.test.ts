// Manifest confusion (issue 11 item 8): what installers act on is the tarball's package.json; a manifest beside it that
// hides a postinstall script or a dependency is refused, naming the field, through every publish door.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installView } from '../../src/main/services/packages/install-fields';
import { makeTarball, publishBody, startAttacked, type Attacked, type Reply } from './support';

let t: Attacked;

async function refusedUnchanged(attempt: () => Promise<Reply>, message: RegExp): Promise<void> {
  const before = t.snapshot();
  const reply = await attempt();
  expect(reply.status, reply.text).toBe(400);
  // npm's door answers {error}, the REST API {error: code, message}.
  expect(String(reply.body?.message ?? reply.body?.error)).toMatch(message);
  expect(t.snapshot()).toEqual(before);
}

/** The real package.json: an install script and a dependency the attacker wants hidden from the packument. */
const packed = (name: string, version: string) => ({
  name,
  version,
  scripts: { postinstall: 'node steal.js' },
  dependencies: { 'left-pad': '^1.0.0' },
});
const tarballOf = (manifest: Record<string, unknown>) =>
  makeTarball({ 'package.json': JSON.stringify(manifest), 'steal.js': 'process.exit(0);\n' });

beforeAll(async () => {
  t = await startAttacked();
}, 60_000);
afterAll(async () => t?.close());

describe('a manifest that hides what the tarball does is refused', () => {
  it('npm protocol: hidden install script', async () => {
    const tarball = await tarballOf(packed('innocent', '1.0.0'));
    await refusedUnchanged(
      () =>
        t.request('PUT', '/innocent', {
          token: t.user.token,
          body: publishBody('innocent', '1.0.0', tarball, { manifest: { dependencies: { 'left-pad': '^1.0.0' } } }),
        }),
      /the manifest sent with the publish of innocent@1\.0\.0 says scripts is nothing, but the package\.json inside the tarball says \{"postinstall":"node steal\.js"\}/,
    );
  });

  it('npm protocol: a different dependency list', async () => {
    const tarball = await tarballOf(packed('innocent', '1.0.0'));
    const body = publishBody('innocent', '1.0.0', tarball, {
      manifest: { scripts: { postinstall: 'node steal.js' }, dependencies: { 'left-pad': '^1.0.0', lodash: '*' } },
    });
    await refusedUnchanged(
      () => t.request('PUT', '/innocent', { token: t.user.token, body }),
      /says dependencies is \{"left-pad":"\^1\.0\.0","lodash":"\*"\}, but the package\.json inside the tarball says \{"left-pad":"\^1\.0\.0"\}/,
    );
  });

  it('/api/v1 JSON and multipart: metadata that names other dependencies', async () => {
    const tarball = await tarballOf(packed('innocent', '1.0.0'));
    const metadata = { name: 'innocent', version: '1.0.0', dependencies: { 'left-pad': '^2.0.0' } };
    const message =
      /the metadata of innocent@1\.0\.0 says dependencies is \{"left-pad":"\^2\.0\.0"\}, but the package\.json inside the tarball says/;
    await refusedUnchanged(
      () => t.request('POST', '/api/v1/packages', { token: t.user.token, body: { ...metadata, tarball: tarball.toString('base64') } }),
      message,
    );
    const form = new FormData();
    form.append('metadata', JSON.stringify(metadata));
    form.append('tarball', new Blob([tarball]), 'innocent-1.0.0.tgz');
    const multipart = new Request(`${t.url}/api/v1/packages`, { method: 'POST', body: form });
    const rawBody = Buffer.from(await multipart.arrayBuffer());
    const headers = { 'content-type': multipart.headers.get('content-type')! };
    await refusedUnchanged(() => t.request('POST', '/api/v1/packages', { token: t.user.token, rawBody, headers }), message);
  });
});

describe('an honest publish', () => {
  it("is served with the tarball's install fields and marked as having an install script", async () => {
    const manifest = packed('honest', '1.0.0');
    const tarball = await tarballOf(manifest);
    const published = await t.request('PUT', '/honest', {
      token: t.user.token,
      body: publishBody('honest', '1.0.0', tarball, { manifest }),
    });
    expect(published.status, published.text).toBe(201);
    const full = (await t.request('GET', '/honest')).body.versions['1.0.0'];
    expect(full.scripts).toEqual({ postinstall: 'node steal.js' });
    expect(full.dependencies).toEqual({ 'left-pad': '^1.0.0' });
    const corgi = await t.request('GET', '/honest', { headers: { accept: 'application/vnd.npm.install-v1+json' } });
    expect(corgi.body.versions['1.0.0']).toMatchObject({ hasInstallScript: true, dependencies: { 'left-pad': '^1.0.0' } });
  });

  it("through /api/v1 takes the archive's dependencies, with or without matching metadata", async () => {
    const tarball = await tarballOf(packed('honest-api', '1.0.0'));
    const reply = await t.request('POST', '/api/v1/packages', {
      token: t.user.token,
      body: { name: 'honest-api', version: '1.0.0', tarball: tarball.toString('base64') },
    });
    expect(reply.status, reply.text).toBe(201);
    expect((await t.request('GET', '/api/v1/packages/honest-api/1.0.0')).body.dependencies).toEqual({ 'left-pad': '^1.0.0' });
  });
});

describe("the comparison forgives what npm itself rewrites before it publishes (npm's prepare normalization)", () => {
  const files = new Set(['package.json', 'cli.js', 'binding.gyp', 'bin/tool', 'bin/other.js']);
  it('bin forms, bundled names, .bin paths in scripts, gyp and directories.bin compare equal to their normalized forms', () => {
    const raw = {
      name: '@me/tool',
      version: '1.0.0',
      bin: './cli.js',
      bundledDependencies: true,
      dependencies: { a: '1', b: '2' },
      optionalDependencies: { b: '2' },
      scripts: { build: './node_modules/.bin/tsc', nonsense: 5 },
    };
    const prepared = {
      name: '@me/tool',
      version: '1.0.0',
      bin: { tool: 'cli.js' },
      bundleDependencies: ['a', 'b'],
      dependencies: { a: '1' },
      optionalDependencies: { b: '2' },
      scripts: { build: 'tsc', install: 'node-gyp rebuild' },
    };
    expect(installView(prepared, files)).toEqual(installView(raw, files));
    expect(installView(raw, files).scripts).toEqual({ build: 'tsc', install: 'node-gyp rebuild' });
    const byDir = installView({ name: 'x', version: '1.0.0', directories: { bin: './bin' } }, files);
    expect(byDir.bin).toEqual({ tool: 'bin/tool', 'other.js': 'bin/other.js' });
  });

  it('but not an added install script or dependency', () => {
    const raw = { name: 'x', version: '1.0.0', dependencies: { a: '1' } };
    expect(installView({ ...raw, scripts: { postinstall: 'x' } }, files)).not.toEqual(installView(raw, files));
    expect(installView({ ...raw, dependencies: { a: '1', b: '1' } }, files)).not.toEqual(installView(raw, files));
    expect(installView({ ...raw, os: ['linux'] }, files)).not.toEqual(installView(raw, files));
  });
});
