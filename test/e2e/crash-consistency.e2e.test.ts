/**
 * Crash consistency (issue 7): the real server process is SIGKILLed while ~100 fills run, three
 * times over; after each restart every version the store serves must be complete: its zip has the
 * size recorded at write time and re-hashes to the recorded `h1:` (and to the go command's own hash
 * for the same repository, checked on a sample in direct mode).
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { stat } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createDiskBlobStore } from '../../storage/disk.js';
import { createModuleStore } from '../../storage/module-store.js';
import { hashZipFile } from '../../src/cli/zip-h1.js';
import { startGitServer, type GitServer } from '../fixtures/git-server.js';
import { GoSandbox } from '../fixtures/go.js';
import { RepoBuilder } from '../fixtures/repo.js';

const REPOS = 20;
const TAGS = 5;
const ROUNDS = 3;

interface Stoa {
  proc: ChildProcess;
  url: string;
}

async function startStoa(storageRoot: string, gitUrl: string): Promise<Stoa> {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: new URL('../..', import.meta.url).pathname,
    env: {
      PATH: process.env.PATH,
      STOA_PORT: '0',
      STOA_HOST: '127.0.0.1',
      STOA_STORAGE_ROOT: storageRoot,
      STOA_GITHUB_URL: gitUrl,
      STOA_SUMDBS: 'off', // never a checksum database on the internet
      STOA_LOG_LEVEL: 'info',
      STOA_DOWNLOAD_MODE: 'sync',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    let err = '';
    proc.stderr?.on('data', (c: Buffer) => (err += c.toString()));
    proc.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /"url":"(http:\/\/[^"]+)"/.exec(out);
      if (m?.[1]) resolve(m[1]);
    });
    proc.on('exit', (code) => reject(new Error(`stoa exited ${code}: ${out} ${err}`)));
  });
  return { proc, url };
}

function kill(s: Stoa): Promise<void> {
  return new Promise((resolve) => {
    if (s.proc.exitCode !== null) return resolve();
    s.proc.once('exit', () => resolve());
    s.proc.kill('SIGKILL');
  });
}

describe('crash consistency', () => {
  let gitRoot: string;
  let dir: string;
  let git: GitServer;

  before(async () => {
    gitRoot = mkdtempSync(path.join(tmpdir(), 'stoa-crash-git-'));
    dir = mkdtempSync(path.join(tmpdir(), 'stoa-crash-'));
    git = await startGitServer({ root: gitRoot });
    for (let i = 0; i < REPOS; i++) {
      const r = new RepoBuilder();
      r.write({ 'go.mod': `module github.com/crash/m${i}\n` });
      for (let t = 0; t < TAGS; t++) {
        // Some weight per version so fills take long enough to be interrupted.
        r.write({
          [`f${t}.go`]: `package m\n\n// ${'x'.repeat(20_000 + t)}\n`,
          [`data${t}.bin`]: Buffer.alloc(200_000, i + t),
        });
        r.commit(`v${t}`);
        r.tag(`v1.${t}.0`);
      }
      r.publish(gitRoot, `crash/m${i}`);
      r.dispose();
    }
  });

  after(async () => {
    await git.close();
    rmSync(gitRoot, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  });

  it(`SIGKILL during ~100 concurrent fills, ${ROUNDS} times: every stored version is complete and hashes right`, async () => {
    const storageRoot = path.join(dir, 'store');
    const all: string[] = [];
    for (let i = 0; i < REPOS; i++)
      for (let t = 0; t < TAGS; t++) all.push(`github.com/crash/m${i}@v1.${t}.0`);

    for (let round = 0; round < ROUNDS; round++) {
      const stoa = await startStoa(storageRoot, git.url);
      // Kill once some fills have finished (more each round) and others are in flight.
      const target = 5 + round * 15;
      let finished = 0;
      const requests = all.map(async (mv) => {
        const [m, v] = mv.split('@');
        try {
          const res = await fetch(`${stoa.url}/${m}/@v/${v}.zip`);
          await res.arrayBuffer();
          if (res.status === 200) finished++;
        } catch {
          // the server died under us: expected
        }
      });
      for (let waited = 0; finished < target && waited < 30_000; waited += 20) await sleep(20);
      await sleep(Math.floor(Math.random() * 50));
      await kill(stoa);
      await Promise.all(requests);
    }

    // Restart and check everything the store holds.
    const blobStore = createDiskBlobStore({ root: storageRoot });
    const store = createModuleStore(blobStore);
    const stoa = await startStoa(storageRoot, git.url);
    let complete = 0;
    try {
      for (let i = 0; i < REPOS; i++) {
        const module = `github.com/crash/m${i}`;
        for (const version of await store.listVersions(module)) {
          const record = await store.getZipRecord(module, version);
          assert.ok(record, `${module}@${version}: a visible version has a zip record`);
          const res = await fetch(`${stoa.url}/${module}/@v/${version}.zip`);
          assert.equal(res.status, 200, `${module}@${version}`);
          const file = path.join(dir, `check-${i}-${version}.zip`);
          await pipeline(
            Readable.fromWeb(res.body as WebReadableStream<Uint8Array>),
            createWriteStream(file),
          );
          const { size } = await stat(file);
          assert.equal(size, record.size, `${module}@${version}: size as recorded`);
          assert.equal(await hashZipFile(file), record.h1, `${module}@${version}: h1 as recorded`);
          complete++;
        }
      }
    } finally {
      await kill(stoa);
      await blobStore.close();
    }
    assert.ok(complete > 0, 'some fills completed before the kills');

    // The recorded hashes are the go command's: check a sample against direct mode.
    const go = new GoSandbox({ goproxy: 'direct', gitServerUrl: git.url });
    try {
      const d = await go.download('github.com/crash/m0@v1.0.0');
      assert.equal(d.Error, undefined, d.Error);
      const record = await createModuleStore(createDiskBlobStore({ root: storageRoot })).getZipRecord(
        'github.com/crash/m0',
        'v1.0.0',
      );
      if (record) assert.equal(record.h1, d.Sum);
    } finally {
      go.dispose();
    }
  });
});
