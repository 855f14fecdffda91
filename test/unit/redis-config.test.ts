/**
 * The Redis settings: Athens' `ATHENS_REDIS_ENDPOINT` (`host:port`) and `ATHENS_SINGLE_FLIGHT_TYPE`
 * are accepted, a URL implies the redis type, the redis type needs a URL, and the lock TTL parses.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config.js';
import { lockTimings } from '../../src/fetch/distributed-lock.js';

describe('Redis settings', () => {
  it("accepts Athens' host:port endpoint and single flight type", () => {
    const c = loadConfig({
      ATHENS_REDIS_ENDPOINT: 'redis.internal:6379',
      ATHENS_SINGLE_FLIGHT_TYPE: 'redis',
    });
    assert.equal(c.redisUrl, 'redis://redis.internal:6379');
    assert.equal(c.singleFlightType, 'redis');
  });

  it('keeps redis:// and rediss:// URLs as they are, password included', () => {
    assert.equal(
      loadConfig({ STOA_REDIS_URL: 'redis://:pw@10.0.0.1:6380/2' }).redisUrl,
      'redis://:pw@10.0.0.1:6380/2',
    );
    assert.equal(
      loadConfig({ STOA_REDIS_URL: 'rediss://r.example:6379' }).redisUrl,
      'rediss://r.example:6379',
    );
  });

  it('leaves Redis off by default and needs a URL for the redis type', () => {
    const c = loadConfig({});
    assert.equal(c.redisUrl, undefined);
    assert.equal(c.lockTtl, 30_000);
    assert.throws(() => loadConfig({ ATHENS_SINGLE_FLIGHT_TYPE: 'redis' }), ConfigError);
    assert.throws(() => loadConfig({ ATHENS_SINGLE_FLIGHT_TYPE: 'etcd' }), ConfigError);
    assert.throws(() => loadConfig({ STOA_LOCK_TTL: '10ms' }), ConfigError);
  });

  it("accepts Athens' Redis Sentinel settings, and wants a master name, and not a URL as well", () => {
    const c = loadConfig({
      ATHENS_SINGLE_FLIGHT_TYPE: 'redis-sentinel',
      ATHENS_REDIS_SENTINEL_ENDPOINTS: 'sentinel-0.redis:26379, 10.0.0.7:26380,[fd00::1]:26379',
      ATHENS_REDIS_SENTINEL_MASTER_NAME: 'mymaster',
      ATHENS_REDIS_SENTINEL_PASSWORD: 's3cret',
    });
    assert.deepEqual(c.redisSentinels, [
      { host: 'sentinel-0.redis', port: 26379 },
      { host: '10.0.0.7', port: 26380 },
      { host: 'fd00::1', port: 26379 },
    ]);
    assert.equal(c.redisSentinelMaster, 'mymaster');
    assert.equal(c.redisSentinelPassword, 's3cret');
    const problems = (env: Record<string, string>): string => {
      try {
        loadConfig(env);
        return '';
      } catch (err) {
        return err instanceof ConfigError ? err.problems.join('\n') : String(err);
      }
    };
    assert.match(problems({ STOA_REDIS_SENTINELS: 'a:1' }), /needs STOA_REDIS_SENTINEL_MASTER/);
    assert.match(problems({ STOA_SINGLE_FLIGHT_TYPE: 'redis-sentinel' }), /needs STOA_REDIS_SENTINELS/);
    assert.match(
      problems({
        STOA_REDIS_SENTINELS: 'a:1',
        STOA_REDIS_SENTINEL_MASTER: 'm',
        STOA_REDIS_URL: 'redis://b:2',
      }),
      /either STOA_REDIS_URL or STOA_REDIS_SENTINELS/,
    );
    assert.match(problems({ STOA_REDIS_SENTINELS: 'a', STOA_REDIS_SENTINEL_MASTER: 'm' }), /want host:port/);
    assert.ok(!problems({ STOA_REDIS_SENTINEL_PASSWORD: 'hunter2', STOA_LOCK_TTL: 'x' }).includes('hunter2'));
  });

  it('derives renewal and polling periods from the TTL', () => {
    assert.deepEqual(lockTimings(30_000), { ttlMs: 30_000, renewMs: 10_000, pollMs: 1000 });
    assert.deepEqual(lockTimings(2000), { ttlMs: 2000, renewMs: 666, pollMs: 500 });
  });
});
