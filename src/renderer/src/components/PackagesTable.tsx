// The packages table, with its loading, error and empty states.
import type { PackageSummary } from '../../../shared/contract';
import { formatDateTime } from '../format';
import { href } from '../route';

interface Props {
  packages: PackageSummary[];
  total: number;
  loaded: boolean;
  loading: boolean;
  error?: string;
  registryUrl: string;
  onRetry(): void;
}

function DistTags({ tags }: { tags: Record<string, string> }) {
  const entries = Object.entries(tags);
  if (entries.length === 0) return <span className="muted">none</span>;
  return (
    <ul className="tags">
      {entries.map(([tag, version]) => (
        <li key={tag}>
          <span className="tag">{tag}</span> <span className="mono">{version}</span>
        </li>
      ))}
    </ul>
  );
}

export function PackagesTable({ packages, total, loaded, loading, error, registryUrl, onRetry }: Props) {
  if (error) {
    return (
      <div className="alert" role="alert">
        <p>Could not load the packages: {error}</p>
        <button type="button" onClick={onRetry}>
          Retry
        </button>
      </div>
    );
  }
  if (!loaded) {
    return (
      <p className="muted" role="status">
        {loading ? 'Loading packages…' : ''}
      </p>
    );
  }
  if (packages.length === 0) {
    return (
      <p className="empty">
        No packages yet — publish one with <code>npm publish --registry {registryUrl}</code>
      </p>
    );
  }
  return (
    <div className="table-scroll">
      <table className="packages">
        <caption className="visually-hidden">
          Packages in this registry{total > packages.length ? ` (first ${packages.length} of ${total})` : ''}
        </caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Latest</th>
            <th scope="col">Description</th>
            <th scope="col">Dist-tags</th>
            <th scope="col" className="num">
              Versions
            </th>
            <th scope="col">Access</th>
            <th scope="col">Modified</th>
          </tr>
        </thead>
        <tbody>
          {packages.map((pkg) => (
            <tr key={pkg.name}>
              <th scope="row" className="mono">
                <a href={href({ screen: 'package', name: pkg.name })}>{pkg.name}</a>
              </th>
              <td className="mono">{pkg.latest ?? <span className="muted">—</span>}</td>
              <td>{pkg.description ?? <span className="muted">No description</span>}</td>
              <td>
                <DistTags tags={pkg.distTags} />
              </td>
              <td className="num">{pkg.versionCount}</td>
              <td>
                <span className={`badge badge--${pkg.access}`}>{pkg.access}</span>
              </td>
              <td>
                <time dateTime={pkg.modified}>{formatDateTime(pkg.modified)}</time>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {total > packages.length && (
        <p className="hint">
          Showing the first {packages.length} of {total} packages.
        </p>
      )}
    </div>
  );
}
