// Owns the typed record of why a resolution failed, which explanations and fix search read.
import { ShelfError } from '../../errors';
import type { EdgeType } from './types';

/** A package in the tree as a sentence names it: name@version at a location, and how the root reaches it. */
export interface PlacedRef {
  name: string;
  version: string;
  location: string;
  /** Edges from the root down to this node, e.g. ["react-scripts@5.0.1 (dependency of your project)"]. */
  path: PathStep[];
}

export interface PathStep {
  name: string;
  version: string;
  type: EdgeType;
  spec: string;
}

export interface Requirement {
  /** Who asks: the root is named "your project". */
  from: PlacedRef;
  name: string;
  spec: string;
  type: EdgeType;
}

export type Conflict =
  | { kind: 'no-version'; requirement: Requirement; packageName: string; available: string[]; held?: string[] }
  | { kind: 'peer-conflict'; requirement: Requirement; found: PlacedRef; foundRequiredBy: Requirement[] };

export class ResolutionFailure extends ShelfError {
  constructor(readonly conflict: Conflict) {
    super('conflict', summarise(conflict));
    this.name = 'ResolutionFailure';
  }
}

function summarise(conflict: Conflict): string {
  const r = conflict.requirement;
  const who = r.from.location === '' && r.from.path.length === 0 ? 'your project' : `${r.from.name}@${r.from.version}`;
  if (conflict.kind === 'no-version') {
    const held = conflict.held?.length ? ` (held by the registry's policy: ${conflict.held.join(', ')})` : '';
    return `no version of ${conflict.packageName} satisfies "${r.spec}", which ${who} needs${held}`;
  }
  return `${who} needs ${r.name}@"${r.spec}" as a peer, but ${conflict.found.name}@${conflict.found.version} is installed where it would be shared`;
}
