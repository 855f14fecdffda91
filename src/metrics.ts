/**
 * Every Prometheus metric stoa exports: names, help, labels and buckets, in this one file. Each
 * call of createMetrics builds its own prom-client Registry (no global registry), so several
 * servers in one process never share counters. Every label value comes from a closed set; module
 * paths never become labels.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { ArtifactKind, UpstreamOperation, UpstreamSource } from './telemetry.js';

export const ENDPOINTS = ['list', 'latest', 'info', 'mod', 'zip', 'sumdb', 'ops', 'other'] as const;
export type EndpointLabel = (typeof ENDPOINTS)[number];
export const ARTIFACT_KINDS: readonly ArtifactKind[] = ['list', 'latest', 'info', 'mod', 'zip'];
export const CACHE_RESULTS = ['hit', 'miss', 'stale'] as const;
export const UPSTREAM_OUTCOMES = ['ok', 'client_error', 'server_error', 'failed'] as const;
export type UpstreamOutcome = (typeof UPSTREAM_OUTCOMES)[number];
export const UPSTREAM_PAIRS: readonly (readonly [UpstreamSource, UpstreamOperation])[] = [
  ['github', 'info-refs'],
  ['github', 'ls-refs'],
  ['github', 'fetch'],
  ['git', 'info-refs'],
  ['git', 'ls-refs'],
  ['git', 'fetch'],
  ['discovery', 'go-get'],
  ['sumdb', 'lookup'],
  ['sumdb', 'tile'],
  ['sumdb', 'latest'],
];
export const AVOIDED_REASONS = ['cache_hit', 'coalesced'] as const;
export type AvoidedReason = (typeof AVOIDED_REASONS)[number];
export const FILL_KINDS = ['version', 'list', 'latest', 'stat'] as const;
export const FILL_OUTCOMES = ['ok', 'not_found', 'error'] as const;
export const STORE_OPERATIONS = ['get', 'head', 'put', 'list', 'delete', 'ping'] as const;
export type StoreOperation = (typeof STORE_OPERATIONS)[number];

/** Seconds; requests range from sub-millisecond hits to multi-second zip streams. */
const REQUEST_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
/** Seconds; a fill clones from a git host and may take minutes for a large repository. */
const FILL_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];
const STORE_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

const LINT_FAILING_DEFAULTS = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
];

/** Live values read at scrape time. */
export interface LiveGauges {
  /** Fills running or waiting (distinct keys in the coalescer). */
  fillsInFlight(): number;
  /** Fills waiting for a limiter slot. */
  fillQueueDepth(): number;
  /** Callers waiting on a fill someone else started. */
  coalescedWaiters(): number;
}

export interface Metrics {
  readonly registry: Registry;
  readonly requests: Counter<'endpoint' | 'code'>;
  readonly requestDuration: Histogram<'endpoint'>;
  readonly responseBytes: Counter<'endpoint'>;
  readonly cacheLookups: Counter<'kind' | 'result'>;
  readonly upstreamRequests: Counter<'source' | 'operation' | 'outcome'>;
  readonly upstreamDuration: Histogram<'source' | 'operation'>;
  readonly upstreamBytes: Counter<'source'>;
  readonly avoided: Counter<'reason'>;
  readonly fillDuration: Histogram<'kind' | 'outcome'>;
  readonly storeOperations: Counter<'backend' | 'operation'>;
  readonly storeErrors: Counter<'backend' | 'operation'>;
  readonly storeDuration: Histogram<'backend' | 'operation'>;
  /** Creates the zero-valued series of one store backend (so dashboards see them before traffic). */
  initStoreBackend(backend: string): void;
}

export interface MetricsOptions {
  live?: LiveGauges;
  /** prom-client's default process and Node.js metrics (default true). */
  defaultMetrics?: boolean;
}

export function createMetrics(options: MetricsOptions = {}): Metrics {
  const registry = new Registry();
  const registers = [registry];
  if (options.defaultMetrics !== false) {
    collectDefaultMetrics({ register: registry });
    // Gauges named like counters fail `promtool check metrics`; their per-type twins
    // (nodejs_active_handles{type}, ...) carry the same numbers.
    for (const name of LINT_FAILING_DEFAULTS) registry.removeSingleMetric(name);
  }

  const requests = new Counter({
    name: 'stoa_requests_total',
    help: 'HTTP requests answered, by endpoint (route pattern) and status code.',
    labelNames: ['endpoint', 'code'] as const,
    registers,
  });
  const requestDuration = new Histogram({
    name: 'stoa_request_duration_seconds',
    help: 'Time from receiving a request to handing its response to the server, by endpoint.',
    labelNames: ['endpoint'] as const,
    buckets: REQUEST_BUCKETS,
    registers,
  });
  const responseBytes = new Counter({
    name: 'stoa_response_bytes_total',
    help: 'Response body bytes served, by endpoint.',
    labelNames: ['endpoint'] as const,
    registers,
  });
  const cacheLookups = new Counter({
    name: 'stoa_cache_lookups_total',
    help: 'GOPROXY answers by artifact kind and cache result (a caller that joined a running fill counts as miss).',
    labelNames: ['kind', 'result'] as const,
    registers,
  });
  const upstreamRequests = new Counter({
    name: 'stoa_upstream_requests_total',
    help: 'HTTP requests stoa made to a git host or go-get discovery page, by source, operation and outcome.',
    labelNames: ['source', 'operation', 'outcome'] as const,
    registers,
  });
  const upstreamDuration = new Histogram({
    name: 'stoa_upstream_request_duration_seconds',
    help: 'Duration of upstream HTTP requests including their body, by source and operation.',
    labelNames: ['source', 'operation'] as const,
    buckets: REQUEST_BUCKETS,
    registers,
  });
  const upstreamBytes = new Counter({
    name: 'stoa_upstream_bytes_total',
    help: 'Response body bytes received from upstreams, by source.',
    labelNames: ['source'] as const,
    registers,
  });
  const avoided = new Counter({
    name: 'stoa_upstream_requests_avoided_total',
    help: 'Client GOPROXY requests answered without any upstream request of their own (cache_hit: served from the store; coalesced: joined a fill another caller started).',
    labelNames: ['reason'] as const,
    registers,
  });
  const fillDuration = new Histogram({
    name: 'stoa_fill_duration_seconds',
    help: 'Duration of upstream fills (inside the fill limiter), by kind and outcome.',
    labelNames: ['kind', 'outcome'] as const,
    buckets: FILL_BUCKETS,
    registers,
  });
  const storeOperations = new Counter({
    name: 'stoa_store_operations_total',
    help: 'Blob store operations started, by backend and operation.',
    labelNames: ['backend', 'operation'] as const,
    registers,
  });
  const storeErrors = new Counter({
    name: 'stoa_store_errors_total',
    help: 'Blob store operations that failed (absence is not a failure), by backend and operation.',
    labelNames: ['backend', 'operation'] as const,
    registers,
  });
  const storeDuration = new Histogram({
    name: 'stoa_store_operation_duration_seconds',
    help: 'Duration of blob store operations (a get until its body is available), by backend and operation.',
    labelNames: ['backend', 'operation'] as const,
    buckets: STORE_BUCKETS,
    registers,
  });

  const live = options.live;
  new Gauge({
    name: 'stoa_fills_in_flight',
    help: 'Fills running or waiting for a limiter slot (one per distinct artifact).',
    registers,
    collect() {
      this.set(live?.fillsInFlight() ?? 0);
    },
  });
  new Gauge({
    name: 'stoa_fill_queue_depth',
    help: 'Fills waiting for a slot of the fill limiter (STOA_FILL_CONCURRENCY).',
    registers,
    collect() {
      this.set(live?.fillQueueDepth() ?? 0);
    },
  });
  new Gauge({
    name: 'stoa_coalesced_waiters',
    help: 'Client requests currently waiting on a fill another request started.',
    registers,
    collect() {
      this.set(live?.coalescedWaiters() ?? 0);
    },
  });

  // Zero-valued series, so rate() and dashboards work before the first event.
  for (const reason of AVOIDED_REASONS) avoided.inc({ reason }, 0);
  for (const kind of ARTIFACT_KINDS)
    for (const result of CACHE_RESULTS) cacheLookups.inc({ kind, result }, 0);
  for (const [source, operation] of UPSTREAM_PAIRS) {
    for (const outcome of UPSTREAM_OUTCOMES) upstreamRequests.inc({ source, operation, outcome }, 0);
  }
  for (const source of ['github', 'git', 'discovery', 'sumdb']) upstreamBytes.inc({ source }, 0);
  for (const kind of FILL_KINDS) for (const outcome of FILL_OUTCOMES) fillDuration.zero({ kind, outcome });

  return {
    registry,
    requests,
    requestDuration,
    responseBytes,
    cacheLookups,
    upstreamRequests,
    upstreamDuration,
    upstreamBytes,
    avoided,
    fillDuration,
    storeOperations,
    storeErrors,
    storeDuration,
    initStoreBackend(backend) {
      for (const operation of STORE_OPERATIONS) {
        storeOperations.inc({ backend, operation }, 0);
        storeErrors.inc({ backend, operation }, 0);
      }
    },
  };
}
