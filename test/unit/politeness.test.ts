/**
 * The per-host gate with real (short) timers: bounded retries for retryable failures only, full
 * jitter within its ceiling, no retry after an abort, the rate-limit circuit opening and closing
 * at the reset time without calling the host, and the per-host concurrency limit. Errors come from
 * the real status mapping and a real git client against a closed port.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { NotFoundError, RateLimitedError, UpstreamError, UpstreamTimeoutError } from '../../src/errors.js';
import { errorForStatus } from '../../src/git/http-status.js';
import { createGitRemote } from '../../src/git/remote.js';
import { createFetchText } from '../../src/upstream/index.js';
import { backoffDelay, isRetryable, sleep } from '../../src/upstream/polite-retry.js';
import {
  CircuitOpenError,
  createHostGate,
  politeFetchText,
  type GateEvent,
} from '../../src/upstream/politeness.js';

const H = 'git.example:443';

function statusError(status: number, headers: Record<string, string> = {}, tokenSent = false): Error {
  return errorForStatus({
    where: 'info-refs https://git.example/o/r.git',
    status,
    headers,
    text: '',
    tokenSent,
  });
}

/** Runs `fails` failing attempts (throwing what `make` returns), then succeeds; counts attempts. */
function flaky(fails: number, make: () => Error): { calls: () => number; work: () => Promise<string> } {
  let n = 0;
  return {
    calls: () => n,
    work: () => {
      n++;
      return n <= fails ? Promise.reject(make()) : Promise.resolve('ok');
    },
  };
}

describe('isRetryable', () => {
  it('retries 5xx, timeouts, network errors and cut-off replies', () => {
    for (const s of [500, 502, 503, 504]) assert.equal(isRetryable(statusError(s)), true, `HTTP ${s}`);
    assert.equal(isRetryable(new UpstreamTimeoutError('fetch x: no data from upstream for 10 ms')), true);
    assert.equal(isRetryable(new UpstreamError('fetch x: other side closed')), true);
    assert.equal(isRetryable(new UpstreamError('corrupt pack: early EOF (truncated pack)')), true);
  });

  it('never retries not-found, rate limits, rejected tokens, 4xx or corrupt data', () => {
    const never = [
      statusError(404),
      statusError(401),
      statusError(401, {}, true),
      statusError(403),
      statusError(429, { 'retry-after': '3' }),
      statusError(403, { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '9999999999' }),
      statusError(400),
      new UpstreamError('corrupt pack: trailing checksum mismatch'),
      new NotFoundError('x'),
      new Error('HTTP 503'),
    ];
    for (const e of never) assert.equal(isRetryable(e), false, e.message);
  });
});

describe('backoffDelay (full jitter)', () => {
  it('is uniform in [0, min(max, base*2^retry)) and the ceiling doubles then caps', () => {
    const o = { baseMs: 100, maxMs: 1000 };
    assert.equal(backoffDelay(0, { ...o, random: () => 0 }), 0);
    assert.equal(backoffDelay(0, { ...o, random: () => 0.5 }), 50);
    assert.equal(backoffDelay(1, { ...o, random: () => 0.5 }), 100);
    assert.equal(backoffDelay(2, { ...o, random: () => 0.5 }), 200);
    assert.equal(backoffDelay(9, { ...o, random: () => 0.5 }), 500, 'capped at maxMs');
    assert.equal(backoffDelay(3, { ...o, random: () => 0.999999 }), 799);
    for (let i = 0; i < 2000; i++) {
      const retry = i % 6;
      const d = backoffDelay(retry, o);
      assert.ok(d >= 0 && d < Math.min(1000, 100 * 2 ** retry), `retry ${retry}: ${d}`);
    }
  });
});

describe('createHostGate: retries', () => {
  it('makes 1 + retries attempts for a persistent 5xx, then throws the last error', async () => {
    const events: GateEvent[] = [];
    const gate = createHostGate({
      concurrency: 4,
      retries: 3,
      retryBaseMs: 8,
      onEvent: (e) => events.push(e),
    });
    const f = flaky(Infinity, () => statusError(503));
    await assert.rejects(
      gate.run(H, f.work),
      (e: unknown) => e instanceof UpstreamError && /HTTP 503/.test(e.message),
    );
    assert.equal(f.calls(), 4);
    const retries = events.filter((e) => e.type === 'retry');
    assert.deepEqual(
      retries.map((e) => e.retry),
      [1, 2, 3],
    );
    // each delay within its jitter ceiling: 8, 16, 32 ms
    retries.forEach((e, i) => assert.ok(e.delayMs >= 0 && e.delayMs < 8 * 2 ** i, `delay ${e.delayMs}`));
  });

  it('waits the drawn delays (fixed jitter draw) and succeeds on the attempt after the failures', async () => {
    const gate = createHostGate({ concurrency: 1, retries: 2, retryBaseMs: 40, random: () => 0.75 });
    const f = flaky(2, () => new UpstreamError('fetch x: other side closed'));
    const started = performance.now();
    assert.equal(await gate.run(H, f.work), 'ok');
    const elapsed = performance.now() - started;
    assert.equal(f.calls(), 3);
    // 0.75 * 40 + 0.75 * 80 = 90 ms of backoff at least
    assert.ok(elapsed >= 85, `elapsed ${elapsed.toFixed(1)} ms`);
  });

  it('retries: 0 means a single attempt', async () => {
    const gate = createHostGate({ concurrency: 1, retries: 0, retryBaseMs: 1 });
    const f = flaky(1, () => statusError(500));
    await assert.rejects(gate.run(H, f.work), UpstreamError);
    assert.equal(f.calls(), 1);
  });

  it('never retries NotFound, a 4xx, or corrupt data', async () => {
    const gate = createHostGate({ concurrency: 1, retries: 3, retryBaseMs: 1 });
    for (const make of [
      () => statusError(404),
      () => statusError(403),
      () => new UpstreamError('corrupt pack: bad pack header'),
    ]) {
      const f = flaky(1, make);
      await assert.rejects(gate.run(H, f.work));
      assert.equal(f.calls(), 1, make().message);
    }
  });

  it('a real client against a closed port: connection refused is retried (3 requests for retries 2)', async () => {
    const srv = net.createServer();
    await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
    const { port } = srv.address() as AddressInfo;
    await new Promise<void>((resolve) => srv.close(() => resolve()));
    const remote = createGitRemote({ url: `http://127.0.0.1:${port}/o/r.git`, timeoutMs: 2000 });
    const gate = createHostGate({ concurrency: 2, retries: 2, retryBaseMs: 5 });
    await assert.rejects(
      gate.run(`127.0.0.1:${port}`, () => remote.listRefs()),
      UpstreamError,
    );
    assert.equal(remote.stats.requests, 3);
  });
});

describe('createHostGate: aborts', () => {
  it('does not retry once the caller aborted; rethrows the reason', async () => {
    const gate = createHostGate({ concurrency: 1, retries: 5, retryBaseMs: 1 });
    const ac = new AbortController();
    const reason = new Error('client went away');
    let calls = 0;
    const work = (): Promise<never> => {
      calls++;
      ac.abort(reason);
      return Promise.reject(statusError(502));
    };
    await assert.rejects(gate.run(H, work, ac.signal), (e) => e === reason);
    assert.equal(calls, 1);
  });

  it('an abort during the backoff ends the wait at once', async () => {
    const gate = createHostGate({ concurrency: 1, retries: 5, retryBaseMs: 60_000, random: () => 0.99 });
    const ac = new AbortController();
    const f = flaky(Infinity, () => statusError(500));
    setTimeout(() => ac.abort(new Error('stop')), 20);
    const started = performance.now();
    await assert.rejects(gate.run(H, f.work, ac.signal), /stop/);
    assert.equal(f.calls(), 1);
    assert.ok(performance.now() - started < 30_000, 'did not wait for the backoff');
  });

  it('an abort while queued for a slot rejects and the work never runs', async () => {
    const gate = createHostGate({ concurrency: 1, retries: 0 });
    let release = (): void => undefined;
    const holder = gate.run(H, () => new Promise<string>((resolve) => (release = () => resolve('held'))));
    const ac = new AbortController();
    let ran = false;
    const queued = gate.run(
      H,
      () => {
        ran = true;
        return Promise.resolve('x');
      },
      ac.signal,
    );
    await sleep(5);
    assert.equal(gate.state(H).pending, 1);
    ac.abort(new Error('gone'));
    await assert.rejects(queued, /gone/);
    release();
    assert.equal(await holder, 'held');
    await sleep(5);
    assert.equal(ran, false);
  });
});

describe('createHostGate: rate-limit circuit', () => {
  it('429 with Retry-After opens the circuit: no retry, later calls fail at once without calling, closes at the reset', async () => {
    const gate = createHostGate({ concurrency: 2, retries: 3, retryBaseMs: 1 });
    let calls = 0;
    const limited = (): Promise<string> => {
      calls++;
      return Promise.reject(statusError(429, { 'retry-after': '1' }));
    };
    const opened = performance.now();
    await assert.rejects(
      gate.run(H, limited),
      (e) => e instanceof RateLimitedError && e.retryAfterSeconds === 1,
    );
    assert.equal(calls, 1, 'rate limits are not retried');
    const ok = (): Promise<string> => {
      calls++;
      return Promise.resolve('ok');
    };
    await assert.rejects(
      gate.run(H, ok),
      (e) => e instanceof CircuitOpenError && e.status === 503 && e.retryAfterSeconds === 1,
    );
    assert.equal(calls, 1, 'the host was not contacted while the circuit is open');
    assert.ok(gate.state(H).circuitOpenMs > 0);
    // another host is unaffected
    assert.equal(await gate.run('other.example', ok), 'ok');
    await sleep(Math.max(0, 1000 - (performance.now() - opened)) + 30);
    assert.equal(gate.state(H).circuitOpenMs, 0);
    assert.equal(await gate.run(H, ok), 'ok');
  });

  it('403 with x-ratelimit-remaining: 0 uses x-ratelimit-reset; no time given uses the default wait', async () => {
    const gate = createHostGate({ concurrency: 1, retries: 1, rateLimitWaitMs: 3000 });
    const reset = String(Math.floor(Date.now() / 1000) + 5);
    const gh = statusError(403, { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': reset });
    await assert.rejects(
      gate.run('a', () => Promise.reject(gh)),
      RateLimitedError,
    );
    const left = gate.state('a').circuitOpenMs;
    assert.ok(left > 3000 && left <= 6000, `open for ${left} ms`);

    const bare = new RateLimitedError('remote is rate limiting: try again later');
    await assert.rejects(
      gate.run('b', () => Promise.reject(bare)),
      (e) => e instanceof RateLimitedError && e.retryAfterSeconds === 3 && e.cause === bare,
    );
    const leftB = gate.state('b').circuitOpenMs;
    assert.ok(leftB > 2500 && leftB <= 3000, `open for ${leftB} ms`);
  });

  it('calls queued behind the rate-limited one fail without contacting the host', async () => {
    const gate = createHostGate({ concurrency: 1, retries: 0 });
    let calls = 0;
    const first = gate.run(H, async () => {
      calls++;
      await sleep(20);
      throw statusError(429, { 'retry-after': '30' });
    });
    const later = [1, 2, 3].map(() =>
      gate.run(H, () => {
        calls++;
        return Promise.resolve('x');
      }),
    );
    await assert.rejects(first, RateLimitedError);
    for (const p of later) await assert.rejects(p, CircuitOpenError);
    assert.equal(calls, 1);
  });
});

describe('createHostGate: concurrency', () => {
  it('holds the per-host limit; hosts do not share slots', async () => {
    const gate = createHostGate({ concurrency: 3, retries: 0 });
    const running = new Map<string, number>();
    const peak = new Map<string, number>();
    const job = (host: string) => async (): Promise<void> => {
      const n = (running.get(host) ?? 0) + 1;
      running.set(host, n);
      peak.set(host, Math.max(peak.get(host) ?? 0, n));
      await sleep(15);
      running.set(host, (running.get(host) ?? 1) - 1);
    };
    const all = [
      ...Array.from({ length: 12 }, () => gate.run('a', job('a'))),
      ...Array.from({ length: 5 }, () => gate.run('b', job('b'))),
    ];
    await sleep(5);
    assert.deepEqual(gate.state('a'), { active: 3, pending: 9, circuitOpenMs: 0 });
    await Promise.all(all);
    assert.equal(peak.get('a'), 3);
    assert.equal(peak.get('b'), 3);
    assert.deepEqual(gate.state('a'), { active: 0, pending: 0, circuitOpenMs: 0 });
  });
});

describe('politeFetchText (go-import discovery)', () => {
  it('retries a 503 page, and a 429 opens the host circuit', async () => {
    let hits = 0;
    let mode: 'flaky' | 'limited' = 'flaky';
    const server = http.createServer((_req, res) => {
      hits++;
      if (mode === 'limited') res.writeHead(429).end('slow down');
      else if (hits === 1) res.writeHead(503).end('busy');
      else res.writeHead(200, { 'content-type': 'text/html' }).end('<html><head></head><body></body></html>');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/x?go-get=1`;
      const gate = createHostGate({ concurrency: 2, retries: 2, retryBaseMs: 5, rateLimitWaitMs: 60_000 });
      const fetchText = politeFetchText(createFetchText({ upstream: () => undefined }), gate);
      const res = await fetchText(url, AbortSignal.timeout(10_000));
      assert.equal(res.status, 200);
      assert.equal(hits, 2);
      mode = 'limited';
      await assert.rejects(
        fetchText(url, AbortSignal.timeout(10_000)),
        (e) => e instanceof RateLimitedError && e.retryAfterSeconds === 60,
      );
      await assert.rejects(fetchText(url, AbortSignal.timeout(10_000)), CircuitOpenError);
      assert.equal(hits, 3);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
