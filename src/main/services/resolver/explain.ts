// Owns turning a resolution failure into plain sentences, PubGrub style: from your project's requirements down to the contradiction.
import type { Conflict, PathStep, PlacedRef, Requirement } from './failure';
import type { EdgeType } from './types';

const EDGE_WORDS: Record<EdgeType, string> = {
  prod: 'a dependency',
  dev: 'a dev dependency',
  optional: 'an optional dependency',
  peer: 'a peer (a package it expects you to install once and share)',
  peerOptional: 'an optional peer (used only if present, but then it must fit)',
  workspace: 'a workspace',
};

export function explainConflict(conflict: Conflict): string[] {
  const sentences: string[] = [];
  const req = conflict.requirement;
  sentences.push(...chainSentences(req.from));
  if (conflict.kind === 'no-version') {
    const shown = conflict.available.length === 0 ? 'none at all' : listVersions(conflict.available);
    sentences.push(
      `Because ${whoAsks(req)} needs ${conflict.packageName} "${req.spec}" as ${EDGE_WORDS[req.type]}${where(req.from)}, and the registry has these versions of ${conflict.packageName}: ${shown}, no version of ${conflict.packageName} satisfies "${req.spec}", so resolution fails.`,
    );
    if (conflict.held?.length)
      sentences.push(
        `The registry's policy holds back ${conflict.packageName} ${conflict.held.join(', ')}, which would satisfy "${req.spec}"; an admin can approve a held version on the Policy screen, or the quarantine ends by itself at the time given.`,
      );
    return sentences;
  }
  const found = conflict.found;
  const holders = conflict.foundRequiredBy.length
    ? conflict.foundRequiredBy.map((r) => `${whoAsks(r)} needs ${r.name} "${r.spec}" as ${EDGE_WORDS[r.type]}`).join(', and ')
    : `${found.name}@${found.version} is already installed`;
  sentences.push(
    `Because ${holders}, ${found.name}@${found.version} is installed at ${found.location || 'the top of node_modules'}, where every package below it shares it.`,
    `Because ${whoAsks(req)} needs ${req.name} "${req.spec}" as ${EDGE_WORDS.peer}${where(req.from)}, and ${found.version} does not satisfy "${req.spec}", no version of ${req.name} satisfies both, so resolution fails.`,
  );
  return sentences;
}

/** "Your project depends on a ^1 (chose 1.2.0), which depends on b ^2 (chose 2.1.0)." — how the root reaches the dependent. */
function chainSentences(ref: PlacedRef): string[] {
  if (ref.path.length === 0) return [];
  const parts = ref.path.map(
    (step: PathStep, i) =>
      `${i === 0 ? 'your project' : ref.path[i - 1]!.name} has ${step.name} "${step.spec}" as ${EDGE_WORDS[step.type].replace(/ \(.*\)$/, '')}, which resolved to ${step.name}@${step.version}`,
  );
  return [`${capitalise(parts.join('; '))}.`];
}

function whoAsks(req: Requirement): string {
  return req.from.location === '' && req.from.path.length === 0 ? 'your project' : `${req.from.name}@${req.from.version}`;
}

function where(ref: PlacedRef): string {
  return ref.location ? ` (it sits at ${ref.location})` : '';
}

function listVersions(versions: string[]): string {
  return versions.length > 20 ? `${versions.slice(-20).join(', ')} and ${versions.length - 20} older` : versions.join(', ');
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
