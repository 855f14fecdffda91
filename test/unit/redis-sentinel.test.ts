/**
 * Cross-replica fill locks through Redis Sentinel, with real servers: a master, its replica, and
 * a sentinel monitoring them (quorum 1, short timeouts). Three "replicas" (lock clients that only
 * know the sentinel) coordinate one fill; then the master is shut down, the sentinel promotes the
 * replica, and the same clients coordinate the next fill on the new master.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createRedisLocks, type DistributedLocks } from '../../src/fetch/distributed-lock.js';
import { contend } from '../fixtures/lock-contention.js';
import {
  redisSkipReason,
  startRedis,
  startRedisSentinel,
  type RedisSentinel,
  type RedisServer,
} from '../fixtures/redis.js';

const MASTER = 'stoa-test';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** How many fills ran when 30 calls contended for `key` over the replicas (checked consistent). */
async function fills(replicas: DistributedLocks[], key: string): Promise<number> {
  const { runs, results } = await contend(replicas, key);
  assert.equal(results.filter((r) => r.ran).length, runs);
  return runs;
}

describe('fill locks through Redis Sentinel', { skip: redisSkipReason(), timeout: 60_000 }, () => {
  let master: RedisServer;
  let replica: RedisServer;
  let sentinel: RedisSentinel;
  const open: DistributedLocks[] = [];

  before(async () => {
    master = await startRedis();
    replica = await startRedis({ replicaOf: master.port });
    sentinel = await startRedisSentinel(MASTER, master.port);
  });

  after(async () => {
    await Promise.all(open.map((l) => l.close()));
    await sentinel.stop();
    await replica.stop();
    await master.stop();
  });

  function viaSentinel(): DistributedLocks {
    const l = createRedisLocks({
      target: { sentinels: [{ host: '127.0.0.1', port: sentinel.port }], masterName: MASTER },
      ttlMs: 1000,
      renewMs: 300,
      pollMs: 50,
    });
    open.push(l);
    return l;
  }

  it('finds the master through the sentinel and runs one fill under contention', async () => {
    const replicas = [viaSentinel(), viaSentinel(), viaSentinel()];
    const key = `version:${randomUUID()}`;
    assert.equal(await fills(replicas, key), 1, 'exactly one fill ran');
    assert.equal(
      master.cli('exists', `stoa:lock:${key}`),
      '0',
      'the lock lived on the master and is released',
    );
  });

  it('follows a failover: after the master goes, the promoted replica coordinates the next fill', async () => {
    const replicas = [viaSentinel(), viaSentinel(), viaSentinel()];
    assert.equal(await fills(replicas, `version:${randomUUID()}`), 1);
    await master.shutdown();
    for (let i = 0; sentinel.masterPort() !== replica.port; i++) {
      if (i > 200) throw new Error('the sentinel did not promote the replica within 20 s');
      await sleep(100);
    }
    // The clients learn the new master when their connections to the old one fail.
    let runs = 0;
    for (let attempt = 0; attempt < 50; attempt++) {
      runs = await fills(replicas, `version:${randomUUID()}`);
      if (runs === 1 && replica.cli('role').startsWith('master')) break;
      await sleep(200);
    }
    assert.equal(runs, 1, 'exactly one fill ran, coordinated on the new master');
    await master.restart(); // for after(): stop() expects a running server
  });
});
