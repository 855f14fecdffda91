/**
 * Recently answered "not found"s, kept in memory for a short TTL so that repeated probes (the go
 * command asks parent paths; CI fleets repeat the same typo) do not reach the upstream each time.
 * Bounded: the oldest entries go first.
 */
import { NotFoundError } from '../errors.js';

export interface NegativeCache {
  /** Throws the remembered NotFoundError when `key` is negatively cached. */
  check(key: string): void;
  remember(key: string, err: NotFoundError): void;
  readonly size: number;
}

export function createNegativeCache(ttlMs: number, maxEntries = 10_000, now = Date.now): NegativeCache {
  const entries = new Map<string, { message: string; until: number }>();
  return {
    check(key) {
      if (ttlMs <= 0) return;
      const e = entries.get(key);
      if (!e) return;
      if (e.until <= now()) {
        entries.delete(key);
        return;
      }
      throw new NotFoundError(e.message);
    },
    remember(key, err) {
      if (ttlMs <= 0) return;
      entries.delete(key);
      if (entries.size >= maxEntries) {
        const oldest = entries.keys().next().value;
        if (oldest !== undefined) entries.delete(oldest);
      }
      entries.set(key, { message: err.message, until: now() + ttlMs });
    },
    get size() {
      return entries.size;
    },
  };
}
