/**
 * P2 (issue 7): cold fill time of stoa versus `GOPROXY=direct go mod download` of the same module
 * from the same local git server. The module: ~400 Go-like text files (~8 MiB) plus 2 MiB of
 * incompressible test data, five commits of history, tag v1.0.0. Each round publishes fresh
 * repositories, so every stoa fill is cold (nothing in its store) and every go run starts from an
 * empty module cache. Per round:
 *   - stoa fill: one `GET /@v/v1.0.0.zip` on a cold cache, until the last byte (the fill fetches,
 *     builds and stores info, mod and zip, then serves the zip);
 *   - go via stoa: `go mod download -json` through a cold stoa (what a CI job sees);
 *   - go direct: `go mod download -json` with GOPROXY=direct.
 * (`a` and `b` are two repositories with the same content: the fill uses `a`, both go runs use `b`,
 * and their `h1:` sums must agree.)
 * Target: stoa fill ≤ 0.5× go direct. Run: `npm run bench -- test/bench/p2-cold-fill.bench.ts`.
 */
import { performance } from 'node:perf_hooks';
import { randomBytes } from 'node:crypto';
import { GoSandbox } from '../fixtures/go.js';
import {
  MiB,
  createCleanup,
  getDigest,
  median,
  ms,
  ratio,
  smallTree,
  startStoa,
  startUpstream,
  verdict,
  type Tree,
} from './lib/bench-fixtures.js';

const ROUNDS = 3;

function tree(seed: number): Tree {
  return {
    ...smallTree(400, 20_000, 0, seed),
    'testdata/blob.bin': randomBytes(2 * MiB),
    'doc.go': Buffer.from('// Package cold is a benchmark fixture.\npackage cold\n'),
  };
}

async function goDownload(sandbox: GoSandbox, module: string): Promise<{ ms: number; sum: string }> {
  const t = performance.now();
  const r = await sandbox.download(`${module}@v1.0.0`);
  const elapsed = performance.now() - t;
  if (r.Error !== undefined || r.Sum === undefined) throw new Error(`go mod download ${module}: ${r.Error}`);
  return { ms: elapsed, sum: r.Sum };
}

async function main(): Promise<void> {
  const cleanup = createCleanup();
  const fresh = (goproxy: string, git?: string): GoSandbox => {
    const s = new GoSandbox({ goproxy, gitServerUrl: git });
    cleanup.add(() => s.dispose());
    return s;
  };
  try {
    const upstream = await startUpstream();
    cleanup.add(() => upstream.close());
    const stoa = await startStoa(upstream);
    cleanup.add(() => stoa.stop());
    // warm-up: node's JIT in stoa, go's build cache of nothing, the git server's code paths
    upstream.publishModule('acme/warm', tree(99), 5);
    await getDigest(`${stoa.url}/github.com/acme/warm/@v/v1.0.0.zip`);
    await goDownload(fresh('direct', upstream.git.url), 'github.com/acme/warm');

    const fill: number[] = [];
    const viaStoa: number[] = [];
    const direct: number[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      const a = `acme/cold${round}a`;
      const b = `acme/cold${round}b`;
      const content = tree(round);
      upstream.publishModule(a, content, 5);
      upstream.publishModule(b, content, 5);

      const d = await goDownload(fresh('direct', upstream.git.url), `github.com/${b}`);
      let t = performance.now();
      const zip = await getDigest(`${stoa.url}/github.com/${a}/@v/v1.0.0.zip`);
      const f = performance.now() - t;
      if (zip.status !== 200) throw new Error(`stoa answered ${zip.status}`);
      t = performance.now();
      const s = await goDownload(fresh(stoa.url), `github.com/${b}`);
      if (s.sum !== d.sum) throw new Error(`h1 differs: stoa ${s.sum}, direct ${d.sum}`);
      fill.push(f);
      viaStoa.push(s.ms);
      direct.push(d.ms);
      console.log(
        `  round ${round}: stoa fill ${ms(f)} (zip ${(zip.size / MiB).toFixed(1)} MiB), go via cold stoa ${ms(s.ms)}, go direct ${ms(d.ms)}`,
      );
    }
    const f = median(fill);
    const s = median(viaStoa);
    const d = median(direct);
    console.log(
      `P2 cold, medians of ${ROUNDS}: stoa fill ${ms(f)}, go via cold stoa ${ms(s)}, go direct ${ms(d)}`,
    );
    console.log(
      `P2 stoa fill / go direct = ${ratio(f / d)} (goal ≤ 0.5×: ${verdict(f / d <= 0.5)}); go via cold stoa / go direct = ${ratio(s / d)}`,
    );
  } finally {
    await cleanup.run();
  }
}

await main();
