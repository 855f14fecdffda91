/**
 * P4 (issue 7): peak RSS of stoa while filling a ~300 MiB module. The tree: 150 MiB of
 * incompressible files (300 × 512 KiB) and 150 MiB of Go-like text (1,500 × 100 KiB), under the
 * 500 MiB zip limits. stoa runs as its own process (disk store); after start-up its peak-RSS mark
 * is reset (`/proc/<pid>/clear_refs`), one `GET .zip` fills and streams the module, and VmHWM then
 * gives the peak of the fill. Target: ≤ 256 MiB. Run: `npm run bench -- test/bench/p4-rss.bench.ts`.
 */
import { performance } from 'node:perf_hooks';
import { randomBytes } from 'node:crypto';
import {
  MiB,
  createCleanup,
  getDigest,
  goText,
  ms,
  showCount,
  startStoa,
  startUpstream,
  verdict,
  writeFiles,
} from './lib/bench-fixtures.js';

const RANDOM_FILES = 300;
const RANDOM_SIZE = 512 * 1024;
const TEXT_FILES = 1500;
const TEXT_SIZE = 100 * 1024;
const GOAL_MIB = 256;

function* bigTree(): Generator<[string, Uint8Array]> {
  for (let i = 0; i < RANDOM_FILES; i++) yield [`assets/a${i % 30}/r${i}.bin`, randomBytes(RANDOM_SIZE)];
  for (let i = 0; i < TEXT_FILES; i++) yield [`pkg/p${i % 50}/f${i}.go`, goText(TEXT_SIZE, i + 7)];
}

const mib = (kib: number): string => `${(kib / 1024).toFixed(1)} MiB`;

async function main(): Promise<void> {
  const cleanup = createCleanup();
  try {
    const upstream = await startUpstream();
    cleanup.add(() => upstream.close());
    let t = performance.now();
    upstream.publishModule('acme/huge', (dir) => writeFiles(dir, bigTree()), 1, { bulk: true });
    const treeMiB = (RANDOM_FILES * RANDOM_SIZE + TEXT_FILES * TEXT_SIZE) / MiB;
    console.log(
      `P4 fixture: ${RANDOM_FILES + TEXT_FILES + 1} files, ${treeMiB.toFixed(0)} MiB (half incompressible), built in ${ms(performance.now() - t)}`,
    );
    const stoa = await startStoa(upstream);
    cleanup.add(() => stoa.stop());
    const startup = stoa.memory();
    if (!stoa.resetPeak()) console.log('P4 note: cannot reset VmHWM (not root?); the peak includes start-up');
    const since = upstream.mark();
    let sampledMax = 0;
    const sampler = setInterval(() => {
      sampledMax = Math.max(sampledMax, stoa.memory().rssKiB);
    }, 50);
    t = performance.now();
    const zip = await getDigest(`${stoa.url}/github.com/acme/huge/@v/v1.0.0.zip`);
    const fillMs = performance.now() - t;
    clearInterval(sampler);
    if (zip.status !== 200) throw new Error(`stoa answered ${zip.status}: ${stoa.output()}`);
    const after = stoa.memory();
    const peak = Math.max(after.hwmKiB, startup.hwmKiB);
    console.log(
      `P4 fill + serve: ${ms(fillMs)}, zip ${(zip.size / MiB).toFixed(1)} MiB, upstream requests ${showCount(since())}`,
    );
    console.log(
      `P4 RSS: after start-up ${mib(startup.rssKiB)} (start-up peak ${mib(startup.hwmKiB)}); peak during the fill ${mib(after.hwmKiB)} (VmHWM; 50 ms samples saw ${mib(sampledMax)}); after ${mib(after.rssKiB)}`,
    );
    console.log(`P4 peak RSS ${mib(peak)} (goal ≤ ${GOAL_MIB} MiB: ${verdict(peak / 1024 <= GOAL_MIB)})`);
  } finally {
    await cleanup.run();
  }
}

await main();
