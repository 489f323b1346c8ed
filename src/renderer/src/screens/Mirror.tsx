// The mirror: upstreams, offline switch, cache size and cap, per-package cache state with pin/unpin/purge, verification,
// and a prefetch of a project folder or lockfile with a progress bar and a summary.
import { useEffect, useId, useState } from 'react';
import { Confirm } from '../components/Confirm';
import { Empty, ErrorState, Loading, formatBytes, formatDate } from '../components/States';
import { useJobsStore } from '../stores/jobs';
import { useMirrorStore } from '../stores/mirror';

export function Mirror() {
  const m = useMirrorStore();
  const load = m.load;
  const job = useJobsStore((s) => (m.prefetchJobId ? s.jobs[m.prefetchJobId] : undefined));
  const cancel = useJobsStore((s) => s.cancel);
  const [path, setPath] = useState('');
  const pathId = useId();
  const [purging, setPurging] = useState<{ name: string; versions: string[]; bytes: number }>();
  useEffect(() => {
    void load();
  }, [load]);
  useEffect(() => {
    if (job && job.state !== 'running') void load();
  }, [job?.state, load]); // eslint-disable-line react-hooks/exhaustive-deps

  if (!m.status) return m.error ? <ErrorState message={m.error} onRetry={() => void load()} /> : <Loading what="the mirror" />;
  const s = m.status;
  return (
    <section aria-labelledby="mirror-heading">
      <h1 id="mirror-heading">Mirror</h1>
      {m.actionError && <ErrorState message={m.actionError} />}
      <section className="panel" aria-labelledby="upstreams-heading">
        <h2 id="upstreams-heading">Upstreams</h2>
        {s.upstreams.length === 0 ? (
          <Empty>
            No upstream registry is configured, so Shelf serves only its own packages. Start it with <code>--upstream URL</code> to mirror
            one.
          </Empty>
        ) : (
          <ul className="plain">
            {s.upstreams.map((u) => (
              <li key={u.url}>
                <span className="mono">{u.url}</span>{' '}
                {u.scopes.length > 0 ? <span className="hint">for {u.scopes.join(', ')}</span> : <span className="hint">default</span>}
              </li>
            ))}
          </ul>
        )}
        <label className="switch">
          <input type="checkbox" checked={s.offline} onChange={(e) => void m.setOffline(e.target.checked)} /> Offline: serve only what is
          cached
        </label>
      </section>
      <section className="panel" aria-labelledby="prefetch-heading">
        <h2 id="prefetch-heading">Prefetch a project</h2>
        <form
          className="inline-form"
          onSubmit={(e) => {
            e.preventDefault();
            void m.prefetch(path.trim());
          }}
        >
          <label htmlFor={pathId}>Project folder or lockfile on the server</label>
          <input
            id={pathId}
            className="wide"
            required
            value={path}
            onChange={(e) => setPath(e.target.value)}
            placeholder="/home/me/project"
          />
          <button type="submit" className="primary" disabled={job?.state === 'running'}>
            Prefetch
          </button>
        </form>
        {job && (
          <div className="job" aria-live="polite">
            <label>
              {job.title} — {job.phase} {job.done}/{job.total}
              <progress max={Math.max(1, job.total)} value={job.done} />
            </label>
            {job.state === 'running' ? (
              <button type="button" onClick={() => void cancel(job.id)}>
                Cancel
              </button>
            ) : (
              <div className={job.state === 'succeeded' ? 'panel panel--ok' : 'alert'} role="status">
                <p>
                  <strong>
                    {job.state === 'partial' ? 'Prefetch finished, but some versions could not be fetched.' : `Prefetch ${job.state}.`}
                  </strong>{' '}
                  {job.error}
                </p>
                <ul className="plain">
                  {job.summary.map((line) => (
                    <li key={line}>{line}</li>
                  ))}
                </ul>
              </div>
            )}
          </div>
        )}
      </section>
      <section className="panel" aria-labelledby="cache-heading">
        <h2 id="cache-heading">
          Cache{' '}
          <span className="count">
            {formatBytes(s.cache.totalBytes)}
            {s.cache.capBytes ? ` of ${formatBytes(s.cache.capBytes)}` : ', no cap'}
          </span>
        </h2>
        <div className="form__actions">
          <button type="button" onClick={() => void m.runVerify()} disabled={m.verifying}>
            {m.verifying ? 'Verifying…' : 'Verify cache'}
          </button>
        </div>
        {m.verify && (
          <p role="status">
            Checked {m.verify.checked}, {m.verify.ok} intact, {m.verify.quarantined.length} quarantined
            {m.verify.quarantined.map((q) => ` · ${q.name}@${q.version}: ${q.problem}`).join('')}
          </p>
        )}
        {s.cache.packages.length === 0 ? (
          <Empty>Nothing is cached yet. Installs through Shelf, or a prefetch, fill the cache.</Empty>
        ) : (
          <div className="table-scroll">
            <table className="packages">
              <thead>
                <tr>
                  <th scope="col">Package</th>
                  <th scope="col">Versions</th>
                  <th scope="col">Size</th>
                  <th scope="col">Last used</th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {s.cache.packages.map((p) => (
                  <tr key={p.name}>
                    <th scope="row">
                      {p.name} {p.pinned && <span className="tag">pinned</span>}
                    </th>
                    <td>{p.versions.join(', ')}</td>
                    <td>{formatBytes(p.bytes)}</td>
                    <td>{formatDate(p.lastUsed)}</td>
                    <td className="row-actions">
                      <button type="button" onClick={() => void m.pin(p.name, !p.pinned)}>
                        {p.pinned ? 'Unpin' : 'Pin'}
                      </button>
                      <button
                        type="button"
                        className="danger"
                        onClick={() => void m.purgePlan(p.name).then((plan) => plan && setPurging(plan))}
                      >
                        Purge
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      {purging && (
        <Confirm
          title={`Purge ${purging.name} from the cache?`}
          confirmLabel={`Purge ${purging.versions.length === 1 ? '1 version' : `${purging.versions.length} versions`}`}
          danger
          onCancel={() => setPurging(undefined)}
          onConfirm={() => {
            const name = purging.name;
            setPurging(undefined);
            void m.purge(name);
          }}
        >
          <p>
            Removes the cached {purging.versions.length === 1 ? 'version' : 'versions'} {purging.versions.join(', ')} and the cached package
            document, freeing {formatBytes(purging.bytes)}.
          </p>
          <p>
            {s.offline
              ? 'Shelf is offline: installs of it will fail until it is online again.'
              : 'The next install fetches it from the upstream again.'}
          </p>
        </Confirm>
      )}
    </section>
  );
}
