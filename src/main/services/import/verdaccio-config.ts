// Verdaccio's config.yaml as far as Shelf has equivalents: `packages:` rules (access, publish, unpublish, proxy) and
// `uplinks:`. What maps is returned as settings and per-package owners; everything else is listed, never dropped quietly.
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { badRequest, notFound } from '../../errors';

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Who a rule names: Verdaccio's groups ($all, $anonymous, $authenticated and their @ forms) and user names. */
export interface Who {
  everyone: boolean;
  anonymous: boolean;
  authenticated: boolean;
  users: string[];
}

export interface PackageRule {
  pattern: string;
  access: Who;
  publish: Who;
  unpublish: Who;
  proxy: string[];
}

export interface Upstream {
  url: string;
  scope?: string;
}

export interface VerdaccioConfig {
  rules: PackageRule[];
  /** Uplink name → URL. */
  uplinks: Record<string, string>;
  /** Top-level keys Shelf has nothing for (web, middlewares, …). */
  otherKeys: string[];
  /** Uplink options that stay behind (per-uplink timeouts, auth, headers…). */
  uplinkOptions: string[];
}

const HANDLED_KEYS = new Set(['storage', 'auth', 'uplinks', 'packages', 'log', 'logs', 'self_path', 'config_path']);

function who(value: unknown): Who {
  const names = (Array.isArray(value) ? value.map(String) : typeof value === 'string' ? value.split(/\s+/) : []).filter(Boolean);
  const result: Who = { everyone: false, anonymous: false, authenticated: false, users: [] };
  for (const name of names) {
    if (['$all', '@all', 'all'].includes(name)) result.everyone = true;
    else if (['$anonymous', '@anonymous'].includes(name)) result.anonymous = true;
    else if (['$authenticated', '@authenticated'].includes(name)) result.authenticated = true;
    else result.users.push(name);
  }
  return result;
}

export function describeWho(w: Who): string {
  return (
    [w.everyone && '$all', w.anonymous && '$anonymous', w.authenticated && '$authenticated', ...w.users].filter(Boolean).join(' ') ||
    'nobody'
  );
}

export function parseVerdaccioConfig(text: string, file = 'config.yaml'): VerdaccioConfig {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (error) {
    // The parser's message draws the line with a caret below it; its first line says enough in one sentence.
    throw badRequest(`${file} is not valid YAML (${(error as Error).message.split('\n')[0]}); pass Verdaccio's own config.yaml`);
  }
  if (!isObject(doc)) throw badRequest(`${file} holds no settings; pass Verdaccio's own config.yaml`);
  const rules: PackageRule[] = [];
  if (isObject(doc.packages)) {
    for (const [pattern, raw] of Object.entries(doc.packages)) {
      const rule = isObject(raw) ? raw : {};
      const publish = who(rule.publish ?? rule.allow_publish);
      rules.push({
        pattern,
        access: who(rule.access ?? rule.allow_access),
        publish,
        // Verdaccio lets those who may publish unpublish too when a rule says nothing about unpublishing.
        unpublish:
          rule.unpublish === undefined && rule.allow_unpublish === undefined ? publish : who(rule.unpublish ?? rule.allow_unpublish),
        proxy: (Array.isArray(rule.proxy) ? rule.proxy.map(String) : typeof rule.proxy === 'string' ? rule.proxy.split(/\s+/) : []).filter(
          Boolean,
        ),
      });
    }
  }
  const uplinks: Record<string, string> = {};
  const uplinkOptions: string[] = [];
  if (isObject(doc.uplinks)) {
    for (const [name, raw] of Object.entries(doc.uplinks)) {
      if (!isObject(raw) || typeof raw.url !== 'string') continue;
      uplinks[name] = raw.url;
      for (const key of Object.keys(raw)) if (key !== 'url') uplinkOptions.push(`${name}.${key}`);
    }
  }
  const otherKeys = Object.keys(doc).filter((key) => !HANDLED_KEYS.has(key));
  return { rules, uplinks, otherKeys, uplinkOptions };
}

export function readVerdaccioConfig(file: string): VerdaccioConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw notFound(
      `cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); pass Verdaccio's config.yaml`,
    );
  }
  return parseVerdaccioConfig(text, file);
}

/** Verdaccio matches names with minimatch: `*` stays within one path segment, `**` crosses them. */
export function patternMatches(pattern: string, name: string): boolean {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*' && pattern[i + 1] === '*') {
      source += '.*';
      i++;
    } else if (c === '*') source += '[^/]*';
    else if (c === '?') source += '[^/]';
    else source += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`).test(name);
}

/** The rule Verdaccio applies to a package: the first whose pattern matches. */
export function ruleFor(config: VerdaccioConfig, name: string): PackageRule | undefined {
  return config.rules.find((rule) => patternMatches(rule.pattern, name));
}

export interface UpstreamMapping {
  /** undefined when nothing in the config says (no rules): Shelf's own default stays. */
  upstreams?: Upstream[];
  localScopes: string[];
  mapped: string[];
  notMapped: string[];
}

const SCOPE_PATTERN = /^(@[a-z0-9][\w.~-]*)\/\*{1,2}$/i;
const EVERYTHING = new Set(['**', '*', '@*/*', '**/*']);

/**
 * Shelf routes a scope (`@scope=URL`) or everything else to one upstream each, and keeps `--local-scopes` away from
 * any. A rule for `@scope/*` or `**` maps onto that; a proxy on another pattern, or a second uplink on one rule, does not.
 */
export function mapUpstreams(config: VerdaccioConfig): UpstreamMapping {
  const mapped: string[] = [];
  const notMapped: string[] = [];
  const upstreams: Upstream[] = [];
  const localScopes: string[] = [];
  const urlOf = (rule: PackageRule): string | undefined => {
    const [first, ...rest] = rule.proxy;
    if (rest.length > 0) {
      notMapped.push(
        `packages '${rule.pattern}' proxy: ${rule.proxy.join(' ')} — Shelf asks one upstream per scope; only '${first}' was applied`,
      );
    }
    if (first === undefined) return undefined;
    const url = config.uplinks[first];
    if (!url) notMapped.push(`packages '${rule.pattern}' proxy: ${first} — no uplink of that name in uplinks:`);
    return url;
  };
  let fallback: PackageRule | undefined;
  for (const rule of config.rules) {
    const scope = SCOPE_PATTERN.exec(rule.pattern)?.[1]?.toLowerCase();
    if (scope) {
      // An earlier rule for the same scope wins, as in Verdaccio.
      if (upstreams.some((u) => u.scope === scope) || localScopes.includes(scope)) continue;
      const url = urlOf(rule);
      if (url) {
        upstreams.push({ scope, url });
        mapped.push(`packages '${rule.pattern}' proxy: ${rule.proxy[0]} → upstream ${scope}=${url}`);
      } else if (rule.proxy.length === 0) {
        localScopes.push(scope);
        mapped.push(`packages '${rule.pattern}' without proxy → local scope ${scope} (never looked up upstream)`);
      }
    } else if (EVERYTHING.has(rule.pattern)) {
      if (rule.pattern === '@*/*') {
        if (rule.proxy.length > 0 && !config.rules.some((r) => r.pattern === '**' && r.proxy[0] === rule.proxy[0])) {
          notMapped.push(`packages '@*/*' proxy: ${rule.proxy.join(' ')} — Shelf cannot send all scoped names to an upstream of their own`);
        }
        continue;
      }
      fallback ??= rule;
    } else if (rule.proxy.length > 0) {
      notMapped.push(
        `packages '${rule.pattern}' proxy: ${rule.proxy.join(' ')} — Shelf routes upstreams by scope only, not by name pattern`,
      );
    }
  }
  if (fallback) {
    const url = urlOf(fallback);
    if (url) {
      upstreams.push({ url });
      mapped.push(`packages '${fallback.pattern}' proxy: ${fallback.proxy[0]} → upstream ${url}`);
    } else if (fallback.proxy.length === 0) mapped.push(`packages '${fallback.pattern}' without proxy → no default upstream`);
  }
  if (upstreams.length === 0 && localScopes.length > 0) {
    // With no upstream at all every name is local already; a local-scopes setting would only be noise.
    const dropped = new Set(localScopes.map((scope) => `→ local scope ${scope} `));
    localScopes.length = 0;
    for (let i = mapped.length - 1; i >= 0; i--) if ([...dropped].some((d) => mapped[i]!.includes(d))) mapped.splice(i, 1);
  }
  for (const option of config.uplinkOptions) {
    notMapped.push(
      `uplinks ${option} — per-uplink options have no Shelf equivalent (see --cache-max-age, --upstream-timeout, \`shelf upstream-token\`)`,
    );
  }
  for (const name of Object.keys(config.uplinks)) {
    if (!config.rules.some((rule) => rule.proxy.includes(name)))
      notMapped.push(`uplinks ${name} — no packages rule proxies to it, so it was not added`);
  }
  return { upstreams: config.rules.length > 0 ? upstreams : undefined, localScopes, mapped, notMapped };
}
