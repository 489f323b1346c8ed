// Owns npm's dev/optional/devOptional/peer flags: a node carries a flag when every path from the root to it passes through an edge of that kind.
import type { Edge, Node } from './types';

const isDev = (e: Edge): boolean => e.type === 'dev';
const isOptional = (e: Edge): boolean => e.type === 'optional' || e.type === 'peerOptional';
const isPeerEdge = (e: Edge): boolean => e.type === 'peer' || e.type === 'peerOptional';

/** Reachability by path kind, to a fixed point: "reached without a dev edge", "without an optional edge", and so on. */
export function computeFlags(root: Node, nodes: Map<string, Node>): void {
  const notDev = new Set<Node>([root]);
  const notOpt = new Set<Node>([root]);
  const notDevOpt = new Set<Node>([root]);
  const notPeer = new Set<Node>([root]);
  const reached = new Set<Node>([root]);
  for (const node of nodes.values()) if (node.isWorkspace) [notDev, notOpt, notDevOpt, notPeer, reached].forEach((s) => s.add(node));
  const queue: Node[] = [...reached];
  while (queue.length) {
    const from = queue.pop()!;
    for (const edge of from.edgesOut.values()) {
      if (!edge.to) continue;
      const to = edge.to.linkTarget ?? edge.to;
      let changed = !reached.has(to);
      reached.add(to);
      const spread = (source: Set<Node>, blocked: boolean): void => {
        if (source.has(from) && !blocked && !source.has(to)) {
          source.add(to);
          changed = true;
        }
      };
      spread(notDev, isDev(edge));
      spread(notOpt, isOptional(edge));
      spread(notDevOpt, isDev(edge) || isOptional(edge));
      spread(notPeer, isPeerEdge(edge));
      if (changed) queue.push(to);
    }
  }
  for (const node of nodes.values()) {
    if (node.isRoot || node.isWorkspace || node.linkTarget) continue;
    const dev = !notDev.has(node);
    const optional = !notOpt.has(node);
    node.flags = { dev, optional, devOptional: !notDevOpt.has(node) && !dev && !optional, peer: !notPeer.has(node) };
  }
}
