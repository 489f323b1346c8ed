// First run: create the admin account. Browser mode needs the one-time link `shelf serve` printed; the desktop window does not.
import { useId, useState, type FormEvent } from 'react';
import type { RegistryStatus } from '../../../shared/contract';
import type { Transport } from '../client';
import { useSetupStore } from '../stores/setup';

export function Setup({ status, transport }: { status: RegistryStatus; transport: Transport }) {
  const { token, submitting, error, createAdmin } = useSetupStore();
  const [username, setUsername] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const [mismatch, setMismatch] = useState(false);
  const ids = { username: useId(), email: useId(), password: useId(), confirm: useId(), error: useId() };

  // A browser tab is not known to be the machine's owner: only the printed link proves it.
  const needsLink = transport === 'http' && !token;

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (password !== confirm) {
      setMismatch(true);
      return;
    }
    setMismatch(false);
    await createAdmin({ username, email, password });
  }

  const message = mismatch ? 'The two passwords do not match.' : error;

  return (
    <main className="page page--narrow">
      <h1>Set up Shelf</h1>
      <p>
        This registry at <code>{status.url}</code> has no admin account yet. Create it to manage the registry; npm clients can already read
        from it.
      </p>
      {needsLink ? (
        <div className="panel" role="note">
          <h2>Open the setup link</h2>
          <p>
            For safety, the admin account can only be created from the one-time link that <code>shelf serve</code> printed when it started
            (it ends in <code>#setup=…</code>). Open that link in this browser. If it was already used or Shelf was restarted, restart{' '}
            <code>shelf serve</code> to get a new one.
          </p>
        </div>
      ) : (
        <form className="panel form" onSubmit={(e) => void submit(e)} aria-describedby={message ? ids.error : undefined}>
          <h2>Admin account</h2>
          <div className="field">
            <label htmlFor={ids.username}>Username</label>
            <input
              id={ids.username}
              name="username"
              autoComplete="username"
              required
              value={username}
              onChange={(e) => setUsername(e.target.value)}
            />
          </div>
          <div className="field">
            <label htmlFor={ids.email}>Email</label>
            <input
              id={ids.email}
              name="email"
              type="email"
              autoComplete="email"
              required
              value={email}
              onChange={(e) => setEmail(e.target.value)}
            />
          </div>
          <div className="field">
            <label htmlFor={ids.password}>Password</label>
            <input
              id={ids.password}
              name="password"
              type="password"
              autoComplete="new-password"
              required
              value={password}
              onChange={(e) => setPassword(e.target.value)}
            />
          </div>
          <div className="field">
            <label htmlFor={ids.confirm}>Confirm password</label>
            <input
              id={ids.confirm}
              name="confirm"
              type="password"
              autoComplete="new-password"
              required
              aria-invalid={mismatch || undefined}
              value={confirm}
              onChange={(e) => setConfirm(e.target.value)}
            />
          </div>
          <p id={ids.error} className={message ? 'alert' : 'visually-hidden'} role="alert" aria-live="assertive">
            {message}
          </p>
          <div className="form__actions">
            <button type="submit" className="primary" disabled={submitting}>
              {submitting ? 'Creating…' : 'Create admin account'}
            </button>
          </div>
        </form>
      )}
    </main>
  );
}
