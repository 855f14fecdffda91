/**
 * The Dockerfile: its rules (multi-stage, non-root, EXPOSE 3000, exec-form CMD with node, no go or
 * git, production dependencies only), then its steps replayed without Docker and the resulting
 * image layout started: /healthz answers 200 and SIGTERM drains to exit code 0.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { configEnvNames } from '../../src/config.js';
import { dockerfileProblems, installedPackages } from './dockerfile-rules.js';
import { dockerignoreMatcher, execForm, instructions, parseDockerfile } from './dockerfile.js';
import { REPO_ROOT } from './k8s.js';
import { exitCode, freePort, start, stop, waitFor200, type Started } from './process.js';
import { hostPath, replayStages } from './replay.js';

const known = new Set(configEnvNames());
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

  it(
    'replayed without Docker, the image starts, answers /healthz and exits 0 on SIGTERM',
    { timeout: 180_000 },
    async (t) => {
      const df = parseDockerfile(dockerfileText);
      const scratch = await mkdtemp(path.join(tmpdir(), 'stoa-image-'));
      let stoa: Started | undefined;
      try {
        const results = await replayStages(df, {
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
        const runtime = results[results.length - 1];
        assert.ok(runtime);
        for (const r of results) {
          for (const s of r.skipped)
            t.diagnostic(`stage ${r.stage.index}: skipped "${s.command}": ${s.reason}`);
        }
        const ran = results.flatMap((r) => r.ran);
        assert.ok(
          ran.some((c) => /^npm run build\b/.test(c)),
          `ran: ${ran.join(' | ')}`,
        );
        const devInstall = results.flatMap((r) => [...r.ran, ...r.skipped.map((x) => x.command)]);
        assert.ok(
          devInstall.some((c) => /^npm ci\b/.test(c) && !c.includes('--omit=dev')),
          `no dev install in ${devInstall.join(' | ')}`,
        );
        assert.ok(
          runtime.ran.some((c) => /^npm ci\b.*--omit=dev/.test(c)),
          `runtime ran: ${runtime.ran.join(' | ')}`,
        );

        const app = hostPath(runtime.root, runtime.workdir);
        assert.ok(existsSync(path.join(app, 'dist/src/main.js')), 'dist/ copied from the build stage');
        assert.ok(
          existsSync(path.join(app, 'node_modules/hono/package.json')),
          'production dependencies installed',
        );
        for (const dev of ['typescript', 'tsx', 'eslint', 'kubernetes-models']) {
          assert.ok(!existsSync(path.join(app, 'node_modules', dev)), `dev dependency ${dev} in the image`);
        }
        assert.ok(!existsSync(path.join(app, 'src')), 'TypeScript sources in the image');

        // The image's ENV, with its absolute paths (/data, /tmp) inside the replayed root.
        const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: scratch };
        for (const [k, v] of Object.entries(runtime.env)) {
          env[k] = v.startsWith('/') ? hostPath(runtime.root, v) : v;
          if (v.startsWith('/')) await mkdir(env[k], { recursive: true });
        }
        const port = await freePort();
        Object.assign(env, { STOA_PORT: String(port), STOA_HOST: '127.0.0.1', STOA_LOG_LEVEL: 'warn' });
        const cmd = execForm(instructions(runtime.stage, 'CMD').pop()?.rest ?? '');
        assert.ok(cmd !== undefined, 'CMD in exec form');
        stoa = start(cmd, app, env);
        const url = `http://127.0.0.1:${port}`;
        await waitFor200(`${url}/healthz`, stoa);

        assert.equal((await fetch(`${url}/readyz`)).status, 200, 'disk store on the data volume is ready');
        const version = (await (await fetch(`${url}/version`)).json()) as { version?: string };
        const pkg = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as {
          version: string;
        };
        assert.equal(version.version, pkg.version, 'package.json is in the image');

        // The image's HEALTHCHECK (node's fetch; the slim image has no curl) passes.
        const healthcheck = instructions(runtime.stage, 'HEALTHCHECK').pop();
        if (healthcheck !== undefined) {
          const argv = execForm(healthcheck.rest.replace(/^CMD\s+/, ''));
          assert.ok(argv !== undefined, 'HEALTHCHECK in exec form');
          assert.equal(await exitCode(argv, app, env), 0, 'HEALTHCHECK command');
        }

        const { code, signal } = await stop(stoa, 'SIGTERM');
        assert.equal(signal, null, `killed by ${signal ?? ''} (no drain within 30 s):\n${stoa.output()}`);
        assert.equal(code, 0, stoa.output());
      } finally {
        if (stoa !== undefined) await stop(stoa, 'SIGKILL');
        await rm(scratch, { recursive: true, force: true });
      }
    },
  );
});
