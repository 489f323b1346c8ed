// The card shown while a node is hovered. It keeps its own state, so a hover re-renders the card alone and not the graph
// screen around it (its lists of duplicates and panels): on a loaded machine a screen re-render per hover took 40–170 ms,
// frames a person panning or zooming over the drawing saw dropped.
import { forwardRef, memo, useImperativeHandle, useState } from 'react';
import { dependents, formatSize, label, type Index } from './model';

export interface HoverCardHandle {
  show(id: string | undefined, x: number, y: number): void;
}

export const HoverCard = memo(
  forwardRef<HoverCardHandle, { index: Index }>(function HoverCard({ index }, ref) {
    const [hover, setHover] = useState<{ id: string; x: number; y: number }>();
    useImperativeHandle(ref, () => ({ show: (id, x, y) => setHover(id === undefined ? undefined : { id, x, y }) }), []);
    const hovered = hover && index.byId.get(hover.id);
    if (!hover || !hovered) return null;
    const hoveredBy = dependents(index, hovered.id);
    return (
      <div className="gv-card" style={{ left: hover.x + 14, top: hover.y + 14 }} role="tooltip">
        <strong>{label(hovered)}</strong>
        <dl>
          <dt>Licence</dt>
          <dd>{hovered.license ?? 'unknown'}</dd>
          <dt>Size</dt>
          <dd>{formatSize(hovered.size)}</dd>
          <dt>Needed by</dt>
          <dd>
            {hoveredBy.length === 0
              ? 'nothing (the root)'
              : `${hoveredBy.slice(0, 4).map(label).join(', ')}${hoveredBy.length > 4 ? ` and ${hoveredBy.length - 4} more` : ''}`}
          </dd>
        </dl>
      </div>
    );
  }),
);
