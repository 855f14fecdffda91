/**
 * In-memory stats of this replica since start, fed by telemetry events: the summable counters,
 * the top-modules table, recent fills and failures, and per-minute activity.
 */
import { redactSecrets } from '../logger.js';
import type { FillEvent, RequestEvent, Telemetry, UpstreamEvent } from '../telemetry.js';
import { Ring, TopTable, type TopEntry } from './bounded.js';
import { zeroCounters, type Counters } from './counters.js';
import { avoidedReason, isGoproxyEndpoint } from './definitions.js';
import { MinuteBuckets, type MinuteBucket } from './minute-buckets.js';

export interface RecentFill {
  /** When the fill finished, ISO 8601. */
  at: string;
  kind: FillEvent['kind'];
  module: string;
  version: string | null;
  durationMs: number;
  outcome: FillEvent['outcome'];
  error: string | null;
}

export interface CollectorOptions {
  /** Distinct modules tracked in the top-modules table (default 1000). */
  maxModules?: number;
  /** Entries kept in the recent fills and recent errors lists (default 50). */
  recent?: number;
  /** Minutes of per-minute activity kept (default 180). */
  minutes?: number;
  now?: () => number;
}

export interface CollectorSnapshot {
  counters: Counters;
  topModules: TopEntry[];
  recentFills: RecentFill[];
  recentErrors: RecentFill[];
  perMinute: MinuteBucket[];
}

export class StatsCollector implements Telemetry {
  private readonly counters = zeroCounters();
  private readonly modules: TopTable;
  private readonly fills: Ring<RecentFill>;
  private readonly errors: Ring<RecentFill>;
  private readonly minutes: MinuteBuckets;
  private readonly now: () => number;

  constructor(options: CollectorOptions = {}) {
    this.now = options.now ?? Date.now;
    this.modules = new TopTable(options.maxModules ?? 1000);
    this.fills = new Ring(options.recent ?? 50);
    this.errors = new Ring(options.recent ?? 50);
    this.minutes = new MinuteBuckets(options.minutes ?? 180, this.now);
  }

  request(e: RequestEvent): void {
    if (!isGoproxyEndpoint(e.endpoint)) return;
    const c = this.counters;
    c.requestsServed++;
    c.bytesServed += e.bytes;
    this.minutes.add('requestsServed');
    const reason = avoidedReason(e);
    if (reason === 'cache_hit') c.avoidedCacheHit++;
    if (reason === 'coalesced') c.avoidedCoalesced++;
    if (reason !== undefined) this.minutes.add('avoided');
    if (e.module !== undefined && e.status < 400) this.modules.add(e.module, e.cache === 'hit');
  }

  cacheLookup(
    kind: Parameters<Telemetry['cacheLookup']>[0],
    outcome: Parameters<Telemetry['cacheLookup']>[1],
  ): void {
    this.counters.lookups[kind][outcome]++;
  }

  upstream(e: UpstreamEvent): void {
    const c = this.counters;
    c.upstreamRequests++;
    if (!e.ok) c.upstreamFailures++;
    c.upstreamBytes += e.bytes;
    this.minutes.add('upstreamRequests');
    this.minutes.add('upstreamBytes', e.bytes);
  }

  fill(e: FillEvent): void {
    const c = this.counters;
    if (e.outcome === 'ok') c.fillsOk++;
    else if (e.outcome === 'not_found') c.fillsNotFound++;
    else c.fillsError++;
    const entry: RecentFill = {
      at: new Date(this.now()).toISOString(),
      kind: e.kind,
      module: e.module,
      version: e.version ?? null,
      durationMs: Math.round(e.durationMs * 10) / 10,
      outcome: e.outcome,
      error: e.error === undefined ? null : redactSecrets(e.error).slice(0, 500),
    };
    this.fills.push(entry);
    if (e.outcome === 'error') this.errors.push(entry);
  }

  /** This replica's counters since start (a copy). */
  sinceStart(): Counters {
    return structuredClone(this.counters);
  }

  snapshot(topN = 20): CollectorSnapshot {
    return {
      counters: this.sinceStart(),
      topModules: this.modules.top(topN),
      recentFills: this.fills.newestFirst(),
      recentErrors: this.errors.newestFirst(),
      perMinute: this.minutes.series(),
    };
  }
}
