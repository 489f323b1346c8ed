// Settings' "Coming from Verdaccio": the desktop app imports from folders on this machine; browser mode shows the
// command to run on the server, since the page cannot pick files there.
import { useId, useState } from 'react';
import { ErrorState } from '../components/States';
import { useSessionStore } from '../stores/session';
import { useVerdaccioImportStore } from '../stores/verdaccio-import';

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

export function VerdaccioImportPanel({ mode, dataDir }: { mode: 'desktop' | 'browser'; dataDir: string }) {
  const isAdmin = useSessionStore((state) => state.user?.isAdmin ?? false);
  const v = useVerdaccioImportStore();
  const [storageDir, setStorageDir] = useState('');
  const [htpasswd, setHtpasswd] = useState('');
  const [config, setConfig] = useState('');
  const storageId = useId();
  const htpasswdId = useId();
  const configId = useId();
  const command = `shelf import verdaccio <storage folder> --htpasswd <htpasswd file> --config <config.yaml> --data-dir ${dataDir}`;
  const s = v.summary;
  return (
    <section className="panel" aria-labelledby="verdaccio-heading">
      <h2 id="verdaccio-heading">Coming from Verdaccio</h2>
      {!isAdmin ? (
        <p className="hint">Only an admin can import a Verdaccio registry into this Shelf; ask the registry&apos;s admin.</p>
      ) : mode === 'browser' ? (
        <p>
          Importing is a command-line operation on the machine Shelf runs on (it reads Verdaccio&apos;s folders there):{' '}
          <code>{command}</code>. It is safe to run again; it prints what was imported, and which config.yaml rules have no equivalent here.
        </p>
      ) : (
        <>
          <p className="hint">
            Imports every package, version, dist-tag, readme and tarball (each checked against Verdaccio&apos;s record), the htpasswd users
            with their passwords, and config.yaml&apos;s rules where Shelf has an equivalent. Safe to run again. From a terminal:{' '}
            <code>{command}</code>.
          </p>
          <form
            className="inline-form"
            onSubmit={(e) => {
              e.preventDefault();
              void v.run({ storageDir: storageDir.trim(), htpasswd: htpasswd.trim(), config: config.trim() });
            }}
          >
            <label htmlFor={storageId}>Storage folder (full path)</label>
            <input id={storageId} className="wide" required value={storageDir} onChange={(e) => setStorageDir(e.target.value)} />
            <label htmlFor={htpasswdId}>htpasswd file (optional)</label>
            <input id={htpasswdId} className="wide" value={htpasswd} onChange={(e) => setHtpasswd(e.target.value)} />
            <label htmlFor={configId}>config.yaml (optional)</label>
            <input id={configId} className="wide" value={config} onChange={(e) => setConfig(e.target.value)} />
            <button type="submit" disabled={v.running}>
              {v.running ? 'Importing…' : 'Import'}
            </button>
          </form>
          {v.error && <ErrorState message={v.error} />}
          {s && (
            <div className={s.problems.length ? 'panel' : 'panel panel--ok'} role="status">
              <p>
                {plural(s.packages.imported, 'package')} imported, {s.packages.updated} updated, {s.packages.alreadyPresent} already
                present; {plural(s.versions.imported, 'version')} imported, {s.versions.alreadyPresent} already present, {s.versions.failed}{' '}
                failed; {plural(s.users.imported, 'user')} imported.
              </p>
              {s.settings.applied.length > 0 && (
                <p>Settings written to config.json (used from the next start): {s.settings.applied.join('; ')}</p>
              )}
              {s.notMapped.length > 0 && (
                <>
                  <h3>Not mapped (no equivalent in Shelf)</h3>
                  <ul>
                    {s.notMapped.map((line) => (
                      <li key={line}>{line}</li>
                    ))}
                  </ul>
                </>
              )}
              {s.problems.length > 0 && (
                <>
                  <h3>Problems</h3>
                  <ul>
                    {s.problems.map((p) => (
                      <li key={`${p.item}: ${p.message}`}>
                        {p.item}: {p.message}
                      </li>
                    ))}
                  </ul>
                </>
              )}
            </div>
          )}
        </>
      )}
    </section>
  );
}
