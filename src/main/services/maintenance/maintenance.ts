// Maintenance: the server's background upkeep — the collector at start-up and then periodically, and the free-space
// watch. Every task catches its own failures, logs them with what it was doing, and tries again at its next turn:
// none may take the server down.
import { formatBytes } from '../../../shared/format-bytes';
import type { BlobStore } from '../../storage/blobs/blob-store';
import type { MetadataDb } from '../../storage/sql/port';
import { DiskSpace, type DiskStatus } from './disk-space';
import { collectGarbage, type CollectionReport } from './gc';

/** The collector's default grace period (--gc-grace): an unreferenced blob younger than this is a write in progress. */
export const DEFAULT_GC_GRACE_MS = 60 * 60 * 1000;
/** How often the collector runs after the one at start-up. */
export const GC_INTERVAL_MS = 60 * 60 * 1000;
/** How often free space is measured. */
export const DISK_CHECK_INTERVAL_MS = 30_000;

export interface MaintenanceOptions {
  db: MetadataDb;
  blobs: BlobStore;
  dataDir: string;
  graceMs: number;
  minFreeBytes: number;
  readOnly: boolean;
  now: () => Date;
  log: { info(message: string): void; warn(message: string): void; error(message: string): void };
}

/** What /health and the UI's status show of the upkeep. */
export interface MaintenanceHealth {
  disk: DiskStatus;
  collector: { lastRun: CollectionReport | null; lastError: string | null; running: boolean };
}

export class Maintenance {
  readonly disk: DiskSpace;
  private timers: NodeJS.Timeout[] = [];
  private running: Promise<CollectionReport | undefined> | undefined;
  private lastRun: CollectionReport | null = null;
  private lastError: string | null = null;
  private stopped = false;

  constructor(private readonly options: MaintenanceOptions) {
    this.disk = new DiskSpace({
      dataDir: options.dataDir,
      minFreeBytes: options.minFreeBytes,
      readOnly: options.readOnly,
      warn: options.log.warn,
    });
  }

  /**
   * Starts the upkeep: the collector once now (in the background: listening does not wait for it) and every
   * GC_INTERVAL_MS, the disk check every DISK_CHECK_INTERVAL_MS. Timers are unref'd: they never keep a process alive.
   */
  start(): void {
    if (this.timers.length > 0 || this.stopped) return;
    // Read-only (a full disk) too: the collector deletes files only, and freeing space is what a full disk needs.
    setImmediate(() => void this.collect());
    this.timers.push(setInterval(() => void this.collect(), GC_INTERVAL_MS).unref());
    this.timers.push(setInterval(() => this.checkDisk(), DISK_CHECK_INTERVAL_MS).unref());
  }

  /** Runs the collector unless it is running already (then waits for that run). Never rejects. */
  collect(): Promise<CollectionReport | undefined> {
    if (this.stopped) return Promise.resolve(undefined);
    this.running ??= collectGarbage({
      db: this.options.db,
      blobs: this.options.blobs,
      graceMs: this.options.graceMs,
      now: this.options.now,
    })
      .then(
        (report) => {
          this.lastRun = report;
          this.lastError = null;
          if (report.removedBlobs > 0 || report.removedTempFiles > 0) {
            this.options.log.info(
              `collector: removed ${report.removedBlobs} unreferenced blob(s) and ${report.removedTempFiles} temp file(s), ` +
                `${formatBytes(report.removedBytes)} freed (${report.scanned} blobs scanned)`,
            );
          }
          return report;
        },
        (error: unknown) => {
          // Dropped for this turn; the next interval tries again from scratch (the collector keeps no state between runs).
          this.lastError = (error as Error)?.message ?? String(error);
          this.options.log.error(
            `collector: run failed, will retry in ${GC_INTERVAL_MS / 60_000} min: ${(error as Error)?.stack ?? String(error)}`,
          );
          return undefined;
        },
      )
      .finally(() => {
        this.running = undefined;
      });
    return this.running;
  }

  private checkDisk(): void {
    try {
      this.disk.check();
    } catch (error) {
      this.options.log.error(`disk space check failed, will retry: ${(error as Error)?.message ?? String(error)}`);
    }
  }

  /** Free space for /health: measured again when the last measurement is over a second old; never throws. */
  private safeDiskStatus(): DiskStatus {
    try {
      return this.disk.recent(1000);
    } catch {
      return this.disk.status();
    }
  }

  health(): MaintenanceHealth {
    return {
      disk: this.safeDiskStatus(),
      collector: { lastRun: this.lastRun, lastError: this.lastError, running: this.running !== undefined },
    };
  }

  /** Stops the timers and waits for a collector run in progress (its database must stay open until it ends). */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
    await this.running;
  }
}
