/**
 * The Redis fill lock against a real redis-server: mutual exclusion under contention across
 * several "replicas" (separate connections), renewal past the TTL, replacement of a dead holder
 * after the TTL, waiters woken by the holder's message, failures passed on, and the fallback to
 * plain execution when Redis is down (logged once).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import {
  createRedisLocks,
  type DistributedLocks,
  type RedisLocksOptions,
} from '../../src/fetch/distributed-lock.js';
import { NotFoundError } from '../../src/errors.js';
import { createLogger } from '../../src/logger.js';
import { contend } from '../fixtures/lock-contention.js';
import { redisSkipReason, startRedis, type RedisServer } from '../fixtures/redis.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function captureLogger(): { logger: ReturnType<typeof createLogger>; lines: () => { msg: string }[] } {
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk.toString());
      cb();
    },
  });
  return {
    logger: createLogger({ level: 'info', destination }),
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as { msg: string }),
  };
}

/** Starts a fill on `l` that holds `key` for `ms` and then completes; resolves once it is running. */
async function holdThenFinish(
  l: DistributedLocks,
  key: string,
  ms: number,
): Promise<{ holder: ReturnType<DistributedLocks['runExclusive']>; isDone: () => Promise<boolean> }> {
  let done = false;
  let started!: () => void;
  const running = new Promise<void>((r) => (started = r));
  const isDone = (): Promise<boolean> => Promise.resolve(done);
  const holder = l.runExclusive(
    key,
    async () => {
      started();
      await sleep(ms);
      done = true;
    },
    { isDone },
  );
  await running;
  return { holder, isDone };
}

describe('distributed fill lock on Redis', { skip: redisSkipReason(), timeout: 60_000 }, () => {
  let redis: RedisServer;
  const open: DistributedLocks[] = [];

  function locks(overrides: Partial<RedisLocksOptions> = {}): DistributedLocks {
    const l = createRedisLocks({ target: redis.url, ttlMs: 1000, renewMs: 300, pollMs: 50, ...overrides });
    open.push(l);
    return l;
  }

  before(async () => {
    redis = await startRedis();
  });

  after(async () => {
    await Promise.all(open.map((l) => l.close()));
    await redis.stop();
  });

  it('runs one fill under contention from three replicas; everyone else sees it done', async () => {
    const key = `version:${randomUUID()}`;
    const { runs, results } = await contend([locks(), locks(), locks()], key);
    assert.equal(runs, 1, 'exactly one fill ran');
    assert.equal(results.filter((r) => r.ran).length, 1);
    assert.deepEqual(
      results.find((r) => r.ran),
      { ran: true, value: 'filled' },
    );
    assert.equal(redis.cli('exists', `stoa:lock:${key}`), '0', 'the lock is released');
  });

  it('never runs two fills of one key at once (work that leaves nothing done runs one at a time)', async () => {
    const replicas = [locks(), locks(), locks()];
    const key = `version:${randomUUID()}`;
    let running = 0;
    let maxRunning = 0;
    let runs = 0;
    const results = await Promise.all(
      Array.from({ length: 9 }, (_, i) =>
        (replicas[i % 3] as DistributedLocks).runExclusive(
          key,
          async () => {
            running++;
            runs++;
            maxRunning = Math.max(maxRunning, running);
            await sleep(20);
            running--;
          },
          { isDone: () => Promise.resolve(false) },
        ),
      ),
    );
    assert.equal(runs, 9, 'each caller ran, since nothing was ever done');
    assert.equal(maxRunning, 1, 'one at a time');
    assert.ok(results.every((r) => r.ran));
  });

  it('renewal keeps a long fill locked past the TTL', async () => {
    const a = locks({ ttlMs: 300, renewMs: 80 });
    const b = locks({ ttlMs: 300, renewMs: 80 });
    const key = `version:${randomUUID()}`;
    const events: string[] = [];
    let started!: () => void;
    const aStarted = new Promise<void>((r) => (started = r));
    const first = a.runExclusive(
      key,
      async () => {
        events.push('a-start');
        started();
        await sleep(1200); // four TTLs
        const pttl = Number(redis.cli('pttl', `stoa:lock:${key}`));
        assert.ok(pttl > 0, `still locked after 4 TTLs (pttl ${pttl})`);
        events.push('a-end');
      },
      { isDone: () => Promise.resolve(false) },
    );
    await aStarted;
    const second = b.runExclusive(
      key,
      () => {
        events.push('b-start');
        return Promise.resolve();
      },
      { isDone: () => Promise.resolve(false) },
    );
    await Promise.all([first, second]);
    assert.deepEqual(events, ['a-start', 'a-end', 'b-start']);
  });

  it('replaces a holder that stopped renewing once its lock expires', async () => {
    const key = `version:${randomUUID()}`;
    const lockKey = `stoa:lock:${key}`;
    // A replica that took the lock and died: nobody renews it.
    assert.equal(redis.cli('set', lockKey, 'dead-replica/1/x', 'PX', '600', 'NX'), 'OK');
    const l = locks({ ttlMs: 1000, pollMs: 50 });
    let holderSeen = '';
    const r = await l.runExclusive(
      key,
      () => {
        holderSeen = redis.cli('get', lockKey);
        return Promise.resolve('taken over');
      },
      { isDone: () => Promise.resolve(false) },
    );
    assert.deepEqual(r, { ran: true, value: 'taken over' });
    assert.notEqual(holderSeen, 'dead-replica/1/x', 'ran only under its own lock');
    assert.match(holderSeen, new RegExp(`/${process.pid}/`), 'the token names the holder process');
  });

  it('wakes waiters with the published message, not the poll', async () => {
    const a = locks();
    const b = locks({ pollMs: 600_000 }); // would never poll within the test's lifetime
    const key = `version:${randomUUID()}`;
    const { holder, isDone } = await holdThenFinish(a, key, 300);
    let bRan = false;
    const waiter = await b.runExclusive(
      key,
      () => {
        bRan = true;
        return Promise.resolve();
      },
      { isDone },
    );
    assert.deepEqual(waiter, { ran: false });
    assert.equal(bRan, false);
    assert.equal((await holder).ran, true);
  });

  it("passes the holder's failure to waiters as the same error kind, and caches nothing", async () => {
    const a = locks();
    const b = locks({ pollMs: 600_000 });
    const key = `version:${randomUUID()}`;
    let started!: () => void;
    const aStarted = new Promise<void>((r) => (started = r));
    const holder = a.runExclusive(
      key,
      async () => {
        started();
        await sleep(200);
        throw new NotFoundError('github.com/acme/x@v1.0.0: unknown revision v1.0.0');
      },
      { isDone: () => Promise.resolve(false) },
    );
    await aStarted;
    const waiter = b.runExclusive(key, () => Promise.resolve('should not run'), {
      isDone: () => Promise.resolve(false),
    });
    await Promise.all([
      assert.rejects(holder, NotFoundError),
      assert.rejects(waiter, (err: unknown) => {
        assert.ok(err instanceof NotFoundError, 'the same error kind');
        assert.equal(err.message, 'github.com/acme/x@v1.0.0: unknown revision v1.0.0');
        return true;
      }),
    ]);
    // Nothing remembered: the next attempt runs.
    const again = await b.runExclusive(key, () => Promise.resolve('retried'), {
      isDone: () => Promise.resolve(false),
    });
    assert.deepEqual(again, { ran: true, value: 'retried' });
  });

  it('a store read that fails is asked again, not taken as "not done" (no duplicate fill)', async () => {
    const l = locks();
    const key = `version:${randomUUID()}`;
    let reads = 0;
    let ran = false;
    const r = await l.runExclusive(
      key,
      () => {
        ran = true;
        return Promise.resolve();
      },
      {
        isDone: () => (++reads === 1 ? Promise.reject(new Error('store hiccup')) : Promise.resolve(true)),
      },
    );
    assert.deepEqual(r, { ran: false });
    assert.equal(ran, false);
    assert.equal(redis.cli('exists', `stoa:lock:${key}`), '0', 'the lock is released');
  });

  it('a store that keeps failing: the fill runs after a few attempts, and the lock is released', async () => {
    const l = locks();
    const key = `version:${randomUUID()}`;
    const r = await l.runExclusive(key, () => Promise.resolve('filled'), {
      isDone: () => Promise.reject(new Error('store unreachable')),
    });
    assert.deepEqual(r, { ran: true, value: 'filled' });
    assert.equal(redis.cli('exists', `stoa:lock:${key}`), '0', 'the lock is released');
  });

  it('a waiter stops waiting when its signal aborts', async () => {
    const key = `version:${randomUUID()}`;
    redis.cli('set', `stoa:lock:${key}`, 'other/1/x', 'PX', '10000');
    const l = locks();
    await assert.rejects(
      l.runExclusive(key, () => Promise.resolve(), {
        isDone: () => Promise.resolve(false),
        signal: AbortSignal.timeout(200),
      }),
      { name: 'TimeoutError' },
    );
  });

  it('falls back to running the work when Redis is unreachable, and logs that once', async () => {
    const { logger, lines } = captureLogger();
    // nothing listens on port 1 of loopback
    const l = locks({ target: 'redis://127.0.0.1:1', logger, connectTimeoutMs: 500 });
    for (let i = 0; i < 3; i++) {
      const r = await l.runExclusive(`version:${randomUUID()}`, () => Promise.resolve(i), {
        isDone: () => Promise.resolve(false),
      });
      assert.deepEqual(r, { ran: true, value: i });
    }
    await sleep(300); // let reconnect attempts fail a few more times
    const warnings = lines().filter((l) => l.msg.startsWith('redis unreachable'));
    assert.equal(warnings.length, 1, 'one warning per outage');
  });

  it('keeps working through a Redis outage and coordinates again once Redis is back', async () => {
    const { logger, lines } = captureLogger();
    const a = locks({ logger });
    const key = `version:${randomUUID()}`;
    assert.equal(
      (await a.runExclusive(key, () => Promise.resolve(1), { isDone: () => Promise.resolve(false) })).ran,
      true,
    );

    await redis.shutdown();
    const during = await a.runExclusive(key, () => Promise.resolve('no redis'), {
      isDone: () => Promise.resolve(false),
    });
    assert.deepEqual(during, { ran: true, value: 'no redis' });
    assert.ok(lines().some((l) => l.msg.startsWith('redis unreachable')));

    await redis.restart();
    for (let i = 0; i < 100 && !lines().some((l) => l.msg.startsWith('redis reachable again')); i++) {
      await sleep(50);
    }
    assert.ok(
      lines().some((l) => l.msg.startsWith('redis reachable again')),
      'recovery logged',
    );
    const b = locks(); // a fresh replica; `a` is the one that lived through the outage
    // Mutual exclusion is back: with a held lock, a waiter waits and sees completion.
    const { holder, isDone } = await holdThenFinish(a, key, 200);
    const waiter = await b.runExclusive(key, () => Promise.resolve('duplicate'), {
      isDone,
    });
    assert.deepEqual(waiter, { ran: false });
    assert.equal((await holder).ran, true);
  });
});
