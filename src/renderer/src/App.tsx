// Chooses the screen: loading, unreachable, first-run setup, sign in, then the app shell with one screen per route.
import { useEffect, useRef, useState, type ReactNode } from 'react';
import { HealthBadge } from './components/HealthBadge';
import { RegistrySwitcher } from './components/RegistrySwitcher';
import { Toasts } from './components/Toasts';
import type { RegistryStatus } from '../../shared/contract';
import { transport } from './client';
import { href, useRoute, type Route } from './route';
import { Activity } from './screens/Activity';
import { Graph } from './screens/Graph';
import { Mirror } from './screens/Mirror';
import { Overview } from './screens/Overview';
import { Policy } from './screens/Policy';
import { PackageScreen } from './screens/Package';
import { Publish } from './screens/Publish';
import { Registries } from './screens/Registries';
import { Search } from './screens/Search';
import { Settings } from './screens/Settings';
import { Setup } from './screens/Setup';
import { SignIn } from './screens/SignIn';
import { Tokens } from './screens/Tokens';
import { useRegistryStore } from './stores/registry';
import { useSessionStore } from './stores/session';
import { applyTheme, useSettingsStore } from './stores/settings';

const NAV: { route: Route; label: string }[] = [
  { route: { screen: 'overview' }, label: 'Overview' },
  { route: { screen: 'search' }, label: 'Search' },
  { route: { screen: 'publish' }, label: 'Publish' },
  { route: { screen: 'graph' }, label: 'Dependency graph' },
  { route: { screen: 'tokens' }, label: 'Tokens' },
  { route: { screen: 'mirror' }, label: 'Mirror' },
  { route: { screen: 'policy' }, label: 'Policy' },
  { route: { screen: 'registries' }, label: 'Registries' },
  { route: { screen: 'activity' }, label: 'Activity' },
  { route: { screen: 'settings' }, label: 'Settings' },
];

export function App() {
  const { status, loading, error, load } = useRegistryStore();
  const session = useSessionStore();
  const check = session.check;
  const theme = useSettingsStore((s) => s.theme);

  useEffect(() => applyTheme(theme), [theme]);
  // Who is signed in is asked alongside the status (one round trip less before the first screen); it is asked again
  // when first-run setup has just created the admin account and signed it in.
  useEffect(() => {
    void load();
    void check();
  }, [load, check]);
  const needsSetup = status?.needsSetup;
  const setupSeen = useRef(false);
  useEffect(() => {
    if (needsSetup) setupSeen.current = true;
    else if (needsSetup === false && setupSeen.current) {
      setupSeen.current = false;
      void check();
    }
  }, [needsSetup, check]);

  if (!status) {
    return (
      <main className="page page--narrow">
        <h1>Shelf</h1>
        {error ? (
          <div className="alert" role="alert">
            <p>Could not reach the registry: {error}</p>
            <button type="button" onClick={() => void load()} disabled={loading}>
              Retry
            </button>
          </div>
        ) : (
          <p role="status">Loading…</p>
        )}
      </main>
    );
  }
  if (status.needsSetup) return <Setup status={status} transport={transport} />;
  if (!session.checked) {
    return (
      <main className="page page--narrow">
        <h1>Shelf</h1>
        <p role="status">Loading…</p>
      </main>
    );
  }
  if (!session.user) return <SignIn status={status} />;
  return <Shell status={status} />;
}

function Shell({ status }: { status: RegistryStatus }) {
  const route = useRoute();
  const user = useSessionStore((s) => s.user);
  const signOut = useSessionStore((s) => s.signOut);
  // Narrow windows fold the sidebar into a bar with a Menu button; choosing a screen folds it again.
  const [menuOpen, setMenuOpen] = useState(false);
  return (
    <div className="shell">
      <a className="skip-link" href="#content">
        Skip to content
      </a>
      <nav className={menuOpen ? 'shell__nav shell__nav--open' : 'shell__nav'} aria-label="Screens">
        <div className="shell__bar">
          <p className="shell__brand">Shelf</p>
          <HealthBadge />
          <button
            type="button"
            className="shell__menu"
            aria-expanded={menuOpen}
            aria-controls="shell-menu"
            onClick={() => setMenuOpen(!menuOpen)}
          >
            Menu
          </button>
        </div>
        <RegistrySwitcher />
        <ul id="shell-menu">
          {NAV.map((item) => (
            <li key={item.label}>
              <a
                href={href(item.route)}
                aria-current={item.route.screen === route.screen ? 'page' : undefined}
                onClick={() => setMenuOpen(false)}
              >
                {item.label}
              </a>
            </li>
          ))}
        </ul>
        <div className="shell__user">
          <p className="hint">
            Signed in as <strong>{user?.username}</strong>
          </p>
          <button type="button" onClick={() => void signOut()}>
            Sign out
          </button>
        </div>
      </nav>
      <div id="content" className="shell__content">
        {route.screen === 'overview' ? <Overview status={status} /> : <Page>{screenFor(route)}</Page>}
      </div>
      <Toasts />
    </div>
  );
}

function Page({ children }: { children: ReactNode }) {
  return <main className="page">{children}</main>;
}

function screenFor(route: Route): ReactNode {
  switch (route.screen) {
    case 'search':
      return <Search />;
    case 'package':
      return <PackageScreen name={route.name} />;
    case 'publish':
      return <Publish />;
    case 'tokens':
      return <Tokens />;
    case 'mirror':
      return <Mirror />;
    case 'policy':
      return <Policy />;
    case 'graph':
      return <Graph name={route.name} />;
    case 'registries':
      return <Registries />;
    case 'activity':
      return <Activity />;
    case 'settings':
      return <Settings />;
    default:
      return null;
  }
}
