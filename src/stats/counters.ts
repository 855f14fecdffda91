/**
 * The summable counters behind /stats: kept since start by each replica, persisted as its lifetime
 * record, and added up across replicas. Plain data, so a record is just JSON.
 */
import { z } from 'zod';
import type { ArtifactKind, CacheOutcome } from '../telemetry.js';

export const KINDS: readonly ArtifactKind[] = ['list', 'latest', 'info', 'mod', 'zip'];
export const OUTCOMES: readonly CacheOutcome[] = ['hit', 'miss', 'stale', 'coalesced'];
const IMMUTABLE: ReadonlySet<ArtifactKind> = new Set(['info', 'mod', 'zip']);

export type LookupCounts = Record<CacheOutcome, number>;

export interface Counters {
  /** GOPROXY requests (list, latest, info, mod, zip) answered, whatever their status. */
  requestsServed: number;
  /** Response body bytes of those requests. */
  bytesServed: number;
  upstreamRequests: number;
  upstreamFailures: number;
  upstreamBytes: number;
  avoidedCacheHit: number;
  avoidedCoalesced: number;
  fillsOk: number;
  fillsNotFound: number;
  fillsError: number;
  lookups: Record<ArtifactKind, LookupCounts>;
}

const SCALARS = [
  'requestsServed',
  'bytesServed',
  'upstreamRequests',
  'upstreamFailures',
  'upstreamBytes',
  'avoidedCacheHit',
  'avoidedCoalesced',
  'fillsOk',
  'fillsNotFound',
  'fillsError',
] as const;

function zeroLookups(): LookupCounts {
  return { hit: 0, miss: 0, stale: 0, coalesced: 0 };
}

export function zeroCounters(): Counters {
  return {
    requestsServed: 0,
    bytesServed: 0,
    upstreamRequests: 0,
    upstreamFailures: 0,
    upstreamBytes: 0,
    avoidedCacheHit: 0,
    avoidedCoalesced: 0,
    fillsOk: 0,
    fillsNotFound: 0,
    fillsError: 0,
    lookups: {
      list: zeroLookups(),
      latest: zeroLookups(),
      info: zeroLookups(),
      mod: zeroLookups(),
      zip: zeroLookups(),
    },
  };
}

/** a + b, as a new object. */
export function addCounters(a: Counters, b: Counters): Counters {
  const out = zeroCounters();
  for (const k of SCALARS) out[k] = a[k] + b[k];
  for (const kind of KINDS) {
    for (const o of OUTCOMES) out.lookups[kind][o] = a.lookups[kind][o] + b.lookups[kind][o];
  }
  return out;
}

const count = z.number().finite().nonnegative().catch(0).default(0);
const lookupSchema = z
  .object({ hit: count, miss: count, stale: count, coalesced: count })
  .catch(zeroLookups)
  .default(zeroLookups);
const countersSchema = z.object({
  requestsServed: count,
  bytesServed: count,
  upstreamRequests: count,
  upstreamFailures: count,
  upstreamBytes: count,
  avoidedCacheHit: count,
  avoidedCoalesced: count,
  fillsOk: count,
  fillsNotFound: count,
  fillsError: count,
  lookups: z
    .object({
      list: lookupSchema,
      latest: lookupSchema,
      info: lookupSchema,
      mod: lookupSchema,
      zip: lookupSchema,
    })
    .catch(() => zeroCounters().lookups)
    .default(() => zeroCounters().lookups),
});

/** Counters from untrusted JSON: unknown fields ignored, missing or bad ones read as 0. */
export function parseCounters(value: unknown): Counters {
  const parsed = countersSchema.safeParse(value);
  return parsed.success ? parsed.data : zeroCounters();
}

export interface KindView extends LookupCounts {
  hitRatio: number | null;
}

/** What /stats shows for one set of counters. */
export interface CountersView {
  requestsServed: number;
  bytesServed: number;
  upstreamRequests: number;
  upstreamFailures: number;
  upstreamBytes: number;
  upstreamRequestsAvoided: number;
  avoidedByReason: { cache_hit: number; coalesced: number };
  /** hit / all lookups (list, latest, info, mod, zip); null before the first lookup. */
  hitRatio: number | null;
  /** The same over the immutable artifacts (info, mod, zip). */
  immutableHitRatio: number | null;
  cacheLookups: LookupCounts;
  byKind: Record<ArtifactKind, KindView>;
  fills: { ok: number; not_found: number; error: number };
}

function total(l: LookupCounts): number {
  return l.hit + l.miss + l.stale + l.coalesced;
}

function ratio(hits: number, all: number): number | null {
  return all === 0 ? null : hits / all;
}

export function viewCounters(c: Counters): CountersView {
  const all = zeroLookups();
  const immutable = zeroLookups();
  const byKind = {} as Record<ArtifactKind, KindView>;
  for (const kind of KINDS) {
    const l = c.lookups[kind];
    byKind[kind] = { ...l, hitRatio: ratio(l.hit, total(l)) };
    for (const o of OUTCOMES) {
      all[o] += l[o];
      if (IMMUTABLE.has(kind)) immutable[o] += l[o];
    }
  }
  return {
    requestsServed: c.requestsServed,
    bytesServed: c.bytesServed,
    upstreamRequests: c.upstreamRequests,
    upstreamFailures: c.upstreamFailures,
    upstreamBytes: c.upstreamBytes,
    upstreamRequestsAvoided: c.avoidedCacheHit + c.avoidedCoalesced,
    avoidedByReason: { cache_hit: c.avoidedCacheHit, coalesced: c.avoidedCoalesced },
    hitRatio: ratio(all.hit, total(all)),
    immutableHitRatio: ratio(immutable.hit, total(immutable)),
    cacheLookups: all,
    byKind,
    fills: { ok: c.fillsOk, not_found: c.fillsNotFound, error: c.fillsError },
  };
}
