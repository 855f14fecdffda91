/**
 * Lifetime records in the blob store: each replica writes its own counters to
 * `_stoa/stats/<replica-id>.json` (a reserved prefix no module path can produce: module paths
 * never start with `_`), and readers add up all records.
 */
import type { BlobStore } from '../../storage/blob-store.js';
import { parseCounters, type Counters } from './counters.js';

export const STATS_PREFIX = '_stoa/stats/';

const RECORD_MAX_BYTES = 64 * 1024;

export function statsKey(replicaId: string): string {
  return `${STATS_PREFIX}${replicaId}.json`;
}

/** A replica id usable as a key element: [A-Za-z0-9._-], at most 128 characters, never `.`/`..`. */
export function safeReplicaId(raw: string): string {
  const cleaned = raw.replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 128);
  return cleaned === '' || /^\.+$/.test(cleaned) ? 'replica' : cleaned;
}

interface StatsRecord {
  version: 1;
  replica: string;
  updatedAt: string;
  counters: Counters;
}

export async function writeRecord(
  store: BlobStore,
  replicaId: string,
  counters: Counters,
  now: Date,
): Promise<void> {
  const record: StatsRecord = { version: 1, replica: replicaId, updatedAt: now.toISOString(), counters };
  const bytes = new TextEncoder().encode(JSON.stringify(record));
  await store.put(statsKey(replicaId), bytes, { size: bytes.byteLength, contentType: 'application/json' });
}

/** The counters of one record, or null when there is none (an unreadable record reads as zeros). */
export async function readRecord(
  store: BlobStore,
  key: string,
  signal?: AbortSignal,
): Promise<Counters | null> {
  const obj = await store.get(key, signal);
  if (obj === null) return null;
  if (obj.size > RECORD_MAX_BYTES) {
    await obj.body.cancel();
    return parseCounters(undefined);
  }
  const text = await new Response(obj.body).text();
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return parseCounters(undefined);
  }
  const counters =
    typeof value === 'object' && value !== null ? (value as { counters?: unknown }).counters : undefined;
  return parseCounters(counters);
}

/** Every replica's record, by replica id. */
export async function readAllRecords(store: BlobStore, signal?: AbortSignal): Promise<Map<string, Counters>> {
  const out = new Map<string, Counters>();
  for await (const key of store.list(STATS_PREFIX, signal)) {
    if (!key.endsWith('.json')) continue;
    const replica = key.slice(STATS_PREFIX.length, -'.json'.length);
    if (replica.includes('/')) continue;
    const counters = await readRecord(store, key, signal);
    if (counters !== null) out.set(replica, counters);
  }
  return out;
}
