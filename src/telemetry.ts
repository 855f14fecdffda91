/**
 * The events stoa reports where its decisions are made (design.md: hit or miss in the service,
 * upstream calls in the sources, coalesced waiters in the coalescer). Metrics (prom-client), /stats
 * and logs are built on these events; every label comes from a closed set, never a module path
 * (module paths only go to /stats' top-modules table, which is bounded).
 */

export type ArtifactKind = 'list' | 'latest' | 'info' | 'mod' | 'zip';
export type CacheOutcome = 'hit' | 'miss' | 'stale' | 'coalesced';
export type UpstreamSource = 'github' | 'git' | 'discovery' | 'sumdb';
export type UpstreamOperation = 'info-refs' | 'ls-refs' | 'fetch' | 'go-get' | 'lookup' | 'tile' | 'latest';

export interface RequestEvent {
  /** Route pattern: list, latest, info, mod, zip, sumdb, ops, other. */
  endpoint: string;
  method: string;
  status: number;
  durationMs: number;
  bytes: number;
  cache: CacheOutcome | undefined;
  /** Module path of a GOPROXY request (for the bounded top-modules table only). */
  module: string | undefined;
  /** The request path as sent (for logs only; never a metric label). */
  path: string;
}

export interface UpstreamEvent {
  source: UpstreamSource;
  operation: UpstreamOperation;
  ok: boolean;
  status: number;
  bytes: number;
  durationMs: number;
}

export interface FillEvent {
  kind: 'version' | 'list' | 'latest' | 'stat';
  module: string;
  version: string | undefined;
  durationMs: number;
  outcome: 'ok' | 'not_found' | 'error';
  error: string | undefined;
}

export interface Telemetry {
  request(e: RequestEvent): void;
  cacheLookup(kind: ArtifactKind, outcome: CacheOutcome): void;
  upstream(e: UpstreamEvent): void;
  fill(e: FillEvent): void;
}

/** Fans events out to several sinks. */
export function combineTelemetry(...sinks: Telemetry[]): Telemetry {
  return {
    request: (e) => sinks.forEach((s) => s.request(e)),
    cacheLookup: (k, o) => sinks.forEach((s) => s.cacheLookup(k, o)),
    upstream: (e) => sinks.forEach((s) => s.upstream(e)),
    fill: (e) => sinks.forEach((s) => s.fill(e)),
  };
}
