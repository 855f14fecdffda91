/**
 * /stats internals: counters and ratios, the bounded tables, per-minute buckets, and lifetime
 * records in a real (memory) blob store: persisted, summed across replicas, kept across restarts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger } from '../../src/logger.js';
import { Ring, TopTable } from '../../src/stats/bounded.js';
import { StatsCollector } from '../../src/stats/collector.js';
import { parseCounters, viewCounters } from '../../src/stats/counters.js';
import { STATS_PREFIX, safeReplicaId, statsKey } from '../../src/stats/lifetime-records.js';
import { MinuteBuckets } from '../../src/stats/minute-buckets.js';
import { createStatsService } from '../../src/stats/stats-service.js';
import type { RequestEvent } from '../../src/telemetry.js';
import { createBlobStore, type BlobStore } from '../../storage/index.js';

const logger = createLogger({ level: 'silent' });
const live = { fillsInFlight: () => 0, fillQueueDepth: () => 0, coalescedWaiters: () => 0 };

function req(over: Partial<RequestEvent>): RequestEvent {
  return {
    endpoint: 'zip',
    method: 'GET',
    status: 200,
    durationMs: 1,
    bytes: 10,
    cache: 'hit',
    module: 'github.com/acme/a',
    path: '/github.com/acme/a/@v/v1.0.0.zip',
    ...over,
  };
}

function memoryStore(): BlobStore {
  return createBlobStore({ type: 'memory', maxBytes: 1 << 20 });
}

describe('stats collector', () => {
  it('counts served requests, avoided requests, lookups, upstream calls and fills', () => {
    const c = new StatsCollector();
    c.request(req({ cache: 'hit', bytes: 100 }));
    c.request(req({ endpoint: 'mod', cache: 'coalesced', bytes: 5 }));
    c.request(req({ endpoint: 'info', cache: 'miss', bytes: 7 }));
    c.request(req({ endpoint: 'info', cache: undefined, status: 404, bytes: 3 }));
    c.request(req({ endpoint: 'ops', cache: undefined, module: undefined, bytes: 1000 }));
    c.cacheLookup('zip', 'hit');
    c.cacheLookup('mod', 'coalesced');
    c.cacheLookup('info', 'miss');
    c.cacheLookup('list', 'miss');
    c.upstream({ source: 'github', operation: 'fetch', ok: true, status: 200, bytes: 900, durationMs: 5 });
    c.upstream({ source: 'github', operation: 'ls-refs', ok: false, status: 502, bytes: 0, durationMs: 5 });
    c.fill({
      kind: 'version',
      module: 'github.com/acme/a',
      version: 'v1.0.0',
      durationMs: 12.34,
      outcome: 'error',
      error: 'fetch https://user:hunter2secret@example.com/x failed: Basic eC1hY2Nlc3MtdG9rZW46c2VjcmV0',
    });
    const snap = c.snapshot();
    const v = viewCounters(snap.counters);
    assert.equal(v.requestsServed, 4, 'GOPROXY requests only');
    assert.equal(v.bytesServed, 115);
    assert.equal(v.upstreamRequestsAvoided, 2);
    assert.deepEqual(v.avoidedByReason, { cache_hit: 1, coalesced: 1 });
    assert.equal(v.upstreamRequests, 2);
    assert.equal(v.upstreamFailures, 1);
    assert.equal(v.upstreamBytes, 900);
    assert.equal(v.hitRatio, 1 / 4);
    assert.equal(v.immutableHitRatio, 1 / 3);
    assert.equal(v.byKind.zip.hitRatio, 1);
    assert.equal(v.byKind.latest.hitRatio, null);
    assert.deepEqual(v.fills, { ok: 0, not_found: 0, error: 1 });
    assert.deepEqual(snap.topModules, [{ key: 'github.com/acme/a', requests: 3, hits: 1 }]);
    assert.equal(snap.recentErrors.length, 1);
    const err = snap.recentErrors[0]?.error ?? '';
    assert.ok(!err.includes('hunter2secret') && !err.includes('eC1hY2Nlc3MtdG9rZW46c2VjcmV0'), err);
    assert.equal(snap.recentFills[0]?.durationMs, 12.3);
  });

  it('keeps the top-modules table bounded, evicting the lightest key', () => {
    const t = new TopTable(3);
    for (let i = 0; i < 5; i++) t.add('heavy', true);
    t.add('b', false);
    t.add('b', false);
    t.add('c', false);
    t.add('d', false); // evicts c (1 request)
    assert.equal(t.size, 3);
    assert.deepEqual(
      t.top(10).map((e) => [e.key, e.requests]),
      [
        ['heavy', 5],
        ['b', 2],
        ['d', 1],
      ],
    );
    for (let i = 0; i < 5000; i++) t.add(`m${i}`, false);
    assert.equal(t.size, 3);
    assert.equal(t.top(1)[0]?.key, 'heavy');
  });

  it('rings keep the newest entries, newest first', () => {
    const r = new Ring<number>(3);
    assert.deepEqual(r.newestFirst(), []);
    for (let i = 1; i <= 5; i++) r.push(i);
    assert.deepEqual(r.newestFirst(), [5, 4, 3]);
  });

  it('per-minute buckets cover the window and forget old minutes', () => {
    let now = Date.UTC(2026, 0, 1, 12, 0, 30);
    const b = new MinuteBuckets(3, () => now);
    b.add('upstreamRequests');
    b.add('upstreamRequests');
    now += 60_000;
    b.add('avoided', 4);
    let s = b.series();
    assert.equal(s.length, 3);
    assert.deepEqual(
      s.map((x) => [x.minute.slice(11, 16), x.upstreamRequests, x.avoided]),
      [
        ['11:59', 0, 0],
        ['12:00', 2, 0],
        ['12:01', 0, 4],
      ],
    );
    now += 3 * 60_000; // the slot of 12:01 is reused for 12:04
    b.add('upstreamRequests');
    s = b.series();
    assert.deepEqual(
      s.map((x) => [x.minute.slice(11, 16), x.upstreamRequests, x.avoided]),
      [
        ['12:02', 0, 0],
        ['12:03', 0, 0],
        ['12:04', 1, 0],
      ],
    );
  });

  it('parses untrusted records leniently', () => {
    const c = parseCounters({
      requestsServed: 5,
      upstreamRequests: -3,
      lookups: { zip: { hit: 'x', miss: 2 } },
    });
    assert.equal(c.requestsServed, 5);
    assert.equal(c.upstreamRequests, 0);
    assert.equal(c.lookups.zip.miss, 2);
    assert.equal(c.lookups.zip.hit, 0);
    assert.equal(parseCounters('garbage').requestsServed, 0);
  });

  it('makes safe replica ids', () => {
    assert.equal(safeReplicaId('pod-7f9c/x y'), 'pod-7f9c-x-y');
    assert.equal(safeReplicaId('..'), 'replica');
    assert.equal(statsKey('a'), `${STATS_PREFIX}a.json`);
  });
});

describe('lifetime stats in the blob store', () => {
  it('persists per replica, adds up all replicas, and survives a restart', async () => {
    const store = memoryStore();
    const a = createStatsService({
      store,
      replicaId: 'a',
      persistIntervalMs: 60_000,
      logger,
      live,
      othersTtlMs: 0,
    });
    const b = createStatsService({
      store,
      replicaId: 'b',
      persistIntervalMs: 60_000,
      logger,
      live,
      othersTtlMs: 0,
    });
    await a.start();
    await b.start();
    a.telemetry.request(req({ cache: 'hit' }));
    a.telemetry.request(req({ cache: 'hit' }));
    b.telemetry.request(req({ cache: 'coalesced' }));
    b.telemetry.upstream({
      source: 'github',
      operation: 'fetch',
      ok: true,
      status: 200,
      bytes: 7,
      durationMs: 1,
    });
    await a.stop();
    await b.persist();
    const keys: string[] = [];
    for await (const k of store.list(STATS_PREFIX)) keys.push(k);
    assert.deepEqual(keys, ['_stoa/stats/a.json', '_stoa/stats/b.json']);

    const fromB = await b.report();
    assert.equal(fromB.sinceStart.requestsServed, 1);
    assert.equal(fromB.lifetime.requestsServed, 3);
    assert.equal(fromB.lifetime.upstreamRequestsAvoided, 3);
    assert.equal(fromB.lifetime.upstreamBytes, 7);
    assert.equal(fromB.lifetime.replicas, 2);
    assert.equal(fromB.lifetime.complete, true);

    // replica a restarts: its lifetime continues from its record
    const a2 = createStatsService({
      store,
      replicaId: 'a',
      persistIntervalMs: 60_000,
      logger,
      live,
      othersTtlMs: 0,
    });
    await a2.start();
    a2.telemetry.request(req({ cache: 'miss' }));
    const fromA2 = await a2.report();
    assert.equal(fromA2.sinceStart.requestsServed, 1);
    assert.equal(fromA2.lifetime.requestsServed, 4);
    await a2.stop();
    await b.stop();
    const fromB2 = await b.report();
    assert.equal(fromB2.lifetime.requestsServed, 4);
    await store.close();
  });

  it('never overwrites a record it could not read', async () => {
    const inner = memoryStore();
    const seed = createStatsService({
      store: inner,
      replicaId: 'r',
      persistIntervalMs: 60_000,
      logger,
      live,
    });
    await seed.start();
    for (let i = 0; i < 5; i++) seed.telemetry.request(req({}));
    await seed.stop();

    let failing = true;
    const flaky: BlobStore = {
      ...inner,
      backend: inner.backend,
      get: async (key, signal) => {
        if (failing) throw new Error('store down');
        return inner.get(key, signal);
      },
      put: (key, body, options) => inner.put(key, body, options),
      list: (prefix, signal) => inner.list(prefix, signal),
    };
    const r = createStatsService({ store: flaky, replicaId: 'r', persistIntervalMs: 60_000, logger, live });
    await r.start();
    r.telemetry.request(req({}));
    await r.persist(); // base unknown: must not write
    const during = createStatsService({
      store: inner,
      replicaId: 'x',
      persistIntervalMs: 60_000,
      logger,
      live,
    });
    await during.start();
    assert.equal((await during.report()).lifetime.requestsServed, 5, 'record of r untouched');
    failing = false;
    await r.stop(); // base now readable: 5 + 1
    const check = createStatsService({
      store: inner,
      replicaId: 'other',
      persistIntervalMs: 60_000,
      logger,
      live,
    });
    await check.start();
    assert.equal((await check.report()).lifetime.requestsServed, 6);
    await inner.close();
  });
});
