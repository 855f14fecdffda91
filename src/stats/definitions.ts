/**
 * The definitions /metrics and /stats share, in one place so the two never disagree (README,
 * "Metrics" and "Stats and dashboard", states them in words).
 */
import type { AvoidedReason, EndpointLabel, UpstreamOutcome } from '../metrics.js';
import { ENDPOINTS } from '../metrics.js';
import type { ArtifactKind, RequestEvent, UpstreamEvent } from '../telemetry.js';

const GOPROXY_ENDPOINTS: ReadonlySet<string> = new Set(['list', 'latest', 'info', 'mod', 'zip']);

/** True for the GOPROXY module endpoints: list, latest, info, mod, zip. */
export function isGoproxyEndpoint(endpoint: string): endpoint is ArtifactKind {
  return GOPROXY_ENDPOINTS.has(endpoint);
}

/** The endpoint as a metric label: one of ENDPOINTS, `other` for anything unexpected. */
export function endpointLabel(endpoint: string): EndpointLabel {
  return (ENDPOINTS as readonly string[]).includes(endpoint) ? (endpoint as EndpointLabel) : 'other';
}

/**
 * A client GOPROXY request answered without any upstream request of its own: the service served it
 * from the store (`cache_hit`) or it joined a fill another request had started (`coalesced`).
 * Misses, stale answers (an upstream attempt was made) and failed requests are not avoided.
 */
export function avoidedReason(e: RequestEvent): AvoidedReason | undefined {
  if (!isGoproxyEndpoint(e.endpoint) || e.status >= 400) return undefined;
  if (e.cache === 'hit') return 'cache_hit';
  if (e.cache === 'coalesced') return 'coalesced';
  return undefined;
}

/** ok, client_error (4xx), server_error (5xx), failed (no HTTP answer or another status). */
export function upstreamOutcome(e: UpstreamEvent): UpstreamOutcome {
  if (e.ok) return 'ok';
  if (e.status >= 500 && e.status < 600) return 'server_error';
  if (e.status >= 400 && e.status < 500) return 'client_error';
  return 'failed';
}
