// Sign in to the local registry (browser mode and desktop alike).
import { useId, useState, type FormEvent } from 'react';
import type { RegistryStatus } from '../../../shared/contract';
import { useSessionStore } from '../stores/session';

export function SignIn({ status }: { status: RegistryStatus }) {
  const { loading, error, signIn } = useSessionStore();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const ids = { username: useId(), password: useId(), error: useId() };
  const submit = (event: FormEvent) => {
    event.preventDefault();
    void signIn(username, password);
  };
  return (
    <main className="page page--narrow">
      <h1>Sign in to Shelf</h1>
      <p>
        The registry at <code>{status.url}</code>. Sign in with your Shelf account (the admin account, or one made with{' '}
        <code>npm adduser</code>).
      </p>
      <form className="panel form" onSubmit={submit} aria-describedby={error ? ids.error : undefined}>
        <div className="field">
          <label htmlFor={ids.username}>Username</label>
          <input
            id={ids.username}
            autoComplete="username"
            required
            value={username}
            onChange={(e) => setUsername(e.target.value)}
            autoFocus
          />
        </div>
        <div className="field">
          <label htmlFor={ids.password}>Password</label>
          <input
            id={ids.password}
            type="password"
            autoComplete="current-password"
            required
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        </div>
        <p id={ids.error} className={error ? 'alert' : 'visually-hidden'} role="alert">
          {error}
        </p>
        <div className="form__actions">
          <button type="submit" className="primary" disabled={loading}>
            {loading ? 'Signing in…' : 'Sign in'}
          </button>
        </div>
      </form>
    </main>
  );
}
