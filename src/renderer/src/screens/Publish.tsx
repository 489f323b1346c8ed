// Publish from a folder: a path on this machine (desktop app) or a folder picked and uploaded (browser), validation, packed files with sizes and integrity, secret and size
// warnings, the registry (this Shelf or a remote one added on the Registries screen) and a dist-tag, publish, and the
// verified result with a link to the package.
import { useEffect, useId, useState } from 'react';
import { Confirm } from '../components/Confirm';
import type { RegistryEntry } from '../../../shared/contract';
import { ErrorState, formatBytes } from '../components/States';
import { folderPicker, transport } from '../client';
import { href } from '../route';
import { suspiciousFiles, usePublishStore } from '../stores/publish';
import { pickedFolder } from '../upload';
import { useRegistriesStore } from '../stores/registries';

export function Publish() {
  const p = usePublishStore();
  const registries = useRegistriesStore();
  const loadRegistries = registries.load;
  const ids = { path: useId(), pathHint: useId(), tag: useId(), registry: useId(), registryHint: useId() };
  useEffect(() => {
    void loadRegistries();
  }, [loadRegistries]);
  const remotes = registries.registries.filter((r) => r.kind === 'remote');
  const chosen = remotes.find((r) => r.id === p.registryId);
  const canPublish = p.preview && p.preview.problems.length === 0 && !p.outcome;
  const secrets = suspiciousFiles(p.preview);
  const [confirming, setConfirming] = useState(false);
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
        {transport === 'ipc' ? (
          <>
            <label htmlFor={ids.path}>Package folder (on this computer)</label>
            <input
              id={ids.path}
              className="wide"
              required
              value={p.path}
              onChange={(e) => p.setPath(e.target.value)}
              placeholder="/home/me/my-package"
            />
            {folderPicker && (
              <button
                type="button"
                onClick={() =>
                  void folderPicker?.('publish').then((chosen) => {
                    if (chosen) p.setPath(chosen);
                  })
                }
              >
                Choose…
              </button>
            )}
          </>
        ) : (
          <>
            <label htmlFor={ids.path}>Package folder (from this computer)</label>
            {/* The browser sends the folder's files; Shelf's server reads no folder of its own for a page. */}
            <input
              id={ids.path}
              type="file"
              required
              aria-describedby={ids.pathHint}
              ref={(input) => input?.setAttribute('webkitdirectory', '')}
              onChange={(e) => p.setFolder(e.target.files?.length ? pickedFolder(e.target.files) : undefined)}
            />
            <p id={ids.pathHint} className="hint form-hint">
              {p.folder
                ? `${p.folder.name}: ${p.folder.paths.length} files to upload (node_modules and .git are left out)`
                : 'Its files are uploaded and packed as npm pack would; node_modules and .git are left out.'}
            </p>
          </>
        )}
        <label htmlFor={ids.registry}>Registry</label>
        <select id={ids.registry} value={p.registryId} onChange={(e) => p.setRegistry(e.target.value)} aria-describedby={ids.registryHint}>
          <option value="local">This Shelf</option>
          {remotes.map((r) => (
            <option key={r.id} value={r.id} disabled={!r.tokenLastFour}>
              {remoteLabel(r)}
            </option>
          ))}
        </select>
        <button type="submit" disabled={p.inspecting}>
          {p.inspecting ? 'Checking…' : 'Check'}
        </button>
        <RegistryHint id={ids.registryHint} />
      </form>
      {/* A failed check is reported under the folder it was about; a failed publish, by the Publish button below. */}
      {p.error && !p.preview && <ErrorState message={p.error} action="Fix the folder or package.json, then check again." />}
      {p.preview && (
        <section className="panel" aria-labelledby="preview-heading">
          <h2 id="preview-heading">
            {p.preview.name ?? '(no name)'}@{p.preview.version ?? '(no version)'}
          </h2>
          {p.preview.description && <p>{p.preview.description}</p>}
          <p className="hint">
            Checked against <span className="mono">{p.preview.registryUrl}</span>
          </p>
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
                // Publishing files that look like secrets is never one click: it needs a confirmation naming them.
                if (secrets.length > 0 && p.secrets === 'include') setConfirming(true);
                else void p.publish();
              }}
            >
              {secrets.length > 0 && (
                <fieldset className="choice">
                  <legend>
                    {secrets.length === 1 ? '1 file looks' : `${secrets.length} files look`} like secrets ({secrets.join(', ')})
                  </legend>
                  <label>
                    <input type="radio" name="secrets" checked={p.secrets === 'exclude'} onChange={() => p.setSecrets('exclude')} /> Leave{' '}
                    {secrets.length === 1 ? 'it' : 'them'} out of the package (recommended)
                  </label>
                  <label>
                    <input type="radio" name="secrets" checked={p.secrets === 'include'} onChange={() => p.setSecrets('include')} /> Publish{' '}
                    {secrets.length === 1 ? 'it' : 'them'} anyway
                  </label>
                </fieldset>
              )}
              <label htmlFor={ids.tag}>Dist-tag</label>
              <input id={ids.tag} value={p.tag} onChange={(e) => p.setTag(e.target.value)} />
              <button type="submit" className="primary" disabled={p.publishing}>
                {p.publishing ? 'Publishing…' : chosen ? `Publish to ${chosen.url}` : 'Publish to this registry'}
              </button>
              {p.publishing && <progress aria-label="Publishing" />}
              {p.error && (
                <div className="form-hint">
                  <ErrorState message={p.error} action="Nothing was published. Fix it, then publish again." />
                </div>
              )}
            </form>
          )}
        </section>
      )}
      {confirming && (
        <Confirm
          title={`Publish ${secrets.length === 1 ? 'a file that looks' : 'files that look'} like secrets?`}
          confirmLabel="Publish anyway"
          danger
          onCancel={() => setConfirming(false)}
          onConfirm={() => {
            setConfirming(false);
            void p.publish();
          }}
        >
          <p>Anyone who can install this package will be able to read:</p>
          <ul>
            {secrets.map((f) => (
              <li key={f} className="mono">
                {f}
              </li>
            ))}
          </ul>
          <p>A published version cannot be changed; leave them out unless they are meant to be public.</p>
        </Confirm>
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
          {p.excluded.length > 0 && <p>Left out: {p.excluded.join(', ')}.</p>}
          <p className="mono integrity">{p.outcome.integrity}</p>
          {p.outcome.registryId === 'local' ? (
            <a href={href({ screen: 'package', name: p.outcome.name })}>Open {p.outcome.name}</a>
          ) : (
            <p>
              Published to <span className="mono">{p.outcome.registryUrl}</span>; npm installs it from there with{' '}
              <code>
                npm install {p.outcome.name}@{p.outcome.version} --registry {p.outcome.registryUrl}
              </code>
            </p>
          )}
        </div>
      )}
    </section>
  );
}

function remoteLabel(r: RegistryEntry): string {
  const state = !r.tokenLastFour
    ? 'no token: add it again to publish'
    : r.online
      ? r.signedInAs
        ? `as ${r.signedInAs}`
        : 'online'
      : 'offline';
  return `${r.url} (${state})`;
}

/** What the registry list says about remotes: still loading, failed (this Shelf still works), or none added yet. */
function RegistryHint({ id }: { id: string }) {
  const { loaded, loading, error, registries, load } = useRegistriesStore();
  if (error)
    return (
      <p id={id} className="hint form-hint" role="alert">
        Remote registries could not be listed ({error}); you can still publish to this Shelf.{' '}
        <button type="button" onClick={() => void load()}>
          Retry
        </button>
      </p>
    );
  if (!loaded || loading)
    return (
      <p id={id} className="hint form-hint" role="status">
        {loaded ? 'Checking remote registries…' : 'Loading remote registries…'}
      </p>
    );
  if (!registries.some((r) => r.kind === 'remote'))
    return (
      <p id={id} className="hint form-hint">
        To publish somewhere else, add that registry on the <a href={href({ screen: 'registries' })}>Registries</a> screen.
      </p>
    );
  return (
    <p id={id} className="hint form-hint">
      Remote registries use the token stored when they were added.
    </p>
  );
}
