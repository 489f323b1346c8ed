// The graph view's state in the URL (#/graph?src=…&focus=…&depth=…&types=…&colour=…&collapsed=…), so a view can be
// shared and survives a reload. A package source is all in the URL; a picked lockfile's text is kept in this tab's
// sessionStorage under its name (a reload finds it; another browser is told to pick the file again).
import { EDGE_TYPES, type ColourBy } from './model';
import type { Picked } from '../../stores/graph';

export interface ViewState {
  src?: string;
  /** The selected package. */
  focus?: string;
  /** Whether the focus view (paths and neighbourhood, left to right) replaces the overview. */
  layered: boolean;
  depth: number;
  types: string[];
  colour: ColourBy;
  collapsed: string[];
}

const COLOURS: ColourBy[] = ['kind', 'license', 'duplicate', 'size'];

export function readViewState(hash = globalThis.location?.hash ?? ''): ViewState {
  const q = new URLSearchParams(hash.split('?')[1] ?? '');
  const colour = q.get('colour') as ColourBy | null;
  const depth = Number(q.get('depth'));
  return {
    src: q.get('src') ?? undefined,
    focus: q.get('focus') ?? undefined,
    layered: q.get('view') === 'focus',
    depth: Number.isInteger(depth) && depth >= 1 && depth <= 6 ? depth : 1,
    types:
      q.get('types') !== null
        ? q
            .get('types')!
            .split(',')
            .filter((t) => (EDGE_TYPES as readonly string[]).includes(t))
        : [...EDGE_TYPES],
    colour: colour && COLOURS.includes(colour) ? colour : 'kind',
    collapsed: q.get('collapsed')?.split('\n').filter(Boolean) ?? [],
  };
}

export function writeViewState(state: ViewState): void {
  const q = new URLSearchParams();
  if (state.src) q.set('src', state.src);
  if (state.focus !== undefined) q.set('focus', state.focus);
  if (state.layered) q.set('view', 'focus');
  if (state.depth !== 1) q.set('depth', String(state.depth));
  if (state.types.length !== EDGE_TYPES.length) q.set('types', state.types.join(','));
  if (state.colour !== 'kind') q.set('colour', state.colour);
  if (state.collapsed.length) q.set('collapsed', state.collapsed.join('\n'));
  const hash = `#/graph${q.size ? `?${q}` : ''}`;
  // replaceState: no hashchange, so the app does not re-route; Back leaves the screen instead of undoing each filter.
  if (globalThis.location.hash !== hash) history.replaceState(history.state, '', hash);
}

const KEY = 'shelf.graph.file:';

export function keepFile(file: Picked): void {
  try {
    sessionStorage.setItem(KEY + file.name, file.text);
  } catch {
    // Too big for this tab's storage: the view still works, a reload asks for the file again.
  }
}

export function keptFile(name: string): Picked | undefined {
  const text = sessionStorage.getItem(KEY + name);
  return text === null ? undefined : { name, text };
}
