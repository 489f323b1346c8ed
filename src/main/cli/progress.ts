// A progress bar on stderr for long work, shown only on a terminal (scripts and --json get none).
import { SingleBar } from 'cli-progress';

export interface ProgressBar {
  update(done: number, total: number, label: string): void;
  stop(): void;
}

/** Where the bar draws: process.stderr, or a stand-in in tests. Nothing is drawn unless it is a terminal. */
export type ProgressStream = NodeJS.WritableStream & { isTTY?: boolean; columns?: number };

export interface ProgressOptions {
  stream?: ProgressStream;
  /** cli-progress format; the default shows the rate and ETA, which mean little for a few steps. */
  format?: string;
}

const RATE_FORMAT = '{label} [{bar}] {value}/{total} {percentage}% | {rate}/s | ETA {eta_formatted}';

export function progressBar(enabled: boolean, options: ProgressOptions = {}): ProgressBar {
  const stream = options.stream ?? process.stderr;
  if (!enabled || !stream.isTTY) return { update: () => undefined, stop: () => undefined };
  const bar = new SingleBar({ stream, format: options.format ?? RATE_FORMAT, hideCursor: true, clearOnComplete: true });
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
      started = false;
    },
  };
}
