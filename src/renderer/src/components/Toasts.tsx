// The toasts region: announced politely, each with its own dismiss button.
import { useToastStore } from '../stores/toasts';

export function Toasts() {
  const { toasts, dismiss } = useToastStore();
  return (
    <div className="toasts" role="status" aria-live="polite" aria-label="Notifications">
      {toasts.map((t) => (
        <div key={t.id} className={`toast toast--${t.tone}`}>
          <p>{t.text}</p>
          <button type="button" className="toast__close" onClick={() => dismiss(t.id)} aria-label={`Dismiss: ${t.text}`}>
            ×
          </button>
        </div>
      ))}
    </div>
  );
}
