/**
 * Three stoa processes (`node --import tsx src/main.ts`) sharing one s3rver bucket and one
 * redis-server, all fetching from one fixture git server:
 * - 200 concurrent requests for an uncached zip, spread over the three, cost the git server the
 *   pack fetches of ONE fill (measured first on a same-shaped module), and all 200 answers are the
 *   same complete zip (its h1 recomputed from the bytes equals the one recorded in the store);
 * - the lock holder killed with SIGKILL mid-fill (its pack fetch held at the git server) is
 *   replaced after the lock TTL by another replica, which completes the fill; no client gets a
 *   partial zip;
 * - with Redis gone, requests still succeed: each replica fills at most once on its own.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { hashZipFile } from '../../src/cli/zip-h1.js';
import { createBlobStore, createModuleStore } from '../../storage/index.js';
import { startGitServer, type GitRequestRecord, type GitServer } from '../fixtures/git-server.js';
import { redisSkipReason, startRedis, type RedisServer } from '../fixtures/redis.js';
import { RepoBuilder } from '../fixtures/repo.js';
import { startS3rver, stoaS3Env, type S3rverServer } from '../fixtures/s3rver.js';
import { freePort, deferred } from '../fixtures/util.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
// Short, so the takeover test is quick; long enough that a loaded machine's event-loop lag does not
// outlast a renewal period (a third of it).
const LOCK_TTL = '4s';

/** Same-shaped repositories: only the module path differs. */
function publishModule(gitRoot: string, name: string): void {
  const r = new RepoBuilder();
  try {
    const files: Record<string, string> = { 'go.mod': `module github.com/${name}\n\ngo 1.18\n` };
    for (let i = 0; i < 40; i++) {
      files[`pkg${i % 4}/file${i}.go`] =
        `package pkg${i % 4}\n\n// ${'x'.repeat(2000)}\nconst C${i} = ${i}\n`;
    }
    r.write(files).commit('v1');
    r.tag('v1.0.0');
    r.publish(gitRoot, name);
  } finally {
    r.dispose();
  }
}

interface Replica {
  name: string;
  proc: ChildProcess;
  base: string;
  output: () => string;
  exited: Promise<void>;
}

interface Answer {
  status: number;
  sha256: string;
  bytes: Buffer;
}

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** Fill log lines of a module (what each replica reports having filled itself). */
function fillsLogged(r: Replica, module: string): { outcome: string }[] {
  return r
    .output()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { msg?: string; kind?: string; module?: string; outcome: string })
    .filter((e) => e.msg === 'fill' && e.kind === 'version' && e.module === module);
}

function countBy(records: GitRequestRecord[], repo: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of records) if (r.path.includes(`/${repo}.git/`)) out[r.command] = (out[r.command] ?? 0) + 1;
  return out;
}

describe('three replicas on one bucket and one Redis', { skip: redisSkipReason(), timeout: 120_000 }, () => {
  let dir: string;
  let git: GitServer;
  let s3: S3rverServer;
  let redis: RedisServer;
  const replicas: Replica[] = [];
  /** Upstream requests of one cold fill, by command (measured by the first test). */
  let oneFill: Record<string, number> = {};
  let holdCrashFetch = false;
  const crashFetchArrived = deferred();
  const releaseCrashFetch = deferred();

  async function startReplica(name: string): Promise<Replica> {
    const port = await freePort();
    let out = '';
    const proc = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: repoRoot,
      env: {
        PATH: process.env.PATH,
        HOME: dir,
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        STOA_HOST: '127.0.0.1',
        STOA_PORT: String(port),
        ...stoaS3Env(s3),
        STOA_GITHUB_URL: git.url,
        STOA_SUMDBS: 'off', // never a checksum database on the internet
        STOA_REDIS_URL: `127.0.0.1:${redis.port}`, // Athens' host:port form
        STOA_LOCK_TTL: LOCK_TTL,
        STOA_REPLICA_ID: name,
        STOA_TEMP_DIR: dir,
        STOA_LOG_LEVEL: 'info',
        STOA_UPSTREAM_RETRIES: '0',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    proc.stdout?.on('data', (c: Buffer) => (out += c.toString()));
    proc.stderr?.on('data', (c: Buffer) => (out += c.toString()));
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    for (let i = 0; !out.includes('stoa listening'); i++) {
      if (i > 600 || proc.exitCode !== null) throw new Error(`${name} did not start:\n${out}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    return { name, proc, base: `http://127.0.0.1:${port}`, output: () => out, exited };
  }

  async function get(r: Replica, urlPath: string): Promise<Answer> {
    const res = await fetch(`${r.base}${urlPath}`);
    const bytes = Buffer.from(await res.arrayBuffer()); // a ~10 KiB zip
    return { status: res.status, sha256: sha256(bytes), bytes };
  }

  /** Asserts that `zip` is complete: its h1, recomputed from the bytes, is the one stored with it. */
  async function assertCompleteZip(module: string, zip: Buffer): Promise<void> {
    const file = path.join(dir, `check-${sha256(zip)}.zip`);
    writeFileSync(file, zip);
    const blobs = createBlobStore({ type: 's3', ...s3.clientConfig });
    try {
      const stored = await createModuleStore(blobs, { layout: 'stoa' }).getZip(module, 'v1.0.0');
      assert.ok(stored, `${module} is complete in the store`);
      await stored.body.cancel();
      assert.equal(stored.size, zip.length, 'size as recorded');
      assert.equal(await hashZipFile(file), stored.h1, 'h1 of the served bytes is the recorded h1');
    } finally {
      await blobs.close();
    }
  }

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'stoa-multi-'));
    const gitRoot = path.join(dir, 'git');
    for (const name of ['acme/probe', 'acme/hot', 'acme/crash', 'acme/calm']) publishModule(gitRoot, name);
    git = await startGitServer({
      root: gitRoot,
      missingAs401: true,
      intercept: async (req, _res, body) => {
        const isFetch = body.subarray(0, 64).toString('latin1').includes('command=fetch');
        if (holdCrashFetch && isFetch && (req.url ?? '').includes('/acme/crash')) {
          crashFetchArrived.resolve();
          await releaseCrashFetch.promise; // the holder's fill stays in flight
        }
        return false;
      },
    });
    [s3, redis] = await Promise.all([startS3rver({ bucket: 'stoa-multi' }), startRedis()]);
    replicas.push(...(await Promise.all(['r0', 'r1', 'r2'].map(startReplica))));
  });

  after(async () => {
    releaseCrashFetch.resolve();
    await Promise.all(
      replicas.map((r) => {
        if (r.proc.exitCode === null && r.proc.signalCode === null) r.proc.kill('SIGKILL');
        return r.exited;
      }),
    );
    await git?.close();
    await s3?.close();
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('200 concurrent requests over 3 replicas cost the upstream one fill, all get the same bytes', async (t) => {
    const [r0] = replicas;
    assert.ok(r0);
    // One cold fill of a same-shaped module: what a single fill costs the git server.
    git.resetCounts();
    const probe = await get(r0, '/github.com/acme/probe/@v/v1.0.0.zip');
    assert.equal(probe.status, 200);
    oneFill = countBy(git.requests, 'probe');
    assert.ok((oneFill.fetch ?? 0) >= 1, 'a fill fetches a pack');

    git.resetCounts();
    const answers = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        get(replicas[i % 3] as Replica, '/github.com/acme/hot/@v/v1.0.0.zip'),
      ),
    );
    const hot = countBy(git.requests, 'hot');
    t.diagnostic(
      `one cold fill: ${JSON.stringify(oneFill)}; 200 requests over 3 replicas: ${JSON.stringify(hot)}`,
    );
    const failed = answers.filter((a) => a.status !== 200);
    assert.equal(
      failed.length,
      0,
      `every answer is 200; got ${failed.map((a) => `${a.status} ${a.bytes.toString().slice(0, 200)}`).join(', ')}\n${replicas.map((r) => r.output()).join('\n')}`,
    );
    assert.equal(new Set(answers.map((a) => a.sha256)).size, 1, 'all 200 bodies are byte-identical');
    const notable = (r: Replica): string =>
      `${r.name}:\n${r
        .output()
        .split('\n')
        .filter((l) => /"msg":"fill"|"level":"(warn|error)"/.test(l))
        .join('\n')}`;
    assert.equal(
      hot.fetch,
      oneFill.fetch,
      `upstream pack fetches equal those of one fill\n${replicas.map(notable).join('\n')}`,
    );
    assert.deepEqual(hot, oneFill, 'every upstream request of one fill, once');
    const fills = replicas.map((r) => fillsLogged(r, 'github.com/acme/hot').length);
    assert.deepEqual(
      fills.slice().sort(),
      [0, 0, 1],
      `exactly one replica filled (per replica: ${fills.join(',')})`,
    );
    assert.equal(redis.cli('exists', 'stoa:lock:version:github.com/acme/hot@v1.0.0'), '0', 'lock released');
    await assertCompleteZip('github.com/acme/hot', (answers[0] as Answer).bytes);
  });

  it('a lock holder killed mid-fill is replaced after the TTL; nothing partial is served', async (t) => {
    holdCrashFetch = true;
    git.resetCounts();
    const urlPath = '/github.com/acme/crash/@v/v1.0.0.zip';
    const pending = Array.from({ length: 60 }, (_, i) => {
      const r = replicas[i % 3] as Replica;
      // A request to the killed replica fails: recorded, not thrown.
      return get(r, urlPath).then(
        (a) => ({ replica: r.name, ...a }),
        (err: unknown) => ({ replica: r.name, error: String(err) }),
      );
    });
    await crashFetchArrived.promise;

    const token = redis.cli('get', 'stoa:lock:version:github.com/acme/crash@v1.0.0');
    const pid = Number(token.split('/')[1]);
    const holder = replicas.find((r) => r.proc.pid === pid);
    assert.ok(holder, `the lock token ${token} names one of the replicas`);
    holder.proc.kill('SIGKILL');
    await holder.exited;
    const killedAt = git.requests.length;
    holdCrashFetch = false;
    releaseCrashFetch.resolve();

    const settled = await Promise.all(pending);
    const ok = settled.flatMap((s) => ('status' in s ? [s] : []));
    const survivors = replicas.filter((r) => r !== holder).map((r) => r.name);
    t.diagnostic(
      `holder ${holder.name} killed; ${ok.length} answers, ${settled.length - ok.length} failed connections; upstream after the kill: ${JSON.stringify(countBy(git.requests.slice(killedAt), 'crash'))}`,
    );
    for (const a of ok) assert.equal(a.status, 200, `${a.replica} answered ${a.status}`);
    assert.equal(
      ok.filter((a) => survivors.includes(a.replica)).length,
      40,
      'every request to a surviving replica got 200',
    );
    assert.ok(
      ok.every((a) => a.replica !== holder.name),
      'the killed replica answered no request with a zip',
    );
    assert.equal(new Set(ok.map((a) => a.sha256)).size, 1, 'all bodies are byte-identical');
    await assertCompleteZip('github.com/acme/crash', (ok[0] as Answer).bytes);

    const takeover = replicas.filter(
      (r) => r !== holder && fillsLogged(r, 'github.com/acme/crash').length > 0,
    );
    assert.equal(takeover.length, 1, 'one surviving replica completed the fill');
    assert.deepEqual(
      fillsLogged(takeover[0] as Replica, 'github.com/acme/crash').map((f) => f.outcome),
      ['ok'],
    );
    const afterKill = countBy(git.requests.slice(killedAt), 'crash');
    assert.equal(afterKill.fetch, oneFill.fetch, 'the takeover cost the pack fetches of one fill');
  });

  it('with Redis down, requests still succeed (each replica coalesces its own fills)', async (t) => {
    await redis.shutdown();
    const live = replicas.filter((r) => r.proc.exitCode === null && r.proc.signalCode === null);
    git.resetCounts();
    const answers = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        get(live[i % live.length] as Replica, '/github.com/acme/calm/@v/v1.0.0.zip'),
      ),
    );
    const calm = countBy(git.requests, 'calm');
    t.diagnostic(`${live.length} replicas without Redis: ${JSON.stringify(calm)}`);
    assert.ok(
      answers.every((a) => a.status === 200),
      answers.map((a) => `${a.status} ${a.bytes.toString().slice(0, 200)}`).join(', '),
    );
    assert.equal(new Set(answers.map((a) => a.sha256)).size, 1, 'identical bytes');
    assert.ok((calm.fetch ?? 0) <= live.length * (oneFill.fetch ?? 0), 'at most one fill per replica');
    await assertCompleteZip('github.com/acme/calm', (answers[0] as Answer).bytes);
    for (const r of live) assert.match(r.output(), /redis unreachable/, `${r.name} logged the outage`);
  });
});
