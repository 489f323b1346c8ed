// Long work as jobs: each has an id, an owner, progress (phase, done/total, bytes) and a final summary; every change is an
// event that the transports forward (IPC to the window, server-sent events to the owner's browser sessions).
import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import type { JobState, ShelfEvent } from '../../shared/contract';
import { notFound, forbidden } from '../errors';

export interface JobReport {
  progress(update: Partial<Pick<JobState, 'phase' | 'done' | 'total' | 'bytes'>>): void;
  readonly signal: AbortSignal;
}

interface Entry {
  state: JobState;
  owner: number;
  controller: AbortController;
  lastEmit: number;
}

/** Progress events are coalesced to at most one per this many ms per job (the final one always goes out). */
const EMIT_INTERVAL_MS = 50;
const KEEP_FINISHED = 50;

export class JobBoard {
  private readonly jobs = new Map<string, Entry>();
  private readonly emitter = new EventEmitter();

  constructor(private readonly now: () => Date = () => new Date()) {
    this.emitter.setMaxListeners(0);
  }

  /** Listens to every event with its owner's user id (null: for every signed-in user); returns the unsubscribe function. */
  subscribe(listener: (event: ShelfEvent, owner: number | null) => void): () => void {
    this.emitter.on('event', listener);
    return () => this.emitter.off('event', listener);
  }

  /** `run` returns its summary lines; `partial: true` marks a job that finished but could not do all of its work. */
  start(
    kind: JobState['kind'],
    title: string,
    owner: number,
    run: (report: JobReport) => Promise<string[] | { summary: string[]; partial: boolean }>,
  ): JobState {
    const controller = new AbortController();
    const state: JobState = {
      id: randomUUID(),
      kind,
      title,
      state: 'running',
      phase: 'starting',
      done: 0,
      total: 0,
      bytes: 0,
      startedAt: this.now().toISOString(),
      summary: [],
      error: null,
    };
    const entry: Entry = { state, owner, controller, lastEmit: 0 };
    this.jobs.set(state.id, entry);
    this.prune();
    const report: JobReport = {
      signal: controller.signal,
      progress: (update) => {
        Object.assign(entry.state, update);
        const t = Date.now();
        if (t - entry.lastEmit >= EMIT_INTERVAL_MS) this.emit(entry, t);
      },
    };
    // Started on the next turn, so the caller has the job's id before its first event arrives.
    setImmediate(() => {
      this.emit(entry);
      run(report).then(
        (outcome) => {
          const { summary, partial } = Array.isArray(outcome) ? { summary: outcome, partial: false } : outcome;
          this.finish(entry, controller.signal.aborted ? 'cancelled' : partial ? 'partial' : 'succeeded', summary, null);
        },
        (error: unknown) =>
          this.finish(entry, controller.signal.aborted ? 'cancelled' : 'failed', [], (error as Error)?.message ?? String(error)),
      );
    });
    return { ...state };
  }

  get(id: string, userId: number): JobState {
    return { ...this.entry(id, userId).state };
  }

  cancel(id: string, userId: number): JobState {
    const entry = this.entry(id, userId);
    if (entry.state.state === 'running') entry.controller.abort();
    return { ...entry.state };
  }

  private entry(id: string, userId: number): Entry {
    const entry = this.jobs.get(id);
    if (!entry) throw notFound(`there is no job '${id}' (finished jobs are forgotten after a while, and on restart)`);
    if (entry.owner !== userId) throw forbidden('this job belongs to another user');
    return entry;
  }

  private finish(entry: Entry, state: JobState['state'], summary: string[], error: string | null): void {
    Object.assign(entry.state, { state, summary, error, phase: state === 'succeeded' ? 'done' : state });
    this.emit(entry);
  }

  private emit(entry: Entry, at = Date.now()): void {
    entry.lastEmit = at;
    this.emitter.emit(
      'event',
      { type: 'job', job: { ...entry.state, summary: [...entry.state.summary] } } satisfies ShelfEvent,
      entry.owner,
    );
  }

  /** An event for every signed-in user (the package list changed), forwarded by the same transports as job progress. */
  broadcast(event: ShelfEvent): void {
    this.emitter.emit('event', event, null);
  }

  /** An event for one user's pages only: a remote Shelf's events relayed to the local user acting on it. */
  relay(event: ShelfEvent, owner: number): void {
    this.emitter.emit('event', event, owner);
  }

  private prune(): void {
    const finished = [...this.jobs.values()].filter((e) => e.state.state !== 'running');
    for (const entry of finished.slice(0, Math.max(0, finished.length - KEEP_FINISHED))) this.jobs.delete(entry.state.id);
  }
}
