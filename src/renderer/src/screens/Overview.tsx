// The overview: the registry's address and how to use it, its status, and the packages it holds.
import { useEffect } from 'react';
import type { RegistryStatus } from '../../../shared/contract';
import { CopyField } from '../components/CopyField';
import { PackagesTable } from '../components/PackagesTable';
import { StatusDetails } from '../components/StatusDetails';
import { plural } from '../format';
import { usePackagesStore } from '../stores/packages';
import { useRegistryStore } from '../stores/registry';

export function Overview({ status }: { status: RegistryStatus }) {
  const refreshing = useRegistryStore((s) => s.loading);
  const statusError = useRegistryStore((s) => s.error);
  const loadStatus = useRegistryStore((s) => s.load);
  const packages = usePackagesStore();
  const loadPackages = packages.load;

  useEffect(() => {
    void loadPackages();
  }, [loadPackages]);

  const refresh = () => void Promise.all([loadStatus(), loadPackages()]);
  const busy = refreshing || packages.loading;

  return (
    <main className="page" aria-busy={busy}>
      <header className="page__header">
        <h1>Shelf</h1>
        <button type="button" onClick={refresh} disabled={busy}>
          {busy ? 'Refreshing…' : 'Refresh'}
        </button>
      </header>
      {statusError && (
        <p className="alert" role="alert">
          Could not refresh the status: {statusError}
        </p>
      )}

      <section className="panel" aria-labelledby="address-heading">
        <h2 id="address-heading">Registry address</h2>
        <CopyField label="Address for npm clients" value={status.url} />
        <p>Point npm at it for every project:</p>
        <pre className="command">
          <code>npm config set registry {status.url}</code>
        </pre>
        <p>or for a single install:</p>
        <pre className="command">
          <code>npm install --registry {status.url}</code>
        </pre>
      </section>

      <section className="panel" aria-labelledby="status-heading">
        <h2 id="status-heading">Status</h2>
        <StatusDetails status={status} />
      </section>

      <section className="panel" aria-labelledby="packages-heading">
        <h2 id="packages-heading">Packages{packages.loaded && <span className="count"> {plural(packages.total, 'package')}</span>}</h2>
        <PackagesTable
          packages={packages.packages}
          total={packages.total}
          loaded={packages.loaded}
          loading={packages.loading}
          error={packages.error}
          registryUrl={status.url}
          onRetry={() => void loadPackages()}
        />
      </section>
    </main>
  );
}
