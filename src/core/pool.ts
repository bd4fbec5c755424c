// Concurrency limits: a pool that maps over items a few at a time, and the connections that downloads share.
import { CancelledError } from './errors.ts';

/** Runs fn over items with at most `limit` at once; settles all, like Promise.allSettled. */
export async function mapSettled<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<PromiseSettledResult<R>[]> {
  const results: PromiseSettledResult<R>[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      try {
        results[i] = { status: 'fulfilled', value: await fn(items[i] as T, i) };
      } catch (reason) {
        results[i] = { status: 'rejected', reason };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}

/**
 * A fixed number of connections ('parallel-downloads') shared by every download: a file holds one while it
 * streams, and a large file asks for more to fetch byte ranges at once. A freed connection goes to the
 * earliest file in the list that wants one, so the files complete in list order, the order the digest reads
 * them in, instead of all at once at the end.
 */
export class ConnectionBudget {
  readonly size: number;
  #free: number;
  #seq = 0;
  /** Sorted by (order, arrival). Not empty only while no connection is free. */
  #waiting: Array<{ order: number; seq: number; grant: () => void }> = [];

  constructor(size: number) {
    this.size = Math.max(1, size);
    this.#free = this.size;
  }

  /** Resolves with the function that gives the connection back (once; calling it again does nothing). */
  acquire(order: number, signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted) return Promise.reject(new CancelledError());
    if (this.#free > 0) {
      this.#free--;
      return Promise.resolve(this.#lease());
    }
    return new Promise((resolve, reject) => {
      const onAbort = (): void => {
        this.#waiting = this.#waiting.filter((w) => w !== waiter);
        reject(new CancelledError());
      };
      const waiter = {
        order,
        seq: this.#seq++,
        grant: (): void => {
          signal?.removeEventListener('abort', onAbort);
          resolve(this.#lease());
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      const at = this.#waiting.findIndex((w) => w.order > order);
      this.#waiting.splice(at < 0 ? this.#waiting.length : at, 0, waiter);
    });
  }

  #lease(): () => void {
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      const next = this.#waiting.shift();
      if (next) next.grant();
      else this.#free++;
    };
  }
}
