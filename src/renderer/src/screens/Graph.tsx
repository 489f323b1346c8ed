// The dependency graph of a package range, a project folder, a lockfile, or two lockfiles compared. It opens fitted to
// its surface and leads with what is wrong (conflicts, packages installed in several versions, each with the paths
// that bring it in); Find zooms to a package and opens "why this version"; focus shows the paths from the root to one
// node and its neighbourhood left to right; the view (source, selection, focus, filters) lives in the URL.
import { useCallback, useEffect, useId, useMemo, useRef, useState } from 'react';
import type { GraphComparison, GraphNode, GraphResult } from '../../../shared/contract';
import { pathsFromRoot } from '../../../shared/graph-paths';
import { Empty, ErrorState, Loading } from '../components/States';
import { FindBox } from '../components/graph/FindBox';
import { HoverCard, type HoverCardHandle } from '../components/graph/HoverCard';
import { SigmaGraph, type NodeLook, type SigmaHandle } from '../components/graph/SigmaGraph';
import { legendFor, licenceKey, nodeColour, readPalette, type Palette } from '../components/graph/colours';
import { download, svgToPng, toSvg } from '../components/graph/export';
import { EDGE_TYPES, focusView, formatSize, indexGraph, label, overview, type ColourBy, type Index } from '../components/graph/model';
import { keepFile, keptFile, readViewState, writeViewState, type ViewState } from '../components/graph/url-state';
import '../components/graph/graph.css';
import { folderPicker, transport } from '../client';
import { useGraphStore, type Picked } from '../stores/graph';
import { isProjectFile, pickedFolder, toUpload, type PickedFile } from '../upload';

type Kind = 'package' | 'folder' | 'lockfile' | 'compare';

/** Whether the source a URL names can be opened here: a lockfile only while this tab still holds its text. */
function canOpen(src: string): boolean {
  const [kind, ...rest] = src.split(':');
  const value = rest.join(':');
  if (kind === 'pkg' || kind === 'folder') return true;
  if (kind === 'lock') return keptFile(value) !== undefined;
  if (kind === 'cmp') return value.split('|').every((n) => keptFile(n) !== undefined);
  return false;
}

/** Starts the source a URL names; false when it cannot (an upload, or a lockfile this tab no longer holds). */
function openSource(src: string): boolean {
  const store = useGraphStore.getState();
  const [kind, ...rest] = src.split(':');
  const value = rest.join(':');
  if (kind === 'pkg') {
    const at = value.lastIndexOf('@');
    const [name, range] = at > 0 ? [value.slice(0, at), value.slice(at + 1)] : [value, 'latest'];
    void store.resolve({ kind: 'package', name, range: range || 'latest' }, src);
    return true;
  }
  if (kind === 'folder') {
    void store.resolve({ kind: 'folder', path: value }, src);
    return true;
  }
  if (kind === 'lock') {
    const file = keptFile(value);
    if (file) void store.resolve({ kind: 'lockfile', lockfile: file }, src);
    return Boolean(file);
  }
  if (kind === 'cmp') {
    const [a, b] = value.split('|').map((n) => keptFile(n ?? ''));
    if (a && b) void store.compare(a, b, src);
    return Boolean(a && b);
  }
  return false;
}

const readPicked = async (input: HTMLInputElement): Promise<Picked | undefined> => {
  const file = input.files?.[0];
  return file ? { name: file.name, text: await file.text() } : undefined;
};

export function Graph({ name }: { name?: string }) {
  const g = useGraphStore();
  const [view, setViewState] = useState<ViewState>(() => {
    const state = readViewState();
    return name && !state.src ? { ...state, src: `pkg:${name}@latest` } : state;
  });
  const setView = (patch: Partial<ViewState>) => setViewState((v) => ({ ...v, ...patch }));
  // A lockfile named by the URL but no longer in this tab (another browser, a closed tab): ask for it again.
  const [missing, setMissing] = useState<string | undefined>(() =>
    view.src && !canOpen(view.src)
      ? `This view was of ${view.src.replace(/^\w+:/, '')}, which this tab no longer holds: pick the file again.`
      : undefined,
  );

  // The URL's source is opened once (a reload, a shared link); the view state follows every change into the URL.
  useEffect(() => {
    if (view.src && view.src !== useGraphStore.getState().source) openSource(view.src);
    // eslint-disable-next-line react-hooks/exhaustive-deps -- only the source named on arrival
  }, []);
  useEffect(() => writeViewState(view), [view]);

  return (
    <section aria-labelledby="graph-heading" className="graph-screen">
      <h1 id="graph-heading">Dependency graph</h1>
      <SourceForm
        initialName={name}
        loading={g.loading}
        onSource={(src) => {
          setMissing(undefined);
          setView({ src, focus: undefined, collapsed: [], layered: false });
        }}
      />
      {missing && !g.graph && <p className="warning">{missing}</p>}
      {g.error && (
        <ErrorState message={g.error} action="Check the name or file; the resolver reads packages from this registry and its mirror." />
      )}
      {g.loading && !g.graph && <Loading what="the graph" />}
      {!g.graph && !g.loading && !g.error && !missing && (
        <Empty>
          Choose a package, a project folder or a lockfile to see what it installs and why — or two lockfiles to see what changed.
        </Empty>
      )}
      {g.graph && (
        <GraphView
          key={`${g.source ?? ''}:${g.graph.ms}:${g.graph.nodes.length}`}
          graph={g.graph}
          comparison={g.comparison}
          view={view}
          setView={setView}
        />
      )}
    </section>
  );
}

function SourceForm({
  initialName,
  loading,
  onSource,
}: {
  initialName?: string;
  loading: boolean;
  onSource(src: string | undefined): void;
}) {
  const resolve = useGraphStore((s) => s.resolve);
  const compare = useGraphStore((s) => s.compare);
  const [kind, setKind] = useState<Kind>('package');
  const [target, setTarget] = useState(initialName ?? '');
  const [range, setRange] = useState('latest');
  const [project, setProject] = useState<{ name: string; files: PickedFile[]; paths: string[] }>();
  const files = useRef<(HTMLInputElement | null)[]>([]);
  const id = useId();
  return (
    <form
      className="panel inline-form gv-source"
      onSubmit={(e) => {
        e.preventDefault();
        void (async () => {
          if (kind === 'package') {
            const src = `pkg:${target.trim()}@${range.trim() || 'latest'}`;
            onSource(src);
            await resolve({ kind, name: target.trim(), range: range.trim() || 'latest' }, src);
          } else if (kind === 'folder' && transport === 'ipc') {
            const src = `folder:${target.trim()}`;
            onSource(src);
            await resolve({ kind: 'folder', path: target.trim() }, src);
          } else if (kind === 'folder' && project) {
            onSource(undefined);
            await resolve({ kind: 'upload', upload: await toUpload(project) });
          } else if (kind === 'lockfile') {
            const file = files.current[0] && (await readPicked(files.current[0]));
            if (!file) return;
            keepFile(file);
            onSource(`lock:${file.name}`);
            await resolve({ kind: 'lockfile', lockfile: file }, `lock:${file.name}`);
          } else if (kind === 'compare') {
            const [a, b] = await Promise.all(files.current.slice(0, 2).map((f) => (f ? readPicked(f) : undefined)));
            if (!a || !b) return;
            // Two files of the same name (both "package-lock.json") are told apart in the URL and the tab's storage.
            const after = a.name === b.name ? { ...b, name: `${b.name} (after)` } : b;
            keepFile(a);
            keepFile(after);
            onSource(`cmp:${a.name}|${after.name}`);
            await compare(a, after, `cmp:${a.name}|${after.name}`);
          }
        })();
      }}
    >
      <label htmlFor={`${id}-kind`}>Graph of</label>
      <select id={`${id}-kind`} value={kind} onChange={(e) => setKind(e.target.value as Kind)}>
        <option value="package">a package</option>
        <option value="folder">a project folder</option>
        <option value="lockfile">a lockfile</option>
        <option value="compare">two lockfiles (compare)</option>
      </select>
      {kind === 'package' && (
        <>
          <label htmlFor={`${id}-target`}>Package name</label>
          <input id={`${id}-target`} className="wide" required value={target} onChange={(e) => setTarget(e.target.value)} />
          <label htmlFor={`${id}-range`}>Version or range</label>
          <input id={`${id}-range`} value={range} onChange={(e) => setRange(e.target.value)} />
        </>
      )}
      {kind === 'folder' && (
        <>
          <label htmlFor={`${id}-target`}>Folder with package.json</label>
          {transport === 'http' ? (
            // Only the folder's package.json files and lockfile are sent; the server reads no folder for a page.
            <input
              id={`${id}-target`}
              key="folder"
              type="file"
              required
              ref={(input) => input?.setAttribute('webkitdirectory', '')}
              onChange={(e) => setProject(e.target.files?.length ? pickedFolder(e.target.files, isProjectFile) : undefined)}
            />
          ) : (
            <>
              <input id={`${id}-target`} key="text" className="wide" required value={target} onChange={(e) => setTarget(e.target.value)} />
              {folderPicker && (
                <button
                  type="button"
                  onClick={() =>
                    void folderPicker?.('graph').then((chosen) => {
                      if (chosen) setTarget(chosen);
                    })
                  }
                >
                  Choose…
                </button>
              )}
            </>
          )}
        </>
      )}
      {kind === 'lockfile' && (
        <>
          <label htmlFor={`${id}-lock`}>Lockfile</label>
          <input
            id={`${id}-lock`}
            key="lock"
            type="file"
            accept=".json,.yaml,.lock,application/json"
            required
            ref={(el) => void (files.current[0] = el)}
          />
        </>
      )}
      {kind === 'compare' && (
        <>
          <label htmlFor={`${id}-before`}>Before</label>
          <input
            id={`${id}-before`}
            key="before"
            type="file"
            accept=".json,.yaml,.lock,application/json"
            required
            ref={(el) => void (files.current[0] = el)}
          />
          <label htmlFor={`${id}-after`}>After</label>
          <input
            id={`${id}-after`}
            key="after"
            type="file"
            accept=".json,.yaml,.lock,application/json"
            required
            ref={(el) => void (files.current[1] = el)}
          />
        </>
      )}
      <button type="submit" className="primary" disabled={loading}>
        {loading ? 'Resolving…' : kind === 'compare' ? 'Compare' : kind === 'lockfile' ? 'Open' : 'Resolve'}
      </button>
    </form>
  );
}

interface ViewProps {
  graph: GraphResult;
  comparison?: GraphComparison;
  view: ViewState;
  setView(patch: Partial<ViewState>): void;
}

function usePalette(): Palette {
  const [palette, setPalette] = useState(readPalette);
  useEffect(() => {
    const again = () => setPalette(readPalette());
    const scheme = matchMedia('(prefers-color-scheme: dark)');
    scheme.addEventListener('change', again);
    const theme = new MutationObserver(again);
    theme.observe(document.documentElement, { attributes: true, attributeFilter: ['data-theme'] });
    return () => {
      scheme.removeEventListener('change', again);
      theme.disconnect();
    };
  }, []);
  return palette;
}

function GraphView({ graph, comparison, view, setView }: ViewProps) {
  const palette = usePalette();
  const surface = useRef<SigmaHandle>(null);
  const [aspect, setAspect] = useState(2.2);
  const hoverCard = useRef<HoverCardHandle>(null);
  const ids = { colour: useId(), depth: useId(), side: useId() };
  const types = useMemo(() => new Set(view.types), [view.types]);
  const collapsed = useMemo(() => new Set(view.collapsed), [view.collapsed]);
  const index = useMemo(() => indexGraph(graph, types), [graph, types]);
  const selected = view.focus !== undefined && index.byId.has(view.focus) ? view.focus : undefined;
  const layered = view.layered && selected !== undefined;

  const focus = useMemo(
    () => (layered && selected !== undefined ? focusView(index, selected, view.depth, aspect) : undefined),
    [layered, selected, index, view.depth, aspect],
  );
  const drawing = useMemo(() => focus?.drawing ?? overview(index, collapsed, aspect), [focus, index, collapsed, aspect]);
  const paths = useMemo(
    () => focus?.paths ?? (selected !== undefined ? pathsFromRoot(index.g, selected, 5, index.depth) : []),
    [focus, selected, index],
  );
  const emphasis = useMemo(() => {
    if (selected === undefined) return undefined;
    // The focus view draws only the neighbourhood: all of it in full.
    if (focus) return new Set(focus.drawing.nodes.map((n) => n.id));
    const set = new Set(paths.flat());
    set.add(selected);
    for (const c of index.g.children.get(selected) ?? []) set.add(c);
    for (const p of index.g.parents.get(selected) ?? []) set.add(p);
    return set;
  }, [selected, paths, index, focus]);

  const licences = useMemo(() => licenceKey(graph.nodes, palette), [graph, palette]);
  const largest = useMemo(() => Math.max(0, ...graph.nodes.map((n) => n.size ?? 0)), [graph]);
  const status = useMemo(() => {
    const map = new Map<string, string>();
    if (!comparison) return map;
    for (const a of comparison.added) map.set(a.id, palette.ok);
    for (const c of comparison.changed) map.set(c.id, palette.warn);
    for (const m of comparison.moved) map.set(m.to, palette.accent);
    return map;
  }, [comparison, palette]);
  const involved = useMemo(() => new Set(graph.conflict?.involved ?? []), [graph]);
  const look = useCallback(
    (id: string): NodeLook => {
      const n = index.byId.get(id)!;
      const hidden = drawing.hidden.get(id);
      const colour = involved.has(n.name)
        ? palette.danger
        : n.isRoot
          ? palette.accent
          : comparison
            ? (status.get(id) ?? palette.faint)
            : nodeColour(n, view.colour, palette, licences.colour, largest);
      return {
        label: `${label(n)}${hidden ? ` (+${hidden} hidden)` : ''}`,
        colour,
        size: n.isRoot ? 8 : layered ? (id === selected ? 10 : 6) : drawing.nodes.length > 400 ? 3 : 5,
      };
    },
    [index, drawing, involved, palette, comparison, status, view.colour, licences, largest, layered, selected],
  );
  const styleKey = `${view.colour}|${palette.text}|${comparison ? 'cmp' : ''}|${selected ?? ''}|${paths.length}`;

  // Find and clicks select; in the overview the camera then zooms to the node, in the focus view the view re-centres.
  const select = (node: GraphNode | string) => {
    const id = typeof node === 'string' ? node : node.id;
    setView({ focus: id });
    if (!layered) requestAnimationFrame(() => surface.current?.centreOn(id));
  };
  const name = (id: string) => {
    const n = index.byId.get(id);
    return n ? label(n) : id;
  };
  const legend = comparison
    ? ([
        ['added', palette.ok],
        ['changed version', palette.warn],
        ['moved', palette.accent],
        ['unchanged', palette.faint],
      ] as [string, string][])
    : legendFor(view.colour, palette, licences.legend);

  const exportAs = async (format: 'svg' | 'png') => {
    const svg = toSvg(drawing, look, { background: palette.surface, edge: palette.faint, text: palette.text }, graph.title);
    const base = graph.title.replace(/[^\w.@-]+/g, '-').slice(0, 80) || 'graph';
    if (format === 'svg') download(new Blob([svg], { type: 'image/svg+xml' }), `${base}.svg`);
    else download(await svgToPng(svg), `${base}.png`);
  };

  return (
    <div className="gv">
      <div className="gv-toolbar">
        <p className="hint gv-summary">
          <strong>{graph.title}</strong>: {graph.nodes.length} packages
          {graph.duplicates.length > 0 && `, ${graph.duplicates.length} installed in more than one version`}
          {graph.conflict ? ' — resolution failed' : ''} · {layered ? `focus on ${name(selected!)}` : 'overview'}
          {!layered && drawing.nodes.length > 300 && ' — columns are depths from the root; select a package to see its edges'}
        </p>
        <FindBox nodes={graph.nodes} onPick={select} />
        <div className="gv-buttons" role="group" aria-label="View">
          <button type="button" onClick={() => surface.current?.fit()}>
            Fit
          </button>
          <button type="button" aria-label="Zoom in" onClick={() => surface.current?.zoom(1.5)}>
            +
          </button>
          <button type="button" aria-label="Zoom out" onClick={() => surface.current?.zoom(1 / 1.5)}>
            −
          </button>
          {layered && (
            <button type="button" onClick={() => setView({ layered: false })}>
              Back to overview
            </button>
          )}
          <button type="button" onClick={() => void exportAs('svg')}>
            Export SVG
          </button>
          <button type="button" onClick={() => void exportAs('png')}>
            Export PNG
          </button>
        </div>
      </div>
      <div className="gv-filters">
        <fieldset className="gv-types">
          <legend>Edge types</legend>
          {EDGE_TYPES.map((t) => (
            <label key={t}>
              <input
                type="checkbox"
                checked={types.has(t)}
                onChange={(e) => setView({ types: EDGE_TYPES.filter((x) => (x === t ? e.target.checked : types.has(x))) })}
              />
              {t}
            </label>
          ))}
        </fieldset>
        {!comparison && (
          <span>
            <label htmlFor={ids.colour}>Colour by</label>{' '}
            <select id={ids.colour} value={view.colour} onChange={(e) => setView({ colour: e.target.value as ColourBy })}>
              <option value="kind">kind (prod/dev/optional/peer)</option>
              <option value="license">licence</option>
              <option value="duplicate">duplicates</option>
              <option value="size">size</option>
            </select>
          </span>
        )}
        {layered && (
          <span>
            <label htmlFor={ids.depth}>Depth</label>{' '}
            <select id={ids.depth} value={view.depth} onChange={(e) => setView({ depth: Number(e.target.value) })}>
              {[1, 2, 3, 4].map((d) => (
                <option key={d} value={d}>
                  {d}
                </option>
              ))}
            </select>
          </span>
        )}
        <ul className="gv-legend" aria-label="Colours">
          {legend.map(([text, colour]) => (
            <li key={text}>
              <span className="gv-dot" style={{ background: colour }} aria-hidden="true" />
              {text}
            </li>
          ))}
        </ul>
      </div>
      <div className="gv-main">
        <SigmaGraph
          ref={surface}
          drawing={drawing}
          look={look}
          emphasis={emphasis}
          selected={selected}
          edgeColour={palette.faint}
          edgeStrong={palette.accent}
          labelColour={palette.text}
          styleKey={styleKey}
          onSelect={select}
          onHover={(id, x, y) => hoverCard.current?.show(id, x, y)}
          onAspect={(a) => setAspect((old) => (Math.abs(Math.log(a / old)) > 0.15 ? a : old))}
          label={`Drawing of the dependencies of ${graph.title}, ${drawing.nodes.length} packages. Arrow keys pan, plus and minus zoom; use Find to choose a package.`}
        >
          <HoverCard ref={hoverCard} index={index} />
        </SigmaGraph>
        <aside className="panel gv-side" aria-labelledby={ids.side}>
          <h2 id={ids.side} className="visually-hidden">
            Details
          </h2>
          {selected !== undefined && (
            <NodePanel
              index={index}
              graph={graph}
              id={selected}
              paths={paths}
              layered={layered}
              collapsed={collapsed.has(selected)}
              onFocus={() => setView({ layered: true })}
              onToggleCollapse={() =>
                setView({
                  collapsed: collapsed.has(selected) ? view.collapsed.filter((c) => c !== selected) : [...view.collapsed, selected],
                })
              }
              onClose={() => setView({ focus: undefined, layered: false })}
              onPick={select}
            />
          )}
          {comparison && <ComparePanel comparison={comparison} onPick={select} known={index.byId} />}
          <ProblemsPanel graph={graph} name={name} onPick={select} />
        </aside>
      </div>
    </div>
  );
}

function PathList({ paths, name, onPick }: { paths: string[][]; name(id: string): string; onPick(id: string): void }) {
  return (
    <ol className="gv-paths">
      {paths.map((path) => (
        <li key={path.join('>')}>
          {path.map((id, i) => (
            <span key={id}>
              {i > 0 && ' → '}
              {i === 0 ? (
                name(id)
              ) : (
                <button type="button" className="link" onClick={() => onPick(id)}>
                  {name(id)}
                </button>
              )}
            </span>
          ))}
        </li>
      ))}
    </ol>
  );
}

function ProblemsPanel({ graph, name, onPick }: { graph: GraphResult; name(id: string): string; onPick(id: string): void }) {
  const c = graph.conflict;
  return (
    <section aria-labelledby="gv-problems" className="gv-problems">
      <h2 id="gv-problems">Problems</h2>
      {!c && graph.duplicates.length === 0 && <p className="hint">No conflicts, and every package is installed in one version only.</p>}
      {c && (
        <section aria-labelledby="conflict-heading" className="conflict">
          <h3 id="conflict-heading">Why resolution failed</h3>
          <p>
            <strong>{c.summary}</strong>
          </p>
          <ol>
            {c.explanation.map((s) => (
              <li key={s}>{s}</li>
            ))}
          </ol>
          <h4>Verified fixes</h4>
          {c.fixes.length === 0 ? (
            <p className="hint">The resolver found no change that it could verify; adjust the ranges named above.</p>
          ) : (
            <ul className="plain">
              {c.fixes.map((f) => (
                <li key={f.summary}>
                  <p>{f.summary}</p>
                  <pre className="command" tabIndex={0}>
                    <code>{f.diff.join('\n')}</code>
                  </pre>
                </li>
              ))}
            </ul>
          )}
        </section>
      )}
      {graph.duplicates.length > 0 && (
        <>
          <h3>Installed in more than one version ({graph.duplicates.length})</h3>
          <ul className="plain gv-dupes">
            {graph.duplicates.map((d) => (
              <li key={d.name}>
                <details>
                  <summary>
                    {d.name}: {[...new Set(d.copies.map((x) => x.version))].join(', ')} ({d.copies.length} copies)
                  </summary>
                  {d.copies.map((copy) => (
                    <div key={copy.id}>
                      <button type="button" className="link" onClick={() => onPick(copy.id)}>
                        {d.name}@{copy.version}
                      </button>{' '}
                      <span className="hint">{copy.id}</span>, brought in by:
                      <PathList paths={copy.paths} name={name} onPick={onPick} />
                    </div>
                  ))}
                </details>
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}

function ComparePanel({
  comparison,
  onPick,
  known,
}: {
  comparison: GraphComparison;
  onPick(id: string): void;
  known: Map<string, GraphNode>;
}) {
  const LIMIT = 200;
  const groups: [string, { key: string; text: string; id?: string }[]][] = [
    ['Added', comparison.added.map((a) => ({ key: a.id, text: `${a.name}@${a.version}`, id: a.id }))],
    ['Removed', comparison.removed.map((r) => ({ key: r.id, text: `${r.name}@${r.version} (was ${r.id})` }))],
    ['Changed version', comparison.changed.map((c) => ({ key: c.id, text: `${c.name} ${c.from} → ${c.to}`, id: c.id }))],
    ['Moved', comparison.moved.map((m) => ({ key: m.to, text: `${m.name}@${m.version}: ${m.from} → ${m.to}`, id: m.to }))],
  ];
  return (
    <section aria-labelledby="gv-compare" className="gv-compare">
      <h2 id="gv-compare">
        {comparison.before} → {comparison.after}
      </h2>
      {groups.map(([title, items]) => (
        <details key={title} open={items.length > 0 && items.length <= 20}>
          <summary>
            {title} ({items.length})
          </summary>
          <ul className="plain">
            {items.slice(0, LIMIT).map((item) => (
              <li key={item.key}>
                {item.id !== undefined && known.has(item.id) ? (
                  <button type="button" className="link" onClick={() => onPick(item.id!)}>
                    {item.text}
                  </button>
                ) : (
                  item.text
                )}
              </li>
            ))}
            {items.length > LIMIT && <li className="hint">and {items.length - LIMIT} more</li>}
          </ul>
        </details>
      ))}
    </section>
  );
}

function NodePanel(props: {
  index: Index;
  graph: GraphResult;
  id: string;
  paths: string[][];
  layered: boolean;
  collapsed: boolean;
  onFocus(): void;
  onToggleCollapse(): void;
  onClose(): void;
  onPick(id: string): void;
}) {
  const { index, graph, id } = props;
  const node = index.byId.get(id)!;
  const name = (x: string) => {
    const n = index.byId.get(x);
    return n ? label(n) : x;
  };
  const requiredBy = graph.edges.filter((e) => e.to === id);
  return (
    <section aria-labelledby="gv-node" className="gv-node">
      <h2 id="gv-node">{label(node)}</h2>
      <p className="hint">{node.location || 'the project root'}</p>
      <div className="gv-buttons">
        {!props.layered && (
          <button type="button" className="primary" onClick={props.onFocus}>
            Focus on it
          </button>
        )}
        {(index.g.children.get(id)?.length ?? 0) > 0 && !props.layered && (
          <button type="button" onClick={props.onToggleCollapse}>
            {props.collapsed ? 'Expand subtree' : 'Collapse subtree'}
          </button>
        )}
        <button type="button" onClick={props.onClose}>
          Close
        </button>
      </div>
      {node.deprecated && <p className="warning">Deprecated: {node.deprecated}</p>}
      {node.duplicate && <p className="warning">Installed in more than one version in this tree.</p>}
      <dl className="gv-facts">
        <dt>Licence</dt>
        <dd>{node.license ?? 'unknown'}</dd>
        <dt>Size</dt>
        <dd>{formatSize(node.size)}</dd>
      </dl>
      <h3>Why this version</h3>
      <p>Chosen by rule: {ruleText(node.rule)}.</p>
      {node.newestRejected && (
        <p>
          Newest version {node.newestRejected.version} was not chosen: it does not satisfy “{node.newestRejected.range}”.
        </p>
      )}
      {node.skipped.map((s) => (
        <p key={s.version}>
          Skipped {s.version}: {s.reason}
        </p>
      ))}
      <h3>Paths from the root</h3>
      {props.paths.length === 0 ? (
        <p className="hint">No path from the root with the edge types shown.</p>
      ) : (
        <PathList paths={props.paths} name={name} onPick={props.onPick} />
      )}
      <h3>Required by ({requiredBy.length})</h3>
      <ul className="plain">
        {requiredBy.slice(0, 50).map((e) => (
          <li key={`${e.from}-${e.name}-${e.type}`}>
            {name(e.from)} needs “{e.spec}” ({e.type}){e.conflicted ? ' — conflict' : ''}
          </li>
        ))}
        {requiredBy.length > 50 && <li className="hint">and {requiredBy.length - 50} more</li>}
      </ul>
    </section>
  );
}

function ruleText(rule: string): string {
  const text: Record<string, string> = {
    root: 'it is the project itself',
    workspace: 'a workspace of the project',
    'latest-tag': 'the latest dist-tag satisfies the range',
    'dist-tag': 'a dist-tag was asked for',
    'highest-match': 'the highest version that satisfies every range',
    lockfile: 'recorded in the lockfile',
    override: 'an override in package.json',
    bundled: 'bundled inside its parent',
    existing: 'an already placed copy satisfies the range',
  };
  return text[rule] ?? rule;
}
