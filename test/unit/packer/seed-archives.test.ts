// inspectTarball with the seed registries' formats (synapse.json / vais.toml at the archive root): which format an
// archive is, the same safety rules with the root as the package folder, and npm's door still taking npm's format alone.
import { describe, expect, it } from 'vitest';
import type { Limits } from '../../../src/main/config/config';
import { ShelfError } from '../../../src/main/errors';
import { ALL_ECOSYSTEMS, inspectTarball } from '../../../src/main/services/packer/inspect-tarball';
import { manifestEntry, packFiles, rawTarball } from '../../helpers/tar-fixtures';

const LIMITS: Limits = { maxTarballBytes: 1024 * 1024, maxUnpackedBytes: 1024 * 1024, maxTarballEntries: 100 };
const SYNAPSE = JSON.stringify({ name: 'syn', version: '1.0.0', description: 'd', dependencies: { math: '^1.0.0' } });
const VAIS =
  '[package]\nname = "vai"\nversion = "0.1.0"\nauthors = ["A <a@x>"]\n\n[dependencies]\nutil = "1.2"\ncore = { version = "2", features = ["x"] }\n';

const any = (bytes: Buffer) => inspectTarball(bytes, LIMITS, { ecosystems: ALL_ECOSYSTEMS });
async function refusal(promise: Promise<unknown>): Promise<{ status: number; message: string }> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ShelfError);
  return { status: (error as ShelfError).status, message: (error as ShelfError).message };
}

describe('seed archives', () => {
  it('reads synapse.json at the root as the manifest, keeping every file with its whole path', async () => {
    const inspection = await any(await packFiles({ 'synapse.json': SYNAPSE, 'main.syn': 'x', 'lib/a.syn': 'yy' }));
    expect(inspection).toMatchObject({ ecosystem: 'synapse', manifestFile: 'synapse.json', topFolder: '' });
    expect(inspection.manifest).toEqual({ name: 'syn', version: '1.0.0', description: 'd', dependencies: { math: '^1.0.0' } });
    expect(inspection.files.map((f) => f.path).sort()).toEqual(['lib/a.syn', 'main.syn', 'synapse.json']);
  });

  it('reads vais.toml written as ./vais.toml, its dependency tables by their version, the first author', async () => {
    const bytes = rawTarball([
      { path: './vais.toml', body: VAIS },
      { path: './src/lib.vais', body: 'F f() = 1' },
    ]);
    const inspection = await any(bytes);
    expect(inspection.ecosystem).toBe('vais');
    expect(inspection.manifest).toEqual({ name: 'vai', version: '0.1.0', author: 'A <a@x>', dependencies: { util: '1.2', core: '2' } });
    expect(inspection.files.map((f) => f.path).sort()).toEqual(['src/lib.vais', 'vais.toml']);
  });

  it("is npm's when package/package.json is there, whatever else the root holds", async () => {
    const inspection = await any(rawTarball([manifestEntry(), { path: 'synapse.json', body: SYNAPSE }]));
    expect(inspection).toMatchObject({ ecosystem: 'npm', manifestFile: 'package/package.json' });
  });

  it("is refused by the npm door (npm formats only) with npm's own message", async () => {
    expect(await refusal(inspectTarball(await packFiles({ 'synapse.json': SYNAPSE }), LIMITS))).toEqual({
      status: 400,
      message: expect.stringContaining('tarball has no package.json in its top-level folder'),
    });
  });

  it('keeps links inside the archive: a link to a sibling folder passes, one out of the root does not', async () => {
    const ok = await any(
      rawTarball([
        { path: 'synapse.json', body: SYNAPSE },
        { path: 'a/link', type: '2', linkpath: '../b/file' },
      ]),
    );
    expect(ok.ecosystem).toBe('synapse');
    expect(
      await refusal(
        any(
          rawTarball([
            { path: 'synapse.json', body: SYNAPSE },
            { path: 'a/link', type: '2', linkpath: '../../etc' },
          ]),
        ),
      ),
    ).toEqual({
      status: 400,
      message: expect.stringContaining('points outside the archive'),
    });
    expect(
      await refusal(
        any(
          rawTarball([
            { path: 'vais.toml', body: VAIS },
            { path: 'h', type: '1', linkpath: '../x' },
          ]),
        ),
      ),
    ).toMatchObject({
      status: 400,
    });
  });

  it("still holds an npm archive's links to its package folder when other formats were allowed", async () => {
    const bytes = rawTarball([manifestEntry(), { path: 'package/link', type: '2', linkpath: '../other/file' }]);
    expect(await refusal(any(bytes))).toEqual({ status: 400, message: expect.stringContaining('outside the package folder "package"') });
  });

  it('refuses a manifest in a subfolder only, both manifests at once, bad JSON, bad TOML, a path dependency', async () => {
    expect((await refusal(any(await packFiles({ 'lib/synapse.json': SYNAPSE })))).message).toMatch(/no manifest Shelf knows/);
    expect((await refusal(any(await packFiles({ 'synapse.json': SYNAPSE, 'vais.toml': VAIS })))).message).toMatch(/both/);
    expect((await refusal(any(await packFiles({ 'synapse.json': '{' })))).message).toMatch(
      /synapse\.json in the archive is not valid JSON/,
    );
    expect((await refusal(any(await packFiles({ 'vais.toml': 'name = ' })))).message).toMatch(/not valid TOML at line 1/);
    expect(
      (
        await refusal(
          any(await packFiles({ 'vais.toml': '[package]\nname = "a"\nversion = "1.0.0"\n[dependencies]\nx = { path = "../x" }\n' })),
        )
      ).message,
    ).toMatch(/dependency 'x' has no version requirement/);
  });
});
