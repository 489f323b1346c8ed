// Licence rule: a version's SPDX expression must be satisfiable by the allowed ids and use no denied one where it must.
import parseSpdx from 'spdx-expression-parse';

type SpdxNode = ReturnType<typeof parseSpdx>;

function licenseText(license: unknown): string | undefined {
  if (typeof license === 'string') return license.trim() || undefined;
  if (license && typeof license === 'object' && typeof (license as { type?: unknown }).type === 'string')
    return (license as { type: string }).type;
  return undefined;
}

/**
 * Undefined when the licence passes; else the reason. With an allow list, an expression passes when some choice of its
 * ORs uses only allowed ids; a denied id fails wherever an AND requires it (an OR can choose around it).
 */
export function licenseAllowed(license: unknown, rules: { allow: readonly string[]; deny: readonly string[] }): string | undefined {
  const text = licenseText(license);
  if (!text) return rules.allow.length > 0 ? 'it declares no licence, and the policy allows only listed ones' : undefined;
  let tree: SpdxNode;
  try {
    tree = parseSpdx(text);
  } catch {
    return rules.allow.length > 0
      ? `its licence ${JSON.stringify(text)} is not an SPDX expression, and the policy allows only listed ones`
      : undefined;
  }
  const allow = new Set(rules.allow.map((l) => l.toLowerCase()));
  const deny = new Set(rules.deny.map((l) => l.toLowerCase()));
  const ok = (node: SpdxNode): boolean => {
    if ('license' in node) {
      const id = node.license.toLowerCase();
      return !deny.has(id) && (allow.size === 0 || allow.has(id));
    }
    return node.conjunction === 'or' ? ok(node.left) || ok(node.right) : ok(node.left) && ok(node.right);
  };
  if (ok(tree)) return undefined;
  return `its licence ${text} is ${rules.deny.length > 0 && !rules.allow.length ? 'denied' : 'not allowed'} by the policy (allow: ${rules.allow.join(', ') || 'any'}; deny: ${rules.deny.join(', ') || 'none'})`;
}
