// Tokens of the signed-in user: list, create (name, scope, expiry, CIDR; the secret shown once with a copy button), revoke.
import { useEffect, useId, useState, type FormEvent } from 'react';
import { CopyField } from '../components/CopyField';
import { Confirm } from '../components/Confirm';
import { Empty, ErrorState, Loading, formatDate } from '../components/States';
import { useTokensStore } from '../stores/tokens';

export function Tokens() {
  const t = useTokensStore();
  const load = t.load;
  const [name, setName] = useState('');
  const [scope, setScope] = useState<'read' | 'publish' | 'admin'>('read');
  const [days, setDays] = useState('');
  const [cidr, setCidr] = useState('');
  const [revoking, setRevoking] = useState<string>();
  const ids = { name: useId(), scope: useId(), days: useId(), cidr: useId(), err: useId() };
  const fieldError = (field: 'name' | 'cidr' | 'expires' | 'form') =>
    t.createError?.field === field ? (
      <p id={ids.err} className="field-error" role="alert">
        {t.createError.message}
      </p>
    ) : null;
  const invalid = (field: 'name' | 'cidr' | 'expires') =>
    t.createError?.field === field ? { 'aria-invalid': true as const, 'aria-describedby': ids.err } : {};
  useEffect(() => {
    void load();
  }, [load]);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const ok = await t.create({
      name,
      scope,
      expiresInDays: days ? Number(days) : null,
      cidr: cidr.split(/[\s,]+/).filter(Boolean),
    });
    if (ok) setName('');
  };

  return (
    <section aria-labelledby="tokens-heading">
      <h1 id="tokens-heading">Tokens</h1>
      {t.created && (
        <div className="panel panel--ok" role="status">
          <h2>Token “{t.created.token.name}” created</h2>
          <p>Copy it now: Shelf keeps only its hash and will never show it again.</p>
          <CopyField label="New token" value={t.created.secret} />
          <button type="button" onClick={t.dismissSecret}>
            I have copied it
          </button>
        </div>
      )}
      <form className="panel form" onSubmit={(e) => void submit(e)}>
        <h2>Create a token</h2>
        <div className="filters">
          <div className="field">
            <label htmlFor={ids.name}>Name</label>
            <input id={ids.name} required value={name} onChange={(e) => setName(e.target.value)} {...invalid('name')} />
            {fieldError('name')}
          </div>
          <div className="field">
            <label htmlFor={ids.scope}>Scope</label>
            <select id={ids.scope} value={scope} onChange={(e) => setScope(e.target.value as typeof scope)}>
              <option value="read">read-only</option>
              <option value="publish">publish</option>
              <option value="admin">admin</option>
            </select>
          </div>
          <div className="field">
            <label htmlFor={ids.days}>Expires after (days, empty for never)</label>
            <input
              id={ids.days}
              type="number"
              min={1}
              max={3650}
              value={days}
              onChange={(e) => setDays(e.target.value)}
              {...invalid('expires')}
            />
            {fieldError('expires')}
          </div>
          <div className="field">
            <label htmlFor={ids.cidr}>Allowed addresses (CIDR, optional)</label>
            <input id={ids.cidr} placeholder="10.0.0.0/8" value={cidr} onChange={(e) => setCidr(e.target.value)} {...invalid('cidr')} />
            {fieldError('cidr')}
          </div>
        </div>
        {fieldError('form')}
        <div className="form__actions">
          {/* Fix the field and create again: the retry is the submit itself, with what is typed now. */}
          <button type="submit" className="primary" disabled={t.creating}>
            Create token
          </button>
        </div>
      </form>
      {t.error && <ErrorState message={t.error} onRetry={() => void load()} />}
      <section className="panel" aria-labelledby="token-list-heading">
        <h2 id="token-list-heading">Your tokens</h2>
        {!t.loaded && !t.error && <Loading what="tokens" />}
        {t.loaded && t.tokens.length === 0 && (
          <Empty>
            You have no tokens. Create one above, or run <code>npm login</code>.
          </Empty>
        )}
        {t.tokens.length > 0 && (
          <div className="table-scroll">
            <table className="packages">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Token</th>
                  <th scope="col">Scope</th>
                  <th scope="col">Created</th>
                  <th scope="col">Expires</th>
                  <th scope="col">Last used</th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {t.tokens.map((token) => (
                  <tr key={token.key}>
                    <th scope="row">{token.name ?? '(unnamed)'}</th>
                    <td className="mono">{token.hint}</td>
                    <td>
                      {token.scope}
                      {token.cidr.length > 0 && <span className="hint"> · {token.cidr.join(', ')}</span>}
                    </td>
                    <td>{formatDate(token.created)}</td>
                    <td>{token.expires ? formatDate(token.expires) : 'never'}</td>
                    <td>{token.lastUsed ? formatDate(token.lastUsed) : 'never'}</td>
                    <td>
                      <button
                        type="button"
                        className="danger"
                        onClick={() => setRevoking(token.key)}
                        aria-label={`Revoke ${token.name ?? token.hint}`}
                      >
                        Revoke
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      {revoking && (
        <Confirm
          title="Revoke this token?"
          confirmLabel="Revoke"
          danger
          onCancel={() => setRevoking(undefined)}
          onConfirm={() => {
            const key = revoking;
            setRevoking(undefined);
            void t.revoke(key);
          }}
        >
          <p>Anything using it (CI, npm on another machine) will be refused from now on. This cannot be undone.</p>
        </Confirm>
      )}
    </section>
  );
}
