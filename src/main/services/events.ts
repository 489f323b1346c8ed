// A small in-process bus for "something about the packages changed" (a publish, unpublish, tag, deprecation, owner or access
// change, from any door: npm, /api/v1 or the UI). The UI transports (IPC, server-sent events) forward it so open screens
// refresh their lists. It carries no package name: every signed-in page hears it, and a restricted package's name must not
// reach users who cannot see it.
import { EventEmitter } from 'node:events';

export class PackageEvents {
  private readonly emitter = new EventEmitter();

  constructor() {
    // One listener per open window or browser stream; no fixed bound is right.
    this.emitter.setMaxListeners(0);
  }

  changed(): void {
    this.emitter.emit('changed');
  }

  /** Returns the unsubscribe function. */
  subscribe(listener: () => void): () => void {
    this.emitter.on('changed', listener);
    return () => this.emitter.off('changed', listener);
  }
}
