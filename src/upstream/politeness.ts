/**
 * Upstream politeness, per host: at most N requests at once (p-limit), bounded retries with
 * exponential backoff and full jitter for network errors, 5xx answers and timeouts, and a circuit
 * that a rate-limit answer (429, or 403 with rate-limit headers) opens until the host's reset time.
 * While a host's circuit is open every call fails at once with RateLimitedError (carrying the
 * seconds left) and the host is not contacted.
 *
 * `politeRemote` routes every GitRemote method through the gate; `politeFetchText` does the same
 * for the go-import discovery GET.
 */
import pLimit, { type LimitFunction } from 'p-limit';
import { RateLimitedError, UpstreamError, UpstreamTimeoutError, isStoaError } from '../errors.js';
import type { GitRemote } from '../git/remote.js';
import type { FetchText } from './go-import.js';
import { backoffDelay, isRetryable, sleep } from './polite-retry.js';

export interface HostGateOptions {
  /** Calls running at once per host. */
  concurrency: number;
  /** Extra attempts after the first, for retryable failures only. */
  retries: number;
  /** Ceiling of the first retry's delay; doubles per retry. Default 250 ms. */
  retryBaseMs?: number;
  /** Largest backoff ceiling. Default 10 s. */
  retryMaxMs?: number;
  /** How long the circuit stays open when the host gave no reset time. Default 60 s. */
  rateLimitWaitMs?: number;
  /** Longest a circuit stays open, whatever the host says. Default 1 h. */
  maxCircuitMs?: number;
  /** Jitter source, uniform in [0, 1). Default Math.random. */
  random?: () => number;
  onEvent?: (e: GateEvent) => void;
}

export type GateEvent =
  | { type: 'retry'; host: string; retry: number; delayMs: number; error: string }
  | { type: 'circuit-open'; host: string; seconds: number }
  | { type: 'circuit-rejected'; host: string; remainingSeconds: number };

export interface HostState {
  /** Calls running now. */
  active: number;
  /** Calls waiting for a slot. */
  pending: number;
  /** Milliseconds until the circuit closes; 0 when closed. */
  circuitOpenMs: number;
}

export interface HostGate {
  /**
   * Runs `work` for `host` inside its concurrency limit, retrying retryable failures. `work` must
   * honour `signal` itself; the gate never retries once it aborted and rethrows its reason.
   */
  run<T>(host: string, work: () => Promise<T>, signal?: AbortSignal): Promise<T>;
  state(host: string): HostState;
}

/** Thrown without contacting the host while its circuit is open. */
export class CircuitOpenError extends RateLimitedError {}

interface Host {
  limit: LimitFunction;
  openUntil: number;
}

const MAX_IDLE_HOSTS = 1024;

export function createHostGate(options: HostGateOptions): HostGate {
  const retryBaseMs = options.retryBaseMs ?? 250;
  const retryMaxMs = options.retryMaxMs ?? 10_000;
  const rateLimitWaitMs = options.rateLimitWaitMs ?? 60_000;
  const maxCircuitMs = options.maxCircuitMs ?? 3_600_000;
  const hosts = new Map<string, Host>();

  function hostFor(name: string): Host {
    let h = hosts.get(name);
    if (h) return h;
    if (hosts.size >= MAX_IDLE_HOSTS) prune();
    h = { limit: pLimit(options.concurrency), openUntil: 0 };
    hosts.set(name, h);
    return h;
  }

  /** Forgets hosts with nothing running, queued or blocked (discovery may meet many hosts). */
  function prune(): void {
    const now = Date.now();
    for (const [name, h] of hosts) {
      if (h.limit.activeCount === 0 && h.limit.pendingCount === 0 && h.openUntil <= now) hosts.delete(name);
    }
  }

  function checkCircuit(name: string, h: Host): void {
    const left = h.openUntil - Date.now();
    if (left <= 0) return;
    const remainingSeconds = Math.ceil(left / 1000);
    options.onEvent?.({ type: 'circuit-rejected', host: name, remainingSeconds });
    throw new CircuitOpenError(
      `${name}: upstream rate limit in effect, not contacting it for ${remainingSeconds} s`,
      { retryAfterSeconds: remainingSeconds },
    );
  }

  /** Opens (or extends) the circuit; returns the error to give the caller, with a retry time. */
  function openCircuit(name: string, h: Host, err: RateLimitedError): RateLimitedError {
    const given = err.retryAfterSeconds;
    const wantMs = given === undefined ? rateLimitWaitMs : given * 1000;
    const ms = Math.min(maxCircuitMs, Math.max(1000, wantMs));
    h.openUntil = Math.max(h.openUntil, Date.now() + ms);
    const seconds = Math.ceil((h.openUntil - Date.now()) / 1000);
    options.onEvent?.({ type: 'circuit-open', host: name, seconds });
    if (given !== undefined) return err;
    return new RateLimitedError(err.message, { cause: err, retryAfterSeconds: seconds });
  }

  /** One attempt inside the host's limit; an abort while still queued rejects at once. */
  function attempt<T>(name: string, h: Host, work: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    let started = false;
    const queued = h.limit(async () => {
      started = true;
      signal?.throwIfAborted();
      // the circuit may have opened while this call waited for a slot
      checkCircuit(name, h);
      try {
        return await work();
      } catch (err) {
        // opened before the slot is released, so no queued call slips through to the host
        if (err instanceof RateLimitedError && !(err instanceof CircuitOpenError))
          throw openCircuit(name, h, err);
        throw err;
      }
    });
    if (!signal) return queued;
    return new Promise<T>((resolve, reject) => {
      const onAbort = (): void => {
        if (!started) reject(signal.reason as Error);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      queued.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
    });
  }

  return {
    async run(name, work, signal) {
      const h = hostFor(name);
      for (let retry = 0; ; retry++) {
        signal?.throwIfAborted();
        checkCircuit(name, h);
        try {
          return await attempt(name, h, work, signal);
        } catch (err) {
          if (signal?.aborted) throw signal.reason;
          if (err instanceof RateLimitedError) throw err;
          if (retry >= options.retries || !isRetryable(err)) throw err;
          const delayMs = backoffDelay(retry, {
            baseMs: retryBaseMs,
            maxMs: retryMaxMs,
            random: options.random,
          });
          const error = err instanceof Error ? err.message : String(err);
          options.onEvent?.({ type: 'retry', host: name, retry: retry + 1, delayMs, error });
          await sleep(delayMs, signal);
        }
      }
    },

    state(name) {
      const h = hosts.get(name);
      if (!h) return { active: 0, pending: 0, circuitOpenMs: 0 };
      return {
        active: h.limit.activeCount,
        pending: h.limit.pendingCount,
        circuitOpenMs: Math.max(0, h.openUntil - Date.now()),
      };
    },
  };
}

/** The gate's key for a URL: its host (with port), lower-cased. */
export function hostOf(url: string): string {
  try {
    return new URL(url).host.toLowerCase();
  } catch {
    return url;
  }
}

/** A GitRemote whose every call goes through `gate` for `host`; BlobSets pass through unchanged. */
export function politeRemote(remote: GitRemote, gate: HostGate, host: string): GitRemote {
  return {
    stats: remote.stats,
    listRefs: (signal) => gate.run(host, () => remote.listRefs(signal), signal),
    readCommit: (oid, signal) => gate.run(host, () => remote.readCommit(oid, signal), signal),
    commitGraph: (tips, known, signal) =>
      gate.run(host, () => remote.commitGraph(tips, known, signal), signal),
    readTree: (commit, signal) => gate.run(host, () => remote.readTree(commit, signal), signal),
    fetchBlobs: (oids, signal) => gate.run(host, () => remote.fetchBlobs(oids, signal), signal),
  };
}

function discoveryFailure(url: string, err: unknown, signal: AbortSignal): unknown {
  if (signal.aborted) return signal.reason;
  if (isStoaError(err)) return err;
  if (err instanceof Error && err.name === 'TimeoutError') {
    return new UpstreamTimeoutError(`go-get discovery ${url}: no answer in time`);
  }
  const code = err instanceof Error ? (err.cause as { code?: unknown } | undefined)?.code : undefined;
  const msg = err instanceof Error ? err.message : String(err);
  return new UpstreamError(`go-get discovery ${url}: ${msg}${typeof code === 'string' ? ` (${code})` : ''}`);
}

/**
 * go-import discovery through the gate: 429 opens the host's circuit (thrown as RateLimitedError),
 * 5xx answers and network failures are retried; other answers are returned as they are.
 */
export function politeFetchText(fetchText: FetchText, gate: HostGate): FetchText {
  return (url, signal) =>
    gate.run(
      hostOf(url),
      async () => {
        let res: { status: number; body: string };
        try {
          res = await fetchText(url, signal);
        } catch (err) {
          throw discoveryFailure(url, err, signal);
        }
        if (res.status === 429)
          throw new RateLimitedError(`go-get discovery ${url}: rate limited (HTTP 429)`);
        if (res.status >= 500) throw new UpstreamError(`go-get discovery ${url}: HTTP ${res.status}`);
        return res;
      },
      signal,
    );
}
