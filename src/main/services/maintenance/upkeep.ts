// The upkeep of a long-running Shelf, whichever shell runs it (`shelf serve`, the desktop app): the process-level guard
// and the background maintenance (the collector, the free-space watch). One function for both, so the desktop app
// cannot fall behind the server, as it did when each shell wired its own.

/** What the upkeep needs of the running app (ShelfApp has both). */
export interface UpkeepTarget {
  startMaintenance(): void;
  close(): Promise<void>;
}

/** The process events the guard listens to: `process` itself, or a stand-in in tests. */
export type GuardedProcess = Pick<NodeJS.EventEmitter, 'on' | 'off'>;

export interface UpkeepOptions {
  log: { error(message: string): void };
  /** Defaults to `process`. */
  process?: GuardedProcess;
  /** How the process ends after an unsafe failure; defaults to process.exit (the desktop app passes Electron's app.exit). */
  exit?: (code: number) => void;
}

/** Socket-level failures: they concern one connection, whose state dies with it. */
const CONNECTION_ERROR_CODES = new Set([
  'EPIPE',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'ERR_STREAM_WRITE_AFTER_END',
  'ERR_STREAM_DESTROYED',
  'ERR_STREAM_PREMATURE_CLOSE',
  'ERR_HTTP_HEADERS_SENT',
]);
/** Disk-full failures: the write that hit them failed before any row pointed at its data. */
const DISK_ERROR_CODES = new Set(['ENOSPC', 'EDQUOT', 'SQLITE_FULL']);
/** How long a server stopping after an uncaught exception gives requests in flight before it exits anyway. */
export const FATAL_EXIT_DEADLINE_MS = 5000;
/** The exit code after an uncaught exception (EX_SOFTWARE), so a supervisor can tell it from a requested stop. */
export const FATAL_EXIT_CODE = 70;

/**
 * Installs the process guard, then starts the maintenance. Call it once the server listens. Returns a function that
 * removes the guard again (the maintenance stops with the app's close()).
 */
export function startUpkeep(app: UpkeepTarget, options: UpkeepOptions): () => void {
  const uninstall = guardProcess(app, options);
  app.startMaintenance();
  return uninstall;
}

/**
 * The process-level guard. Every background task catches its own failures; this is for what slips through, logged with
 * its context either way.
 *
 * - An unhandled rejection is a promise nobody awaited. The code that made it has moved on; what Shelf stores is
 *   written in SQLite transactions and atomically renamed files, so nothing is left half-written: keep serving.
 * - An uncaught exception unwound a callback part-way, and in-memory state (maps, locks, sockets) may be inconsistent;
 *   Node's own advice is not to resume. Only when its code says it concerns one connection (EPIPE, ECONNRESET, a
 *   stream written after its end) or a write that found the disk full (the write failed; nothing points at it) does
 *   Shelf keep serving. Anything else: log it, stop accepting requests, let those in flight finish (up to 5 s), close
 *   the database cleanly and exit with code 70, for a supervisor (or the person at the desktop) to restart.
 */
function guardProcess(app: UpkeepTarget, options: UpkeepOptions): () => void {
  const target = options.process ?? process;
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const { log } = options;
  const onRejection = (reason: unknown) => {
    log.error(`unhandled rejection (Shelf keeps serving): ${describeFailure(reason)}`);
  };
  let stopping = false;
  const onException = (error: Error, origin: string) => {
    const code = (error as NodeJS.ErrnoException)?.code;
    if (code && (CONNECTION_ERROR_CODES.has(code) || DISK_ERROR_CODES.has(code))) {
      log.error(`uncaught ${origin} on one connection or write (${code}); Shelf keeps serving: ${describeFailure(error)}`);
      return;
    }
    log.error(`uncaught ${origin}; Shelf stops (exit code ${FATAL_EXIT_CODE}) as its state may be inconsistent: ${describeFailure(error)}`);
    if (stopping) return;
    stopping = true;
    const deadline = setTimeout(() => exit(FATAL_EXIT_CODE), FATAL_EXIT_DEADLINE_MS).unref();
    const stop = () => {
      clearTimeout(deadline);
      exit(FATAL_EXIT_CODE);
    };
    app.close().then(stop, (closeError: unknown) => {
      log.error(`while stopping: ${describeFailure(closeError)}`);
      stop();
    });
  };
  target.on('unhandledRejection', onRejection);
  target.on('uncaughtException', onException);
  return () => {
    target.off('unhandledRejection', onRejection);
    target.off('uncaughtException', onException);
  };
}

/** An error's stack (its message when it has none), or the value as text. */
export function describeFailure(value: unknown): string {
  if (value instanceof Error) return value.stack ?? `${value.name}: ${value.message}`;
  return String(value);
}
