/**
 * The Redis side of cross-replica coalescing: one command connection and one subscriber
 * connection, their health, and a pub/sub hub that fans a channel's messages out to local
 * listeners (one Redis SUBSCRIBE per channel, however many local listeners).
 *
 * Commands never queue while Redis is away (`enableOfflineQueue: false`) and time out quickly, so a
 * Redis outage costs a request nothing but the fallback to in-process coalescing. The outage is
 * logged once when it starts and once when Redis is back. The URL (it may hold a password) is
 * never logged. With Redis Sentinel, the sentinels name the master, and ioredis asks them again
 * after a failover, so coordination follows the new master.
 */
import { hostname } from 'node:os';
import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from '../logger.js';

/** Redis Sentinel: the master is found (and followed through failovers) by asking the sentinels. */
export interface RedisSentinelTarget {
  sentinels: readonly { host: string; port: number }[];
  /** The master's name as the sentinels know it. */
  masterName: string;
  /** The sentinels' own password, if any. */
  sentinelPassword?: string;
}

export interface RedisConnectionOptions {
  /** `redis://[user:pass@]host:port[/db]` or `rediss://...`, or the sentinels to ask for the master. */
  target: string | RedisSentinelTarget;
  /** The master's password (when it is not in the URL). */
  password?: string;
  /** A command that gets no answer for this long fails (and the caller falls back). */
  commandTimeoutMs?: number;
  /** How long the first use waits for the initial connection before falling back. */
  connectTimeoutMs?: number;
  logger?: Pick<Logger, 'warn' | 'info'>;
}

export type MessageListener = (message: string) => void;

export interface RedisConnection {
  readonly client: Redis;
  /** True when commands can be sent now. Waits for the initial connection attempt first. */
  usable(): Promise<boolean>;
  /** Subscribes `listener` to `channel`; resolves to an unsubscribe function (never rejects). */
  listen(channel: string, listener: MessageListener): Promise<() => void>;
  /** Logs a Redis failure once per outage. */
  readonly failed: (err: unknown) => void;
  close(): Promise<void>;
}

export function createRedisConnection(options: RedisConnectionOptions): RedisConnection {
  const common = {
    password: options.password,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: options.commandTimeoutMs ?? 2000,
    connectTimeout: options.connectTimeoutMs ?? 2000,
    // Reconnect forever, at most every 2 s: Redis coming back restores cross-replica coalescing.
    retryStrategy: (times: number) => Math.min(times * 100, 2000),
    connectionName: `stoa:${hostname()}:${process.pid}`,
  };
  const connect = (extra: Partial<RedisOptions>): Redis => {
    const t = options.target;
    if (typeof t === 'string') return new Redis(t, { ...common, ...extra });
    return new Redis({
      ...common,
      ...extra,
      sentinels: t.sentinels.map((x) => ({ host: x.host, port: x.port })),
      name: t.masterName,
      sentinelPassword: t.sentinelPassword,
    });
  };
  const client = connect({});
  const sub = connect({ commandTimeout: undefined });
  const log = options.logger;
  let down = false;
  let closed = false;

  function failed(err: unknown): void {
    if (down || closed) return;
    down = true;
    log?.warn(
      { err: err instanceof Error ? err.message : String(err) },
      'redis unreachable: fills are coalesced within this replica only until it is back',
    );
  }
  for (const c of [client, sub]) {
    c.on('error', failed);
    c.on('ready', () => {
      if (client.status !== 'ready' || sub.status !== 'ready') return;
      if (down && !closed) log?.info({}, 'redis reachable again: fills are coalesced across replicas');
      down = false;
    });
  }

  /** Settles on the first connection attempt's outcome (ready, error, or timeout). */
  const firstAttempt = (c: Redis): Promise<void> =>
    new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        c.off('ready', done);
        c.off('error', done);
        resolve();
      };
      const timer = setTimeout(done, options.connectTimeoutMs ?? 2000);
      timer.unref();
      c.once('ready', done);
      c.once('error', done);
    });
  const connected = Promise.all([firstAttempt(client), firstAttempt(sub)]);

  const listeners = new Map<string, Set<MessageListener>>();
  sub.on('message', (channel: string, message: string) => {
    for (const l of listeners.get(channel) ?? []) l(message);
  });

  return {
    client,
    async usable() {
      await connected;
      return !closed && client.status === 'ready';
    },
    async listen(channel, listener) {
      let set = listeners.get(channel);
      if (!set) {
        set = new Set();
        listeners.set(channel, set);
      }
      set.add(listener);
      if (set.size === 1 && sub.status === 'ready') {
        // Without the subscription, waiters still poll the store: no error is fatal here.
        await sub.subscribe(channel).catch(failed);
      }
      return () => {
        const s = listeners.get(channel);
        if (!s?.delete(listener) || s.size > 0) return;
        listeners.delete(channel);
        if (sub.status === 'ready') sub.unsubscribe(channel).catch(failed);
      };
    },
    failed,
    async close() {
      closed = true;
      await Promise.all(
        [client, sub].map((c) =>
          c.status === 'ready'
            ? c.quit().then(
                () => undefined,
                () => c.disconnect(),
              )
            : Promise.resolve(c.disconnect()),
        ),
      );
    },
  };
}
