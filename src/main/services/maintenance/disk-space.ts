// DiskSpace: how much room the data folder's disk has left, checked now and then, with a warning below a threshold.
import { formatBytes } from '../../../shared/format-bytes';
import { freeBytesAt } from '../../errors';

/** Below this much free space at start-up, Shelf opens its store read-only (SQLite cannot even map its WAL index). */
export const FULL_DISK_BYTES = 1024 * 1024;
/** The default warning threshold (--min-free-space). */
export const DEFAULT_MIN_FREE_BYTES = 500 * 1024 * 1024;

export interface DiskStatus {
  dataDir: string;
  /** Free bytes for Shelf's user on the data folder's disk; null when the system would not say. */
  freeBytes: number | null;
  /** The warning threshold (--min-free-space). */
  minFreeBytes: number;
  /** Free space is under the threshold. */
  low: boolean;
  /** Shelf started on a full disk and refuses writes until it is restarted with room. */
  readOnly: boolean;
  /** A sentence for people when something is wrong; null when all is well. */
  warning: string | null;
}

export interface DiskSpaceOptions {
  dataDir: string;
  minFreeBytes: number;
  readOnly: boolean;
  warn: (message: string) => void;
  /** Injected by tests; defaults to statfs of the data folder. */
  freeBytes?: (dir: string) => number | undefined;
}

export class DiskSpace {
  private current: DiskStatus;
  private measuredAt = 0;

  constructor(private readonly options: DiskSpaceOptions) {
    this.current = this.measure();
    // Said once at start, then only when the state changes (check()).
    if (this.current.warning) options.warn(this.current.warning);
  }

  /** The last measurement, from memory. */
  status(): DiskStatus {
    return this.current;
  }

  /** A measurement at most `maxAgeMs` old: statfs is one cheap system call, so /health can afford it once a second. */
  recent(maxAgeMs: number): DiskStatus {
    return Date.now() - this.measuredAt > maxAgeMs ? this.check() : this.current;
  }

  /** Measures again; logs when free space falls under the threshold, and when it is back. */
  check(): DiskStatus {
    const before = this.current;
    this.current = this.measure();
    if (this.current.warning && !before.low) this.options.warn(this.current.warning);
    else if (before.low && !this.current.low) {
      this.options.warn(
        `disk space: ${formatBytes(this.current.freeBytes ?? 0)} free again for ${this.options.dataDir}` +
          (this.current.readOnly ? '; restart Shelf to accept writes again' : ''),
      );
    }
    return this.current;
  }

  private measure(): DiskStatus {
    this.measuredAt = Date.now();
    const { dataDir, minFreeBytes, readOnly } = this.options;
    const free = (this.options.freeBytes ?? freeBytesAt)(dataDir);
    const low = free !== undefined && free < minFreeBytes;
    let warning: string | null = null;
    if (readOnly) {
      warning =
        `Shelf is read-only: the disk holding ${dataDir} was full when it started` +
        `${free === undefined ? '' : ` (${formatBytes(free)} free now)`}; free space there and restart Shelf to accept writes`;
    } else if (low) {
      warning =
        `disk space is low: ${formatBytes(free)} free for ${dataDir}, under the ${formatBytes(minFreeBytes)} threshold ` +
        '(--min-free-space); publishes will fail with 507 once it is gone';
    }
    return { dataDir, freeBytes: free ?? null, minFreeBytes, low: low || readOnly, readOnly, warning };
  }
}
