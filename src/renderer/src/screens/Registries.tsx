// Registries: the local one and remotes, with status, latency and who is signed in; add a remote (URL, then a token or
// username and password), test it, remember it; sign in to a remote Shelf with one's own account there and choose which
// registry every other screen acts on.
import { useEffect, useId, useState, type FormEvent } from 'react';
import type { RegistryEntry } from '../../../shared/contract';
import { Empty, ErrorState, Loading } from '../components/States';
import { registryLabel, useRegistriesStore } from '../stores/registries';
import { useSessionStore } from '../stores/session';

export function Registries() {
  const r = useRegistriesStore();
  // Remotes and their stored tokens belong to the whole Shelf: only an admin sees, adds and forgets them.
  const isAdmin = useSessionStore((s) => s.user?.isAdmin ?? false);
  const load = r.load;
  const [url, setUrl] = useState('');
  const [token, setToken] = useState('');
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const ids = { url: useId(), token: useId(), username: useId(), password: useId() };
  useEffect(() => {
    void load();
  }, [load]);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const ok = await r.add({ url, ...(token ? { token } : {}), ...(username ? { username, password } : {}) });
    if (ok) {
      setUrl('');
      setToken('');
      setPassword('');
    }
  };
  return (
    <section aria-labelledby="registries-heading">
      <h1 id="registries-heading">Registries</h1>
      {r.error && <ErrorState message={r.error} onRetry={() => void load()} />}
      {!r.loaded && !r.error && <Loading what="registries" />}
      {r.loaded && (
        <ul className="plain cards">
          {r.registries.map((x) => (
            <li key={x.id} className="panel">
              <h2 className="mono">{x.url}</h2>
              <p>
                {x.kind === 'local' ? 'This Shelf' : 'Remote'} · {x.online ? 'online' : 'offline'}
                {x.latencyMs !== null && ` · ${x.latencyMs} ms`}
                {/* A remote Shelf's own sign-in is shown below; this line is then only about the stored token. */}
                {x.signedInAs
                  ? ` · signed in as ${x.signedInAs}`
                  : r.sessions.some((s) => s.id === x.id)
                    ? ' · no token stored'
                    : ' · not signed in'}
                {x.tokenLastFour && ` · token …${x.tokenLastFour} (${x.credentialBackend})`}
              </p>
              {x.error && <p className="alert">{x.error}</p>}
              {x.kind === 'remote' && <RemoteSignIn entry={x} />}
              <div className="row-actions">
                <button
                  type="button"
                  aria-pressed={r.activeId === x.id}
                  onClick={() => void r.activate(x.id)}
                  disabled={r.activeId === x.id || (x.kind === 'remote' && !r.sessions.some((s) => s.id === x.id))}
                >
                  {r.activeId === x.id ? 'Active' : 'Use this registry'}
                </button>
                {x.kind === 'remote' && (
                  <button type="button" className="danger" onClick={() => void r.remove(x.id)}>
                    Forget
                  </button>
                )}
              </div>
            </li>
          ))}
        </ul>
      )}
      {r.loaded && r.registries.length === 1 && isAdmin && <Empty>No remote registries yet. Add one below.</Empty>}
      <p className="hint">
        Sign in to a remote Shelf with your own account there and use it: every screen then acts on it, with the rights that server gives
        you (the password is sent to it and kept nowhere). The Publish screen can also publish to any remote added here with the token
        stored for it.
        {isAdmin
          ? ' Addresses on loopback or a private network are refused unless Shelf was started with --allow-private-remotes (the desktop app may always reach its own network).'
          : ' Only an admin can add remote registries.'}
      </p>
      {isAdmin && (
        <form className="panel form" onSubmit={(e) => void submit(e)}>
          <h2>Add a remote registry</h2>
          <div className="field">
            <label htmlFor={ids.url}>Registry URL</label>
            <input
              id={ids.url}
              type="url"
              required
              value={url}
              onChange={(e) => setUrl(e.target.value)}
              placeholder="https://registry.example.com/"
            />
          </div>
          <div className="filters">
            <div className="field">
              <label htmlFor={ids.token}>Token (paste), or</label>
              <input id={ids.token} type="password" autoComplete="off" value={token} onChange={(e) => setToken(e.target.value)} />
            </div>
            <div className="field">
              <label htmlFor={ids.username}>Username</label>
              <input id={ids.username} value={username} onChange={(e) => setUsername(e.target.value)} />
            </div>
            <div className="field">
              <label htmlFor={ids.password}>Password</label>
              <input id={ids.password} type="password" value={password} onChange={(e) => setPassword(e.target.value)} />
            </div>
          </div>
          {r.addError && (
            <p className="alert" role="alert">
              {r.addError}
            </p>
          )}
          <div className="form__actions">
            <button type="submit" className="primary" disabled={r.adding}>
              {r.adding ? 'Testing…' : 'Test and remember'}
            </button>
          </div>
        </form>
      )}
    </section>
  );
}

/** A remote Shelf's sign-in: who the user is there, or a form for their own username and password on that server. */
function RemoteSignIn({ entry }: { entry: RegistryEntry }) {
  const r = useRegistriesStore();
  const session = r.sessions.find((s) => s.id === entry.id);
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const ids = { username: useId(), password: useId(), heading: useId() };
  const name = registryLabel(entry);
  if (session)
    return (
      <div className="inline-form">
        <p>
          Signed in to {name} as <strong>{session.username}</strong>
          {session.isAdmin ? ' (admin there)' : ''}
        </p>
        <button type="button" onClick={() => void r.signOut(entry.id)}>
          Sign out of {name}
        </button>
      </div>
    );
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (await r.signIn(entry.id, username, password)) setPassword('');
  };
  const error = r.signInError?.id === entry.id ? r.signInError.message : undefined;
  return (
    <form className="form" aria-labelledby={ids.heading} onSubmit={(e) => void submit(e)}>
      <h3 id={ids.heading}>Sign in to {name} (if it is a Shelf)</h3>
      <div className="filters">
        <div className="field">
          <label htmlFor={ids.username}>Your username on {name}</label>
          <input id={ids.username} required autoComplete="username" value={username} onChange={(e) => setUsername(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor={ids.password}>Password</label>
          <input
            id={ids.password}
            type="password"
            required
            autoComplete="current-password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        </div>
      </div>
      {error && (
        <p className="alert" role="alert">
          {error}
        </p>
      )}
      <div className="form__actions">
        <button type="submit" disabled={r.signingIn === entry.id}>
          {r.signingIn === entry.id ? 'Signing in…' : `Sign in to ${name}`}
        </button>
      </div>
    </form>
  );
}
