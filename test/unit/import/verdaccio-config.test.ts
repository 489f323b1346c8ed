// What of Verdaccio's config.yaml becomes Shelf settings (upstreams, local scopes) and what is reported as left behind.
import { describe, expect, it } from 'vitest';
import { mapUpstreams, parseVerdaccioConfig, patternMatches, ruleFor } from '../../../src/main/services/import/verdaccio-config';

const CONFIG = `
storage: ./storage
uplinks:
  npmjs:
    url: https://registry.npmjs.org/
    timeout: 30s
  corp:
    url: https://npm.corp.example/
  unused:
    url: https://unused.example/
packages:
  '@corp/*':
    access: $authenticated
    publish: alice bob
    proxy: corp
  '@local/*':
    access: $all
    publish: alice
  'legacy-*':
    access: $all
    proxy: npmjs
  '**':
    access: $all
    publish: $authenticated
    proxy: npmjs corp
middlewares:
  audit:
    enabled: true
`;

describe("Verdaccio's config.yaml", () => {
  it('matches names as minimatch does: * within a segment, ** across, the first matching rule wins', () => {
    expect(patternMatches('@corp/*', '@corp/thing')).toBe(true);
    expect(patternMatches('*', '@corp/thing')).toBe(false);
    expect(patternMatches('**', '@corp/thing')).toBe(true);
    expect(patternMatches('legacy-*', 'legacy-one')).toBe(true);
    const config = parseVerdaccioConfig(CONFIG);
    expect(ruleFor(config, '@corp/x')?.pattern).toBe('@corp/*');
    expect(ruleFor(config, 'legacy-one')?.pattern).toBe('legacy-*');
    expect(ruleFor(config, 'other')?.pattern).toBe('**');
  });

  it('lets those who may publish unpublish when a rule says nothing of unpublishing, as Verdaccio does', () => {
    const config = parseVerdaccioConfig(CONFIG);
    expect(ruleFor(config, '@corp/x')?.unpublish.users).toEqual(['alice', 'bob']);
    expect(ruleFor(config, 'other')?.unpublish.authenticated).toBe(true);
    expect(config.otherKeys).toEqual(['middlewares']);
  });

  it('maps scope and catch-all proxies to upstreams and proxy-less scopes to local scopes; reports the rest', () => {
    const mapping = mapUpstreams(parseVerdaccioConfig(CONFIG));
    expect(mapping.upstreams).toEqual([{ scope: '@corp', url: 'https://npm.corp.example/' }, { url: 'https://registry.npmjs.org/' }]);
    expect(mapping.localScopes).toEqual(['@local']);
    expect(mapping.notMapped).toEqual([
      "packages 'legacy-*' proxy: npmjs — Shelf routes upstreams by scope only, not by name pattern",
      "packages '**' proxy: npmjs corp — Shelf asks one upstream per scope; only 'npmjs' was applied",
      'uplinks npmjs.timeout — per-uplink options have no Shelf equivalent (see --cache-max-age, --upstream-timeout, `shelf upstream-token`)',
      'uplinks unused — no packages rule proxies to it, so it was not added',
    ]);
  });

  it('maps a config without uplinks to no upstream, and adds no local scopes then', () => {
    const mapping = mapUpstreams(
      parseVerdaccioConfig(`uplinks: {}\npackages:\n  '@corp/*':\n    access: $all\n  '**':\n    access: $all\n`),
    );
    expect(mapping.upstreams).toEqual([]);
    expect(mapping.localScopes).toEqual([]);
    expect(mapping.notMapped).toEqual([]);
  });

  it('refuses a file that is not YAML with what to pass instead', () => {
    expect(() => parseVerdaccioConfig('packages: [unclosed', '/x/config.yaml')).toThrow(
      /\/x\/config\.yaml is not valid YAML .*pass Verdaccio's own config\.yaml/,
    );
  });
});
