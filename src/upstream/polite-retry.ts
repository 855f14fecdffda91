/**
 * Which upstream failures are worth another attempt, and how long to wait before it: exponential
 * backoff with full jitter (a uniform delay between 0 and the doubled ceiling, so a crowd of
 * retrying fills spreads out instead of hitting a recovering host in lockstep).
 */
import { UpstreamError, UpstreamTimeoutError } from '../errors.js';

/** `errorForStatus` (src/git/http-status.ts) writes `<where>: HTTP <status>[: <detail>]`. */
const SERVER_ERROR_RE = /: HTTP 5\d\d(?:: |$)/;

/** Socket-level failures (undici and Node messages) and replies cut off mid-way. */
const NETWORK_RE =
  /other side closed|socket hang up|\bterminated\b|ECONNRESET|ECONNREFUSED|ECONNABORTED|EPIPE|ETIMEDOUT|EAI_AGAIN|ENETUNREACH|EHOSTUNREACH|network socket disconnected|fetch failed|early EOF|truncated|no pack data received/i;

/**
 * True for network errors, 5xx answers and timeouts. Never for NotFound, RateLimited (the circuit
 * handles those), a rejected token, 4xx answers or corrupt/protocol-violating data.
 */
export function isRetryable(err: unknown): boolean {
  if (err instanceof UpstreamTimeoutError) return true;
  if (!(err instanceof UpstreamError)) return false;
  return SERVER_ERROR_RE.test(err.message) || NETWORK_RE.test(err.message);
}

export interface BackoffOptions {
  /** Ceiling of the first retry's delay. */
  baseMs: number;
  /** Largest ceiling, however many retries came before. */
  maxMs: number;
  /** Uniform in [0, 1); default Math.random. */
  random?: () => number;
}

/** Delay before retry number `retry` (0 for the first retry): uniform in [0, min(max, base·2^retry)). */
export function backoffDelay(retry: number, options: BackoffOptions): number {
  const ceiling = Math.min(options.maxMs, options.baseMs * 2 ** Math.max(0, retry));
  const r = (options.random ?? Math.random)();
  return Math.floor(Math.min(Math.max(r, 0), 1) * ceiling);
}

/** Resolves after `ms`, or rejects with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason as Error);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason as Error);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
