/**
 * P5 (issue 7): a CI simulation. 30 small fixture modules (tag v1.0.0 each) on the local git
 * server; 20 jobs run in parallel, each `go mod download -json` of all 30 with its own empty module
 * cache. Upstream requests are counted at the git server for: every job in direct mode
 * (GOPROXY=direct), every job through a cold stoa (wave 1), and 20 fresh jobs through the now warm
 * stoa (wave 2). Every job's `h1:` sums must equal direct mode's. Targets: wave 1 ≥ 95% fewer
 * upstream requests than direct; wave 2 makes none. Run: `npm run bench -- test/bench/p5-ci.bench.ts`.
 */
import { performance } from 'node:perf_hooks';
import { GoSandbox } from '../fixtures/go.js';
import {
  createCleanup,
  ms,
  showCount,
  smallTree,
  startStoa,
  startUpstream,
  verdict,
  type RequestCount,
  type Upstream,
} from './lib/bench-fixtures.js';

const MODULES = 30;
const JOBS = 20;

const modules = Array.from({ length: MODULES }, (_, i) => `github.com/ci/mod${String(i).padStart(2, '0')}`);

/** Runs JOBS parallel jobs with fresh module caches; returns the wave's time and upstream requests. */
async function wave(
  upstream: Upstream,
  sandbox: () => GoSandbox,
  expected: Map<string, string> | null,
): Promise<{ ms: number; count: RequestCount; sums: Map<string, string> }> {
  const boxes = Array.from({ length: JOBS }, sandbox);
  const since = upstream.mark();
  const t = performance.now();
  try {
    const outputs = await Promise.all(
      boxes.map((b) =>
        b.run(['mod', 'download', '-json', ...modules.map((m) => `${m}@v1.0.0`)], { timeoutMs: 300_000 }),
      ),
    );
    const elapsed = performance.now() - t;
    const count = since();
    let sums = new Map<string, string>();
    for (const [job, out] of outputs.entries()) {
      if (out.code !== 0) throw new Error(`job ${job}: go exited ${out.code}: ${out.stderr.slice(0, 2000)}`);
      const got = new Map<string, string>();
      // `go mod download -json` prints one JSON object per module, one after another
      for (const m of out.stdout.matchAll(/"Path": "([^"]+)",[\s\S]*?"Sum": "([^"]+)"/g)) {
        got.set(m[1] ?? '', m[2] ?? '');
      }
      if (got.size !== MODULES) throw new Error(`job ${job}: ${got.size} of ${MODULES} modules downloaded`);
      for (const [p, s] of (expected ?? sums).entries()) {
        if (got.get(p) !== s) throw new Error(`job ${job}: ${p} ${got.get(p)} ≠ ${s}`);
      }
      sums = got;
    }
    return { ms: elapsed, count, sums };
  } finally {
    for (const b of boxes) b.dispose();
  }
}

async function main(): Promise<void> {
  const cleanup = createCleanup();
  try {
    const upstream = await startUpstream();
    cleanup.add(() => upstream.close());
    const t = performance.now();
    for (const [i, m] of modules.entries()) {
      upstream.publishModule(m.replace('github.com/', ''), smallTree(12, 3000, 0, i + 1));
    }
    const stoa = await startStoa(upstream);
    cleanup.add(() => stoa.stop());
    console.log(
      `P5 ${JOBS} parallel jobs × ${MODULES} modules each (fresh go module cache per job); fixtures built in ${ms(performance.now() - t)}`,
    );
    const direct = await wave(
      upstream,
      () => new GoSandbox({ goproxy: 'direct', gitServerUrl: upstream.git.url }),
      null,
    );
    console.log(`P5 direct       : ${ms(direct.ms)}, upstream requests ${showCount(direct.count)}`);
    const w1 = await wave(upstream, () => new GoSandbox({ goproxy: stoa.url }), direct.sums);
    console.log(`P5 stoa, wave 1 : ${ms(w1.ms)}, upstream requests ${showCount(w1.count)}`);
    const w2 = await wave(upstream, () => new GoSandbox({ goproxy: stoa.url }), direct.sums);
    console.log(`P5 stoa, wave 2 : ${ms(w2.ms)}, upstream requests ${showCount(w2.count)}`);
    const perFill = (c: RequestCount, jobs: number): string => (c.total / (MODULES * jobs)).toFixed(2);
    console.log(
      `P5 upstream requests per module: go direct ${perFill(direct.count, JOBS)} per job, stoa ${perFill(w1.count, 1)} per fill (≥ 95% fewer needs ≤ ${((0.05 * JOBS * direct.count.total) / (MODULES * JOBS)).toFixed(2)} per fill)`,
    );
    const fewer = 1 - w1.count.total / direct.count.total;
    console.log(
      `P5 wave 1: ${(fewer * 100).toFixed(1)}% fewer upstream requests than direct (goal ≥ 95%: ${verdict(fewer >= 0.95)}); wave 2: ${w2.count.total} (goal 0: ${verdict(w2.count.total === 0)})`,
    );
  } finally {
    await cleanup.run();
  }
}

await main();
