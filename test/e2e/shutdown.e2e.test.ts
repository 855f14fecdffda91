/**
 * SIGTERM on the real server process (`node --import tsx src/main.ts`): while a fill is in flight
 * (the fixture git server holds the pack fetch), new requests are answered 503 and /readyz says
 * draining; once the fill is let go, the in-flight request completes with 200, the lifetime stats
 * record is written, and the process exits 0. A second signal during a drain that cannot finish
 * makes it exit 1 at once, with its last log line flushed.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startGitServer, type GitServer } from '../fixtures/git-server.js';
import { createBlobStore } from '../../storage/index.js';
import { publishRepo } from './observability-helpers.js';
import { freePort, deferred, until } from '../fixtures/util.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** A fixture git server whose pack fetches hang until the test lets them go (or forever). */
interface HeldUpstream {
  dir: string;
  git: GitServer;
  fetchArrived: ReturnType<typeof deferred>;
  releaseFetch: ReturnType<typeof deferred>;
}

async function startHeldUpstream(name: string): Promise<HeldUpstream> {
  const dir = mkdtempSync(path.join(tmpdir(), 'stoa-shutdown-'));
  const gitRoot = path.join(dir, 'git');
  publishRepo(gitRoot, `acme/${name}`, (r) => {
    r.write({ 'go.mod': `module github.com/acme/${name}\n`, 'm.go': `package ${name}\n` }).commit('init');
    r.tag('v1.0.0');
  });
  const fetchArrived = deferred();
  const releaseFetch = deferred();
  const git = await startGitServer({
    root: gitRoot,
    missingAs401: true,
    intercept: async (_req, _res, body) => {
      if (body.subarray(0, 64).toString('latin1').includes('command=fetch')) {
        fetchArrived.resolve();
        await releaseFetch.promise; // the fill stays in flight until the test lets it go
      }
      return false;
    },
  });
  return { dir, git, fetchArrived, releaseFetch };
}

interface StoaChild {
  proc: ChildProcess;
  base: string;
  output(): string;
  /** Exit code, once the process has exited and its stdout and stderr were read to their end. */
  closed: Promise<number | null>;
}

async function spawnStoa(up: HeldUpstream, env: Record<string, string>): Promise<StoaChild> {
  const port = await freePort();
  const proc = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: repoRoot,
    env: {
      PATH: process.env.PATH,
      HOME: up.dir,
      STOA_HOST: '127.0.0.1',
      STOA_PORT: String(port),
      STOA_STORAGE_ROOT: path.join(up.dir, 'store'),
      STOA_GITHUB_URL: up.git.url,
      STOA_SUMDBS: 'off', // never a checksum database on the internet
      STOA_LOG_LEVEL: 'info',
      STOA_TEMP_DIR: up.dir,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const closed = new Promise<number | null>((resolve) => proc.once('close', (code) => resolve(code)));
  proc.stdout?.on('data', (c: Buffer) => (output += c.toString()));
  proc.stderr?.on('data', (c: Buffer) => (output += c.toString()));
  await until('stoa listening', () => Promise.resolve(output.includes('stoa listening')), 600);
  return { proc, base: `http://127.0.0.1:${port}`, output: () => output, closed };
}

async function cleanUp(up: HeldUpstream | undefined, child: StoaChild | undefined): Promise<void> {
  const proc = child?.proc;
  if (proc && proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
  up?.releaseFetch.resolve();
  await up?.git.close();
  if (up) rmSync(up.dir, { recursive: true, force: true });
}

describe('graceful shutdown on SIGTERM', () => {
  let up: HeldUpstream | undefined;
  let child: StoaChild | undefined;

  after(() => cleanUp(up, child));

  it('answers new requests 503, lets the in-flight fill finish with 200, then exits 0', async () => {
    up = await startHeldUpstream('slow');
    const stoa = await spawnStoa(up, { STOA_SHUTDOWN_TIMEOUT: '60s', STOA_REPLICA_ID: 'shutdown-test' });
    child = stoa;
    const { proc, base } = stoa;

    const inFlight = fetch(`${base}/github.com/acme/slow/@v/v1.0.0.zip`);
    await up.fetchArrived.promise;

    proc.kill('SIGTERM');
    await until('/readyz answers 503', async () => (await fetch(`${base}/readyz`)).status === 503);
    const fresh = await fetch(`${base}/github.com/acme/slow/@v/v1.0.0.info`);
    assert.equal(fresh.status, 503, 'a new request during the drain gets 503');
    assert.ok(fresh.headers.get('retry-after'), 'with Retry-After');
    await fresh.text();
    const dashboard = await fetch(`${base}/stats`);
    assert.equal(dashboard.status, 503);
    await dashboard.text();
    assert.equal(proc.exitCode, null, 'still running while the fill is in flight');

    up.releaseFetch.resolve();
    const res = await inFlight;
    assert.equal(res.status, 200, 'the in-flight request completes');
    const zip = new Uint8Array(await res.arrayBuffer()); // a few hundred bytes
    assert.equal(Buffer.from(zip.subarray(0, 2)).toString('latin1'), 'PK');
    assert.equal(await stoa.closed, 0, `exit code 0; output:\n${stoa.output()}`);
    assert.match(stoa.output(), /"msg":"draining"/);

    // the lifetime record was written on the way out
    const store = createBlobStore({ type: 'disk', root: path.join(up.dir, 'store') });
    try {
      const rec = await store.get('_stoa/stats/shutdown-test.json');
      assert.ok(rec, 'lifetime stats record written on shutdown');
      const json = JSON.parse(await new Response(rec.body).text()) as {
        counters: { requestsServed: number };
      };
      assert.equal(json.counters.requestsServed, 1, 'the zip request, counted before exit');
    } finally {
      await store.close();
    }
  });
});

describe('a second signal during the drain', () => {
  let up: HeldUpstream | undefined;
  let child: StoaChild | undefined;

  after(() => cleanUp(up, child));

  it('exits at once with status 1, its log lines flushed', async () => {
    up = await startHeldUpstream('stuck'); // its fetch is never let go: the drain cannot finish
    const stoa = await spawnStoa(up, { STOA_SHUTDOWN_TIMEOUT: '10m', STOA_REPLICA_ID: 'second-signal-test' });
    child = stoa;
    const inFlight = fetch(`${stoa.base}/github.com/acme/stuck/@v/v1.0.0.zip`).catch((err: unknown) => err);
    await up.fetchArrived.promise;
    stoa.proc.kill('SIGTERM');
    await until('draining', () => Promise.resolve(stoa.output().includes('"msg":"draining"')), 600);
    assert.equal(stoa.proc.exitCode, null, 'the first signal waits for the fill');
    stoa.proc.kill('SIGTERM');
    assert.equal(await stoa.closed, 1, `exit code 1; output:\n${stoa.output()}`);
    assert.match(stoa.output(), /"msg":"second signal: exiting without waiting for the drain"/);
    await inFlight;
  });
});
