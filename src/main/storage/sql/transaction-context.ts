// Which transaction an async context is in, for both SQL adapters (sqlite.ts, postgres.ts): statements made inside a
// transaction's callback join it, wherever they are awaited from.
//
// Node 20's AsyncLocalStorage turns on async hooks for the whole process the first time it is used, and leaves them on:
// from then on every promise, nextTick and socket write of every request pays an init hook, including the hot GETs
// that never touch a transaction (issue 16). So the storage is switched off whenever no transaction is open, which
// switches the hooks off too (nothing else in Shelf uses them; the AWS SDK's own use keeps them on in S3 mode only).
import { AsyncLocalStorage } from 'node:async_hooks';

export class TransactionContext<T> {
  private readonly storage = new AsyncLocalStorage<T>();
  private open = 0;

  /** The transaction this async context runs in, if any is open. */
  current(): T | undefined {
    return this.open === 0 ? undefined : this.storage.getStore();
  }

  /** Runs `fn` with `tx` as its context's transaction; the last one to end switches the storage (and the hooks) off. */
  async run<R>(tx: T, fn: () => Promise<R>): Promise<R> {
    this.open++;
    try {
      return await this.storage.run(tx, fn);
    } finally {
      if (--this.open === 0) this.storage.disable();
    }
  }
}
