/**
 * The only reader of process.env. Every setting is declared once in SETTINGS (env names, schema,
 * default, description); loadConfig validates all of them with zod and reports every error at once,
 * and returns a frozen, typed Config. The README's configuration table lists the same settings (a test
 * checks that it does).
 */
import { tmpdir } from 'node:os';
import { z } from 'zod';

const duration = z
  .string()
  .trim()
  .regex(/^\d+(\.\d+)?(ms|s|m|h)?$/, 'a duration such as 500ms, 30s, 5m, 1h (a bare number means seconds)')
  .transform((s) => {
    const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(s);
    const n = Number(m?.[1]);
    const unit = m?.[2] ?? 's';
    const factor = unit === 'ms' ? 1 : unit === 's' ? 1000 : unit === 'm' ? 60_000 : 3_600_000;
    return Math.round(n * factor);
  });

const positiveInt = z.coerce.number().int().positive();

const port = z
  .string()
  .trim()
  // Athens writes its port as ":3000"
  .regex(/^:?\d{1,5}$/, 'a port number such as 3000 (or :3000)')
  .transform((s) => Number(s.replace(/^:/, '')))
  .refine((n) => n >= 0 && n < 65536, 'a port between 0 and 65535 (0 picks a free port)');

const boolean = z.stringbool();

const httpUrl = z
  .string()
  .trim()
  .url()
  .refine((u) => /^https?:\/\//.test(u), 'an http(s) URL')
  .transform((u) => u.replace(/\/+$/, ''));

/** "host=https://mirror/base,other.host=http://127.0.0.1:8080" */
const hostMap = z
  .string()
  .trim()
  .transform((s, ctx) => {
    const out: Record<string, string> = {};
    for (const part of s.split(',').map((p) => p.trim())) {
      if (part === '') continue;
      const i = part.indexOf('=');
      const host = part.slice(0, i).trim().toLowerCase();
      const url = part.slice(i + 1).trim();
      if (i <= 0 || !/^[a-z0-9.-]+(:\d+)?$/.test(host) || !/^https?:\/\/[^\s]+$/.test(url)) {
        ctx.addIssue({ code: 'custom', message: `bad entry "${part}": want host=http(s)://base-url` });
        continue;
      }
      out[host] = url.replace(/\/+$/, '');
    }
    return out;
  });

/**
 * Comma-separated checksum databases, each `url` (named by its host) or `name=url` (for a mirror:
 * `sum.golang.org=https://sum.golang.google.cn`); each is served under `/sumdb/<name>/`. `off`: none.
 */
const sumdbs = z
  .string()
  .trim()
  .transform((s, ctx) => {
    const out: { name: string; url: string }[] = [];
    if (s === 'off') return out;
    for (const part of s.split(',').map((p) => p.trim())) {
      if (part === '') continue;
      const m = /^(?:([a-z0-9.-]+(?::\d+)?)=)?(https?:\/\/([a-z0-9.-]+(?::\d+)?)(?:\/[^\s,]*)?)$/i.exec(part);
      if (!m) {
        ctx.addIssue({
          code: 'custom',
          message: `bad entry "${part}": want the URL of a checksum database, or name=URL`,
        });
        continue;
      }
      const url = (m[2] ?? '').replace(/\/+$/, '');
      out.push({ name: (m[1] ?? m[3] ?? '').toLowerCase(), url });
    }
    return out;
  });

const logLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

/** Athens' storage type names are accepted as they are. */
const storageType = z
  .enum(['disk', 'memory', 's3', 'minio', 'gcs', 'gcp'])
  .transform((t) => (t === 'minio' ? 's3' : t === 'gcp' ? 'gcs' : t));

interface Setting<T extends z.ZodType> {
  /** Environment variable names: the STOA_ name first, then accepted aliases. */
  env: readonly [string, ...string[]];
  schema: T;
  /** Default as the env string, or undefined for "unset". */
  default: string | undefined;
  description: string;
}

function setting<T extends z.ZodType, D extends string | undefined>(
  s: Setting<T> & { default: D },
): Setting<T> & { default: D } {
  return s;
}

export const SETTINGS = {
  port: setting({
    env: ['STOA_PORT', 'ATHENS_PORT', 'PORT'],
    schema: port,
    default: '3000',
    description: 'TCP port to listen on (`0` picks a free one; the log line `stoa listening` shows it).',
  }),
  host: setting({
    env: ['STOA_HOST'],
    schema: z.string().trim().min(1),
    default: '0.0.0.0',
    description: 'Address to bind.',
  }),
  storageType: setting({
    env: ['STOA_STORAGE_TYPE', 'ATHENS_STORAGE_TYPE'],
    schema: storageType,
    default: 'disk',
    description: 'Blob store: `disk`, `memory`, `s3` (alias `minio`) or `gcs` (alias `gcp`).',
  }),
  storageRoot: setting({
    env: ['STOA_STORAGE_ROOT', 'ATHENS_DISK_STORAGE_ROOT'],
    schema: z.string().trim().min(1),
    default: './data',
    description: 'Directory of the disk store.',
  }),
  memoryMaxBytes: setting({
    env: ['STOA_MEMORY_MAX_BYTES'],
    schema: positiveInt,
    default: String(1024 * 1024 * 1024),
    description: 'Byte cap of the memory store.',
  }),
  memoryCacheBytes: setting({
    env: ['STOA_MEMORY_CACHE_BYTES'],
    schema: z.coerce.number().int().nonnegative(),
    default: String(64 * 1024 * 1024),
    description:
      'Byte bound of the in-process LRU of immutable artifacts (`.info`, `.mod`, zip sizes, whole zips of at most 2 MiB) that serves warm requests without touching the store; `0` disables it.',
  }),
  storageLayout: setting({
    env: ['STOA_STORAGE_LAYOUT'],
    schema: z.enum(['stoa', 'athens']),
    default: 'stoa',
    description:
      'Key layout in the store: `stoa` (the GOPROXY URL shape, escaped paths) or `athens` (read and write an existing Athens cache as it is).',
  }),
  s3Bucket: setting({
    env: ['STOA_S3_BUCKET', 'ATHENS_S3_BUCKET_NAME', 'ATHENS_MINIO_BUCKET_NAME'],
    schema: z.string().trim().min(1),
    default: undefined,
    description: 'S3 bucket (required with `STOA_STORAGE_TYPE=s3`).',
  }),
  s3Prefix: setting({
    env: ['STOA_S3_PREFIX'],
    schema: z.string().trim(),
    default: '',
    description: 'Key prefix inside the bucket.',
  }),
  s3Region: setting({
    env: ['STOA_S3_REGION', 'AWS_REGION', 'ATHENS_MINIO_REGION'],
    schema: z.string().trim().min(1),
    default: 'us-east-1',
    description: 'S3 region.',
  }),
  s3Endpoint: setting({
    env: ['STOA_S3_ENDPOINT', 'AWS_ENDPOINT', 'ATHENS_MINIO_ENDPOINT'],
    schema: z
      .string()
      .trim()
      .transform((u) => (/^https?:\/\//.test(u) ? u : `https://${u}`))
      .pipe(httpUrl),
    default: undefined,
    description: 'Endpoint of an S3-compatible store (MinIO, R2, Ceph); unset for AWS.',
  }),
  s3ForcePathStyle: setting({
    env: ['STOA_S3_FORCE_PATH_STYLE', 'AWS_FORCE_PATH_STYLE'],
    schema: boolean,
    default: 'false',
    description: 'Path-style bucket addressing (most S3-compatible stores need it).',
  }),
  s3AccessKeyId: setting({
    env: ['STOA_S3_ACCESS_KEY_ID', 'ATHENS_MINIO_ACCESS_KEY_ID'],
    schema: z.string().trim().min(1),
    default: undefined,
    description:
      "Static access key; unset to use the AWS SDK's default credential chain (env, IRSA, instance role).",
  }),
  s3SecretAccessKey: setting({
    env: ['STOA_S3_SECRET_ACCESS_KEY', 'ATHENS_MINIO_SECRET_ACCESS_KEY'],
    schema: z.string().trim().min(1),
    default: undefined,
    description: 'Static secret key (with `STOA_S3_ACCESS_KEY_ID`). Never logged.',
  }),
  gcsBucket: setting({
    env: ['STOA_GCS_BUCKET', 'ATHENS_STORAGE_GCP_BUCKET'],
    schema: z.string().trim().min(1),
    default: undefined,
    description: 'GCS bucket (required with `STOA_STORAGE_TYPE=gcs`).',
  }),
  gcsPrefix: setting({
    env: ['STOA_GCS_PREFIX'],
    schema: z.string().trim(),
    default: '',
    description: 'Object name prefix inside the bucket.',
  }),
  gcsProject: setting({
    env: ['STOA_GCS_PROJECT', 'GOOGLE_CLOUD_PROJECT'],
    schema: z.string().trim().min(1),
    default: undefined,
    description: 'Google Cloud project.',
  }),
  gcsKeyFile: setting({
    env: ['STOA_GCS_KEY_FILE', 'GOOGLE_APPLICATION_CREDENTIALS'],
    schema: z.string().trim().min(1),
    default: undefined,
    description:
      'Path of a service-account JSON key; unset for Application Default Credentials (Workload Identity).',
  }),
  gcsEndpoint: setting({
    env: ['STOA_GCS_ENDPOINT'],
    schema: httpUrl,
    default: undefined,
    description: 'GCS API endpoint override (emulators).',
  }),
  githubUrl: setting({
    env: ['STOA_GITHUB_URL'],
    schema: httpUrl,
    default: 'https://github.com',
    description:
      'Base URL for github.com modules (GitHub Enterprise, tests). Repositories are fetched from `<base>/<owner>/<repo>.git`.',
  }),
  githubToken: setting({
    env: ['STOA_GITHUB_TOKEN', 'ATHENS_GITHUB_TOKEN'],
    schema: z.string().trim().min(1),
    default: undefined,
    description:
      'GitHub token, sent as HTTP Basic `x-access-token:<token>`. Never logged. A rejected token fails every fetch, public repositories included.',
  }),
  hostMap: setting({
    env: ['STOA_HOST_MAP'],
    schema: hostMap,
    default: '',
    description:
      'Comma-separated `host=base-url` pairs: fetch modules of `host` from `base-url` instead (go-import discovery and git). For private mirrors and tests.',
  }),
  sumdbs: setting({
    env: ['STOA_SUMDBS', 'ATHENS_SUM_DBS'],
    schema: sumdbs,
    default: 'https://sum.golang.org',
    description:
      'Checksum databases proxied under `/sumdb/<name>/`, comma-separated: a URL (named by its host) or `name=URL` (a mirror). The go command then verifies go.sum through stoa. `off`: none (`/sumdb/*` is 404 and clients go to the database directly).',
  }),
  noSumdb: setting({
    env: ['STOA_NOSUMDB', 'ATHENS_GONOSUM_PATTERNS'],
    schema: z.string().trim(),
    default: '',
    description:
      'Modules never looked up in a checksum database, as GONOSUMDB-style patterns (`github.com/your-org/*`): their lookups are refused with 403 so private module names do not leave (clients must list them in GONOSUMDB). Modules excluded by the download policy are refused too.',
  }),
  fillConcurrency: setting({
    env: ['STOA_FILL_CONCURRENCY'],
    schema: positiveInt,
    default: '8',
    description: 'Upstream fills running at once (cache hits never wait for a slot).',
  }),
  fillTimeout: setting({
    env: ['STOA_FILL_TIMEOUT', 'ATHENS_TIMEOUT'],
    schema: duration,
    default: '10m',
    description: 'Deadline of one fill, detached from any request (a bare number means seconds).',
  }),
  redisUrl: setting({
    env: ['STOA_REDIS_URL', 'ATHENS_REDIS_ENDPOINT'],
    schema: z
      .string()
      .trim()
      .transform((s) => (/^rediss?:\/\//.test(s) ? s : `redis://${s}`))
      .refine(
        (u) => URL.canParse(u) && new URL(u).hostname !== '',
        'redis://host:port, rediss://host:port or host:port',
      ),
    default: undefined,
    description:
      "Redis for coalescing fills across replicas: `redis://[:password@]host:port[/db]`, `rediss://…`, or Athens' `host:port`. Implies `STOA_SINGLE_FLIGHT_TYPE=redis`. Unset: each replica coalesces its own fills only. If Redis is unreachable, requests still succeed (in-process coalescing until it is back).",
  }),
  redisPassword: setting({
    env: ['STOA_REDIS_PASSWORD', 'ATHENS_REDIS_PASSWORD'],
    schema: z.string().min(1),
    default: undefined,
    description: 'Redis password, when it is not in the URL. Never logged.',
  }),
  redisSentinels: setting({
    env: ['STOA_REDIS_SENTINELS', 'ATHENS_REDIS_SENTINEL_ENDPOINTS'],
    schema: z
      .string()
      .trim()
      .transform((s, ctx) => {
        const out: { host: string; port: number }[] = [];
        for (const part of s.split(',').map((p) => p.trim())) {
          if (part === '') continue;
          const m = /^([a-z0-9.-]+|\[[0-9a-f:]+\]):(\d{1,5})$/i.exec(part);
          const port = Number(m?.[2]);
          if (!m || port < 1 || port > 65535) {
            ctx.addIssue({ code: 'custom', message: `bad entry "${part}": want host:port` });
            continue;
          }
          out.push({ host: (m[1] ?? '').replace(/^\[|\]$/g, ''), port });
        }
        return out;
      }),
    default: undefined,
    description:
      'Redis Sentinel instead of one Redis: comma-separated sentinel `host:port` list (with `STOA_REDIS_SENTINEL_MASTER`). The locks follow the master through failovers.',
  }),
  redisSentinelMaster: setting({
    env: ['STOA_REDIS_SENTINEL_MASTER', 'ATHENS_REDIS_SENTINEL_MASTER_NAME'],
    schema: z.string().trim().min(1),
    default: undefined,
    description: 'Name of the master the sentinels monitor (`sentinel monitor <name> ...`).',
  }),
  redisSentinelPassword: setting({
    env: ['STOA_REDIS_SENTINEL_PASSWORD', 'ATHENS_REDIS_SENTINEL_PASSWORD'],
    schema: z.string().min(1),
    default: undefined,
    description:
      "The sentinels' own password, if they have one (`STOA_REDIS_PASSWORD` is the master's). Never logged.",
  }),
  singleFlightType: setting({
    env: ['STOA_SINGLE_FLIGHT_TYPE', 'ATHENS_SINGLE_FLIGHT_TYPE'],
    schema: z.enum(['memory', 'redis', 'redis-sentinel']),
    default: undefined,
    description:
      "`redis` (implied by a Redis URL, which it requires), `redis-sentinel` (implied by sentinels, which it requires) or `memory` (coalesce within each replica only, even with Redis configured). Athens' other types (etcd, gcp, azureblob) are not supported.",
  }),
  lockTtl: setting({
    env: ['STOA_LOCK_TTL'],
    schema: duration.refine((ms) => ms >= 100, 'at least 100ms'),
    default: '30s',
    description:
      'Lifetime of a fill lock in Redis. The holder renews it every third of this while its fill runs; a replica that dies mid-fill holds the others back for at most this long, then one of them fills.',
  }),
  upstreamIdleTimeout: setting({
    env: ['STOA_UPSTREAM_TIMEOUT'],
    schema: duration,
    default: '60s',
    description: 'An upstream request that sends no data for this long fails with 504.',
  }),
  upstreamHostConcurrency: setting({
    env: ['STOA_UPSTREAM_HOST_CONCURRENCY'],
    schema: positiveInt,
    default: '16',
    description: 'Requests at once to one upstream host (git and go-import discovery together).',
  }),
  upstreamRetries: setting({
    env: ['STOA_UPSTREAM_RETRIES'],
    schema: z.coerce.number().int().min(0).max(10),
    default: '2',
    description:
      'Extra attempts after a network error, a 5xx answer or a timeout (never after a not-found or a rate limit).',
  }),
  upstreamRetryDelay: setting({
    env: ['STOA_UPSTREAM_RETRY_DELAY'],
    schema: duration,
    default: '250ms',
    description:
      'Backoff before the first retry is random between 0 and this (full jitter); the ceiling doubles per retry, up to 10 s.',
  }),
  upstreamRateLimitWait: setting({
    env: ['STOA_UPSTREAM_RATE_LIMIT_WAIT'],
    schema: duration,
    default: '60s',
    description:
      'How long a rate-limited host is left alone when it gave no reset time (`Retry-After`, `x-ratelimit-reset`); meanwhile its requests answer 503.',
  }),
  tempDir: setting({
    env: ['STOA_TEMP_DIR'],
    schema: z.string().trim().min(1),
    default: tmpdir(),
    description: 'Where git packs are spooled during a fill (removed afterwards).',
  }),
  logLevel: setting({
    env: ['STOA_LOG_LEVEL', 'ATHENS_LOG_LEVEL'],
    schema: logLevel,
    default: 'info',
    description:
      'pino log level: `fatal` `error` `warn` `info` `debug` `trace` `silent`. JSON lines on stdout; `info` adds one line per request (warm `.info` throughput 25–35% lower than at `warn`).',
  }),
  shutdownTimeout: setting({
    env: ['STOA_SHUTDOWN_TIMEOUT', 'ATHENS_SHUTDOWN_TIMEOUT'],
    schema: duration,
    default: '60s',
    description: 'On SIGTERM/SIGINT, how long in-flight responses and fills may take before exit.',
  }),
  listTtl: setting({
    env: ['STOA_LIST_TTL'],
    schema: duration,
    default: '5m',
    description:
      '`@v/list` and `@latest` answers are fresh for this long; hot ones are refreshed in the background, and stale ones are served when the upstream fails.',
  }),
  negativeTtl: setting({
    env: ['STOA_NEGATIVE_TTL'],
    schema: duration,
    default: '1m',
    description: '"Not found" answers are remembered for this long (`0` disables).',
  }),
  replicaId: setting({
    env: ['STOA_REPLICA_ID'],
    schema: z
      .string()
      .trim()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, 'letters, digits, `.`, `_` and `-`, at most 128'),
    default: undefined,
    description:
      "This replica's name in the lifetime stats records (`_stoa/stats/<id>.json` in the store); unset: the host name. Must differ between replicas running at the same time.",
  }),
  statsInterval: setting({
    env: ['STOA_STATS_INTERVAL'],
    schema: duration,
    default: '30s',
    description:
      "How often this replica writes its lifetime counters to the store (and once more on shutdown), for `/stats`' lifetime totals.",
  }),
  downloadMode: setting({
    env: ['STOA_DOWNLOAD_MODE', 'ATHENS_DOWNLOAD_MODE'],
    schema: z.enum(['sync', 'async', 'redirect', 'none']),
    default: 'sync',
    description:
      'What a cache miss does: `sync` fills while the client waits; `async` answers 404 and fills in the background; `redirect` sends the client to `STOA_DOWNLOAD_REDIRECT_URL`; `none` serves only the store.',
  }),
  downloadRedirectUrl: setting({
    env: ['STOA_DOWNLOAD_REDIRECT_URL', 'ATHENS_DOWNLOAD_URL'],
    schema: httpUrl,
    default: undefined,
    description: 'The GOPROXY that `redirect` mode sends misses to, e.g. `https://proxy.golang.org`.',
  }),
  downloadFile: setting({
    env: ['STOA_DOWNLOAD_FILE'],
    schema: z.string().trim().min(1),
    default: undefined,
    description:
      'JSON file with a download mode per module pattern and an exclusion list (see "Download modes"); overrides the two settings above.',
  }),
  exclude: setting({
    env: ['STOA_EXCLUDE'],
    schema: z.string().trim(),
    default: '',
    description:
      'Modules refused with 403, as comma-separated GOPRIVATE-style patterns (`github.com/evil/*,example.com`).',
  }),
  offline: setting({
    env: ['STOA_OFFLINE'],
    schema: boolean,
    default: 'false',
    description: 'Serve only what the store holds; never contact an upstream.',
  }),
} as const;

type Settings = typeof SETTINGS;
export type Config = Readonly<{
  [K in keyof Settings]: Settings[K]['default'] extends string
    ? z.output<Settings[K]['schema']>
    : z.output<Settings[K]['schema']> | undefined;
}>;

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

/** Every environment variable name stoa reads. */
export function configEnvNames(): string[] {
  return Object.values(SETTINGS).flatMap((s) => [...s.env]);
}

export function loadConfig(env: Readonly<Record<string, string | undefined>> = process.env): Config {
  const out: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [key, s] of Object.entries(SETTINGS) as [keyof Settings, Setting<z.ZodType>][]) {
    const name = s.env.find((n) => env[n] !== undefined && env[n] !== '');
    const raw = name === undefined ? s.default : env[name];
    if (raw === undefined) {
      out[key] = undefined;
      continue;
    }
    const parsed = s.schema.safeParse(raw);
    if (parsed.success) {
      out[key] = parsed.data;
    } else {
      const why = parsed.error.issues.map((i) => i.message).join('; ');
      // Values of secrets are never echoed.
      // Values of secrets, and credentials inside URLs, are never echoed.
      const shown = /TOKEN|SECRET|PASSWORD|KEY/i.test(s.env[0])
        ? '(hidden)'
        : JSON.stringify(raw.replace(/(\/\/)[^\s/@]*@/g, '$1[redacted]@'));
      problems.push(`${name ?? s.env[0]}=${shown}: ${why}`);
    }
  }
  if (problems.length === 0) {
    if (out.storageType === 's3' && out.s3Bucket === undefined)
      problems.push('STOA_S3_BUCKET is required with STOA_STORAGE_TYPE=s3');
    if (out.storageType === 'gcs' && out.gcsBucket === undefined)
      problems.push('STOA_GCS_BUCKET is required with STOA_STORAGE_TYPE=gcs');
    if ((out.s3AccessKeyId === undefined) !== (out.s3SecretAccessKey === undefined)) {
      problems.push('STOA_S3_ACCESS_KEY_ID and STOA_S3_SECRET_ACCESS_KEY go together');
    }
    if (out.singleFlightType === 'redis' && out.redisUrl === undefined)
      problems.push('STOA_SINGLE_FLIGHT_TYPE=redis needs STOA_REDIS_URL (or ATHENS_REDIS_ENDPOINT)');
    const sentinels = out.redisSentinels as readonly unknown[] | undefined;
    const hasSentinels = sentinels !== undefined && sentinels.length > 0;
    if (out.singleFlightType === 'redis-sentinel' && !hasSentinels)
      problems.push('STOA_SINGLE_FLIGHT_TYPE=redis-sentinel needs STOA_REDIS_SENTINELS');
    if (hasSentinels && out.redisSentinelMaster === undefined)
      problems.push('STOA_REDIS_SENTINELS needs STOA_REDIS_SENTINEL_MASTER (the monitored master name)');
    if (hasSentinels && out.redisUrl !== undefined)
      problems.push('set either STOA_REDIS_URL or STOA_REDIS_SENTINELS, not both');
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze(out) as Config;
}
