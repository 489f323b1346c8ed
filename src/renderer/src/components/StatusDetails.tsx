// The registry's facts as a definition list: state, packages, users, mode, version, data folder, start time.
import type { RegistryStatus } from '../../../shared/contract';
import { formatDateTime } from '../format';

const MODE_LABEL: Record<RegistryStatus['mode'], string> = { desktop: 'Desktop app', browser: 'Browser (shelf serve)' };

export function StatusDetails({ status }: { status: RegistryStatus }) {
  return (
    <dl className="details">
      <div>
        <dt>Status</dt>
        <dd>
          <span className={`badge badge--${status.state}`}>{status.state}</span>
        </dd>
      </div>
      <div>
        <dt>Packages</dt>
        <dd data-testid="package-count">{status.packageCount}</dd>
      </div>
      <div>
        <dt>Users</dt>
        <dd>{status.userCount}</dd>
      </div>
      <div>
        <dt>Sign-up</dt>
        <dd>{status.signup}</dd>
      </div>
      <div>
        <dt>Mode</dt>
        <dd>{MODE_LABEL[status.mode]}</dd>
      </div>
      <div>
        <dt>Version</dt>
        <dd>{status.version}</dd>
      </div>
      <div>
        <dt>Running since</dt>
        <dd>
          <time dateTime={status.startedAt}>{formatDateTime(status.startedAt)}</time>
        </dd>
      </div>
      <div className="details__wide">
        <dt>Data folder</dt>
        <dd className="mono">{status.dataDir}</dd>
      </div>
    </dl>
  );
}
