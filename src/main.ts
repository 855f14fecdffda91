#!/usr/bin/env node
/**
 * Composition root: loadConfig → store, sources, service, logger → createApp → serve; signals and
 * graceful drain. The only module that knows concrete backends.
 */
import { getRequestListener } from '@hono/node-server';
import cliProgress from 'cli-progress';
import { readFileSync, realpathSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import { hostname } from 'node:os';
import { createApp } from './app.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { createCoalescer } from './fetch/coalescer.js';
import { createRedisLocks, lockTimings } from './fetch/distributed-lock.js';
import { createLimiter } from './fetch/limiter.js';
import { createHitFastPath } from './http/hit-fast-path.js';
import { createLogTelemetry } from './log-telemetry.js';
import { createLogger, type Logger } from './logger.js';
import { createMetrics } from './metrics.js';
import { meterBlobStore } from './metrics-store.js';
import { createMetricsTelemetry } from './metrics-telemetry.js';
import { safeReplicaId } from './stats/lifetime-records.js';
import { createStatsService } from './stats/stats-service.js';
import { combineTelemetry } from './telemetry.js';
import { createArtifactStore } from './service/artifact-store-impl.js';
import { createDownloadPolicy, matchPrefixPatterns, type DownloadPolicy } from './service/download-policy.js';
import { createModuleService } from './service/module-service.js';
import { createSumdbProxy } from './service/sumdb-proxy.js';
import { createUpstreamSource } from './upstream/index.js';
import { createHostGate } from './upstream/politeness.js';
import { mapUrl } from './upstream/repo-resolver.js';
import { createSumdbUpstream } from './upstream/sumdb-upstream.js';
import { createBlobStore, type BlobStore, type StorageConfig } from '../storage/index.js';

function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version?: string;
    };
    return pkg.version ?? 'dev';
  } catch {
    return 'dev';
  }
}

export function storageConfigFrom(config: Config): StorageConfig {
  switch (config.storageType) {
    case 'memory':
      return { type: 'memory', maxBytes: config.memoryMaxBytes };
    case 'disk':
      return { type: 'disk', root: config.storageRoot };
    case 's3':
      return {
        type: 's3',
        bucket: config.s3Bucket ?? '',
        prefix: config.s3Prefix,
        region: config.s3Region,
        endpoint: config.s3Endpoint,
        forcePathStyle: config.s3ForcePathStyle,
        accessKeyId: config.s3AccessKeyId,
        secretAccessKey: config.s3SecretAccessKey,
      };
    case 'gcs':
      return {
        type: 'gcs',
        bucket: config.gcsBucket ?? '',
        prefix: config.gcsPrefix,
        projectId: config.gcsProject,
        keyFilename: config.gcsKeyFile,
        apiEndpoint: config.gcsEndpoint,
      };
  }
}

export interface RunningServer {
  url: string;
  close(): Promise<void>;
  drain(): Promise<void>;
}

/** Starts stoa with the given config; used by the CLI entry and by tests. */
export async function startServer(config: Config, logger: Logger): Promise<RunningServer> {
  const coalescer = createCoalescer({ timeoutMs: config.fillTimeout });
  const limiter = createLimiter(config.fillConcurrency);
  // Cross-replica coalescing when a Redis is configured (Athens: ATHENS_SINGLE_FLIGHT_TYPE=redis).
  const redisTarget =
    config.redisSentinels !== undefined && config.redisSentinels.length > 0
      ? {
          sentinels: config.redisSentinels,
          masterName: config.redisSentinelMaster ?? '',
          sentinelPassword: config.redisSentinelPassword,
        }
      : config.redisUrl;
  const locks =
    redisTarget !== undefined && config.singleFlightType !== 'memory'
      ? createRedisLocks({
          target: redisTarget,
          password: config.redisPassword,
          logger,
          ...lockTimings(config.lockTtl),
        })
      : undefined;
  const live = {
    fillsInFlight: () => coalescer.stats().inFlight,
    fillQueueDepth: () => limiter.pending,
    coalescedWaiters: () => coalescer.stats().waiters,
  };
  const metrics = createMetrics({ live });
  const blobStore: BlobStore = meterBlobStore(createBlobStore(storageConfigFrom(config)), metrics);
  const store = createArtifactStore(blobStore, {
    layout: config.storageLayout,
    memoryCacheBytes: config.memoryCacheBytes,
  });
  const stats = createStatsService({
    store: blobStore,
    replicaId: config.replicaId ?? safeReplicaId(hostname()),
    persistIntervalMs: config.statsInterval,
    logger,
    live,
  });
  await stats.start();
  let policy: DownloadPolicy;
  try {
    policy = createDownloadPolicy({
      mode: config.downloadMode,
      redirectUrl: config.downloadRedirectUrl,
      file: config.downloadFile,
      exclude: config.exclude,
    });
  } catch (err) {
    throw new ConfigError([err instanceof Error ? err.message : String(err)]);
  }
  const telemetry = combineTelemetry(
    createLogTelemetry(logger),
    createMetricsTelemetry(metrics),
    stats.telemetry,
  );
  const source = createUpstreamSource({
    githubUrl: config.githubUrl,
    githubToken: config.githubToken,
    hostMap: config.hostMap,
    idleTimeoutMs: config.upstreamIdleTimeout,
    tempDir: config.tempDir,
    telemetry,
    hostConcurrency: config.upstreamHostConcurrency,
    retries: config.upstreamRetries,
    retryDelayMs: config.upstreamRetryDelay,
    rateLimitWaitMs: config.upstreamRateLimitWait,
  });
  const service = createModuleService({
    store,
    source,
    coalescer,
    limiter,
    locks,
    offline: config.offline,
    telemetry,
    policy,
    listTtlMs: config.listTtl,
    negativeTtlMs: config.negativeTtl,
  });
  // Offline means no upstream at all: checksum databases included (clients then ask them directly).
  const sumdb =
    config.sumdbs.length === 0 || config.offline
      ? undefined
      : createSumdbProxy({
          databases: config.sumdbs,
          upstream: createSumdbUpstream({
            gate: createHostGate({
              concurrency: config.upstreamHostConcurrency,
              retries: config.upstreamRetries,
              retryBaseMs: config.upstreamRetryDelay,
              rateLimitWaitMs: config.upstreamRateLimitWait,
            }),
            telemetry,
            timeoutMs: config.upstreamIdleTimeout,
          }),
          mapUrl: (url) => mapUrl(url, config.hostMap),
          isPrivate: (module) =>
            (config.noSumdb !== '' && matchPrefixPatterns(config.noSumdb, module)) ||
            policy.decide(module).kind === 'excluded',
        });
  let draining = false;
  const app = createApp({
    service,
    sumdb,
    logger,
    telemetry,
    version: packageVersion(),
    checkStore: (signal) => blobStore.ping(signal),
    isDraining: () => draining,
    observability: { registry: metrics.registry, stats: () => stats.report() },
  });

  // Warm .info/.mod answers are written by the fast path; every other request goes to hono.
  const hitFastPath = createHitFastPath({
    service,
    telemetry,
    isDraining: () => draining,
    onTelemetryError: (err) => logger.warn({ err }, 'reporting a request failed'),
  });
  const appListener = getRequestListener(app.fetch, { hostname: config.host });
  const server: Server = createServer((req, res) => {
    if (!hitFastPath(req, res)) void appListener(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  // Requests accepted before draining began: the ones a drain lets finish.
  let accepted = 0;
  server.on('request', (_req: unknown, res: NodeJS.EventEmitter) => {
    if (draining) return;
    accepted++;
    res.once('close', () => accepted--);
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : config.port;
  const host = config.host === '0.0.0.0' ? '127.0.0.1' : config.host;

  async function close(): Promise<void> {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await stats.stop();
    await blobStore.close();
    await locks?.close();
  }

  return {
    url: `http://${host}:${port}`,
    close,
    async drain() {
      // New requests get 503 (the listener stays open so they get an answer); requests accepted
      // before and fills in flight may finish until the shutdown timeout; then the listener closes.
      draining = true;
      const deadline = Date.now() + config.shutdownTimeout;
      while ((accepted > 0 || coalescer.stats().inFlight > 0) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      if ('closeAllConnections' in server) server.closeAllConnections();
      await closed;
      await stats.stop();
      await blobStore.close();
      await locks?.close();
    },
  };
}

async function main(argv: string[]): Promise<number> {
  if (argv[0] === 'copy') {
    // `stoa copy SRC DST`: copy a module cache between stores or layouts (see README).
    const { runCopyCache } = await import('./cli/copy-cache.js');
    // On a terminal, a progress bar; in logs, the per-version lines are the progress.
    const bar = process.stderr.isTTY
      ? new cliProgress.SingleBar(
          {
            stream: process.stderr,
            format: 'stoa copy [{bar}] {value}/{total} versions{more}',
            hideCursor: true,
          },
          cliProgress.Presets.shades_classic,
        )
      : undefined;
    bar?.start(0, 0, { more: '' });
    const summary: string[] = [];
    try {
      return await runCopyCache(argv.slice(1), {
        stdout: (line) => (bar ? summary.push(line) : process.stdout.write(`${line}\n`)),
        stderr: (line) => process.stderr.write(`${bar ? '\n' : ''}${line}\n`),
        onProgress: (p) => {
          bar?.setTotal(p.found);
          bar?.update(p.done, { more: p.listing ? ' (still listing)' : '' });
        },
      });
    } finally {
      bar?.stop();
      // With a bar, only the closing summary is printed (the bar showed the rest).
      const last = summary.at(-1);
      if (last !== undefined) process.stdout.write(`${last}\n`);
    }
  }
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`stoa: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  const logger = createLogger({ level: config.logLevel });
  let running: RunningServer;
  try {
    running = await startServer(config, logger);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`stoa: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  logger.info({ url: running.url, storage: config.storageType }, 'stoa listening');
  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string): void => {
      if (stopping) {
        // A second signal: stop waiting. process.exit runs the exit handlers, so logs still flush.
        logger.warn({ signal }, 'second signal: exiting without waiting for the drain');
        process.exit(1);
      }
      stopping = true;
      logger.info({ signal }, 'draining');
      running.drain().then(
        () => resolve(0),
        (err: unknown) => {
          logger.error({ err }, 'drain failed');
          resolve(1);
        },
      );
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
  });
}

/** True when this file is the program being run (also through an npm bin symlink). */
function isEntryPoint(): boolean {
  const arg = process.argv[1];
  if (arg === undefined) return false;
  try {
    return realpathSync(arg) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

const isEntry = isEntryPoint();
if (isEntry) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`stoa: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    },
  );
}
