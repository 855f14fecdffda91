/**
 * The metrics sink: closed label sets, coalesced counted as miss, the avoided definition, no module
 * path anywhere in the output, and `promtool check metrics` on a populated registry.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { createMetrics } from '../../src/metrics.js';
import { createMetricsTelemetry } from '../../src/metrics-telemetry.js';
import { meterBlobStore } from '../../src/metrics-store.js';
import { createBlobStore } from '../../storage/index.js';
import type { RequestEvent } from '../../src/telemetry.js';

function request(over: Partial<RequestEvent>): RequestEvent {
  return {
    endpoint: 'zip',
    method: 'GET',
    status: 200,
    durationMs: 3,
    bytes: 100,
    cache: 'hit',
    module: 'github.com/acme/secret-module',
    path: '/github.com/acme/secret-module/@v/v1.0.0.zip',
    ...over,
  };
}

async function value(m: ReturnType<typeof createMetrics>, name: string, labels: Record<string, string>) {
  const metric = m.registry.getSingleMetric(name);
  assert.ok(metric, name);
  const got = await metric.get();
  const v = got.values.find((s) => Object.entries(labels).every(([k, x]) => s.labels[k] === x));
  return v?.value ?? 0;
}

function hasPromtool(): boolean {
  return spawnSync('promtool', ['--version']).status === 0;
}

describe('metrics', () => {
  it('counts requests, lookups, upstream calls, fills and avoided requests', async () => {
    const m = createMetrics({
      live: { fillsInFlight: () => 2, fillQueueDepth: () => 1, coalescedWaiters: () => 3 },
    });
    const t = createMetricsTelemetry(m);
    t.request(request({ cache: 'hit' }));
    t.request(request({ endpoint: 'info', cache: 'coalesced', bytes: 40 }));
    t.request(request({ endpoint: 'mod', cache: 'miss' }));
    t.request(request({ endpoint: 'list', cache: 'stale' }));
    t.request(request({ endpoint: 'zip', cache: undefined, status: 404 }));
    t.request(request({ endpoint: 'ops', cache: undefined, module: undefined }));
    t.request(request({ endpoint: '/weird/path', cache: undefined, module: undefined }));
    t.cacheLookup('zip', 'hit');
    t.cacheLookup('info', 'coalesced');
    t.cacheLookup('mod', 'miss');
    t.cacheLookup('list', 'stale');
    t.upstream({ source: 'github', operation: 'fetch', ok: true, status: 200, bytes: 5000, durationMs: 12 });
    t.upstream({ source: 'github', operation: 'info-refs', ok: false, status: 503, bytes: 0, durationMs: 1 });
    t.upstream({
      source: 'discovery',
      operation: 'go-get',
      ok: false,
      status: 404,
      bytes: 10,
      durationMs: 1,
    });
    t.upstream({ source: 'git', operation: 'ls-refs', ok: false, status: 0, bytes: 0, durationMs: 1 });
    t.fill({
      kind: 'version',
      module: 'm',
      version: 'v1.0.0',
      durationMs: 1500,
      outcome: 'ok',
      error: undefined,
    });
    t.fill({ kind: 'stat', module: 'm', version: 'v9', durationMs: 20, outcome: 'error', error: 'boom' });

    assert.equal(await value(m, 'stoa_requests_total', { endpoint: 'zip', code: '200' }), 1);
    assert.equal(await value(m, 'stoa_requests_total', { endpoint: 'zip', code: '404' }), 1);
    assert.equal(await value(m, 'stoa_requests_total', { endpoint: 'other', code: '200' }), 1);
    assert.equal(await value(m, 'stoa_response_bytes_total', { endpoint: 'info' }), 40);
    assert.equal(await value(m, 'stoa_cache_lookups_total', { kind: 'zip', result: 'hit' }), 1);
    assert.equal(
      await value(m, 'stoa_cache_lookups_total', { kind: 'info', result: 'miss' }),
      1,
      'coalesced → miss',
    );
    assert.equal(await value(m, 'stoa_cache_lookups_total', { kind: 'list', result: 'stale' }), 1);
    assert.equal(await value(m, 'stoa_upstream_requests_avoided_total', { reason: 'cache_hit' }), 1);
    assert.equal(await value(m, 'stoa_upstream_requests_avoided_total', { reason: 'coalesced' }), 1);
    const up = (operation: string, outcome: string, source = 'github') =>
      value(m, 'stoa_upstream_requests_total', { source, operation, outcome });
    assert.equal(await up('fetch', 'ok'), 1);
    assert.equal(await up('info-refs', 'server_error'), 1);
    assert.equal(await up('go-get', 'client_error', 'discovery'), 1);
    assert.equal(await up('ls-refs', 'failed', 'git'), 1);
    assert.equal(await value(m, 'stoa_upstream_bytes_total', { source: 'github' }), 5000);
    assert.equal(await value(m, 'stoa_fills_in_flight', {}), 2);
    assert.equal(await value(m, 'stoa_fill_queue_depth', {}), 1);
    assert.equal(await value(m, 'stoa_coalesced_waiters', {}), 3);

    const text = await m.registry.metrics();
    assert.match(text, /stoa_fill_duration_seconds_bucket\{le="2\.5",kind="version",outcome="ok"\} 1/);
    assert.match(text, /stoa_fill_duration_seconds_count\{kind="stat",outcome="error"\} 1/);
    assert.ok(!text.includes('acme'), 'no module path in any label');
    assert.match(text, /^process_cpu_seconds_total /m, 'default process metrics');
  });

  it('every label value comes from a closed set', async () => {
    const m = createMetrics({ defaultMetrics: false });
    const t = createMetricsTelemetry(m);
    t.request(request({ endpoint: '/github.com/acme/x/@v/list', module: 'github.com/acme/x' }));
    const allowed: Record<string, RegExp> = {
      endpoint: /^(list|latest|info|mod|zip|sumdb|ops|other)$/,
      code: /^[1-5]\d\d$/,
      kind: /^(list|latest|info|mod|zip|version|stat)$/,
      result: /^(hit|miss|stale)$/,
      source: /^(github|git|discovery|sumdb)$/,
      operation: /^(info-refs|ls-refs|fetch|go-get|lookup|tile|latest|get|head|put|list|delete|ping)$/,
      outcome: /^(ok|client_error|server_error|failed|not_found|error)$/,
      reason: /^(cache_hit|coalesced)$/,
      backend: /^(disk|memory|s3|gcs)$/,
      le: /^([0-9.]+|\+Inf)$/,
    };
    meterBlobStore(createBlobStore({ type: 'memory', maxBytes: 1 << 20 }), m);
    for (const metric of await m.registry.getMetricsAsJSON()) {
      for (const v of metric.values) {
        for (const [k, x] of Object.entries(v.labels)) {
          const re = allowed[k];
          assert.ok(re, `label ${k} of ${metric.name} is known`);
          assert.match(String(x), re, `${metric.name}{${k}}`);
        }
      }
    }
  });

  it('the store decorator counts operations and failures by backend', async () => {
    const m = createMetrics({ defaultMetrics: false });
    const store = meterBlobStore(createBlobStore({ type: 'memory', maxBytes: 1 << 20 }), m);
    await store.put('a/b', new TextEncoder().encode('x'));
    assert.equal(await store.get('missing/key'), null);
    await assert.rejects(store.put('../bad', new Uint8Array(1)));
    const keys: string[] = [];
    for await (const k of store.list('a/')) keys.push(k);
    assert.deepEqual(keys, ['a/b']);
    assert.equal(await value(m, 'stoa_store_operations_total', { backend: 'memory', operation: 'put' }), 2);
    assert.equal(await value(m, 'stoa_store_errors_total', { backend: 'memory', operation: 'put' }), 1);
    assert.equal(await value(m, 'stoa_store_operations_total', { backend: 'memory', operation: 'get' }), 1);
    assert.equal(
      await value(m, 'stoa_store_errors_total', { backend: 'memory', operation: 'get' }),
      0,
      'absence is no error',
    );
    assert.equal(await value(m, 'stoa_store_operations_total', { backend: 'memory', operation: 'list' }), 1);
    await store.close();
  });

  it('two registries never share counters', async () => {
    const a = createMetrics({ defaultMetrics: false });
    const b = createMetrics({ defaultMetrics: false });
    createMetricsTelemetry(a).cacheLookup('zip', 'hit');
    assert.equal(await value(a, 'stoa_cache_lookups_total', { kind: 'zip', result: 'hit' }), 1);
    assert.equal(await value(b, 'stoa_cache_lookups_total', { kind: 'zip', result: 'hit' }), 0);
  });

  it(
    'passes promtool check metrics',
    { skip: hasPromtool() ? false : 'promtool not installed (Debian package prometheus)' },
    async () => {
      const m = createMetrics({
        live: { fillsInFlight: () => 0, fillQueueDepth: () => 0, coalescedWaiters: () => 0 },
      });
      meterBlobStore(createBlobStore({ type: 'memory', maxBytes: 1 << 20 }), m);
      const t = createMetricsTelemetry(m);
      t.request(request({}));
      t.fill({
        kind: 'list',
        module: 'm',
        version: undefined,
        durationMs: 5,
        outcome: 'ok',
        error: undefined,
      });
      const r = spawnSync('promtool', ['check', 'metrics'], {
        input: await m.registry.metrics(),
        encoding: 'utf8',
      });
      assert.equal(r.status, 0, `promtool: ${r.stdout}${r.stderr}`);
    },
  );
});
