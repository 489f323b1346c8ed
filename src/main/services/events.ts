// A small bus for "something about the packages changed" (a publish, unpublish, tag, deprecation, owner or access
// change, from any door: npm, /api/v1 or the UI). The UI transports (IPC, server-sent events) forward it so open screens
// refresh their lists. It carries no package name: every signed-in page hears it, and a restricted package's name must not
// reach users who cannot see it.
//
// In team mode (several nodes on one PostgreSQL) a change made through one node must reach the pages open on every
// node: each event also goes to the other nodes through the metadata store's broadcast (NOTIFY), and what they
// broadcast is emitted here as if it happened here. Other services' UI events (the policy's hold/takedown toasts) take
// the same road through share().
import { EventEmitter } from 'node:events';
import type { MetadataDb } from '../storage/sql/port';

/** What of the metadata store carries events between nodes (SQLite: nothing to carry, one process). */
export type NodeLink = Pick<MetadataDb, 'broadcast' | 'onBroadcast'>;

const CHANGED = 'packages.changed';

export class PackageEvents {
  private readonly emitter = new EventEmitter();
  private readonly receivers = new Map<string, (payload: string) => void>();
  private readonly stopHearing: () => void;

  constructor(
    private readonly link?: NodeLink,
    private readonly warn: (message: string) => void = () => undefined,
  ) {
    // One listener per open window or browser stream; no fixed bound is right.
    this.emitter.setMaxListeners(0);
    this.receivers.set(CHANGED, () => this.emitter.emit('changed'));
    this.stopHearing = link?.onBroadcast((channel, payload) => this.receivers.get(channel)?.(payload)) ?? (() => undefined);
  }

  changed(): void {
    this.emitter.emit('changed');
    this.send(CHANGED, '');
  }

  /** Returns the unsubscribe function. */
  subscribe(listener: () => void): () => void {
    this.emitter.on('changed', listener);
    return () => this.emitter.off('changed', listener);
  }

  /**
   * Carries another service's events between nodes: what `subscribe` reports here goes to the other nodes, and what they
   * send is handed to `hear` (which must tell that service's listeners synchronously, as an EventEmitter does, and
   * nothing else: no webhook again). An event heard from another node is not sent on, or the nodes would echo it for ever.
   */
  share<T>(channel: string, subscribe: (listener: (event: T) => void) => () => void, hear: (event: T) => void): () => void {
    let hearing = false;
    this.receivers.set(channel, (payload) => {
      hearing = true;
      try {
        hear(JSON.parse(payload) as T);
      } finally {
        hearing = false;
      }
    });
    const unsubscribe = subscribe((event) => {
      if (!hearing) this.send(channel, JSON.stringify(event));
    });
    return () => {
      unsubscribe();
      this.receivers.delete(channel);
    };
  }

  /** Stops hearing other nodes (the store is closing). */
  close(): void {
    this.stopHearing();
  }

  private send(channel: string, payload: string): void {
    // An event that does not reach the other nodes costs their pages a refresh, never data: it must not fail the write.
    this.link
      ?.broadcast(channel, payload)
      .catch((error: Error) => this.warn(`could not tell the other nodes (${channel}): ${error.message}`));
  }
}
