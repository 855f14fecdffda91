/**
 * P3 (issue 7): coalescing. First one cold fill of a module (a single `.zip` request) is measured
 * at the git server: the requests one fill makes (info-refs, ls-refs, fetch commands). Then N
 * concurrent requests for the zip of a second, same-shaped uncached module go to stoa (its own
 * process, disk store) at once. Target: the burst causes exactly the upstream requests of one fill,
 * and all N answers carry identical bytes. Run: `npm run bench -- test/bench/p3-coalescing.bench.ts`.
 */
import { performance } from 'node:perf_hooks';
import { randomBytes } from 'node:crypto';
import {
  MiB,
  createCleanup,
  getDigest,
  median,
  ms,
  showCount,
  smallTree,
  startStoa,
  startUpstream,
  verdict,
  type Tree,
} from './lib/bench-fixtures.js';

const N = 200;

function tree(seed: number): Tree {
  return { ...smallTree(200, 20_000, 0, seed), 'testdata/blob.bin': randomBytes(2 * MiB) };
}

async function main(): Promise<void> {
  const cleanup = createCleanup();
  try {
    const upstream = await startUpstream();
    cleanup.add(() => upstream.close());
    const stoa = await startStoa(upstream);
    cleanup.add(() => stoa.stop());
    upstream.publishModule('acme/single', tree(1), 3);
    upstream.publishModule('acme/burst', tree(1), 3);

    let since = upstream.mark();
    let t = performance.now();
    const one = await getDigest(`${stoa.url}/github.com/acme/single/@v/v1.0.0.zip`);
    const oneMs = performance.now() - t;
    const single = since();
    if (one.status !== 200) throw new Error(`stoa answered ${one.status}`);
    console.log(`P3 one cold fill (1 request): ${ms(oneMs)}, upstream requests ${showCount(single)}`);

    since = upstream.mark();
    t = performance.now();
    const answers = await Promise.all(
      Array.from({ length: N }, async () => {
        const t0 = performance.now();
        const r = await getDigest(`${stoa.url}/github.com/acme/burst/@v/v1.0.0.zip`);
        return { ...r, ms: performance.now() - t0 };
      }),
    );
    const burstMs = performance.now() - t;
    const burst = since();
    const ok = answers.filter((a) => a.status === 200).length;
    const digests = new Set(answers.map((a) => a.sha256));
    console.log(
      `P3 ${N} concurrent requests for one uncached zip: ${ok}/${N} answered 200, ${digests.size} distinct body of ${((answers[0]?.size ?? 0) / MiB).toFixed(1)} MiB; all done in ${ms(burstMs)} (median per request ${ms(median(answers.map((a) => a.ms)))})`,
    );
    console.log(`P3 upstream requests for the burst: ${showCount(burst)}`);
    const same =
      burst.total === single.total &&
      burst.fetch === single.fetch &&
      burst.lsRefs === single.lsRefs &&
      burst.infoRefs === single.infoRefs;
    console.log(
      `P3 burst of ${N} = ${(burst.total / single.total).toFixed(2)} fills' worth of upstream requests (goal = 1 fill: ${verdict(same && ok === N && digests.size === 1)})`,
    );
  } finally {
    await cleanup.run();
  }
}

await main();
