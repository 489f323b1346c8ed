// Settings: theme (light, dark, system), and the server's address, port and data folder.
import { useEffect } from 'react';
import { ErrorState, Loading } from '../components/States';
import { useSettingsStore, type Theme } from '../stores/settings';

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
    </section>
  );
}
