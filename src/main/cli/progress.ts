// A progress bar on stderr for long work, shown only on a terminal (scripts and --json get none).
import { SingleBar } from 'cli-progress';

export interface ProgressBar {
  update(done: number, total: number, label: string): void;
  stop(): void;
}

export function progressBar(enabled: boolean): ProgressBar {
  if (!enabled || !process.stderr.isTTY) return { update: () => undefined, stop: () => undefined };
  const bar = new SingleBar({
    stream: process.stderr,
    format: '{label} [{bar}] {value}/{total} {percentage}% | {rate}/s | ETA {eta_formatted}',
    hideCursor: true,
    clearOnComplete: true,
  });
  let started = false;
  const startedAt = Date.now();
  return {
    update(done, total, label) {
      const rate = (done / Math.max((Date.now() - startedAt) / 1000, 0.001)).toFixed(1);
      if (!started) {
        bar.start(total, done, { label, rate });
        started = true;
      } else {
        bar.setTotal(total);
        bar.update(done, { label, rate });
      }
    },
    stop() {
      if (started) bar.stop();
    },
  };
}
