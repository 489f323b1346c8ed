// A toast for each upstream version the policy holds or purges as it happens (the Policy screen lists them; this tells
// whoever is looking at Shelf right now, wherever they are in it).
import type { ShelfEvent } from '../../../shared/contract';
import { useToastStore } from './toasts';

type PolicyEvent = Extract<ShelfEvent, { type: 'policy' }>;

export function policyToast(event: PolicyEvent): void {
  const spec = `${event.name}@${event.version}`;
  const text =
    event.action === 'takedown'
      ? `${spec} was taken down upstream and is no longer served: ${event.detail}`
      : `${spec} held by the policy (${event.rule}): ${event.detail}`;
  useToastStore.getState().push('warn', text);
}
