// Configuration: flags beat environment variables, which beat <data-dir>/config.json, which beats defaults.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, defaultDataDir, resolveConfig } from '../../../src/main/config/load';

const dirs: string[] = [];
function dataDir(config?: Record<string, unknown>): string {
  const dir = mkdtempSync(join(tmpdir(), 'shelf-config-'));
  dirs.push(dir);
  if (config) writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  return dir;
}
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('resolveConfig', () => {
  it('uses the defaults: loopback, port 4873, sign-up open on loopback', () => {
    const config = resolveConfig({ dataDir: dataDir(), env: {} });
    expect(config.host).toBe('127.0.0.1');
    expect(config.port).toBe(4873);
    expect(config.signup).toBe('open');
    expect(config.limits.maxTarballBytes).toBe(50 * 1024 * 1024);
  });

  it('closes sign-up by default on a non-loopback address', () => {
    expect(resolveConfig({ dataDir: dataDir(), env: {}, flags: { host: '0.0.0.0' } }).signup).toBe('closed');
    expect(resolveConfig({ dataDir: dataDir(), env: {}, flags: { host: '0.0.0.0', signup: 'open' } }).signup).toBe('open');
  });

  it('takes flags over environment variables over the config file', () => {
    const dir = dataDir({ port: 1111, host: '::1', maxTarballBytes: '1mb' });
    expect(resolveConfig({ dataDir: dir, env: {} }).port).toBe(1111);
    expect(resolveConfig({ dataDir: dir, env: { SHELF_PORT: '2222' } }).port).toBe(2222);
    expect(resolveConfig({ dataDir: dir, env: { SHELF_PORT: '2222' }, flags: { port: '3333' } }).port).toBe(3333);
    expect(resolveConfig({ dataDir: dir, env: {} }).host).toBe('::1');
    expect(resolveConfig({ dataDir: dir, env: {} }).limits.maxTarballBytes).toBe(1024 * 1024);
  });

  it('takes the data folder from --data-dir, then SHELF_DATA_DIR, then the platform folder', () => {
    const a = dataDir();
    const b = dataDir();
    expect(resolveConfig({ dataDir: a, env: { SHELF_DATA_DIR: b } }).dataDir).toBe(a);
    expect(resolveConfig({ env: { SHELF_DATA_DIR: b } }).dataDir).toBe(b);
    expect(defaultDataDir({ HOME: '/home/u' }, 'linux')).toBe('/home/u/.config/Shelf');
    expect(defaultDataDir({ HOME: '/home/u', XDG_CONFIG_HOME: '/x' }, 'linux')).toBe('/x/Shelf');
    expect(defaultDataDir({ HOME: '/Users/u' }, 'darwin')).toBe('/Users/u/Library/Application Support/Shelf');
    expect(defaultDataDir({ HOME: 'C:\\Users\\u', APPDATA: 'C:\\Users\\u\\AppData\\Roaming' }, 'win32')).toMatch(/AppData.Roaming.Shelf$/);
  });

  it('names the source of a bad value', () => {
    expect(() => resolveConfig({ dataDir: dataDir(), env: { SHELF_PORT: 'abc' } })).toThrow(/SHELF_PORT: 'abc' is not a port number/);
    expect(() => resolveConfig({ dataDir: dataDir(), env: {}, flags: { signup: 'maybe' } })).toThrow(
      /--signup: 'maybe' must be one of open, closed/,
    );
    expect(() => resolveConfig({ dataDir: dataDir({ port: 'x' }), env: {} })).toThrow(/config\.json "port"/);
    expect(() => resolveConfig({ dataDir: dataDir({ colour: 'blue' }), env: {} })).toThrow(ConfigError);
    expect(() => resolveConfig({ dataDir: dataDir(), env: { SHELF_MAX_TARBALL_SIZE: 'huge' } })).toThrow(/not a size/);
  });

  it('refuses a config file that is not JSON, saying which file', () => {
    const dir = dataDir();
    writeFileSync(join(dir, 'config.json'), '{ nope');
    expect(() => resolveConfig({ dataDir: dir, env: {} })).toThrow(/config\.json is not valid JSON/);
  });
});
