/** Telemetry sink that records every event into the Prometheus metrics of src/metrics.ts. */
import type { Metrics } from './metrics.js';
import { avoidedReason, endpointLabel, upstreamOutcome } from './stats/definitions.js';
import type { Telemetry } from './telemetry.js';

export function createMetricsTelemetry(metrics: Metrics): Telemetry {
  return {
    request(e) {
      const endpoint = endpointLabel(e.endpoint);
      metrics.requests.inc({ endpoint, code: String(e.status) });
      metrics.requestDuration.observe({ endpoint }, e.durationMs / 1000);
      if (e.bytes > 0) metrics.responseBytes.inc({ endpoint }, e.bytes);
      const reason = avoidedReason(e);
      if (reason !== undefined) metrics.avoided.inc({ reason });
    },
    cacheLookup(kind, outcome) {
      metrics.cacheLookups.inc({ kind, result: outcome === 'coalesced' ? 'miss' : outcome });
    },
    upstream(e) {
      metrics.upstreamRequests.inc({ source: e.source, operation: e.operation, outcome: upstreamOutcome(e) });
      metrics.upstreamDuration.observe({ source: e.source, operation: e.operation }, e.durationMs / 1000);
      if (e.bytes > 0) metrics.upstreamBytes.inc({ source: e.source }, e.bytes);
    },
    fill(e) {
      metrics.fillDuration.observe({ kind: e.kind, outcome: e.outcome }, e.durationMs / 1000);
    },
  };
}
