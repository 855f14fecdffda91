/**
 * Bounds the number of fills running at once (p-limit). Sits inside the coalescer, so duplicate
 * requests never take a slot, and is never consulted for cache hits.
 */
import pLimit from 'p-limit';

export interface Limiter {
  run<T>(work: () => Promise<T>): Promise<T>;
  /** Fills running now. */
  readonly active: number;
  /** Fills waiting for a slot. */
  readonly pending: number;
}

export function createLimiter(concurrency: number): Limiter {
  const limit = pLimit(concurrency);
  return {
    run: (work) => limit(work),
    get active() {
      return limit.activeCount;
    },
    get pending() {
      return limit.pendingCount;
    },
  };
}
