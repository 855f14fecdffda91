/**
 * Coalescing, measured: while one fill is held at the git server, more clients ask for the same
 * zip. They wait on that fill (stoa_coalesced_waiters shows them), make no upstream request of their
 * own, and are counted as avoided with reason "coalesced"; there is one fill.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startHarness, type Harness } from './harness.js';
import { getStats, publishRepo, scrape, sum } from './observability-helpers.js';

const WAITERS = 4;

describe('observability: coalesced requests are avoided requests', () => {
  let h: Harness;
  let arrived = (): void => undefined;
  const fetchArrived = new Promise<void>((r) => (arrived = r));
  let release = (): void => undefined;
  const released = new Promise<void>((r) => (release = r));

  before(async () => {
    h = await startHarness({
      intercept: async (_req, _res, body) => {
        if (body.subarray(0, 64).toString('latin1').includes('command=fetch')) {
          arrived();
          await released;
        }
        return false;
      },
    });
    publishRepo(h.gitRoot, 'acme/busy', (r) => {
      r.write({ 'go.mod': 'module github.com/acme/busy\n', 'b.go': 'package busy\n' }).commit('init');
      r.tag('v1.0.0');
    });
  });
  after(async () => {
    release();
    await h.close();
  });

  it(`${WAITERS} callers join one fill`, async () => {
    const url = `${h.stoa.url}/github.com/acme/busy/@v/v1.0.0.zip`;
    const first = fetch(url);
    await fetchArrived;
    const before = await scrape(h.stoa.url);
    const rest = Array.from({ length: WAITERS }, () => fetch(url));
    for (let i = 0; i < 200; i++) {
      const { samples } = await scrape(h.stoa.url);
      if (sum(samples, 'stoa_coalesced_waiters') === WAITERS) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    const during = await scrape(h.stoa.url);
    assert.equal(sum(during.samples, 'stoa_coalesced_waiters'), WAITERS);
    assert.equal(sum(during.samples, 'stoa_fills_in_flight'), 1);
    assert.equal((await getStats(h.stoa.url)).live.coalescedWaiters, WAITERS);

    release();
    for (const res of await Promise.all([first, ...rest])) {
      assert.equal(res.status, 200);
      await res.arrayBuffer(); // a few hundred bytes
    }
    const afterAll = await scrape(h.stoa.url);
    const d = (name: string, match: Record<string, string> = {}): number =>
      sum(afterAll.samples, name, match) - sum(before.samples, name, match);
    assert.equal(d('stoa_upstream_requests_avoided_total', { reason: 'coalesced' }), WAITERS);
    assert.equal(d('stoa_upstream_requests_avoided_total', { reason: 'cache_hit' }), 0);
    assert.equal(
      d('stoa_cache_lookups_total', { kind: 'zip', result: 'miss' }),
      WAITERS + 1,
      'coalesced counts as miss',
    );
    assert.equal(
      sum(afterAll.samples, 'stoa_upstream_requests_total'),
      h.git.requests.length,
      'counted where made',
    );
    assert.equal(sum(afterAll.samples, 'stoa_fill_duration_seconds_count', { kind: 'version' }), 1);
    assert.equal(sum(afterAll.samples, 'stoa_coalesced_waiters'), 0);
    const stats = await getStats(h.stoa.url);
    assert.equal(stats.sinceStart.avoidedByReason.coalesced, WAITERS);
    assert.equal(stats.sinceStart.byKind.zip.coalesced, WAITERS);
  });
});
