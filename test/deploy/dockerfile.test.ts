/**
 * The Dockerfile: its rules (multi-stage, non-root, EXPOSE 3000, exec-form CMD with node, no go or
 * git, production dependencies only), then its steps replayed without Docker and the resulting
 * image layout started from its CMD: /healthz answers 200, the HEALTHCHECK passes, SIGTERM drains
 * to exit code 0; and the same image started with each overlay's settings answers the probes the
 * manifests declare (the ha overlay's S3 store is a local s3rver).
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { configEnvNames } from '../../src/config.js';
import { dockerfileProblems, installedPackages } from './dockerfile-rules.js';
import { dockerignoreMatcher, execForm, instructions, parseDockerfile } from './dockerfile.js';
import { isRecord, kubectlAvailable, OVERLAYS, renderOverlay, REPO_ROOT, type K8sObject } from './k8s.js';
import { containerEnv, stoaConfig, stoaPods } from './pod-rules.js';
import { redisSkipReason, startRedis } from '../fixtures/redis.js';
import { startS3rver } from '../fixtures/s3rver.js';
import { exitCode, freePort, start, stop, waitFor200, type Started } from './process.js';
import { hostPath, replayStages, type StageResult } from './replay.js';

const known = new Set(configEnvNames());
const skip = kubectlAvailable() ? false : 'kubectl not installed';
const dockerfileText = readFileSync(path.join(REPO_ROOT, 'Dockerfile'), 'utf8');
const dockerignoreText = readFileSync(path.join(REPO_ROOT, '.dockerignore'), 'utf8');

describe('Dockerfile', () => {
  it('follows the rules', () => {
    assert.deepEqual(dockerfileProblems(parseDockerfile(dockerfileText), known), []);
  });

  it('the rules catch violations', () => {
    const broken = dockerfileText
      .replace(/^USER .*$/m, 'USER root')
      .replace(/^EXPOSE .*$/m, 'EXPOSE 8080')
      .replace(/^CMD \[.*$/m, 'CMD node dist/src/main.js')
      .replace('--omit=dev', '')
      .replace(
        /^FROM \$\{NODE_IMAGE\} AS runtime$/m,
        'FROM node:latest AS runtime\nRUN apt-get install -y --no-install-recommends git golang-go',
      )
      .replace(/^ENV STOA_PORT=3000/m, 'ENV NODE_ENV=production STOA_PORT=3000');
    assert.notEqual(broken, dockerfileText);
    assert.deepEqual(dockerfileProblems(parseDockerfile(broken), known).sort(), [
      'CMD is missing or not in exec form',
      'ENV NODE_ENV is not a stoa setting',
      'does not EXPOSE 3000',
      'runtime USER is root',
      'runtime base node:latest is not a slim Node 20 image',
      'runtime stage does not run npm ci --omit=dev',
      'stage 1: base image node:latest is not pinned',
      'stage 1: installs git, golang-go',
    ]);
    assert.deepEqual(installedPackages('apk add --no-cache go && echo ok'), ['go']);
    const noUser = dockerfileText.replace(/^USER .*$/m, '');
    assert.deepEqual(dockerfileProblems(parseDockerfile(noUser), known), [
      'runtime stage has no USER (runs as root)',
    ]);
  });

  it('.dockerignore keeps local state out and lets every COPY source in', () => {
    const ignored = dockerignoreMatcher(dockerignoreText);
    for (const p of [
      'node_modules',
      'node_modules/hono/package.json',
      '.git',
      'dist/src/main.js',
      'data',
      '.env',
    ]) {
      assert.ok(ignored(p), `${p} should be ignored`);
    }
    const df = parseDockerfile(dockerfileText);
    const sources = df.stages
      .flatMap((s) => instructions(s, 'COPY'))
      .filter((i) => i.flags.from === undefined)
      .flatMap((i) => (execForm(i.rest) ?? i.rest.split(/\s+/)).slice(0, -1));
    assert.ok(sources.length > 0);
    for (const src of sources) assert.ok(!ignored(src), `${src} is copied but ignored`);
  });
});

/** The paths the ServiceMonitors of a render scrape. */
function scrapePaths(objects: readonly K8sObject[]): string[] {
  const out: string[] = [];
  for (const o of objects) {
    if (o.kind !== 'ServiceMonitor' || !isRecord(o.spec) || !Array.isArray(o.spec.endpoints)) continue;
    for (const e of o.spec.endpoints as unknown[])
      if (isRecord(e) && typeof e.path === 'string') out.push(e.path);
  }
  assert.ok(out.length > 0, 'no ServiceMonitor endpoint');
  return out;
}

describe('the image, replayed without Docker', () => {
  const df = parseDockerfile(dockerfileText);
  let scratch = '';
  let results: StageResult[] = [];
  let runtime: StageResult | undefined;
  let app = '';
  /** Every process started, so that a failed test cannot leave one running. */
  const started = new Set<Started>();

  before(async () => {
    scratch = await mkdtemp(path.join(tmpdir(), 'stoa-image-'));
    results = await replayStages(df, {
      context: REPO_ROOT,
      scratch,
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: process.env.HOME ?? scratch,
        npm_config_prefer_offline: 'true',
        npm_config_audit: 'false',
        npm_config_fund: 'false',
        npm_config_update_notifier: 'false',
      },
      ignored: dockerignoreMatcher(dockerignoreText),
      // The build stage's dev install is the repository's own node_modules (same lockfile); the
      // runtime stage's `npm ci --omit=dev` runs for real.
      reuseNodeModules: {
        stages: df.stages.slice(0, -1).map((s) => s.index),
        from: path.join(REPO_ROOT, 'node_modules'),
      },
    });
    runtime = results[results.length - 1];
    if (runtime !== undefined) app = hostPath(runtime.root, runtime.workdir);
  });

  after(async () => {
    for (const p of started) await stop(p, 'SIGKILL');
    if (scratch !== '') await rm(scratch, { recursive: true, force: true });
  });

  /** `env` with absolute container paths (/data, /tmp) moved into the replayed root, directories made. */
  async function inImage(env: Record<string, string>): Promise<Record<string, string>> {
    assert.ok(runtime);
    const out: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: scratch };
    for (const [k, v] of Object.entries(env)) {
      out[k] = v.startsWith('/') ? hostPath(runtime.root, v) : v;
      if (v.startsWith('/')) await mkdir(out[k], { recursive: true });
    }
    return out;
  }

  /** Starts the image's CMD with `env` on a free loopback port. */
  async function startImage(env: Record<string, string>): Promise<{ url: string; stoa: Started }> {
    assert.ok(runtime);
    const cmd = execForm(instructions(runtime.stage, 'CMD').pop()?.rest ?? '');
    assert.ok(cmd !== undefined, 'CMD in exec form');
    const port = await freePort();
    const stoa = start(cmd, app, {
      ...env,
      STOA_PORT: String(port),
      STOA_HOST: '127.0.0.1',
      STOA_LOG_LEVEL: 'warn',
    });
    started.add(stoa);
    return { url: `http://127.0.0.1:${port}`, stoa };
  }

  async function stopImage(stoa: Started): Promise<void> {
    const { code, signal } = await stop(stoa, 'SIGTERM');
    assert.equal(signal, null, `killed by ${signal ?? ''} (no drain within 30 s):\n${stoa.output()}`);
    assert.equal(code, 0, stoa.output());
  }

  it('ran the npm steps: dev install and build, then production dependencies only', (t) => {
    assert.ok(runtime);
    for (const r of results) {
      for (const s of r.skipped) t.diagnostic(`stage ${r.stage.index}: skipped "${s.command}": ${s.reason}`);
    }
    const all = results.flatMap((r) => [...r.ran, ...r.skipped.map((x) => x.command)]);
    assert.ok(
      all.some((c) => /^npm ci\b/.test(c) && !c.includes('--omit=dev')),
      `no dev install in ${all.join(' | ')}`,
    );
    assert.ok(
      results.some((r) => r.ran.some((c) => /^npm run build\b/.test(c))),
      'npm run build ran',
    );
    assert.ok(
      runtime.ran.some((c) => /^npm ci\b.*--omit=dev/.test(c)),
      `runtime ran: ${runtime.ran.join(' | ')}`,
    );
    assert.ok(existsSync(path.join(app, 'dist/src/main.js')), 'dist/ copied from the build stage');
    assert.ok(
      existsSync(path.join(app, 'node_modules/hono/package.json')),
      'production dependencies installed',
    );
    for (const dev of ['typescript', 'tsx', 'eslint', 'kubernetes-models']) {
      assert.ok(!existsSync(path.join(app, 'node_modules', dev)), `dev dependency ${dev} in the image`);
    }
    assert.ok(!existsSync(path.join(app, 'src')), 'TypeScript sources in the image');
  });

  it('starts from its CMD and ENV, answers /healthz, passes its HEALTHCHECK, exits 0 on SIGTERM', async () => {
    assert.ok(runtime);
    const env = await inImage(runtime.env);
    const { url, stoa } = await startImage(env);
    await waitFor200(`${url}/healthz`, stoa);
    assert.equal((await fetch(`${url}/readyz`)).status, 200, 'disk store on the data volume is ready');
    const version = (await (await fetch(`${url}/version`)).json()) as { version?: string };
    const pkg = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
    assert.equal(version.version, pkg.version, 'package.json is in the image');

    // The image's HEALTHCHECK (node's fetch; the slim image has no curl) passes.
    const healthcheck = instructions(runtime.stage, 'HEALTHCHECK').pop();
    if (healthcheck !== undefined) {
      const argv = execForm(healthcheck.rest.replace(/^CMD\s+/, ''));
      assert.ok(argv !== undefined, 'HEALTHCHECK in exec form');
      const port = new URL(url).port;
      assert.equal(await exitCode(argv, app, { ...env, STOA_PORT: port }), 0, 'HEALTHCHECK command');
    }
    await stopImage(stoa);
  });

  for (const overlay of OVERLAYS) {
    it(`runs with the ${overlay} overlay's settings and answers its probes`, { skip }, async () => {
      assert.ok(runtime);
      const objects = renderOverlay(overlay);
      const pod = stoaPods(objects)[0];
      assert.ok(pod);
      // Kubernetes puts the container's env over the image's ENV.
      const env = { ...runtime.env, ...containerEnv(objects, pod.c).env };
      // An S3 store is a local s3rver with the overlay's bucket name; only the endpoint and the
      // credentials differ from the manifest (what a MinIO setup would set as well).
      const s3 =
        stoaConfig(objects, pod.c).storageType === 's3'
          ? await startS3rver({ bucket: env.STOA_S3_BUCKET })
          : undefined;
      // The overlay's Redis Service is a local redis-server (a replica runs without one, too).
      const redis =
        env.STOA_REDIS_URL !== undefined && redisSkipReason() === false ? await startRedis() : undefined;
      try {
        if (redis !== undefined) env.STOA_REDIS_URL = redis.url;
        else delete env.STOA_REDIS_URL;
        if (s3 !== undefined) {
          Object.assign(env, {
            STOA_S3_ENDPOINT: s3.endpoint,
            STOA_S3_FORCE_PATH_STYLE: 'true',
            STOA_S3_ACCESS_KEY_ID: s3.clientConfig.accessKeyId,
            STOA_S3_SECRET_ACCESS_KEY: s3.clientConfig.secretAccessKey,
          });
        }
        const { url, stoa } = await startImage(await inImage(env));
        const probes = [pod.c.startupProbe, pod.c.livenessProbe, pod.c.readinessProbe];
        const paths = probes.map((p) => p?.httpGet?.path).filter((p): p is string => p !== undefined);
        assert.ok(paths.length >= 2, `probe paths: ${paths.join(', ')}`);
        for (const p of paths) await waitFor200(`${url}${p}`, stoa);
        // The ServiceMonitor's scrape path answers with Prometheus text.
        for (const scrape of scrapePaths(objects)) {
          const res = await fetch(`${url}${scrape}`);
          assert.equal(res.status, 200, `scrape ${scrape}`);
          assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
          assert.match(await res.text(), /^# HELP /m);
        }
        if (redis !== undefined) {
          // The replica connected to the Redis of STOA_REDIS_URL (CLIENT LIST also shows redis-cli).
          const clients = async (): Promise<number> => {
            for (let i = 0; i < 50; i++) {
              const n = redis.cli('client', 'list').split('\n').length;
              if (n >= 2) return n;
              await new Promise((r) => setTimeout(r, 100));
            }
            return 1;
          };
          assert.ok((await clients()) >= 2, 'stoa did not connect to Redis');
        }
        await stopImage(stoa);
      } finally {
        for (const p of started) await stop(p, 'SIGKILL');
        await redis?.stop();
        await s3?.close();
      }
    });
  }
});
