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
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startGitServer, type GitServer } from '../fixtures/git-server.js';
import { createBlobStore } from '../../storage/index.js';
import { publishRepo } from './observability-helpers.js';
import { freePort, deferred, until } from '../fixtures/util.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

describe('graceful shutdown on SIGTERM', () => {
  let dir: string;
  let git: GitServer;
  let child: ChildProcess | undefined;
  const fetchArrived = deferred();
  const releaseFetch = deferred();
  let output = '';

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'stoa-shutdown-'));
    const gitRoot = path.join(dir, 'git');
    publishRepo(gitRoot, 'acme/slow', (r) => {
      r.write({ 'go.mod': 'module github.com/acme/slow\n', 'slow.go': 'package slow\n' }).commit('init');
      r.tag('v1.0.0');
    });
    git = await startGitServer({
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
  });

  after(async () => {
    releaseFetch.resolve();
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await git.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers new requests 503, lets the in-flight fill finish with 200, then exits 0', async () => {
    const port = await freePort();
    const storageRoot = path.join(dir, 'store');
    const proc = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: repoRoot,
      env: {
        PATH: process.env.PATH,
        HOME: dir,
        STOA_HOST: '127.0.0.1',
        STOA_PORT: String(port),
        STOA_STORAGE_ROOT: storageRoot,
        STOA_GITHUB_URL: git.url,
        STOA_SUMDBS: 'off', // never a checksum database on the internet
        STOA_LOG_LEVEL: 'info',
        STOA_SHUTDOWN_TIMEOUT: '60s',
        STOA_REPLICA_ID: 'shutdown-test',
        STOA_TEMP_DIR: dir,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = proc;
    const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
    proc.stdout?.on('data', (c: Buffer) => (output += c.toString()));
    proc.stderr?.on('data', (c: Buffer) => (output += c.toString()));
    const base = `http://127.0.0.1:${port}`;
    await until('stoa listening', () => Promise.resolve(output.includes('stoa listening')), 600);

    const inFlight = fetch(`${base}/github.com/acme/slow/@v/v1.0.0.zip`);
    await fetchArrived.promise;

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

    releaseFetch.resolve();
    const res = await inFlight;
    assert.equal(res.status, 200, 'the in-flight request completes');
    const zip = new Uint8Array(await res.arrayBuffer()); // a few hundred bytes
    assert.equal(Buffer.from(zip.subarray(0, 2)).toString('latin1'), 'PK');
    assert.equal(await exited, 0, `exit code 0; output:\n${output}`);
    assert.match(output, /"msg":"draining"/);

    // the lifetime record was written on the way out
    const store = createBlobStore({ type: 'disk', root: storageRoot });
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
  let dir: string;
  let git: GitServer;
  let child: ChildProcess | undefined;
  const fetchArrived = deferred();
  const releaseFetch = deferred();

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'stoa-shutdown2-'));
    const gitRoot = path.join(dir, 'git');
    publishRepo(gitRoot, 'acme/stuck', (r) => {
      r.write({ 'go.mod': 'module github.com/acme/stuck\n', 's.go': 'package stuck\n' }).commit('init');
      r.tag('v1.0.0');
    });
    git = await startGitServer({
      root: gitRoot,
      missingAs401: true,
      intercept: async (_req, _res, body) => {
        if (body.subarray(0, 64).toString('latin1').includes('command=fetch')) {
          fetchArrived.resolve();
          await releaseFetch.promise; // never let go by the test: the drain cannot finish
        }
        return false;
      },
    });
  });

  after(async () => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    releaseFetch.resolve();
    await git.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('exits at once with status 1, its log lines flushed', async () => {
    const port = await freePort();
    const proc = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: repoRoot,
      env: {
        PATH: process.env.PATH,
        HOME: dir,
        STOA_HOST: '127.0.0.1',
        STOA_PORT: String(port),
        STOA_STORAGE_ROOT: path.join(dir, 'store'),
        STOA_GITHUB_URL: git.url,
        STOA_SUMDBS: 'off', // never a checksum database on the internet
        STOA_LOG_LEVEL: 'info',
        STOA_SHUTDOWN_TIMEOUT: '10m',
        STOA_REPLICA_ID: 'second-signal-test',
        STOA_TEMP_DIR: dir,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = proc;
    let output = '';
    // 'close': after the exit and after stdout and stderr have been read to their end
    const exited = new Promise<number | null>((resolve) => proc.once('close', (code) => resolve(code)));
    proc.stdout?.on('data', (c: Buffer) => (output += c.toString()));
    proc.stderr?.on('data', (c: Buffer) => (output += c.toString()));
    const base = `http://127.0.0.1:${port}`;
    await until('stoa listening', () => Promise.resolve(output.includes('stoa listening')), 600);
    const inFlight = fetch(`${base}/github.com/acme/stuck/@v/v1.0.0.zip`).catch((err: unknown) => err);
    await fetchArrived.promise;
    proc.kill('SIGTERM');
    await until('draining', () => Promise.resolve(output.includes('"msg":"draining"')), 600);
    assert.equal(proc.exitCode, null, 'the first signal waits for the fill');
    proc.kill('SIGTERM');
    assert.equal(await exited, 1, `exit code 1; output:\n${output}`);
    assert.match(output, /"msg":"second signal: exiting without waiting for the drain"/);
    await inFlight;
  });
});
