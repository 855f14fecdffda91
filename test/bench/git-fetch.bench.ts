/**
 * Benchmark (not part of `npm test`): fetching a ~100 MB module tree with stoa's git client
 * (listRefs + readTree + fetchBlobs of every blob, each blob streamed into a SHA-256) versus
 * `git clone --depth 1` of the same commit from the same local git http-backend. Prints wall time
 * and peak RSS (GNU time's maxrss of each client process tree) and the ratios. Goals: time ≤ 1.5×
 * git's, peak RSS ≤ 256 MiB.
 *
 * The client runs in a child process (this file with STOA_BENCH_CHILD=url) so its RSS is its own.
 */
import { execFileSync, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startGitServer } from '../fixtures/git-server.js';
import { RepoBuilder } from '../fixtures/repo.js';
import { createGitRemote } from '../../src/git/remote.js';

const RUNS = 3;

async function child(url: string, tempDir: string): Promise<void> {
  const t0 = performance.now();
  const remote = createGitRemote({ url, tempDir });
  const head = (await remote.listRefs()).head?.oid ?? '';
  const tree = await remote.readTree(head);
  const set = await remote.fetchBlobs(tree.map((e) => e.oid));
  let bytes = 0;
  try {
    for (const e of tree) {
      const h = createHash('sha256');
      for await (const c of set.stream(e.oid)) {
        h.update(c);
        bytes += c.length;
      }
      h.digest();
    }
  } finally {
    await set.close();
  }
  const ms = performance.now() - t0;
  process.stdout.write(
    JSON.stringify({
      ms,
      files: tree.length,
      bytes,
      wire: remote.stats.bytesReceived,
      maxRssKiB: process.resourceUsage().maxRSS,
    }) + '\n',
  );
}

function lorem(n: number, seed: number): Buffer {
  const words = [
    'module',
    'package',
    'func',
    'return',
    'struct',
    'interface',
    'error',
    'string',
    'nil',
    'context',
  ];
  const parts: string[] = [];
  let len = 0;
  let x = seed;
  while (len < n) {
    x = (x * 1103515245 + 12345) % 2147483648;
    const w = `${words[x % words.length] ?? ''}${x % 97} `;
    parts.push(w);
    len += w.length;
  }
  return Buffer.from(parts.join('').slice(0, n));
}

/** Runs a command under GNU time; returns wall ms and peak RSS (KiB) of its process tree. */
function timed(
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ ms: number; maxRssKiB: number; stdout: string }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const p = spawn('/usr/bin/time', ['-f', 'MAXRSS %M', cmd, ...args], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    p.stdout.on('data', (c: Buffer) => (out += c.toString()));
    p.stderr.on('data', (c: Buffer) => (err += c.toString()));
    p.on('error', reject);
    p.on('close', (code) => {
      const ms = performance.now() - t0;
      if (code !== 0) return reject(new Error(`${cmd} exited ${code}: ${err}`));
      const m = /MAXRSS (\d+)/.exec(err);
      resolve({ ms, maxRssKiB: Number(m?.[1] ?? 0), stdout: out });
    });
  });
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

async function main(): Promise<void> {
  const root = mkdtempSync(path.join(tmpdir(), 'stoa-bench-root-'));
  const work = mkdtempSync(path.join(tmpdir(), 'stoa-bench-work-'));
  const repo = new RepoBuilder();
  const server = await startGitServer({ root });
  try {
    // ~100 MB: 40 MB incompressible, 50 MB compressible text, a few large files of each kind
    const files: Record<string, Uint8Array> = {};
    let total = 0;
    for (let i = 0; i < 400; i++) {
      const size = 50_000 + ((i * 7919) % 150_000);
      files[`rand/d${i % 20}/f${i}.bin`] = randomBytes(size);
      total += size;
    }
    for (let i = 0; i < 500; i++) {
      const size = 60_000 + ((i * 104729) % 80_000);
      files[`text/p${i % 25}/f${i}.go`] = lorem(size, i + 1);
      total += size;
    }
    files['big/random-8m.bin'] = randomBytes(8 << 20);
    files['big/text-6m.txt'] = lorem(6 << 20, 4242);
    total += (8 << 20) + (6 << 20);
    files['go.mod'] = Buffer.from('module github.com/acme/bench\n');
    repo.write(files).commit('bench tree');
    repo.publish(root, 'acme/bench');
    const head = repo.head();
    repo.dispose();
    console.log(
      `fixture: ${Object.keys(files).length} files, ${(total / 1e6).toFixed(1)} MB, commit ${head}`,
    );

    const url = `${server.url}/acme/bench.git`;
    const self = fileURLToPath(import.meta.url);
    const gitEnv = {
      PATH: process.env.PATH,
      HOME: work,
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_CONFIG_GLOBAL: '/dev/null',
    };
    const ours: Array<{ ms: number; inner: number; rss: number; wire: number }> = [];
    const theirs: Array<{ ms: number; rss: number }> = [];
    for (let run = 0; run <= RUNS; run++) {
      const tmp = mkdtempSync(path.join(work, 'spool-'));
      const r = await timed(process.execPath, ['--import', 'tsx', self], {
        ...process.env,
        STOA_BENCH_CHILD: url,
        STOA_BENCH_TMP: tmp,
      });
      const res = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as {
        ms: number;
        wire: number;
        bytes: number;
      };
      if (res.bytes < total) throw new Error(`client read only ${res.bytes} bytes`);
      rmSync(tmp, { recursive: true, force: true });
      const dest = path.join(work, `clone-${run}`);
      const g = await timed('git', ['clone', '-q', '--depth', '1', '--no-tags', url, dest], gitEnv);
      const check = execFileSync('git', ['rev-parse', 'HEAD'], {
        cwd: dest,
        env: gitEnv,
        encoding: 'utf8',
      }).trim();
      if (check !== head) throw new Error('git clone got a different commit');
      rmSync(dest, { recursive: true, force: true });
      if (run === 0) continue; // warm-up
      ours.push({ ms: r.ms, inner: res.ms, rss: r.maxRssKiB, wire: res.wire });
      theirs.push({ ms: g.ms, rss: g.maxRssKiB });
    }
    const oMs = median(ours.map((o) => o.ms));
    const oInner = median(ours.map((o) => o.inner));
    const oRss = Math.max(...ours.map((o) => o.rss)) / 1024;
    const gMs = median(theirs.map((t) => t.ms));
    const gRss = Math.max(...theirs.map((t) => t.rss)) / 1024;
    console.log(`runs: ${RUNS} (after one warm-up); medians of wall time, max of peak RSS`);
    console.log(
      `stoa client : ${oMs.toFixed(0)} ms wall (incl. node+tsx start-up), ${oInner.toFixed(0)} ms in fetch code, peak RSS ${oRss.toFixed(1)} MiB, wire ${(median(ours.map((o) => o.wire)) / 1e6).toFixed(1)} MB`,
    );
    console.log(`git clone   : ${gMs.toFixed(0)} ms wall, peak RSS ${gRss.toFixed(1)} MiB`);
    console.log(
      `ratios      : time ${(oMs / gMs).toFixed(2)}× (fetch code only ${(oInner / gMs).toFixed(2)}×; goal ≤ 1.5×), RSS ${(oRss / gRss).toFixed(2)}× (goal ≤ 256 MiB: ${oRss <= 256 ? 'met' : 'NOT met'})`,
    );
  } finally {
    await server.close();
    rmSync(root, { recursive: true, force: true });
    rmSync(work, { recursive: true, force: true });
  }
}

const childUrl = process.env.STOA_BENCH_CHILD;
if (childUrl) {
  await child(childUrl, process.env.STOA_BENCH_TMP ?? tmpdir());
} else {
  await main();
}
