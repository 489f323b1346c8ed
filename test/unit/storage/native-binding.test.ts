// The desktop app loads its own (Electron-ABI) builds of better-sqlite3 and keytar from native/electron-<version>/.
// Electron cannot run here, so the mechanism is proved with the Node-ABI builds from node_modules given as explicit
// paths: a connection opened through `nativeBinding`, keytar loaded from its .node file, and a clear error for a wrong path.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { keytarFromBinding } from '../../../src/main/services/credentials/credential-store';
import { openDatabase } from '../../../src/main/storage/db/connection';

const ROOT = join(__dirname, '..', '..', '..');
const SQLITE_NODE = join(ROOT, 'node_modules/better-sqlite3/build/Release/better_sqlite3.node');
const KEYTAR_NODE = join(ROOT, 'node_modules/keytar/build/Release/keytar.node');
const dir = mkdtempSync(join(tmpdir(), 'shelf-native-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('native addons given by path', () => {
  it('opens and migrates a database through an explicit better-sqlite3 binding', () => {
    expect(existsSync(SQLITE_NODE)).toBe(true);
    const db = openDatabase(join(dir, 'a.db'), { nativeBinding: SQLITE_NODE });
    expect((db.pragma('user_version', { simple: true }) as number) > 0).toBe(true);
    expect(db.prepare('SELECT count(*) AS n FROM packages').get()).toEqual({ n: 0 });
    db.close();
  });

  it('refuses a binding that does not exist, naming it, and creates no database file', () => {
    const file = join(dir, 'b.db');
    expect(() => openDatabase(file, { nativeBinding: join(dir, 'missing.node') })).toThrow(/missing\.node/);
    expect(existsSync(file)).toBe(false);
  });

  // keytar is an optional dependency: where it could not be built (no libsecret headers) there is no addon to load.
  it.skipIf(!existsSync(KEYTAR_NODE))(
    'loads keytar from its compiled addon with the calls the credential store uses (skipped where the optional keytar did not build)',
    () => {
      const keytar = keytarFromBinding(KEYTAR_NODE);
      expect(typeof keytar.getPassword).toBe('function');
      expect(typeof keytar.setPassword).toBe('function');
      expect(typeof keytar.deletePassword).toBe('function');
    },
  );
});
