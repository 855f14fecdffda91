/**
 * /stats: this replica's in-memory stats plus lifetime totals. Each replica loads its own lifetime
 * record at start, persists base + since-start periodically and on shutdown, and /stats adds the
 * other replicas' records (re-read at most once per persist interval).
 */
import type { BlobStore } from '../../storage/blob-store.js';
import type { Logger } from '../logger.js';
import type { LiveGauges } from '../metrics.js';
import type { Telemetry } from '../telemetry.js';
import { StatsCollector, type CollectorOptions, type RecentFill } from './collector.js';
import { addCounters, viewCounters, zeroCounters, type Counters, type CountersView } from './counters.js';
import type { TopEntry } from './bounded.js';
import { readAllRecords, readRecord, statsKey, writeRecord } from './lifetime-records.js';
import type { MinuteBucket } from './minute-buckets.js';

export interface StatsReport {
  replica: string;
  startedAt: string;
  generatedAt: string;
  uptimeSeconds: number;
  sinceStart: CountersView;
  lifetime: CountersView & {
    /** Replica records added up (this one included). */
    replicas: number;
    /** False while this replica's own record could not be read or another record could not be listed. */
    complete: boolean;
  };
  live: { fillsInFlight: number; fillQueueDepth: number; coalescedWaiters: number };
  topModules: { module: string; requests: number; hits: number }[];
  recentFills: RecentFill[];
  recentErrors: RecentFill[];
  perMinute: MinuteBucket[];
}

export interface StatsServiceDeps {
  store: BlobStore;
  replicaId: string;
  /** How often this replica's lifetime record is written (ms). */
  persistIntervalMs: number;
  logger: Logger;
  live: LiveGauges;
  /**
   * How long other replicas' records are reused before being read again (ms). Default: the
   * persist interval, at least 5 s (records change no more often than that).
   */
  othersTtlMs?: number;
  collector?: CollectorOptions;
  now?: () => number;
}

export interface StatsService {
  readonly telemetry: Telemetry;
  /** Loads this replica's lifetime record and starts periodic persistence. */
  start(): Promise<void>;
  /** Writes this replica's lifetime record now (after the base record was loaded). */
  persist(): Promise<void>;
  /** Stops the timer and persists a last time. */
  stop(): Promise<void>;
  report(): Promise<StatsReport>;
}

const STORE_TIMEOUT_MS = 5000;

export function createStatsService(deps: StatsServiceDeps): StatsService {
  const now = deps.now ?? Date.now;
  const collector = new StatsCollector({ now, ...deps.collector });
  const startedAt = now();
  const othersTtl = deps.othersTtlMs ?? Math.max(5000, deps.persistIntervalMs);
  let base: Counters | undefined;
  let timer: NodeJS.Timeout | undefined;
  let writing: Promise<void> = Promise.resolve();
  let others: { at: number; sum: Counters; count: number; complete: boolean } | undefined;

  async function loadBase(): Promise<boolean> {
    if (base !== undefined) return true;
    try {
      base =
        (await readRecord(deps.store, statsKey(deps.replicaId), AbortSignal.timeout(STORE_TIMEOUT_MS))) ??
        zeroCounters();
      return true;
    } catch (err) {
      deps.logger.warn({ err, replica: deps.replicaId }, 'stats: lifetime record unreadable; will retry');
      return false;
    }
  }

  function lifetimeOwn(): Counters {
    return addCounters(base ?? zeroCounters(), collector.sinceStart());
  }

  function persist(): Promise<void> {
    writing = writing.then(async () => {
      // Never overwrite a record we could not read: that would lose this replica's lifetime totals.
      if (!(await loadBase())) return;
      try {
        await writeRecord(deps.store, deps.replicaId, lifetimeOwn(), new Date(now()));
      } catch (err) {
        deps.logger.warn({ err, replica: deps.replicaId }, 'stats: lifetime record not written');
      }
    });
    return writing;
  }

  async function otherReplicas(): Promise<NonNullable<typeof others>> {
    if (others !== undefined && now() - others.at < othersTtl) return others;
    try {
      const records = await readAllRecords(deps.store, AbortSignal.timeout(STORE_TIMEOUT_MS));
      let sum = zeroCounters();
      let count = 0;
      for (const [replica, counters] of records) {
        if (replica === deps.replicaId) continue;
        sum = addCounters(sum, counters);
        count++;
      }
      others = { at: now(), sum, count, complete: true };
    } catch (err) {
      deps.logger.warn({ err }, 'stats: replica records unreadable');
      others = { at: now(), sum: others?.sum ?? zeroCounters(), count: others?.count ?? 0, complete: false };
    }
    return others;
  }

  return {
    telemetry: collector,
    async start() {
      await loadBase();
      timer = setInterval(() => void persist(), deps.persistIntervalMs);
      timer.unref();
    },
    persist,
    async stop() {
      if (timer !== undefined) clearInterval(timer);
      timer = undefined;
      await persist();
    },
    async report() {
      const snap = collector.snapshot();
      const rest = await otherReplicas();
      const lifetime = addCounters(lifetimeOwn(), rest.sum);
      const at = now();
      return {
        replica: deps.replicaId,
        startedAt: new Date(startedAt).toISOString(),
        generatedAt: new Date(at).toISOString(),
        uptimeSeconds: Math.round((at - startedAt) / 1000),
        sinceStart: viewCounters(snap.counters),
        lifetime: {
          ...viewCounters(lifetime),
          replicas: rest.count + 1,
          complete: base !== undefined && rest.complete,
        },
        live: {
          fillsInFlight: deps.live.fillsInFlight(),
          fillQueueDepth: deps.live.fillQueueDepth(),
          coalescedWaiters: deps.live.coalescedWaiters(),
        },
        topModules: snap.topModules.map((e: TopEntry) => ({
          module: e.key,
          requests: e.requests,
          hits: e.hits,
        })),
        recentFills: snap.recentFills,
        recentErrors: snap.recentErrors,
        perMinute: snap.perMinute,
      };
    },
  };
}
