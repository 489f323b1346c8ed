// Publish from a folder: a path (browser mode), validation, packed files with sizes and integrity, secret and size
// warnings, a dist-tag, publish, and the verified result with a link to the package.
import { useId } from 'react';
import { ErrorState, formatBytes } from '../components/States';
import { href } from '../route';
import { usePublishStore } from '../stores/publish';

export function Publish() {
  const p = usePublishStore();
  const ids = { path: useId(), tag: useId() };
  const canPublish = p.preview && p.preview.problems.length === 0 && !p.outcome;
  return (
    <section aria-labelledby="publish-heading">
      <h1 id="publish-heading">Publish from a folder</h1>
      <form
        className="panel inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          void p.inspect();
        }}
      >
        <label htmlFor={ids.path}>Package folder (on the machine Shelf runs on)</label>
        <input
          id={ids.path}
          className="wide"
          required
          value={p.path}
          onChange={(e) => p.setPath(e.target.value)}
          placeholder="/home/me/my-package"
        />
        <button type="submit" disabled={p.inspecting}>
          {p.inspecting ? 'Checking…' : 'Check'}
        </button>
      </form>
      {p.error && <ErrorState message={p.error} action="Fix the folder or package.json, then check again." />}
      {p.preview && (
        <section className="panel" aria-labelledby="preview-heading">
          <h2 id="preview-heading">
            {p.preview.name ?? '(no name)'}@{p.preview.version ?? '(no version)'}
          </h2>
          {p.preview.description && <p>{p.preview.description}</p>}
          {p.preview.problems.length > 0 && (
            <div className="alert" role="alert">
              <p>
                <strong>Cannot publish yet:</strong>
              </p>
              <ul>
                {p.preview.problems.map((x) => (
                  <li key={x}>{x}</li>
                ))}
              </ul>
            </div>
          )}
          {p.preview.warnings.length > 0 && (
            <div className="warning" role="note">
              <p>
                <strong>Check before publishing:</strong>
              </p>
              <ul>
                {p.preview.warnings.map((x) => (
                  <li key={x}>{x}</li>
                ))}
              </ul>
            </div>
          )}
          <dl className="details">
            <dt>Files</dt>
            <dd>{p.preview.files.length}</dd>
            <dt>Packed size</dt>
            <dd>{formatBytes(p.preview.size)}</dd>
            <dt>Unpacked size</dt>
            <dd>{formatBytes(p.preview.unpackedSize)}</dd>
            <dt>Integrity</dt>
            <dd className="mono integrity">{p.preview.integrity}</dd>
          </dl>
          <ul className="plain files">
            {p.preview.files.map((f) => (
              <li key={f.path} className={f.suspicious ? 'suspicious' : undefined}>
                <span className="mono">{f.path}</span> <span className="hint">{formatBytes(f.size)}</span>
                {f.suspicious && <span className="badge badge--restricted">looks like a secret</span>}
              </li>
            ))}
          </ul>
          {canPublish && (
            <form
              className="inline-form"
              onSubmit={(e) => {
                e.preventDefault();
                void p.publish();
              }}
            >
              <label htmlFor={ids.tag}>Dist-tag</label>
              <input id={ids.tag} value={p.tag} onChange={(e) => p.setTag(e.target.value)} />
              <button type="submit" className="primary" disabled={p.publishing}>
                {p.publishing ? 'Publishing…' : `Publish to this registry`}
              </button>
              {p.publishing && <progress aria-label="Publishing" />}
            </form>
          )}
        </section>
      )}
      {p.outcome && (
        <div className="panel panel--ok" role="status">
          <h2>
            Published {p.outcome.name}@{p.outcome.version}
          </h2>
          <p>
            Tagged <code>{p.outcome.tag}</code>.{' '}
            {p.outcome.verified
              ? 'Verified: the stored tarball matches what was packed.'
              : 'Warning: the stored tarball did not match what was packed.'}
          </p>
          <p className="mono integrity">{p.outcome.integrity}</p>
          <a href={href({ screen: 'package', name: p.outcome.name })}>Open {p.outcome.name}</a>
        </div>
      )}
    </section>
  );
}
