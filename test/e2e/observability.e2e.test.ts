/**
 * The saving, measured: the real go command downloads a fixture set twice through stoa (a fresh
 * module cache the second time). The second pass is answered from the store: hit ratio 1.0 for
 * info/mod/zip, no upstream request (counted by stoa and at the git server), and every client
 * request of the pass counted as avoided. Also: /metrics passes promtool, /stats agrees with
 * /metrics, and every metric the Grafana dashboard queries exists.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startHarness, type Harness } from './harness.js';
import { getStats, publishFixtureSet, scrape, sum, type Sample } from './observability-helpers.js';

const GOPROXY_ENDPOINT = /^(list|latest|info|mod|zip)$/;
const IMMUTABLE = /^(info|mod|zip)$/;

function clientRequests(s: Sample[]): number {
  return sum(s, 'stoa_requests_total', { endpoint: GOPROXY_ENDPOINT });
}

function promtoolMissing(): string | false {
  return spawnSync('promtool', ['--version']).status === 0
    ? false
    : 'promtool not installed (Debian package prometheus; test/run-all.sh installs it)';
}

describe('observability: two passes of go mod download', () => {
  let h: Harness;
  let modules: string[];

  before(async () => {
    h = await startHarness();
    modules = publishFixtureSet(h.gitRoot);
  });
  after(async () => {
    await h.close();
  });

  async function pass(): Promise<void> {
    const r = await h.viaStoa().run(['mod', 'download', '-json', ...modules]);
    assert.equal(r.code, 0, r.stderr + r.stdout);
  }

  it('second pass: all hits, no upstream request, avoided = client requests', async () => {
    await pass();
    const m1 = await scrape(h.stoa.url);
    const s1 = await getStats(h.stoa.url);
    const git1 = h.git.requests.length;
    assert.ok(git1 > 0, 'the first pass went upstream');
    assert.equal(sum(m1.samples, 'stoa_upstream_requests_total'), git1, 'every upstream request counted');
    assert.equal(s1.sinceStart.upstreamRequests, git1);
    assert.ok(sum(m1.samples, 'stoa_cache_lookups_total', { result: 'miss' }) > 0);

    await pass();
    const m2 = await scrape(h.stoa.url);
    const s2 = await getStats(h.stoa.url);
    const git2 = h.git.requests.length;

    const clients = clientRequests(m2.samples) - clientRequests(m1.samples);
    const d = (name: string, match: Record<string, string | RegExp> = {}): number =>
      sum(m2.samples, name, match) - sum(m1.samples, name, match);
    const hits = d('stoa_cache_lookups_total', { kind: IMMUTABLE, result: 'hit' });
    const lookups = d('stoa_cache_lookups_total', { kind: IMMUTABLE });
    process.stdout.write(
      `# second pass: ${clients} client requests, ${hits}/${lookups} immutable hits, ` +
        `${d('stoa_upstream_requests_avoided_total')} avoided, ${git2 - git1} git requests ` +
        `(first pass: ${git1} git requests)\n`,
    );
    assert.ok(clients >= modules.length * 2, `go asked stoa (${clients} requests)`);
    assert.equal(lookups, clients, 'the second pass asked for info/mod/zip only');
    assert.equal(hits / lookups, 1, 'hit ratio 1.0 for immutable artifacts');
    assert.equal(d('stoa_upstream_requests_total'), 0, 'stoa_upstream_requests_total unchanged');
    assert.equal(git2, git1, 'the git server saw no request');
    assert.equal(d('stoa_upstream_requests_avoided_total'), clients, 'avoided += client requests');
    assert.equal(d('stoa_upstream_requests_avoided_total', { reason: 'cache_hit' }), clients);

    // /stats says the same
    assert.equal(s2.sinceStart.requestsServed - s1.sinceStart.requestsServed, clients);
    assert.equal(s2.sinceStart.upstreamRequestsAvoided - s1.sinceStart.upstreamRequestsAvoided, clients);
    assert.equal(s2.sinceStart.upstreamRequests, s1.sinceStart.upstreamRequests);
    assert.equal(s2.sinceStart.upstreamRequests, git2);
    assert.equal(
      s2.sinceStart.upstreamRequestsAvoided,
      sum(m2.samples, 'stoa_upstream_requests_avoided_total'),
    );
    assert.equal(s2.sinceStart.requestsServed, clientRequests(m2.samples));
    assert.equal(
      s2.sinceStart.cacheLookups.hit,
      sum(m2.samples, 'stoa_cache_lookups_total', { result: 'hit' }),
    );
    assert.equal(s2.sinceStart.upstreamBytes, sum(m2.samples, 'stoa_upstream_bytes_total'));
    assert.equal(
      s2.sinceStart.bytesServed,
      sum(m2.samples, 'stoa_response_bytes_total', { endpoint: GOPROXY_ENDPOINT }),
    );
    const gitBytes = h.git.requests.reduce((n, r) => n + r.bytesOut, 0);
    assert.ok(s2.sinceStart.upstreamBytes > 0 && s2.sinceStart.upstreamBytes <= gitBytes);
    assert.ok(s2.topModules.some((t) => t.module === 'github.com/acme/hello' && t.hits > 0));
    assert.ok(s2.recentFills.some((f) => f.kind === 'version' && f.outcome === 'ok'));
    assert.ok(s2.perMinute.reduce((n, b) => n + b.upstreamRequests, 0) === git2);
    assert.equal(s2.lifetime.requestsServed, s2.sinceStart.requestsServed, 'one replica, fresh store');
  });

  it('/metrics passes promtool check metrics', { skip: promtoolMissing() }, async () => {
    const { text } = await scrape(h.stoa.url);
    const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    assert.equal(r.status, 0, `promtool: ${r.stdout}${r.stderr}`);
  });

  it('every metric the Grafana dashboard queries exists in /metrics', async () => {
    const dashboard = JSON.parse(
      readFileSync(new URL('../../deploy/grafana/stoa-dashboard.json', import.meta.url), 'utf8'),
    ) as unknown;
    const exprs: string[] = [];
    const walk = (v: unknown): void => {
      if (Array.isArray(v)) v.forEach(walk);
      else if (typeof v === 'object' && v !== null) {
        for (const [k, x] of Object.entries(v)) {
          if (k === 'expr' && typeof x === 'string') exprs.push(x);
          else walk(x);
        }
      }
    };
    walk(dashboard);
    assert.ok(exprs.length >= 8, `dashboard has queries (${exprs.length})`);
    const { samples } = await scrape(h.stoa.url);
    const present = new Set(samples.map((s) => s.name));
    const used = new Set(
      exprs.flatMap((e) => [...e.matchAll(/\b(?:stoa|process|nodejs)_[a-z0-9_]+/g)].map((m) => m[0])),
    );
    assert.ok(used.size >= 6, [...used].join(' '));
    for (const name of used)
      assert.ok(present.has(name), `${name} (used by the Grafana dashboard) is in /metrics`);

    if (promtoolMissing() === false) {
      // Every query parses as PromQL: promtool checks them as recording rules (JSON is YAML).
      const concrete = exprs.map((e) =>
        e.replaceAll('$__rate_interval', '5m').replaceAll('$__range', '1h').replaceAll('$job', '.*'),
      );
      const rules = {
        groups: [
          {
            name: 'grafana',
            rules: concrete.map((expr, i) => ({ record: `stoa:grafana_check:${i}`, expr })),
          },
        ],
      };
      const dir = mkdtempSync(path.join(tmpdir(), 'stoa-grafana-'));
      try {
        const file = path.join(dir, 'rules.yml');
        writeFileSync(file, JSON.stringify(rules));
        const r = spawnSync('promtool', ['check', 'rules', file], { encoding: 'utf8' });
        assert.equal(r.status, 0, `promtool check rules: ${r.stdout}${r.stderr}`);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  });
});
