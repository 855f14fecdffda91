/**
 * Upstream politeness against a running stoa and a local git server that misbehaves on demand:
 * rate-limit answers (429 + Retry-After, GitHub's 403 + x-ratelimit-*) open the host's circuit,
 * so clients get 503 + Retry-After and the git server sees no request until the reset; a 5xx is
 * retried once and the client never notices; a host that is down gets exactly 1 + retries
 * attempts per operation and the client gets 502. After each fault, everything recovers.
 */
import assert from 'node:assert/strict';
import type http from 'node:http';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { RepoBuilder, git } from '../fixtures/repo.js';
import { startHarness, type Harness } from './harness.js';

type Fault =
  | { kind: 'none' }
  | { kind: '429'; retryAfter: string }
  | { kind: '403-ratelimit'; resetEpoch: number }
  | { kind: 'status-once'; status: number; repo: string; used: boolean }
  | { kind: 'down'; how: 'reset' | '503'; repo: string };

const RETRIES = 2;
/** git-source reuses an opened repository (and its refs) this long; past it, refs are asked again. */
const REPO_REUSE_MS = 10_000;

describe('upstream politeness end to end', () => {
  let h: Harness;
  let fault: Fault = { kind: 'none' };
  let staleBare = '';
  let stalePrimedAt = 0;

  function intercept(req: http.IncomingMessage, res: http.ServerResponse): boolean {
    const url = req.url ?? '';
    const f = fault;
    if (f.kind === '429') {
      res.writeHead(429, { 'retry-after': f.retryAfter, 'content-type': 'text/plain' });
      res.end('Too Many Requests\n');
      return true;
    }
    if (f.kind === '403-ratelimit') {
      res.writeHead(403, {
        'x-ratelimit-limit': '60',
        'x-ratelimit-remaining': '0',
        'x-ratelimit-reset': String(f.resetEpoch),
        'content-type': 'text/plain',
      });
      res.end('API rate limit exceeded\n');
      return true;
    }
    if (f.kind === 'status-once' && !f.used && url.includes(`/${f.repo}.git/info/refs`)) {
      f.used = true;
      res.writeHead(f.status, { 'content-type': 'text/plain' }).end('server trouble\n');
      return true;
    }
    if (f.kind === 'down' && url.includes(`/${f.repo}.git/`)) {
      if (f.how === 'reset') req.socket.destroy();
      else res.writeHead(503, { 'content-type': 'text/plain' }).end('unavailable\n');
      return true;
    }
    return false;
  }

  before(async () => {
    h = await startHarness({
      intercept: (req, res) => intercept(req, res),
      env: {
        STOA_UPSTREAM_RETRIES: String(RETRIES),
        STOA_UPSTREAM_RETRY_DELAY: '10ms',
        STOA_UPSTREAM_RATE_LIMIT_WAIT: '2s',
        STOA_LIST_TTL: '1s',
      },
    });
    for (const name of ['one', 'two', 'base', 'flaky', 'down', 'down503', 'stale']) {
      const r = new RepoBuilder();
      r.write({
        'go.mod': `module github.com/acme/${name}\n\ngo 1.18\n`,
        'a.go': `package ${name}\n`,
      }).commit('v1');
      r.tag('v1.0.0');
      const bare = r.publish(h.gitRoot, `acme/${name}`);
      if (name === 'stale') staleBare = bare;
      r.dispose();
    }
    // cached list for the stale-serving case, primed now so its opened repository expires early
    const primed = await fetch(`${h.stoa.url}/github.com/acme/stale/@v/list`);
    assert.equal((await primed.text()).trim(), 'v1.0.0');
    stalePrimedAt = Date.now();
  });

  after(async () => {
    await h.close();
  });

  const get = (p: string): Promise<Response> => fetch(`${h.stoa.url}/${p}`);
  const info = (repo: string): Promise<Response> => get(`github.com/acme/${repo}/@v/v1.0.0.info`);

  it('a 5xx on info/refs is retried: the client gets 200 and the git server saw exactly one extra request', async () => {
    h.git.resetCounts();
    const baseline = await info('base');
    assert.equal(baseline.status, 200, await baseline.text());
    const baselineRequests = h.git.requests.length;
    assert.ok(baselineRequests > 0);

    h.git.resetCounts();
    fault = { kind: 'status-once', status: 500, repo: 'flaky', used: false };
    const res = await info('flaky');
    const body = await res.text();
    fault = { kind: 'none' };
    assert.equal(res.status, 200, body);
    assert.equal((JSON.parse(body) as { Version: string }).Version, 'v1.0.0');
    assert.equal(h.git.requests.length, baselineRequests + 1);
    assert.deepEqual(
      h.git.requests.slice(0, 2).map((r) => [r.command, r.status]),
      [
        ['info-refs', 500],
        ['info-refs', 200],
      ],
    );
  });

  it('a host that is down (connections reset) gets 1 + retries attempts; the client gets 502', async () => {
    h.git.resetCounts();
    fault = { kind: 'down', how: 'reset', repo: 'down' };
    const res = await info('down');
    const body = await res.text();
    assert.equal(res.status, 502, body);
    assert.equal(h.git.requests.length, 1 + RETRIES);
    assert.ok(h.git.requests.every((r) => r.command === 'info-refs'));
    fault = { kind: 'none' };
    const again = await info('down');
    assert.equal(again.status, 200, await again.text());
  });

  it('a host answering 503 to everything gets 1 + retries attempts; the client gets 502', async () => {
    h.git.resetCounts();
    fault = { kind: 'down', how: '503', repo: 'down503' };
    const res = await info('down503');
    const body = await res.text();
    assert.equal(res.status, 502, body);
    assert.match(body, /HTTP 503/);
    assert.equal(h.git.requests.length, 1 + RETRIES);
    fault = { kind: 'none' };
  });

  it('429 + Retry-After: 503 with Retry-After, no upstream request while the circuit is open, full recovery after the reset', async () => {
    h.git.resetCounts();
    fault = { kind: '429', retryAfter: '2' };
    const opened = Date.now();
    const first = await info('one');
    assert.equal(first.status, 503, await first.text());
    assert.equal(first.headers.get('retry-after'), '2');
    assert.equal(h.git.requests.length, 1, 'a rate limit is not retried');

    // during the open circuit: answered at once, git server not contacted (even for other repos)
    for (const repo of ['one', 'two']) {
      const res = await info(repo);
      assert.equal(res.status, 503, await res.text());
      const ra = Number(res.headers.get('retry-after'));
      assert.ok(ra >= 1 && ra <= 2, `Retry-After ${ra}`);
    }
    const list = await get('github.com/acme/two/@v/list');
    assert.equal(list.status, 503, await list.text());
    assert.equal(h.git.requests.length, 1, 'the circuit held');

    fault = { kind: 'none' };
    await sleep(Math.max(0, 2000 - (Date.now() - opened)) + 100);
    const recovered = await info('one');
    assert.equal(recovered.status, 200, await recovered.text());
    const zip = await get('github.com/acme/one/@v/v1.0.0.zip');
    assert.equal(zip.status, 200, await zip.text());
    const listAfter = await get('github.com/acme/two/@v/list');
    assert.equal(listAfter.status, 200);
    assert.equal((await listAfter.text()).trim(), 'v1.0.0');
    assert.ok(h.git.requests.length > 1);
    assert.ok(h.git.requests.slice(1).every((r) => r.status === 200));
  });

  it('403 with x-ratelimit-remaining: 0 and x-ratelimit-reset opens the same circuit until the reset', async () => {
    h.git.resetCounts();
    const resetEpoch = Math.floor(Date.now() / 1000) + 2;
    fault = { kind: '403-ratelimit', resetEpoch };
    const first = await info('two');
    assert.equal(first.status, 503, await first.text());
    const ra = Number(first.headers.get('retry-after'));
    assert.ok(ra >= 1 && ra <= 2, `Retry-After ${ra}`);
    assert.equal(h.git.requests.length, 1);

    const during = await info('two');
    assert.equal(during.status, 503, await during.text());
    assert.equal(h.git.requests.length, 1, 'the circuit held');

    fault = { kind: 'none' };
    // Retry-After is whole seconds counted from the current second, so the circuit may outlast the
    // reset by up to 1 s (never end before it)
    await sleep(Math.max(0, resetEpoch * 1000 - Date.now()) + 1100);
    const recovered = await info('two');
    assert.equal(recovered.status, 200, await recovered.text());
    assert.equal((JSON.parse(await (await info('two')).text()) as { Version: string }).Version, 'v1.0.0');
  });

  it('while the circuit is open, an expired @v/list is served stale without contacting the host; fresh after the reset', async () => {
    // a new tag upstream: a fresh list would show it
    git(staleBare, ['tag', 'v1.1.0', 'v1.0.0']);
    await sleep(Math.max(0, stalePrimedAt + REPO_REUSE_MS - Date.now()) + 200);
    h.git.resetCounts();
    fault = { kind: '429', retryAfter: '2' };
    const opened = Date.now();
    const first = await get('github.com/acme/stale/@v/list');
    assert.equal(first.status, 200);
    assert.equal((await first.text()).trim(), 'v1.0.0', 'the stored (stale) list');
    assert.equal(h.git.requests.length, 1, 'one refresh attempt met the 429');
    const during = await get('github.com/acme/stale/@v/list');
    assert.equal(during.status, 200);
    assert.equal((await during.text()).trim(), 'v1.0.0');
    assert.equal(h.git.requests.length, 1, 'the circuit held');

    fault = { kind: 'none' };
    await sleep(Math.max(0, 2000 - (Date.now() - opened)) + 100);
    const fresh = await get('github.com/acme/stale/@v/list');
    assert.equal(fresh.status, 200);
    assert.deepEqual((await fresh.text()).trim().split('\n'), ['v1.0.0', 'v1.1.0']);
  });
});
