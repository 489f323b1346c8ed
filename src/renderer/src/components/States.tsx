// The loading, error and empty states every screen shows the same way.
import type { ReactNode } from 'react';

export function Loading({ what }: { what: string }) {
  return (
    <p role="status" className="hint">
      Loading {what}…
    </p>
  );
}

/** The server's message, and what to do about it. */
export function ErrorState({ message, action, onRetry }: { message: string; action?: string; onRetry?: () => void }) {
  return (
    <div className="alert" role="alert">
      <p>{message}</p>
      {action && <p>{action}</p>}
      {onRetry && (
        <button type="button" onClick={onRetry}>
          Retry
        </button>
      )}
    </div>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <div className="empty">{children}</div>;
}

export function Notice({ children }: { children: ReactNode }) {
  return (
    <div className="notice" role="status">
      {children}
    </div>
  );
}

export { formatBytes } from '../../../shared/format-bytes';

export function formatDate(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toISOString().slice(0, 16).replace('T', ' ');
}
