// Settings: theme (light, dark, system), the server's address, port and data folder, backup and restore, and the
// Verdaccio import (admins).
import { useEffect, useId, useState } from 'react';
import { ErrorState, Loading, formatBytes } from '../components/States';
import { downloadHref, useBackupStore } from '../stores/backup';
import { useSessionStore } from '../stores/session';
import { useSettingsStore, type Theme } from '../stores/settings';
import { VerdaccioImportPanel } from './VerdaccioImport';

export function Settings() {
  const s = useSettingsStore();
  const load = s.load;
  useEffect(() => {
    void load();
  }, [load]);
  return (
    <section aria-labelledby="settings-heading">
      <h1 id="settings-heading">Settings</h1>
      <fieldset className="panel">
        <legend>Theme</legend>
        {(['system', 'light', 'dark'] as Theme[]).map((t) => (
          <label key={t} className="radio">
            <input type="radio" name="theme" value={t} checked={s.theme === t} onChange={() => s.setTheme(t)} />{' '}
            {t === 'system' ? 'Follow the system' : t === 'light' ? 'Light' : 'Dark'}
          </label>
        ))}
      </fieldset>
      <section className="panel" aria-labelledby="server-heading">
        <h2 id="server-heading">Server</h2>
        {s.error && <ErrorState message={s.error} onRetry={() => void load()} />}
        {!s.settings && !s.error && <Loading what="settings" />}
        {s.settings && (
          <dl className="details">
            <dt>Address</dt>
            <dd className="mono">{s.settings.url}</dd>
            <dt>Host</dt>
            <dd className="mono">{s.settings.host}</dd>
            <dt>Port</dt>
            <dd>{s.settings.port}</dd>
            <dt>Data folder</dt>
            <dd className="mono">{s.settings.dataDir}</dd>
            <dt>Start at login</dt>
            <dd>
              {s.settings.startAtLogin === null
                ? 'Not available in browser mode (the desktop app sets it)'
                : s.settings.startAtLogin
                  ? 'On'
                  : 'Off'}
            </dd>
          </dl>
        )}
        <p className="hint">
          Port and data folder are chosen when Shelf starts (<code>--port</code>, <code>--data-dir</code>, or config.json in the data
          folder).
        </p>
        {s.settings?.credentialWarning && (
          <p className="warning" role="note">
            {s.settings.credentialWarning}
          </p>
        )}
      </section>
      {s.settings && <BackupPanel mode={s.settings.mode} dataDir={s.settings.dataDir} />}
      {s.settings && <VerdaccioImportPanel mode={s.settings.mode} dataDir={s.settings.dataDir} />}
    </section>
  );
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** Backup (both modes) and restore (desktop app; browser mode names the command to run on the server instead). */
function BackupPanel({ mode, dataDir }: { mode: 'desktop' | 'browser'; dataDir: string }) {
  const isAdmin = useSessionStore((state) => state.user?.isAdmin ?? false);
  const b = useBackupStore();
  const [path, setPath] = useState('');
  const [file, setFile] = useState('');
  const [target, setTarget] = useState('');
  const pathId = useId();
  const fileId = useId();
  const targetId = useId();
  const command = 'shelf restore <backup file> --data-dir <new folder>';
  return (
    <section className="panel" aria-labelledby="backup-heading">
      <h2 id="backup-heading">Backup and restore</h2>
      {!isAdmin ? (
        <p className="hint">Only an admin can back up or restore this Shelf; ask the registry's admin.</p>
      ) : (
        <>
          <p className="hint">
            A backup is one archive with the database, every tarball, config.json and a checksum of each file. It can be taken while Shelf
            runs; publishes go on meanwhile. From a terminal: <code>shelf backup &lt;file&gt;</code>.
          </p>
          <form
            className="inline-form"
            onSubmit={(e) => {
              e.preventDefault();
              void b.create(mode === 'desktop' ? path.trim() : '');
            }}
          >
            {mode === 'desktop' && (
              <>
                <label htmlFor={pathId}>Save the backup as (full path; empty for the data folder's backups/)</label>
                <input
                  id={pathId}
                  className="wide"
                  value={path}
                  onChange={(e) => setPath(e.target.value)}
                  placeholder={`${dataDir}/backups/shelf-backup-….tar.gz`}
                />
              </>
            )}
            <button type="submit" className="primary" disabled={b.creating}>
              {b.creating ? 'Backing up…' : 'Back up now'}
            </button>
          </form>
          {b.createError && <ErrorState message={b.createError} />}
          {b.created && (
            <div className="panel panel--ok" role="status">
              <p>
                Backed up {plural(b.created.contents.packages, 'package')}, {plural(b.created.contents.versions, 'version')},{' '}
                {plural(b.created.contents.users, 'user')} and {plural(b.created.contents.tokens, 'token')} ({formatBytes(b.created.bytes)}
                ).
              </p>
              {mode === 'browser' && b.created.downloadName ? (
                <p>
                  <a href={downloadHref(b.created.downloadName)} download={b.created.downloadName}>
                    Download {b.created.downloadName}
                  </a>{' '}
                  <span className="hint">(a copy stays on the server in {b.created.file}; delete old ones there)</span>
                </p>
              ) : (
                <p className="mono">{b.created.file}</p>
              )}
            </div>
          )}

          <h3>Restore</h3>
          {mode === 'browser' ? (
            <p>
              Restoring is not available from the browser: it writes a new data folder on the server, which is done from a terminal there:{' '}
              <code>{command}</code>, then <code>shelf serve --data-dir &lt;new folder&gt;</code>. Every checksum is verified before
              anything is written.
            </p>
          ) : (
            <>
              <form
                className="inline-form"
                onSubmit={(e) => {
                  e.preventDefault();
                  void b.restore(file.trim(), target.trim());
                }}
              >
                <label htmlFor={fileId}>Backup file</label>
                <input id={fileId} className="wide" required value={file} onChange={(e) => setFile(e.target.value)} />
                <label htmlFor={targetId}>New data folder (must not exist or be empty)</label>
                <input id={targetId} className="wide" required value={target} onChange={(e) => setTarget(e.target.value)} />
                <button type="submit" disabled={b.restoring}>
                  {b.restoring ? 'Restoring…' : 'Restore'}
                </button>
              </form>
              <p className="hint">Every checksum is verified before anything is written; this Shelf keeps running on {dataDir}.</p>
              {b.restoreError && <ErrorState message={b.restoreError} />}
              {b.restored && (
                <div className="panel panel--ok" role="status">
                  <p>
                    Restored a backup made {b.restored.createdAt} ({plural(b.restored.contents.packages, 'package')},{' '}
                    {plural(b.restored.contents.versions, 'version')}) into <span className="mono">{b.restored.dataDir}</span>.
                  </p>
                  <p>{b.restored.next}</p>
                </div>
              )}
            </>
          )}
        </>
      )}
    </section>
  );
}
