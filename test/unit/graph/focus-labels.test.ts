// The focus view labels more than the root and the focused node: the paths between them and the neighbours up to two
// levels away, most wanted first, and the surface draws each label that overlaps none wanted more (placeLabels).
import { describe, expect, it } from 'vitest';
import type { GraphResult } from '../../../src/shared/contract';
import { focusView, indexGraph, placeLabels, type LabelBox } from '../../../src/renderer/src/components/graph/model';

/** root → a → focus → b1, b2 → c1 (under b1) → d1 (three levels below focus); x depends on focus too (a dependent). */
function graph(): GraphResult {
  const node = (id: string, isRoot = false) => ({
    id,
    name: id || 'root',
    version: '1.0.0',
    location: id,
    isRoot,
    dev: false,
    optional: false,
    peer: false,
    license: null,
    size: null,
  });
  const edge = (from: string, to: string) => ({ from, to, type: 'prod', spec: '1' });
  return {
    title: 't',
    nodes: ['', 'a', 'focus', 'b1', 'b2', 'c1', 'd1', 'x'].map((id) => node(id, id === '')),
    edges: [
      edge('', 'a'),
      edge('a', 'focus'),
      edge('focus', 'b1'),
      edge('focus', 'b2'),
      edge('b1', 'c1'),
      edge('c1', 'd1'),
      edge('', 'x'),
      edge('x', 'focus'),
    ],
    warnings: [],
    conflict: null,
    duplicates: [],
    ms: 0,
  } as unknown as GraphResult;
}

describe('focus view labels', () => {
  it('puts the focused node, the root and the paths first, then one and two levels out, and nothing further', () => {
    const index = indexGraph(graph(), new Set(['prod']));
    const { drawing } = focusView(index, 'focus', 3);
    expect(drawing.nodes.map((n) => n.id)).toContain('d1');
    const order = drawing.labelPriority!;
    expect(order.slice(0, 2)).toEqual(['focus', '']);
    expect(order).toEqual(expect.arrayContaining(['a', 'x', 'b1', 'b2', 'c1']));
    // The paths come before the neighbours; two levels out after one level out; three levels out not at all.
    expect(order.indexOf('a')).toBeLessThan(order.indexOf('b1'));
    expect(order.indexOf('b2')).toBeLessThan(order.indexOf('c1'));
    expect(order).not.toContain('d1');
  });

  it('draws each label that overlaps no label wanted more, and only labels wholly on the surface', () => {
    const box = (id: string, x0: number, y0: number, x1 = x0 + 100, y1 = y0 + 14): LabelBox => ({ id, x0, y0, x1, y1 });
    const shown = placeLabels(
      [
        box('first', 10, 10),
        box('overlaps-first', 60, 15), // loses to the one wanted more
        box('below', 10, 30),
        box('touching-below', 10, 44), // edges meeting is not overlapping
        box('cut-at-right', 550, 100), // 550 + 100 > 600
        box('above-top', 10, -5),
        box('far', 300, 300),
      ],
      600,
      400,
    );
    expect([...shown]).toEqual(['first', 'below', 'touching-below', 'far']);
  });
});
