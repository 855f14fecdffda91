/**
 * One in-flight fill per key. The first caller starts the work; later callers with the same key
 * wait for the same promise. The work runs on its own deadline (never on a caller's signal): a
 * caller that goes away only stops waiting. A finished fill, failed or not, is forgotten at once,
 * so failures are never cached here.
 */

export interface CoalescedResult<T> {
  value: T;
  /** True when this caller joined a fill someone else started. */
  coalesced: boolean;
}

export interface CoalescerStats {
  inFlight: number;
  /** Callers currently waiting on a fill they did not start. */
  waiters: number;
}

export interface Coalescer {
  run<T>(
    key: string,
    work: (signal: AbortSignal) => Promise<T>,
    waiterSignal?: AbortSignal,
  ): Promise<CoalescedResult<T>>;
  stats(): CoalescerStats;
  /** Resolves when no fill is in flight (for graceful shutdown). */
  idle(): Promise<void>;
}

export interface CoalescerOptions {
  /** Deadline of one fill, in milliseconds. */
  timeoutMs: number;
}

export function createCoalescer(options: CoalescerOptions): Coalescer {
  const inFlight = new Map<string, Promise<unknown>>();
  let waiters = 0;
  let idleResolvers: (() => void)[] = [];

  function settleIdle(): void {
    if (inFlight.size > 0) return;
    const rs = idleResolvers;
    idleResolvers = [];
    for (const r of rs) r();
  }

  function start<T>(key: string, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const signal = AbortSignal.timeout(options.timeoutMs);
    const p = (async () => {
      try {
        return await work(signal);
      } finally {
        inFlight.delete(key);
        settleIdle();
      }
    })();
    inFlight.set(key, p);
    return p;
  }

  return {
    async run<T>(key: string, work: (signal: AbortSignal) => Promise<T>, waiterSignal?: AbortSignal) {
      const existing = inFlight.get(key) as Promise<T> | undefined;
      const coalesced = existing !== undefined;
      const p = existing ?? start(key, work);
      if (coalesced) waiters++;
      try {
        const value = await abortable(p, waiterSignal);
        return { value, coalesced };
      } finally {
        if (coalesced) waiters--;
      }
    },
    stats() {
      return { inFlight: inFlight.size, waiters };
    },
    idle() {
      if (inFlight.size === 0) return Promise.resolve();
      return new Promise((resolve) => idleResolvers.push(resolve));
    },
  };
}

/** Waits for p, or rejects with the signal's reason when the signal aborts first (p keeps running). */
export function abortable<T>(p: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return p;
  if (signal.aborted) {
    p.catch(() => undefined); // the fill's own outcome is reported by its owner
    return Promise.reject(signal.reason as Error);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}
