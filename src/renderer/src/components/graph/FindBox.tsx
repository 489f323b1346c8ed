// Find with autocomplete: an ARIA combobox (WAI-ARIA APG "list autocomplete") offering at most 20 packages matching
// what is typed — never a list of every node — with arrow keys, Enter and Escape.
import { useId, useMemo, useState } from 'react';
import type { GraphNode } from '../../../../shared/contract';
import { label, suggest } from './model';

export function FindBox({ nodes, onPick }: { nodes: GraphNode[]; onPick(node: GraphNode): void }) {
  const [query, setQuery] = useState('');
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(0);
  const id = useId();
  const options = useMemo(() => suggest(nodes, query), [nodes, query]);
  const shown = open && options.length > 0;
  const pick = (n: GraphNode | undefined) => {
    if (!n) return;
    setQuery(n.name);
    setOpen(false);
    onPick(n);
  };
  return (
    <div className="gv-find">
      <label htmlFor={`${id}-input`}>Find a package</label>
      <input
        id={`${id}-input`}
        role="combobox"
        aria-autocomplete="list"
        aria-expanded={shown}
        aria-controls={`${id}-list`}
        aria-activedescendant={shown ? `${id}-opt-${active}` : undefined}
        autoComplete="off"
        value={query}
        placeholder="name…"
        onChange={(e) => {
          setQuery(e.target.value);
          setOpen(true);
          setActive(0);
        }}
        onBlur={() => setOpen(false)}
        onKeyDown={(e) => {
          if (e.key === 'ArrowDown') {
            setOpen(true);
            setActive((a) => Math.min(options.length - 1, a + 1));
          } else if (e.key === 'ArrowUp') setActive((a) => Math.max(0, a - 1));
          else if (e.key === 'Enter') pick(options[active]);
          else if (e.key === 'Escape') setOpen(false);
          else return;
          e.preventDefault();
        }}
      />
      <ul id={`${id}-list`} role="listbox" aria-label="Matching packages" className="gv-find__list" hidden={!shown}>
        {shown &&
          options.map((n, i) => (
            <li
              key={n.id}
              id={`${id}-opt-${i}`}
              role="option"
              aria-selected={i === active}
              className={i === active ? 'is-active' : undefined}
              // mousedown, not click: the input's blur would close the list before a click lands.
              onMouseDown={(e) => {
                e.preventDefault();
                pick(n);
              }}
            >
              {label(n)} <span className="hint">{n.location || 'root'}</span>
            </li>
          ))}
      </ul>
    </div>
  );
}
