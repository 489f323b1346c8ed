// Owns the root's `overrides`: parsing them into rules (nested, `name@range` keys, `$name` references) and finding the rule for an edge.
import npa from 'npm-package-arg';
import semver from 'semver';
import { badRequest } from '../../errors';
import type { Manifest, OverrideRule } from './types';

export function parseOverrides(root: Manifest, extra: Record<string, unknown> = {}): OverrideRule | null {
  const source = { ...(root.overrides ?? {}), ...extra };
  if (Object.keys(source).length === 0) return null;
  const top: OverrideRule = { key: '', name: '', keySpec: '*', children: new Map(), parent: null };
  addChildren(top, source, root);
  return top;
}

function addChildren(parent: OverrideRule, entries: Record<string, unknown>, root: Manifest): void {
  for (const [key, raw] of Object.entries(entries)) {
    if (key === '.') continue;
    const { name, keySpec } = splitKey(key);
    const rule: OverrideRule = { key, name, keySpec, children: new Map(), parent };
    if (typeof raw === 'string') rule.value = dereference(raw, name, root);
    else if (raw && typeof raw === 'object') {
      const dot = (raw as Record<string, unknown>)['.'];
      if (typeof dot === 'string') rule.value = dereference(dot, name, root);
      addChildren(rule, raw as Record<string, unknown>, root);
    } else throw badRequest(`package.json "overrides" entry "${key}" must be a version range or an object`);
    parent.children.set(key, rule);
  }
}

function splitKey(key: string): { name: string; keySpec: string } {
  try {
    const parsed = npa(key);
    return { name: parsed.name ?? key, keySpec: parsed.rawSpec === '' ? '*' : parsed.rawSpec };
  } catch {
    throw badRequest(`package.json "overrides" key "${key}" is not a package name (optionally with @range)`);
  }
}

/** `$name` means "the same spec the root asks for name", so one edit in dependencies updates the override too. */
function dereference(value: string, name: string, root: Manifest): string {
  if (!value.startsWith('$')) return value;
  const ref = value.slice(1);
  const spec = root.dependencies?.[ref] ?? root.devDependencies?.[ref] ?? root.optionalDependencies?.[ref] ?? root.peerDependencies?.[ref];
  if (spec === undefined) {
    throw badRequest(
      `package.json "overrides" for ${name} refers to $${ref}, but the root package.json does not depend on ${ref}; add it to dependencies or write the range`,
    );
  }
  return spec;
}

/** The rule that applies to an edge named `name` with `spec`, searching this rule set and its ancestors (closest first), as npm does. */
export function ruleForEdge(rules: OverrideRule | null, name: string, spec: string): OverrideRule | null {
  for (let set: OverrideRule | null = rules; set; set = set.parent) {
    const candidates = [...set.children.values()];
    if (set.key !== '') candidates.push(set);
    for (const rule of candidates) if (rule.name === name && keyMatches(rule.keySpec, name, spec)) return rule;
  }
  return null;
}

function keyMatches(keySpec: string, name: string, spec: string): boolean {
  if (keySpec === '*') return true;
  try {
    let parsed: npa.Result = npa.resolve(name, spec);
    if (parsed.type === 'alias') parsed = (parsed as npa.Result & { subSpec: npa.Result }).subSpec;
    if ((parsed.type === 'range' || parsed.type === 'version') && parsed.fetchSpec)
      return semver.intersects(parsed.fetchSpec, keySpec, { loose: true });
    return parsed.fetchSpec === keySpec;
  } catch {
    return false;
  }
}
