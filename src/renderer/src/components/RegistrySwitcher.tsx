// The app shell's registry line, on every screen: which registry the screens act on (name and who is signed in there),
// and a switcher between this Shelf and the remote Shelfs signed in on the Registries screen.
import { useEffect, useId } from 'react';
import { href } from '../route';
import { registryLabel, useRegistriesStore } from '../stores/registries';
import { useSessionStore } from '../stores/session';

export function RegistrySwitcher() {
  const r = useRegistriesStore();
  const localUser = useSessionStore((s) => s.user?.username);
  const load = r.load;
  const id = useId();
  useEffect(() => {
    void load();
  }, [load]);

  const remotes = r.registries.filter((x) => x.kind === 'remote');
  const active = r.registries.find((x) => x.id === r.activeId);
  const session = r.sessions.find((s) => s.id === r.activeId);
  const name = active ? registryLabel(active) : r.activeId === 'local' ? 'This Shelf' : 'a remote Shelf';
  const who = r.activeId === 'local' ? localUser : session?.username;
  // Only registries one can act on are offered: this Shelf, and remotes with a live sign-in.
  const choices = [
    { id: 'local', label: 'This Shelf' },
    ...remotes.filter((x) => r.sessions.some((s) => s.id === x.id)).map((x) => ({ id: x.id, label: registryLabel(x) })),
  ];
  if (r.activeId !== 'local' && !choices.some((c) => c.id === r.activeId)) choices.push({ id: r.activeId, label: name });

  return (
    <div className={r.activeId === 'local' ? 'shell__registry' : 'shell__registry shell__registry--remote'}>
      <p className="shell__registry-name" data-testid="active-registry">
        <span className="hint">Registry</span> <strong>{name}</strong>
        {who ? (
          <span className="hint">
            {' '}
            · {who}
            {session?.isAdmin ? ' (admin)' : ''}
          </span>
        ) : (
          <span className="hint"> · not signed in</span>
        )}
      </p>
      {r.activeId !== 'local' && !session && r.loaded && (
        <p className="shell__registry-alert" role="alert">
          Sign in to {name} again on the <a href={href({ screen: 'registries' })}>Registries</a> screen.
        </p>
      )}
      {choices.length > 1 && (
        <div className="shell__registry-switch">
          <label htmlFor={id}>Act on</label>
          <select id={id} value={r.activeId} onChange={(e) => void r.activate(e.target.value)}>
            {choices.map((c) => (
              <option key={c.id} value={c.id}>
                {c.label}
              </option>
            ))}
          </select>
        </div>
      )}
      {r.switchError && (
        <p className="shell__registry-alert" role="alert">
          {r.switchError}
        </p>
      )}
    </div>
  );
}
