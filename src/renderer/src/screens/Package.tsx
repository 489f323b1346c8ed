// One package: readme (sanitised Markdown), versions with tags, deprecations and yanks, a version's dependencies and the
// registry's dependents, owners, tarball files with sizes, integrity, downloads; actions for owners, each confirmed, with an
// undo where one exists.
import { useEffect, useId, useState } from 'react';
import type { PackageDetails } from '../../../shared/contract';
import { Confirm } from '../components/Confirm';
import { CopyField } from '../components/CopyField';
import { CodeBrowser } from '../components/CodeBrowser';
import { DailyChart } from '../components/DailyChart';
import { Markdown } from '../components/Markdown';
import { Empty, ErrorState, Loading, Notice, formatBytes, formatDate } from '../components/States';
import { href, navigate } from '../route';
import { ProvenancePanel } from '../components/ProvenancePanel';
import { PolicyNotes } from './Policy';
import { useSearchStore } from '../stores/search';
import { usePackageStore, type CachedPackage, type PackageAction } from '../stores/package';

interface Pending {
  title: string;
  body: string;
  /** Deprecation asks for the message npm will show; the action's message is replaced by what is typed. */
  askMessage?: boolean;
  label: string;
  danger?: boolean;
  action: PackageAction;
  undo?: PackageAction;
}

export function PackageScreen({ name }: { name: string }) {
  const p = usePackageStore();
  const open = p.open;
  const [pending, setPending] = useState<Pending>();
  const [message, setMessage] = useState('');
  const [tab, setTab] = useState<'readme' | 'code'>('readme');
  const messageId = useId();
  useEffect(() => {
    void open(name);
  }, [open, name]);

  if (p.cached && p.cached.name === name) return <CachedPackageScreen c={p.cached} />;
  if (p.error && !p.details) {
    return (
      <section>
        <h1>{name}</h1>
        <ErrorState message={p.error} action="Check the name, or search for the package." onRetry={() => void open(name)} />
      </section>
    );
  }
  if (!p.details || p.details.name !== name) return <Loading what={name} />;
  const d = p.details;
  const confirm = (x: Pending) => {
    setMessage('');
    setPending(x);
  };
  const latest = d.distTags.latest ?? d.versions[0]?.version;

  return (
    <section aria-labelledby="pkg-heading" aria-busy={p.loading}>
      <header className="page__header">
        <h1 id="pkg-heading">{d.name}</h1>
        {d.ecosystem && d.ecosystem !== 'npm' && (
          <span className="badge" title="Published through /api/v1 by its own client; npm cannot install it">
            {d.ecosystem === 'vais' ? 'Vais' : 'Synapse'} package
          </span>
        )}
        <a className="button" href={href({ screen: 'graph', name: d.name })}>
          Dependency graph
        </a>
      </header>
      {d.description && <p>{d.description}</p>}
      {d.keywords && d.keywords.length > 0 && (
        <ul className="keywords" aria-label="Keywords">
          {d.keywords.map((k) => (
            <li key={k}>
              {/* A keyword opens the search for it. */}
              <a
                href={href({ screen: 'search' })}
                onClick={(e) => {
                  e.preventDefault();
                  searchKeyword(k);
                }}
              >
                {k}
              </a>
            </li>
          ))}
        </ul>
      )}
      {p.notice && (
        <Notice>
          {p.notice}{' '}
          {p.undo && (
            <button type="button" onClick={() => void p.act(p.undo!)}>
              Undo
            </button>
          )}
        </Notice>
      )}
      {p.actionError && <ErrorState message={p.actionError} action="Nothing was changed." />}
      <div className="columns">
        <div>
          <section className="panel" aria-label="Readme and code">
            <div className="tabs" role="tablist" aria-label="Package contents">
              <button
                type="button"
                role="tab"
                id="tab-readme"
                aria-selected={tab === 'readme'}
                aria-controls="panel-readme"
                onClick={() => setTab('readme')}
              >
                Readme
              </button>
              <button
                type="button"
                role="tab"
                id="tab-code"
                aria-selected={tab === 'code'}
                aria-controls="panel-code"
                onClick={() => setTab('code')}
              >
                Code
              </button>
            </div>
            {tab === 'readme' ? (
              <div role="tabpanel" id="panel-readme" aria-labelledby="tab-readme">
                {d.readme.trim() ? <Markdown source={d.readme} /> : <Empty>This package has no readme.</Empty>}
              </div>
            ) : (
              <div role="tabpanel" id="panel-code" aria-labelledby="tab-code">
                <CodeBrowser />
              </div>
            )}
          </section>
          <Versions d={d} confirm={confirm} />
          <Relations name={d.name} />
        </div>
        <aside>
          {latest && (
            <section className="panel install" aria-labelledby="install-heading">
              <h2 id="install-heading">Install</h2>
              <CopyField label="npm" value={`npm install ${d.name}`} />
              <CopyField label="pnpm" value={`pnpm add ${d.name}`} />
              <CopyField label="yarn" value={`yarn add ${d.name}`} />
              <CopyField label="bun" value={`bun add ${d.name}`} />
              <p className="hint">With this registry set as the Overview shows.</p>
            </section>
          )}
          <section className="panel" aria-labelledby="about-heading">
            <h2 id="about-heading">About</h2>
            {(d.homepage || d.repository || d.bugs) && (
              <ul className="plain links">
                {d.homepage && (
                  <li>
                    <a href={d.homepage} target="_blank" rel="noreferrer noopener">
                      Homepage
                    </a>
                  </li>
                )}
                {d.repository && (
                  <li>
                    <a href={d.repository} target="_blank" rel="noreferrer noopener">
                      Repository
                    </a>
                  </li>
                )}
                {d.bugs && (
                  <li>
                    <a href={d.bugs} target="_blank" rel="noreferrer noopener">
                      Issues
                    </a>
                  </li>
                )}
              </ul>
            )}
            <dl className="details">
              <dt>Access</dt>
              <dd>{d.access}</dd>
              <dt>License</dt>
              <dd>{d.license ?? '—'}</dd>
              <dt>Downloads</dt>
              <dd>{d.downloads.total}</dd>
              <dt>Dependents</dt>
              <dd>{d.dependentsCount}</dd>
            </dl>
            <DownloadChart daily={d.downloads.daily} />
          </section>
          <Owners d={d} confirm={confirm} />
          <Files />
        </aside>
      </div>
      {pending && (
        <Confirm
          title={pending.title}
          confirmLabel={pending.label}
          danger={pending.danger}
          onCancel={() => setPending(undefined)}
          onConfirm={() => {
            setPending(undefined);
            const action =
              pending.askMessage && pending.action.kind === 'deprecate'
                ? { ...pending.action, message: message.trim() || 'This version is deprecated.' }
                : pending.action;
            void p.act(action, pending.undo);
          }}
        >
          <p>{pending.body}</p>
          {pending.askMessage && (
            <div className="field">
              <label htmlFor={messageId}>Message npm shows to everyone who installs it</label>
              <textarea
                id={messageId}
                rows={3}
                maxLength={1024}
                value={message}
                placeholder="Use 2.x instead: this version has a security bug"
                onChange={(e) => setMessage(e.target.value)}
              />
            </div>
          )}
        </Confirm>
      )}
    </section>
  );
}

function Versions({ d, confirm }: { d: PackageDetails; confirm: (p: Pending) => void }) {
  const selectVersion = usePackageStore((s) => s.selectVersion);
  const shown = usePackageStore((s) => s.version);
  const [tag, setTag] = useState('');
  const [tagVersion, setTagVersion] = useState('');
  const tagId = useId();
  const tagVersionId = useId();
  return (
    <section className="panel" aria-labelledby="versions-heading">
      <h2 id="versions-heading">Versions</h2>
      <div className="table-scroll">
        <table className="packages">
          <thead>
            <tr>
              <th scope="col">Version</th>
              <th scope="col">Tags</th>
              <th scope="col">Published</th>
              <th scope="col">State</th>
              {d.canManage && <th scope="col">Actions</th>}
            </tr>
          </thead>
          <tbody>
            {d.versions.map((v) => (
              <tr key={v.version}>
                <th scope="row">
                  <button
                    type="button"
                    className="link"
                    onClick={() => void selectVersion(v.version)}
                    aria-label={`Show files and dependencies of ${v.version}`}
                    aria-pressed={shown === v.version}
                  >
                    {v.version}
                  </button>
                </th>
                <td>
                  {v.tags.map((t) => (
                    <span key={t} className="tag">
                      {t}
                    </span>
                  ))}
                </td>
                <td>{formatDate(v.date)}</td>
                <td>
                  {v.deprecated && (
                    <span className="badge badge--restricted" title={v.deprecated}>
                      deprecated
                    </span>
                  )}
                  {v.yanked && <span className="badge badge--restricted">yanked</span>}
                </td>
                {d.canManage && (
                  <td className="row-actions">
                    <button
                      type="button"
                      onClick={() =>
                        confirm(
                          v.deprecated
                            ? {
                                title: `Undeprecate ${d.name}@${v.version}?`,
                                body: 'npm will stop warning about this version.',
                                label: 'Undeprecate',
                                action: { kind: 'deprecate', version: v.version, message: '' },
                                undo: { kind: 'deprecate', version: v.version, message: v.deprecated },
                              }
                            : {
                                title: `Deprecate ${d.name}@${v.version}?`,
                                body: 'npm will warn everyone who installs this version.',
                                label: 'Deprecate',
                                askMessage: true,
                                action: { kind: 'deprecate', version: v.version, message: 'This version is deprecated.' },
                                undo: { kind: 'deprecate', version: v.version, message: '' },
                              },
                        )
                      }
                    >
                      {v.deprecated ? 'Undeprecate' : 'Deprecate'}
                    </button>
                    <button
                      type="button"
                      onClick={() =>
                        confirm({
                          title: `${v.yanked ? 'Un-yank' : 'Yank'} ${d.name}@${v.version}?`,
                          body: v.yanked
                            ? 'Resolution may choose it again.'
                            : 'It stays downloadable for lockfiles but leaves search and is never chosen by resolution.',
                          label: v.yanked ? 'Un-yank' : 'Yank',
                          action: { kind: 'yank', version: v.version, yanked: !v.yanked },
                          undo: { kind: 'yank', version: v.version, yanked: v.yanked },
                        })
                      }
                    >
                      {v.yanked ? 'Un-yank' : 'Yank'}
                    </button>
                    <button
                      type="button"
                      className="danger"
                      onClick={() =>
                        confirm({
                          title: `Unpublish ${d.name}@${v.version}?`,
                          body: 'This cannot be undone: the version number can never be used again.',
                          label: 'Unpublish',
                          danger: true,
                          action: { kind: 'unpublishVersion', version: v.version },
                        })
                      }
                    >
                      Unpublish
                    </button>
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {d.canManage && d.versions[0] && (
        <form
          className="inline-form"
          onSubmit={(e) => {
            e.preventDefault();
            const version = tagVersion || d.versions[0]!.version;
            const previous = d.distTags[tag.trim()];
            confirm({
              title: `Point ${tag.trim()} at ${version}?`,
              body: previous ? `It points at ${previous} now.` : 'This creates the tag.',
              label: 'Set tag',
              action: { kind: 'setDistTag', tag: tag.trim(), version },
              undo: previous ? { kind: 'setDistTag', tag: tag.trim(), version: previous } : { kind: 'removeDistTag', tag: tag.trim() },
            });
          }}
        >
          <label htmlFor={tagId}>Tag</label>
          <input
            id={tagId}
            className="narrow"
            value={tag}
            onChange={(e) => setTag(e.target.value)}
            required
            pattern="[A-Za-z][A-Za-z0-9._\-]*"
            placeholder="next"
          />
          <label htmlFor={tagVersionId}>on version</label>
          <select id={tagVersionId} value={tagVersion || d.versions[0].version} onChange={(e) => setTagVersion(e.target.value)}>
            {d.versions.map((v) => (
              <option key={v.version} value={v.version}>
                {v.version}
                {v.tags.length ? ` (${v.tags.join(', ')})` : ''}
              </option>
            ))}
          </select>
          <button type="submit">Set tag</button>
        </form>
      )}
    </section>
  );
}

const TYPE_LABEL: Record<string, string> = { prod: '', optional: 'optional', peer: 'peer', dev: 'dev' };

/** The shown version's dependencies (linked when this registry has them) and the packages here that depend on this one. */
function Relations({ name }: { name: string }) {
  const version = usePackageStore((s) => s.version);
  const relations = usePackageStore((s) => s.relations);
  const loading = usePackageStore((s) => s.relationsLoading);
  const error = usePackageStore((s) => s.relationsError);
  const loadRelations = usePackageStore((s) => s.loadRelations);
  const current = relations && relations.version === version ? relations : undefined;
  return (
    <section className="panel" aria-labelledby="deps-heading" aria-busy={loading}>
      <h2 id="deps-heading">Dependencies{version && <span className="count"> {version}</span>}</h2>
      {error && (
        <ErrorState
          message={error}
          action="The versions above are unaffected."
          onRetry={version ? () => void loadRelations(version) : undefined}
        />
      )}
      {!current && !error && <Loading what="dependencies" />}
      {current &&
        (current.dependencies.length === 0 ? (
          <Empty>
            {name}@{current.version} has no dependencies.
          </Empty>
        ) : (
          <ul className="plain relations" aria-label={`Dependencies of ${name}@${current.version}`}>
            {current.dependencies.map((dep) => (
              <li key={`${dep.type}:${dep.name}`}>
                {dep.local ? <a href={href({ screen: 'package', name: dep.name })}>{dep.name}</a> : <span>{dep.name}</span>}{' '}
                <span className="mono hint">{dep.range}</span>
                {TYPE_LABEL[dep.type] && <span className="tag"> {TYPE_LABEL[dep.type]}</span>}
                {!dep.local && <span className="hint"> (not in this registry)</span>}
              </li>
            ))}
          </ul>
        ))}
      <h3 id="dependents-heading">Dependents{current && <span className="count"> {current.dependentsTotal}</span>}</h3>
      {current &&
        (current.dependents.length === 0 ? (
          <Empty>No package in this registry depends on {name} in its latest version.</Empty>
        ) : (
          <>
            <ul className="plain relations" aria-labelledby="dependents-heading">
              {current.dependents.map((dep) => (
                <li key={dep.name}>
                  <a href={href({ screen: 'package', name: dep.name })}>{dep.name}</a> <span className="hint">{dep.version}</span>{' '}
                  <span className="mono hint">needs {dep.range}</span>
                </li>
              ))}
            </ul>
            {current.dependentsTotal > current.dependents.length && (
              <p className="hint">
                Showing {current.dependents.length} of {current.dependentsTotal}.
              </p>
            )}
          </>
        ))}
    </section>
  );
}

function Owners({ d, confirm }: { d: PackageDetails; confirm: (p: Pending) => void }) {
  const [user, setUser] = useState('');
  const id = useId();
  return (
    <section className="panel" aria-labelledby="owners-heading">
      <h2 id="owners-heading">Owners</h2>
      <ul className="plain">
        {d.owners.map((o) => (
          <li key={o}>
            {o}{' '}
            {d.canManage && d.owners.length > 1 && (
              <button
                type="button"
                className="danger"
                onClick={() =>
                  confirm({
                    title: `Remove ${o} as an owner?`,
                    body: `${o} will no longer be able to publish ${d.name}.`,
                    label: 'Remove owner',
                    danger: true,
                    action: { kind: 'removeOwner', username: o },
                    undo: { kind: 'addOwner', username: o },
                  })
                }
              >
                Remove
              </button>
            )}
          </li>
        ))}
      </ul>
      {d.canManage && (
        <form
          className="inline-form"
          onSubmit={(e) => {
            e.preventDefault();
            confirm({
              title: `Add ${user.trim()} as an owner?`,
              body: `${user.trim()} will be able to publish and change ${d.name}.`,
              label: 'Add owner',
              action: { kind: 'addOwner', username: user.trim() },
              undo: { kind: 'removeOwner', username: user.trim() },
            });
          }}
        >
          <label htmlFor={id}>Add owner</label>
          <input id={id} value={user} onChange={(e) => setUser(e.target.value)} required />
          <button type="submit">Add</button>
        </form>
      )}
    </section>
  );
}

function Files() {
  const files = usePackageStore((s) => s.files);
  const error = usePackageStore((s) => s.filesError);
  return (
    <section className="panel" aria-labelledby="files-heading">
      <h2 id="files-heading">Files{files && <span className="count"> {files.version}</span>}</h2>
      {error && <ErrorState message={error} />}
      {!files && !error && <Loading what="files" />}
      {files && (
        <>
          <dl className="details">
            <dt>Tarball</dt>
            <dd>{formatBytes(files.size)}</dd>
            <dt>Unpacked</dt>
            <dd>{formatBytes(files.unpackedSize)}</dd>
            <dt>Integrity</dt>
            <dd className="mono integrity">{files.integrity}</dd>
          </dl>
          <ul className="plain files">
            {files.files.map((f) => (
              <li key={f.path}>
                <span className="mono">{f.path}</span> <span className="hint">{formatBytes(f.size)}</span>
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}

function DownloadChart({ daily }: { daily: { date: string; count: number }[] }) {
  if (daily.length === 0) return <p className="hint">No downloads in the last 30 days.</p>;
  return <DailyChart daily={daily} label="Downloads" height={120} />;
}

/** A package this registry mirrors: the upstream's versions with the cached ones marked, its readme, where it came from. */
function CachedPackageScreen({ c }: { c: CachedPackage }) {
  const cachedCount = c.versions.filter((v) => v.cached).length;
  return (
    <section aria-labelledby="pkg-heading">
      <header className="page__header">
        <h1 id="pkg-heading">{c.name}</h1>
        <span className="badge">mirrored</span>
        <a className="button" href={href({ screen: 'graph', name: c.name })}>
          Dependency graph
        </a>
      </header>
      {c.description && <p>{c.description}</p>}
      <p className="notice" role="note">
        Mirrored from <span className="mono">{c.upstream}</span>, not published here. {cachedCount} of {c.versions.length} versions are
        cached on this Shelf (installable offline); the list was fetched {formatDate(c.fetchedAt)}.
      </p>
      <PolicyNotes name={c.name} />
      <ProvenancePanel name={c.name} />
      <div className="columns">
        <div>
          <section className="panel" aria-labelledby="readme-heading">
            <h2 id="readme-heading">Readme</h2>
            {c.readme.trim() ? <Markdown source={c.readme} /> : <Empty>The upstream document has no readme.</Empty>}
          </section>
          <section className="panel" aria-labelledby="versions-heading">
            <h2 id="versions-heading">
              Versions <span className="count">{cachedCount} cached</span>
            </h2>
            {/* Focusable so keyboard users can scroll a long version list. */}
            <div className="table-scroll table-scroll--tall" tabIndex={0} role="region" aria-label={`Versions of ${c.name}`}>
              <table className="packages">
                <thead>
                  <tr>
                    <th scope="col">Version</th>
                    <th scope="col">Published</th>
                    <th scope="col">Here</th>
                  </tr>
                </thead>
                <tbody>
                  {c.versions.map((v) => (
                    <tr key={v.version}>
                      <th scope="row" className="mono">
                        {v.version}{' '}
                        {Object.entries(c.distTags)
                          .filter(([, version]) => version === v.version)
                          .map(([tag]) => (
                            <span key={tag} className="tag">
                              {tag}
                            </span>
                          ))}
                      </th>
                      <td>{formatDate(v.date)}</td>
                      <td>
                        {v.cached ? <span className="badge badge--public">cached</span> : <span className="hint">upstream only</span>}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </section>
        </div>
        <aside>
          <section className="panel" aria-labelledby="about-heading">
            <h2 id="about-heading">About</h2>
            <dl className="details">
              <dt>Upstream</dt>
              <dd className="mono">{c.upstream}</dd>
              <dt>License</dt>
              <dd>{c.license ?? '—'}</dd>
            </dl>
          </section>
        </aside>
      </div>
    </section>
  );
}

/** Opens the search for one keyword (the keyword filter, the text cleared). */
function searchKeyword(keyword: string): void {
  const search = useSearchStore.getState();
  search.setText('');
  search.setFilter('keyword', keyword);
  navigate({ screen: 'search' });
}
