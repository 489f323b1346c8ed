// Claims on blobs by writes in this process, shared by both blob store adapters.

/**
 * Blobs a write is working with right now, by integrity (a count, since two publishes may share one tarball). A claim
 * lasts from the start of put() until the turn after it resolved: the caller's commit (publish, mirror) runs in its
 * continuation, so until the row is in, neither the collector nor a removal can take the blob from under it.
 */
export class Claims {
  private readonly counts = new Map<string, number>();

  /** Claims the blob for the duration of `write`, released on the turn after the caller's continuation has run. */
  async around<T>(integrity: string, write: () => Promise<T>): Promise<T> {
    this.counts.set(integrity, (this.counts.get(integrity) ?? 0) + 1);
    try {
      return await write();
    } finally {
      setImmediate(() => this.release(integrity));
    }
  }

  has(integrity: string): boolean {
    return this.counts.has(integrity);
  }

  private release(integrity: string): void {
    const count = (this.counts.get(integrity) ?? 1) - 1;
    if (count <= 0) this.counts.delete(integrity);
    else this.counts.set(integrity, count);
  }
}
