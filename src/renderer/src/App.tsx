// Chooses the screen: loading, unreachable, first-run setup, or the overview — all from `registry.status`.
import { useEffect } from 'react';
import { transport } from './client';
import { Overview } from './screens/Overview';
import { Setup } from './screens/Setup';
import { useRegistryStore } from './stores/registry';

export function App() {
  const { status, loading, error, load } = useRegistryStore();

  useEffect(() => {
    void load();
  }, [load]);

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
  return status.needsSetup ? <Setup status={status} transport={transport} /> : <Overview status={status} />;
}
