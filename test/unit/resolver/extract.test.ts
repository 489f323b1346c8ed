import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { extractPackage } from '../../../src/main/services/resolver/extract';
import { tempDir } from '../../helpers/clients';
import { manifestEntry, packFiles, rawTarball } from '../../helpers/tar-fixtures';

describe('extracting a package for install', () => {
  it('unpacks the package folder with its top folder stripped', async () => {
    const dest = join(tempDir(), 'node_modules', 'demo');
    await extractPackage(
      await packFiles({ 'package/package.json': '{"name":"demo","version":"1.0.0"}', 'package/lib/a.js': 'x' }),
      dest,
      'demo@1.0.0',
    );
    expect(readFileSync(join(dest, 'lib', 'a.js'), 'utf8')).toBe('x');
  });

  it('refuses a ".." path exactly as publishing does, and writes nothing', async () => {
    const root = tempDir();
    const dest = join(root, 'node_modules', 'demo');
    const hostile = rawTarball([manifestEntry(), { path: 'package/../../escape.js', body: 'x' }]);
    await expect(extractPackage(hostile, dest, 'demo@1.0.0')).rejects.toThrow(/refusing to unpack demo@1.0.0: .*"\.\." path segment/);
    expect(existsSync(join(root, 'escape.js'))).toBe(false);
    expect(existsSync(dest)).toBe(false);
  });

  it('refuses a symbolic link that points outside the package', async () => {
    const hostile = rawTarball([manifestEntry(), { path: 'package/evil', type: '2', linkpath: '../../../etc/passwd' }]);
    await expect(extractPackage(hostile, join(tempDir(), 'x'), 'demo@1.0.0')).rejects.toThrow(/points outside the package folder/);
  });
});
