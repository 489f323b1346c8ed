// The shell's status line: Shelf online (with how many upstreams), offline mode, an upstream not answering, or Shelf itself
// not answering. Checked on start, every 30 s and when the window regains focus.
import { useEffect } from 'react';
import { href } from '../route';
import { useHealthStore, type Health } from '../stores/health';

const CHECK_EVERY_MS = 30_000;

function describe(h: Health): { tone: string; label: string; detail: string } {
  switch (h.kind) {
    case 'unknown':
      return { tone: 'unknown', label: 'Checking…', detail: 'Asking Shelf for its status' };
    case 'online':
      return {
        tone: 'ok',
        label: 'Online',
        detail: h.upstreams ? `Mirroring ${h.upstreams} upstream${h.upstreams === 1 ? '' : 's'}` : 'No upstream configured',
      };
    case 'offline':
      return { tone: 'warn', label: 'Offline mode', detail: 'Serving only what is cached' };
    case 'upstream-unreachable':
      return { tone: 'error', label: 'Upstream unreachable', detail: `${h.urls.join(', ')}${h.problem ? `: ${h.problem}` : ''}` };
    case 'shelf-unreachable':
      return { tone: 'error', label: 'Shelf unreachable', detail: h.message };
  }
}

export function HealthBadge() {
  const health = useHealthStore((s) => s.health);
  const check = useHealthStore((s) => s.check);
  useEffect(() => {
    void check();
    const timer = setInterval(() => void check(), CHECK_EVERY_MS);
    const onFocus = () => void check();
    globalThis.addEventListener('focus', onFocus);
    return () => {
      clearInterval(timer);
      globalThis.removeEventListener('focus', onFocus);
    };
  }, [check]);
  const d = describe(health);
  return (
    <a
      className={`health health--${d.tone}`}
      href={href({ screen: 'mirror' })}
      title={d.detail}
      aria-label={`Status: ${d.label}. ${d.detail}`}
    >
      <span className="health__dot" aria-hidden="true" />
      <span className="health__label">{d.label}</span>
      <span className="health__detail">{d.detail}</span>
    </a>
  );
}
