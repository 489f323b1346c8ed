// `npm run package` sets Electron's fuses through scripts/fuses.mjs. No Electron binary can be downloaded here, so the
// flip is proved on a stand-in file carrying the fuse wire exactly as Electron lays it out (sentinel, wire version,
// wire length, one byte per fuse); the same @electron/fuses code then finds and rewrites it as it would in the real binary.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FuseV1Options } from '@electron/fuses';
import { afterAll, describe, expect, it } from 'vitest';
// @ts-expect-error: a plain ES module script without type declarations
import { SHELF_FUSES, applyShelfFuses } from '../../../scripts/fuses.mjs';

const SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX';
const ENABLE = 0x31;
const DISABLE = 0x30;
const work = mkdtempSync(join(tmpdir(), 'shelf-fuses-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A file shaped like an Electron binary as shipped: every fuse at Electron's default, plus one fuse newer than the config. */
function standInBinary(): string {
  const shipped = [ENABLE, DISABLE, ENABLE, ENABLE, DISABLE, DISABLE, DISABLE, ENABLE, ENABLE];
  const file = join(work, 'electron');
  writeFileSync(
    file,
    Buffer.concat([Buffer.alloc(4096, 7), Buffer.from(SENTINEL), Buffer.from([1, shipped.length, ...shipped]), Buffer.alloc(4096, 9)]),
  );
  return file;
}

describe('Electron fuses at packaging', () => {
  it('turns RunAsNode, NODE_OPTIONS and --inspect off, and asar-only loading with integrity on', async () => {
    const file = standInBinary();
    const before = readFileSync(file);
    const wire = await applyShelfFuses(file);
    expect(wire).toMatchObject({
      version: '1',
      0: DISABLE, // RunAsNode
      1: ENABLE, // EnableCookieEncryption
      2: DISABLE, // EnableNodeOptionsEnvironmentVariable
      3: DISABLE, // EnableNodeCliInspectArguments
      4: ENABLE, // EnableEmbeddedAsarIntegrityValidation
      5: ENABLE, // OnlyLoadAppFromAsar
      6: DISABLE, // LoadBrowserProcessSpecificV8Snapshot
      7: DISABLE, // GrantFileProtocolExtraPrivileges
      8: ENABLE, // a fuse newer than the config keeps Electron's default
    });
    const after = readFileSync(file);
    // Only the wire changed: the bytes around it are untouched and the file kept its size.
    expect(after.length).toBe(before.length);
    const wireStart = before.indexOf(SENTINEL) + SENTINEL.length + 2;
    expect(after.subarray(0, wireStart)).toEqual(before.subarray(0, wireStart));
    expect(after.subarray(wireStart + 9)).toEqual(before.subarray(wireStart + 9));
  });

  it('sets every fuse this @electron/fuses version knows, so none is left to the default by oversight', () => {
    const configured = Object.keys(SHELF_FUSES).filter((key) => key !== 'version');
    const known = Object.values(FuseV1Options).filter((value): value is number => typeof value === 'number');
    expect(known.length).toBeGreaterThanOrEqual(8);
    expect(configured.map(Number).sort((a, b) => a - b)).toEqual(known.sort((a, b) => a - b));
  });

  it('refuses a file that is not an Electron binary', async () => {
    const file = join(work, 'not-electron');
    writeFileSync(file, Buffer.alloc(1024, 1));
    await expect(applyShelfFuses(file)).rejects.toThrow(/Could not find sentinel/);
    expect(readFileSync(file)).toEqual(Buffer.alloc(1024, 1));
  });
});
