// The trusted root the policy names: read from the file (relative to the data folder or absolute), and refused with words
// that say what is wrong when it is missing or not a sigstore trusted_root.json — never the public-good TUF repository
// here (tests do not reach the internet).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TrustedRoots } from '../../src/main/services/policy/trusted-root';
import { createTestSigstore } from './sigstore';

const dir = mkdtempSync(join(tmpdir(), 'shelf-trusted-root-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const roots = new TrustedRoots(dir, () => new Date());

describe('the trusted root a policy names', () => {
  it('reads one relative to the data folder, and again when the file changes', async () => {
    const first = await createTestSigstore();
    writeFileSync(join(dir, 'root.json'), JSON.stringify(first.trustedRoot));
    const a = await roots.get('root.json');
    expect(a.source).toBe(join(dir, 'root.json'));
    expect(a.root.certificateAuthorities).toHaveLength(1);
    expect(a.root.tlogs).toHaveLength(1);
    const second = await createTestSigstore();
    writeFileSync(join(dir, 'root.json'), JSON.stringify({ ...second.trustedRoot, tlogs: [] }));
    // Another write: another modification time and size, so the file is read again.
    const b = await roots.get(join(dir, 'root.json'));
    expect(b.root.tlogs).toHaveLength(0);
  });

  it('refuses a missing file, naming it', async () => {
    await expect(roots.get('nowhere.json')).rejects.toThrow(
      `the trusted root ${join(dir, 'nowhere.json')} named by the policy cannot be read`,
    );
  });

  it('refuses a file that is not a trusted root, saying so', async () => {
    writeFileSync(join(dir, 'not-json.json'), 'hello');
    await expect(roots.get('not-json.json')).rejects.toThrow(/is not a sigstore trusted_root\.json \(.*JSON/);
    writeFileSync(join(dir, 'empty.json'), '{}');
    await expect(roots.get('empty.json')).rejects.toThrow(
      /is not a sigstore trusted_root\.json \(it lists no certificate authority and no log\)/,
    );
  });
});
