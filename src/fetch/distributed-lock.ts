/**
 * Cross-replica coalescing: one fill per key across every replica sharing a Redis.
 *
 * `runExclusive(key, work, { isDone, signal })`:
 * - tries `SET lock:<key> <token> NX PX ttl`. The holder first checks `isDone()` (a replica may have
 *   finished just before), then runs `work`, renewing the TTL every `renewMs` (Lua
 *   compare-and-pexpire), publishes the outcome on `done:<key>` and releases the lock (Lua
 *   compare-and-delete). Result `{ ran: true, value }`.
 * - a non-holder waits: it listens on `done:<key>` and, every `pollMs` as a safety net, asks
 *   `isDone()` (the shared store) and tries the lock again. Completion gives `{ ran: false }` (the
 *   caller reads the store); a published failure is rethrown as the same kind of error (nothing is
 *   cached: the next call tries again). A holder that dies stops renewing, its lock expires after
 *   the TTL, and a waiter takes it and runs the fill itself.
 * - a failing `isDone()` is asked again at the next poll (a holder lets the lock go meanwhile);
 *   after a few failures in a row with the lock in hand, `work` runs and reports the failure itself.
 * - when Redis is unreachable (or fails mid-way), `work` simply runs: in-process coalescing only.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { abortable } from './coalescer.js';
import { createRedisConnection, type RedisConnectionOptions } from './redis-connection.js';
import { fillErrorFromWire, fillErrorToWire, type WireError } from './fill-outcome.js';

export interface RunExclusiveOptions {
  /** True once the result of `work` is complete in the shared store. */
  isDone: () => Promise<boolean>;
  /** Stops waiting (rejects with its reason). A running `work` is not interrupted. */
  signal?: AbortSignal;
}

export type ExclusiveResult<T> = { ran: true; value: T } | { ran: false };

export interface DistributedLocks {
  runExclusive<T>(
    key: string,
    work: () => Promise<T>,
    options: RunExclusiveOptions,
  ): Promise<ExclusiveResult<T>>;
  close(): Promise<void>;
}

export interface RedisLocksOptions extends RedisConnectionOptions {
  /** Lock lifetime without renewal: how long a dead holder blocks the others. */
  ttlMs: number;
  /** Renewal period of a live holder (well under ttlMs). */
  renewMs: number;
  /** How often a waiter checks the store and the lock (besides the published message). */
  pollMs: number;
  /** Prefix of the keys and channels; default `stoa:`. */
  prefix?: string;
  /** Written into the lock token so operators (and tests) can see the holder; default host/pid. */
  owner?: string;
}

const RENEW = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

/** Store reads that may fail in a row, lock in hand, before the fill runs regardless. */
const MAX_STORE_FAILURES = 3;

interface DoneMessage {
  ok: boolean;
  error?: WireError;
}

type Wake = { kind: 'poll' } | { kind: 'message'; message: DoneMessage };

export function createRedisLocks(options: RedisLocksOptions): DistributedLocks {
  const conn = createRedisConnection(options);
  const redis = conn.client;
  const prefix = options.prefix ?? 'stoa:';
  const owner = options.owner ?? `${hostname()}/${process.pid}`;
  const log = options.logger;

  /** 'acquired', 'held' (by someone else), or 'unavailable' (Redis failed: fall back). */
  async function tryAcquire(lockKey: string, token: string): Promise<'acquired' | 'held' | 'unavailable'> {
    if (!(await conn.usable())) return 'unavailable';
    try {
      const r = await redis.set(lockKey, token, 'PX', options.ttlMs, 'NX');
      return r === 'OK' ? 'acquired' : 'held';
    } catch (err) {
      conn.failed(err);
      return 'unavailable';
    }
  }

  /** Renews the lock every renewMs from the moment it is taken; returns the stop function. */
  function keepRenewed(key: string, lockKey: string, token: string): () => void {
    let lost = false;
    const timer = setInterval(() => {
      redis.eval(RENEW, 1, lockKey, token, String(options.ttlMs)).then(
        (r) => {
          if (r === 0 && !lost) {
            lost = true;
            log?.warn({ key }, 'fill lock expired before it could be renewed; another replica may fill too');
          }
        },
        (err: unknown) => conn.failed(err),
      );
    }, options.renewMs);
    timer.unref();
    return () => clearInterval(timer);
  }

  /** Releases the lock if this token still holds it. */
  async function release(lockKey: string, token: string): Promise<void> {
    await redis.eval(RELEASE, 1, lockKey, token).catch(conn.failed);
  }

  /** Runs `work` with the lock in hand, then publishes its outcome and releases the lock. */
  async function hold<T>(
    key: string,
    lockKey: string,
    token: string,
    work: () => Promise<T>,
    stopRenewing: () => void,
  ): Promise<T> {
    const finish = async (message: DoneMessage): Promise<void> => {
      stopRenewing();
      // Publish, then release: a waiter woken by the message finds the artifact in the store.
      await redis.publish(`${prefix}done:${key}`, JSON.stringify(message)).catch(conn.failed);
      await release(lockKey, token);
    };
    let value: T;
    try {
      value = await work();
    } catch (err) {
      await finish({ ok: false, error: fillErrorToWire(err) });
      throw err;
    }
    await finish({ ok: true });
    return value;
  }

  return {
    async runExclusive(key, work, { isDone: storeSaysDone, signal }) {
      // A store that fails to answer says neither: wait and ask again, a few times at most.
      const isDone = (): Promise<boolean | 'unknown'> => storeSaysDone().catch(() => 'unknown' as const);
      let storeFailures = 0;
      const lockKey = `${prefix}lock:${key}`;
      const token = `${owner}/${randomUUID()}`;
      if (!(await conn.usable())) return { ran: true, value: await work() };

      // Listen before the first look at the lock, so a completion in between is not missed.
      let wake: ((w: Wake) => void) | undefined;
      let pending: DoneMessage | undefined;
      const stop = await conn.listen(`${prefix}done:${key}`, (raw) => {
        const message = parseDone(raw);
        if (!message) return;
        if (wake) wake({ kind: 'message', message });
        else pending = message;
      });
      try {
        for (;;) {
          signal?.throwIfAborted();
          const got = await tryAcquire(lockKey, token);
          if (got === 'unavailable') return { ran: true, value: await work() };
          if (got === 'acquired') {
            // Renewed from the moment it is taken: the store check below may be slow too.
            const stopRenewing = keepRenewed(key, lockKey, token);
            const done = await isDone();
            // After repeated store failures the fill runs anyway: its own reads report the failure.
            if (done === false || (done === 'unknown' && ++storeFailures > MAX_STORE_FAILURES)) {
              return { ran: true, value: await hold(key, lockKey, token, work, stopRenewing) };
            }
            stopRenewing();
            await release(lockKey, token);
            if (done === true) return { ran: false };
          } else if ((await isDone()) === true) {
            return { ran: false };
          }
          const w = await nextWake();
          if (w.kind === 'message') {
            if (!w.message.ok) throw fillErrorFromWire(w.message.error);
            if ((await isDone()) === true) return { ran: false };
          }
        }
      } finally {
        stop();
      }

      function nextWake(): Promise<Wake> {
        if (pending) {
          const message = pending;
          pending = undefined;
          return Promise.resolve({ kind: 'message', message });
        }
        const p = new Promise<Wake>((resolve) => {
          const timer = setTimeout(() => resolve({ kind: 'poll' }), options.pollMs);
          wake = (w) => {
            clearTimeout(timer);
            resolve(w);
          };
        }).finally(() => (wake = undefined));
        return abortable(p, signal);
      }
    },
    close: () => conn.close(),
  };
}

function parseDone(raw: string): DoneMessage | null {
  try {
    const v = JSON.parse(raw) as unknown;
    if (typeof v !== 'object' || v === null || typeof (v as { ok?: unknown }).ok !== 'boolean') return null;
    return v as DoneMessage;
  } catch {
    return null;
  }
}

/** Renewal and polling periods that suit a lock TTL: renew every third, poll every quarter (≤ 1 s). */
export function lockTimings(ttlMs: number): { ttlMs: number; renewMs: number; pollMs: number } {
  return {
    ttlMs,
    renewMs: Math.max(30, Math.floor(ttlMs / 3)),
    pollMs: Math.min(1000, Math.max(25, Math.floor(ttlMs / 4))),
  };
}
