// Policy (admins): the supply-chain rules at the mirror, what is held or flagged now and why (approve or deny held
// versions), and the audit log of decisions. docs/POLICY.md explains each rule.
import { useEffect, useId, useState, type FormEvent } from 'react';
import { Empty, ErrorState, Loading, formatDate } from '../components/States';
import { usePolicyStore } from '../stores/policy';

interface Rules {
  minReleaseAge: string;
  exceptions: string;
  advisoryException: boolean;
  deny: string;
  takedowns: boolean;
  installScripts: 'hold' | 'flag' | 'off';
  licensesAllow: string;
  licensesDeny: string;
  signatures: 'off' | 'verify' | 'require';
  provenance: 'hold' | 'flag' | 'off';
  provenanceTrustedRoot: string;
}

const list = (text: string) => text.split(/[\s,]+/).filter(Boolean);

/** The form's fields from the stored policy (deny entries one a line: `package range reason`). */
function toRules(policy: Record<string, unknown>): Rules {
  const p = policy as {
    minReleaseAge?: string | number;
    exceptions?: string[];
    advisoryException?: boolean;
    deny?: { package: string; range: string; reason: string }[];
    takedowns?: boolean;
    installScripts?: Rules['installScripts'];
    licenses?: { allow?: string[]; deny?: string[] };
    signatures?: Rules['signatures'];
    provenance?: Rules['provenance'];
    provenanceTrustedRoot?: string;
  };
  return {
    minReleaseAge: p.minReleaseAge === undefined ? '' : String(p.minReleaseAge),
    exceptions: (p.exceptions ?? []).join(', '),
    advisoryException: p.advisoryException ?? true,
    deny: (p.deny ?? []).map((d) => `${d.package} ${d.range}${d.reason ? ` ${d.reason}` : ''}`).join('\n'),
    takedowns: p.takedowns ?? true,
    installScripts: p.installScripts ?? 'off',
    licensesAllow: (p.licenses?.allow ?? []).join(', '),
    licensesDeny: (p.licenses?.deny ?? []).join(', '),
    signatures: p.signatures ?? 'off',
    provenance: p.provenance ?? 'off',
    provenanceTrustedRoot: p.provenanceTrustedRoot ?? '',
  };
}

function toPolicy(rules: Rules): Record<string, unknown> {
  const age = rules.minReleaseAge.trim();
  return {
    ...(age && { minReleaseAge: /^\d+$/.test(age) ? Number(age) : age }),
    exceptions: list(rules.exceptions),
    advisoryException: rules.advisoryException,
    deny: rules.deny
      .split('\n')
      .map((line) => line.trim())
      .filter(Boolean)
      .map((line) => {
        const [pkg = '', range = '*', ...reason] = line.split(/\s+/);
        return { package: pkg, range, reason: reason.join(' ') };
      }),
    takedowns: rules.takedowns,
    installScripts: rules.installScripts,
    licenses: { allow: list(rules.licensesAllow), deny: list(rules.licensesDeny) },
    signatures: rules.signatures,
    provenance: rules.provenance,
    ...(rules.provenanceTrustedRoot.trim() && { provenanceTrustedRoot: rules.provenanceTrustedRoot.trim() }),
  };
}

export function Policy() {
  const p = usePolicyStore();
  const load = p.load;
  // The form starts from the stored policy; once edited, it shows the edits.
  const [edited, setEdited] = useState<Rules>();
  const rules = edited ?? (p.view ? toRules(p.view.policy) : undefined);
  const ids = {
    age: useId(),
    exc: useId(),
    deny: useId(),
    scripts: useId(),
    allow: useId(),
    ldeny: useId(),
    sig: useId(),
    prov: useId(),
    root: useId(),
    err: useId(),
  };
  useEffect(() => {
    void load();
  }, [load]);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (rules) await p.save(toPolicy(rules));
  };
  const edit = (patch: Partial<Rules>) => setEdited(rules && { ...rules, ...patch });

  return (
    <section aria-labelledby="policy-heading">
      <h1 id="policy-heading">Policy</h1>
      <p className="hint">
        One supply-chain policy for everyone installing through this Shelf: versions it holds are left out of packuments (dist-tags move to
        the newest allowed version) and their tarballs are refused with the reason.
      </p>
      {p.error && <ErrorState message={p.error} onRetry={() => void load()} />}
      {!p.loaded && p.loading && <Loading what="the policy" />}
      {rules && (
        <form className="panel form" onSubmit={(e) => void submit(e)}>
          <h2>Rules</h2>
          <div className="field">
            <label htmlFor={ids.age}>Minimum release age (quarantine; e.g. 3d, 12h; empty: off)</label>
            <input
              id={ids.age}
              value={rules.minReleaseAge}
              disabled={p.view?.fromFlag}
              onChange={(e) => edit({ minReleaseAge: e.target.value })}
            />
            {p.view?.fromFlag && (
              <p className="hint">Set by --min-release-age ({Math.round((p.view.minReleaseAgeMs ?? 0) / 3_600_000)} h) for this server.</p>
            )}
          </div>
          <div className="field">
            <label htmlFor={ids.exc}>Quarantine exceptions (names, @scope/*, name@version)</label>
            <input id={ids.exc} value={rules.exceptions} onChange={(e) => edit({ exceptions: e.target.value })} />
          </div>
          <label className="check">
            <input type="checkbox" checked={rules.advisoryException} onChange={(e) => edit({ advisoryException: e.target.checked })} /> Let
            a quarantined version through when it fixes an advisory affecting every allowed version
          </label>
          <div className="field">
            <label htmlFor={ids.deny}>Deny list (one a line: package range reason)</label>
            <textarea id={ids.deny} rows={4} value={rules.deny} onChange={(e) => edit({ deny: e.target.value })} />
          </div>
          <label className="check">
            <input type="checkbox" checked={rules.takedowns} onChange={(e) => edit({ takedowns: e.target.checked })} /> Stop serving (and
            purge) versions the upstream takes down
          </label>
          <div className="field">
            <label htmlFor={ids.scripts}>New or changed install scripts</label>
            <select
              id={ids.scripts}
              value={rules.installScripts}
              onChange={(e) => edit({ installScripts: e.target.value as Rules['installScripts'] })}
            >
              <option value="off">ignore</option>
              <option value="flag">flag (served, shown here)</option>
              <option value="hold">hold for review</option>
            </select>
          </div>
          <div className="field">
            <label htmlFor={ids.allow}>Allowed licences (SPDX ids; empty: any)</label>
            <input id={ids.allow} value={rules.licensesAllow} onChange={(e) => edit({ licensesAllow: e.target.value })} />
          </div>
          <div className="field">
            <label htmlFor={ids.ldeny}>Denied licences (SPDX ids)</label>
            <input id={ids.ldeny} value={rules.licensesDeny} onChange={(e) => edit({ licensesDeny: e.target.value })} />
          </div>
          <div className="field">
            <label htmlFor={ids.sig}>Registry signatures</label>
            <select id={ids.sig} value={rules.signatures} onChange={(e) => edit({ signatures: e.target.value as Rules['signatures'] })}>
              <option value="off">not checked</option>
              <option value="verify">hold versions whose signature does not verify</option>
              <option value="require">also hold unsigned versions</option>
            </select>
          </div>
          <div className="field">
            <label htmlFor={ids.prov}>Provenance dropped (published without the attestation the version before had)</label>
            <select id={ids.prov} value={rules.provenance} onChange={(e) => edit({ provenance: e.target.value as Rules['provenance'] })}>
              <option value="off">ignore</option>
              <option value="flag">flag (served, shown here)</option>
              <option value="hold">hold for review</option>
            </select>
          </div>
          <div className="field">
            <label htmlFor={ids.root}>
              Provenance trusted root (a sigstore trusted_root.json; empty: sigstore&apos;s public-good root)
            </label>
            <input
              id={ids.root}
              className="mono"
              value={rules.provenanceTrustedRoot}
              onChange={(e) => edit({ provenanceTrustedRoot: e.target.value })}
            />
          </div>
          {p.saveError && (
            <p id={ids.err} className="field-error" role="alert">
              {p.saveError}
            </p>
          )}
          <button type="submit" disabled={p.saving}>
            {p.saving ? 'Saving…' : 'Save policy'}
          </button>
        </form>
      )}

      <div className="panel">
        <h2>Held and flagged now</h2>
        {p.loaded && p.held.length === 0 && <Empty>Nothing is held or flagged.</Empty>}
        {p.held.length > 0 && (
          <table>
            <thead>
              <tr>
                <th>Package</th>
                <th>Rule</th>
                <th>Why</th>
                <th>Until</th>
                <th>Review</th>
              </tr>
            </thead>
            <tbody>
              {p.held.map((item) => (
                <tr key={`${item.name}@${item.version}`}>
                  <td>
                    <a href={`#/package/${encodeURIComponent(item.name)}`}>{item.name}</a>@{item.version}
                    {!item.held && ' (flagged)'}
                  </td>
                  <td>{item.rule}</td>
                  <td>{item.rule === 'install-scripts' ? <ScriptsDiff reason={item.reason} /> : item.reason}</td>
                  <td>{formatDate(item.until)}</td>
                  <td>
                    {item.held && item.rule !== 'takedown' && (
                      <>
                        <button type="button" onClick={() => void p.review(item.name, item.version, 'approved')}>
                          Approve
                        </button>{' '}
                        <button type="button" onClick={() => void p.review(item.name, item.version, 'denied')}>
                          Deny
                        </button>
                      </>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>

      <div className="panel">
        <h2>Audit log</h2>
        {p.loaded && p.audit.length === 0 && <Empty>No decisions yet.</Empty>}
        {p.audit.length > 0 && (
          <table>
            <thead>
              <tr>
                <th>When</th>
                <th>What</th>
                <th>Package</th>
                <th>Detail</th>
                <th>By</th>
              </tr>
            </thead>
            <tbody>
              {p.audit.map((e, i) => (
                <tr key={`${e.at}-${i}`}>
                  <td>{formatDate(e.at)}</td>
                  <td>{e.action}</td>
                  <td>{e.name ? `${e.name}${e.version ? `@${e.version}` : ''}` : '—'}</td>
                  <td>{e.detail}</td>
                  <td>{e.actor ?? 'Shelf'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
    </section>
  );
}

/** The install-script change as a diff: `adds X "cmd"` is one added line, `changes X from "a" to "b"` a removed and an added one. */
function ScriptsDiff({ reason }: { reason: string }) {
  const lines: { sign: '+' | '-'; text: string }[] = [];
  for (const part of reason
    .replace(/^held for review: /, '')
    .replace(/ compared with \S+$/, '')
    .split('; ')) {
    const changed = /^changes (\S+) from (".*") to (".*")$/.exec(part);
    const added = /^adds (\S+) (".*")$/.exec(part);
    if (changed) lines.push({ sign: '-', text: `${changed[1]}: ${changed[2]}` }, { sign: '+', text: `${changed[1]}: ${changed[3]}` });
    else if (added) lines.push({ sign: '+', text: `${added[1]}: ${added[2]}` });
  }
  if (lines.length === 0) return <>{reason}</>;
  return (
    <pre className="diff" aria-label={reason}>
      {lines.map((l, i) => (
        <span key={i} className={l.sign === '+' ? 'diff-add' : 'diff-del'}>
          {`${l.sign} ${l.text}\n`}
        </span>
      ))}
    </pre>
  );
}

/** On a mirrored package's page: each version the policy holds or flags, and why (the same words as the 403). */
export function PolicyNotes({ name }: { name: string }) {
  const why = usePolicyStore((s) => (s.why?.name === name ? s.why.items : undefined));
  const loadWhy = usePolicyStore((s) => s.loadWhy);
  useEffect(() => {
    void loadWhy(name);
  }, [loadWhy, name]);
  if (!why || why.length === 0) return null;
  return (
    <section className="panel" aria-labelledby="policy-notes-heading">
      <h2 id="policy-notes-heading">Held or flagged by the policy</h2>
      <ul>
        {why.map((item) => (
          <li key={item.version}>
            <span className="mono">{item.version}</span>{' '}
            <span className="badge">{item.held ? `held: ${item.rule}` : `flagged: ${item.rule}`}</span> {item.message}
          </li>
        ))}
      </ul>
    </section>
  );
}
