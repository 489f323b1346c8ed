// The dependency graph of a package range or a project folder: pan, zoom, search, the path from the root to a node,
// collapse and expand subtrees, filter by edge type; conflicts and duplicates highlighted; a side panel with the
// resolver's "why this version" and, for a conflict, its plain-language explanation and verified fixes.
import { useDeferredValue, useEffect, useId, useMemo, useState } from 'react';
import { GraphCanvas, clampScale, type View } from '../components/GraphCanvas';
import { layoutExtent, layoutGraph, pathToRoot } from '../components/graph-layout';
import { Empty, ErrorState, Loading } from '../components/States';
import { transport } from '../client';
import { useGraphStore } from '../stores/graph';
import { isProjectFile, pickedFolder, toUpload, type PickedFile } from '../upload';

const EDGE_TYPES = ['prod', 'dev', 'optional', 'peer', 'peerOptional', 'workspace'];

export function Graph({ name }: { name?: string }) {
  const g = useGraphStore();
  const resolve = g.resolve;
  const [kind, setKind] = useState<'package' | 'folder'>(name ? 'package' : 'package');
  const [target, setTarget] = useState(name ?? '');
  /** Browser mode: the project folder picked, narrowed to its package.json files and lockfile (all a resolution reads). */
  const [project, setProject] = useState<{ name: string; files: PickedFile[]; paths: string[] }>();
  const [range, setRange] = useState('latest');
  const [types, setTypes] = useState(() => new Set(EDGE_TYPES));
  const [collapsed, setCollapsed] = useState(() => new Set<string>());
  const [query, setQuery] = useState('');
  const [view, setView] = useState<View>({ x: 40, y: 40, scale: 1 });
  const ids = { kind: useId(), target: useId(), range: useId(), query: useId(), node: useId() };

  useEffect(() => {
    if (name) void resolve({ kind: 'package', name, range: 'latest' });
  }, [name, resolve]);

  const graph = g.graph;
  const layout = useMemo(() => (graph ? layoutGraph(graph.nodes, graph.edges, types, collapsed) : undefined), [graph, types, collapsed]);
  const selected = g.selected && layout?.placed.has(g.selected) ? g.selected : undefined;
  const path = useMemo(() => new Set(selected && layout ? pathToRoot(layout, selected) : []), [selected, layout]);
  const involved = useMemo(() => new Set(graph?.conflict?.involved ?? []), [graph]);
  const node = graph?.nodes.find((n) => n.id === selected);
  // Thousands of options: built once per graph, so the re-render of every pan and zoom step leaves them alone, and in a
  // deferred render, so the canvas shows the graph first (a 2,300-node list costs more than drawing the graph does).
  const listed = useDeferredValue(graph);
  const nodeOptions = useMemo(
    () =>
      listed?.nodes.map((n) => (
        <option key={n.id} value={n.id}>
          {n.name}@{n.version} {n.location ? `(${n.location})` : '(root)'}
        </option>
      )),
    [listed],
  );

  const focus = (id: string) => {
    g.select(id);
    const p = layout?.placed.get(id);
    if (p) setView((v) => ({ ...v, x: 300 - p.x * v.scale, y: 200 - p.y * v.scale }));
  };
  const search = () => {
    const q = query.trim().toLowerCase();
    const hit = graph?.nodes.find((n) => n.name.toLowerCase() === q) ?? graph?.nodes.find((n) => n.name.toLowerCase().includes(q));
    if (hit) focus(hit.id);
  };

  return (
    <section aria-labelledby="graph-heading" className="graph-screen">
      <h1 id="graph-heading">Dependency graph</h1>
      <form
        className="panel inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          setCollapsed(new Set());
          if (kind === 'package') void resolve({ kind, name: target.trim(), range: range.trim() || 'latest' });
          else if (transport === 'ipc') void resolve({ kind, path: target.trim() });
          else if (project) void toUpload(project).then((upload) => resolve({ kind: 'upload', upload }));
        }}
      >
        <label htmlFor={ids.kind}>Graph of</label>
        <select id={ids.kind} value={kind} onChange={(e) => setKind(e.target.value as 'package' | 'folder')}>
          <option value="package">a package</option>
          <option value="folder">a project folder</option>
        </select>
        <label htmlFor={ids.target}>{kind === 'package' ? 'Package name' : 'Folder with package.json'}</label>
        {kind === 'folder' && transport === 'http' ? (
          // Only the folder's package.json files and lockfile are sent; the server reads no folder for a page.
          <input
            id={ids.target}
            key="folder"
            type="file"
            required
            ref={(input) => input?.setAttribute('webkitdirectory', '')}
            onChange={(e) => setProject(e.target.files?.length ? pickedFolder(e.target.files, isProjectFile) : undefined)}
          />
        ) : (
          <input id={ids.target} key="text" className="wide" required value={target} onChange={(e) => setTarget(e.target.value)} />
        )}
        {kind === 'package' && (
          <>
            <label htmlFor={ids.range}>Version or range</label>
            <input id={ids.range} value={range} onChange={(e) => setRange(e.target.value)} />
          </>
        )}
        <button type="submit" className="primary" disabled={g.loading}>
          {g.loading ? 'Resolving…' : 'Resolve'}
        </button>
      </form>
      {g.error && (
        <ErrorState message={g.error} action="Check the name or folder; the resolver reads packages from this registry and its mirror." />
      )}
      {g.loading && !graph && <Loading what="the graph" />}
      {!graph && !g.loading && !g.error && <Empty>Choose a package or a project folder to see what it installs and why.</Empty>}
      {graph && layout && (
        <div className="graph-layout">
          <div>
            <div className="graph-tools">
              <p className="hint">
                {graph.title}: {graph.nodes.length} nodes, resolved in {graph.ms} ms
                {graph.conflict ? ' — resolution failed' : ''}
              </p>
              <form
                className="inline-form"
                onSubmit={(e) => {
                  e.preventDefault();
                  search();
                }}
              >
                <label htmlFor={ids.query}>Find</label>
                <input id={ids.query} value={query} onChange={(e) => setQuery(e.target.value)} />
                <button type="submit">Find</button>
                <button type="button" onClick={() => setView((v) => ({ ...v, scale: clampScale(v.scale * 1.25) }))} aria-label="Zoom in">
                  +
                </button>
                <button type="button" onClick={() => setView((v) => ({ ...v, scale: clampScale(v.scale / 1.25) }))} aria-label="Zoom out">
                  −
                </button>
                <button
                  type="button"
                  onClick={() => {
                    // The whole graph in a view of about 900 × 560 (the canvas at its smallest usual size).
                    const { width, height } = layoutExtent(layout);
                    setView({ x: 40, y: 20, scale: clampScale(Math.min(1, 900 / width, 560 / height)) });
                  }}
                >
                  Fit
                </button>
              </form>
              <fieldset className="edge-types">
                <legend>Edge types</legend>
                {EDGE_TYPES.map((t) => (
                  <label key={t}>
                    <input
                      type="checkbox"
                      checked={types.has(t)}
                      onChange={(e) => {
                        const next = new Set(types);
                        if (e.target.checked) next.add(t);
                        else next.delete(t);
                        setTypes(next);
                      }}
                    />{' '}
                    {t}
                  </label>
                ))}
              </fieldset>
              <p className="legend hint">
                <span className="dot dot--conflict" /> conflict <span className="dot dot--dup" /> duplicate{' '}
                <span className="dot dot--path" /> path from the root
              </p>
            </div>
            <GraphCanvas
              layout={layout}
              edges={graph.edges}
              visibleTypes={types}
              selected={selected}
              highlighted={path}
              involved={involved}
              view={view}
              onView={setView}
              onSelect={focus}
            />
            <label htmlFor={ids.node}>Node</label>{' '}
            <select id={ids.node} value={selected ?? ''} onChange={(e) => e.target.value !== '' && focus(e.target.value)}>
              <option value="">(choose a node)</option>
              {nodeOptions}
            </select>
          </div>
          <aside className="panel side-panel" aria-labelledby="side-heading" tabIndex={0}>
            {graph.conflict && (
              <section aria-labelledby="conflict-heading" className="conflict">
                <h2 id="conflict-heading">Why resolution failed</h2>
                <p>
                  <strong>{graph.conflict.summary}</strong>
                </p>
                <ol>
                  {graph.conflict.explanation.map((s) => (
                    <li key={s}>{s}</li>
                  ))}
                </ol>
                <h3>Verified fixes</h3>
                {graph.conflict.fixes.length === 0 ? (
                  <p className="hint">The resolver found no change that it could verify; adjust the ranges named above.</p>
                ) : (
                  <ul className="plain">
                    {graph.conflict.fixes.map((f) => (
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
            <h2 id="side-heading">{node ? `${node.name}@${node.version}` : 'Select a node'}</h2>
            {!node && (
              <p className="hint">Click a node, find one by name, or choose it from the Node list to see why this version is here.</p>
            )}
            {node && (
              <>
                <p className="hint">{node.location || 'the project root'}</p>
                {node.deprecated && <p className="warning">Deprecated: {node.deprecated}</p>}
                {node.duplicate && <p className="warning">Installed in more than one version in this tree.</p>}
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
                <h3>Required by</h3>
                <ul className="plain">
                  {graph.edges
                    .filter((e) => e.to === node.id)
                    .map((e) => {
                      const from = graph.nodes.find((n) => n.id === e.from);
                      return (
                        <li key={`${e.from}-${e.name}`}>
                          {from ? `${from.name}@${from.version}` : e.from} needs “{e.spec}” ({e.type}){e.conflicted ? ' — conflict' : ''}
                        </li>
                      );
                    })}
                </ul>
                <h3>Path from the root</h3>
                <p className="mono">{[...path].map((id) => graph.nodes.find((n) => n.id === id)?.name ?? id).join(' → ')}</p>
                {layout.children.has(node.id) && (
                  <button
                    type="button"
                    onClick={() => {
                      const next = new Set(collapsed);
                      if (next.has(node.id)) next.delete(node.id);
                      else next.add(node.id);
                      setCollapsed(next);
                    }}
                  >
                    {collapsed.has(node.id) ? 'Expand subtree' : 'Collapse subtree'}
                  </button>
                )}
              </>
            )}
          </aside>
        </div>
      )}
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
    lockfile: 'kept from the lockfile',
    override: 'an override in package.json',
    bundled: 'bundled inside its parent',
    existing: 'an already placed copy satisfies the range',
  };
  return text[rule] ?? rule;
}
