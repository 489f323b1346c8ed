// The lockfile promise: every edge of a resolved tree is met where Node's require would look. A tree that breaks it
// (as the 2,300-package project once did: eslint-plugin@5 hoisted where an edge wanted 4) must never become a lockfile.
import { describe, expect, it } from 'vitest';
import { assertTreeSound, treeViolations } from '../../../src/main/services/resolver/tree-invariant';
import type { Edge, EdgeType, Node, ResolvedGraph } from '../../../src/main/services/resolver/types';

function node(name: string, version: string, parent: Node | null, location: string): Node {
  const made: Node = {
    name,
    packageName: name,
    version,
    location,
    parent,
    children: new Map(),
    manifest: { name, version },
    edgesOut: new Map(),
    edgesIn: new Set(),
    isRoot: parent === null,
    isWorkspace: false,
    inBundle: false,
    choice: { rule: parent === null ? 'root' : 'highest-match', skipped: [] },
    overrides: null,
    flags: { dev: false, optional: false, devOptional: false, peer: false },
  };
  parent?.children.set(name, made);
  return made;
}

function edge(from: Node, name: string, spec: string, type: EdgeType = 'prod', extra: Partial<Edge> = {}): Edge {
  const made: Edge = { from, name, spec, effectiveSpec: spec, type, to: null, ...extra };
  from.edgesOut.set(name, made);
  return made;
}

function graphOf(root: Node): ResolvedGraph {
  const nodes = new Map<string, Node>();
  const walk = (n: Node) => {
    nodes.set(n.location, n);
    for (const child of n.children.values()) walk(child);
  };
  walk(root);
  return { root, nodes, warnings: [] };
}

describe('the tree invariant', () => {
  it('accepts a tree whose edges are met by nested and hoisted copies', () => {
    const root = node('app', '1.0.0', null, '');
    const pluginA = node('plugin', '5.62.0', root, 'node_modules/plugin');
    const tool = node('tool', '1.0.0', root, 'node_modules/tool');
    node('plugin', '4.33.0', tool, 'node_modules/tool/node_modules/plugin');
    edge(root, 'plugin', '^5.0.0');
    edge(root, 'tool', '^1.0.0');
    edge(tool, 'plugin', '^4.0.0');
    edge(pluginA, 'missing-optional', '^1.0.0', 'optional');
    edge(pluginA, 'some-dev-tool', '^1.0.0', 'dev');
    expect(treeViolations(graphOf(root))).toEqual([]);
    expect(() => assertTreeSound(graphOf(root))).not.toThrow();
  });

  it('names each edge met by the wrong version or by nothing, and refuses the tree as an internal error', () => {
    const root = node('app', '1.0.0', null, '');
    node('plugin', '5.62.0', root, 'node_modules/plugin');
    const tool = node('tool', '1.0.0', root, 'node_modules/tool');
    edge(root, 'plugin', '^5.0.0');
    edge(tool, 'plugin', '^4.0.0');
    edge(tool, 'parser', '^2.0.0');
    const problems = treeViolations(graphOf(root));
    expect(problems).toEqual([
      'tool@1.0.0 (node_modules/tool) needs plugin@"^4.0.0" but finds plugin@5.62.0 at node_modules/plugin',
      'tool@1.0.0 (node_modules/tool) needs parser@"^2.0.0" but no parser is placed where it would be found',
    ]);
    expect(() => assertTreeSound(graphOf(root))).toThrow(/does not satisfy 2 of its own dependency edges, so no lockfile was written/);
    try {
      assertTreeSound(graphOf(root));
    } catch (error) {
      expect((error as { status: number }).status).toBe(500);
    }
  });

  it('leaves a peer conflict npm overrides on purpose alone, but not an unmet required peer', () => {
    const root = node('app', '1.0.0', null, '');
    const plugin = node('plugin', '1.0.0', root, 'node_modules/plugin');
    node('eslint', '9.0.0', root, 'node_modules/eslint');
    edge(plugin, 'eslint', '^8.0.0', 'peer', { peerConflicted: true });
    expect(treeViolations(graphOf(root))).toEqual([]);
    edge(plugin, 'eslint', '^8.0.0', 'peer');
    expect(treeViolations(graphOf(root))).toHaveLength(1);
  });
});
