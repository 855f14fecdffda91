/**
 * Put/get throughput of one 100 MiB object per blob store backend: memory and disk in-process,
 * S3 against s3rver, GCS against the firebase storage emulator (when installed in .cache).
 * Three rounds each; prints every round and the median. Figures only: machines are shared and
 * noisy, compare backends within one run. Run: `npm run bench -- test/bench/blob-store.bench.ts`.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { BlobStore } from '../../storage/blob-store.js';
import { createDiskBlobStore } from '../../storage/disk.js';
import { createGcsBlobStore } from '../../storage/gcs.js';
import { createMemoryBlobStore } from '../../storage/memory.js';
import { createS3BlobStore } from '../../storage/s3.js';
import { MiB, digestStream, generatedStream } from '../conformance/blob-store-helpers.js';
import { startGcsEmulator } from '../fixtures/gcs-emulator.js';
import { startS3rver } from '../fixtures/s3rver.js';

const SIZE_MIB = 100;
const ROUNDS = 3;

interface Backend {
  name: string;
  open: () => Promise<{ store: BlobStore; close: () => Promise<void> }>;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const rate = (ms: number): string => `${((SIZE_MIB * 1000) / ms).toFixed(0).padStart(5)} MiB/s`;

async function measure(backend: Backend): Promise<void> {
  const { store, close } = await backend.open();
  const puts: number[] = [];
  const gets: number[] = [];
  try {
    for (let round = 1; round <= ROUNDS; round++) {
      const key = `bench/github.com/a/b/@v/v1.0.${round}.zip`;
      const source = generatedStream(SIZE_MIB, round);
      let t = performance.now();
      await store.put(key, source.stream, { size: SIZE_MIB * MiB });
      puts.push(performance.now() - t);
      t = performance.now();
      const got = await store.get(key);
      if (got === null) throw new Error(`${backend.name}: object missing after put`);
      const read = await digestStream(got.body);
      gets.push(performance.now() - t);
      if (read.sha256 !== source.digest().sha256) throw new Error(`${backend.name}: bytes differ`);
      await store.delete(key);
      console.log(
        `  ${backend.name.padEnd(8)} round ${round}: put ${rate(puts.at(-1) ?? NaN)}, get ${rate(gets.at(-1) ?? NaN)}`,
      );
    }
  } finally {
    await close();
  }
  console.log(
    `${backend.name.padEnd(8)} ${SIZE_MIB} MiB median: put ${rate(median(puts))}, get ${rate(median(gets))}`,
  );
}

const backends: Backend[] = [
  {
    name: 'memory',
    open: () => {
      const store = createMemoryBlobStore();
      return Promise.resolve({ store, close: () => store.close() });
    },
  },
  {
    name: 'disk',
    open: async () => {
      const root = await mkdtemp(path.join(tmpdir(), 'stoa-bench-disk-'));
      return {
        store: createDiskBlobStore({ root }),
        close: () => rm(root, { recursive: true, force: true }),
      };
    },
  },
  {
    name: 's3rver',
    open: async () => {
      const server = await startS3rver();
      const store = createS3BlobStore(server.clientConfig);
      return {
        store,
        close: async () => {
          await store.close();
          await server.close();
        },
      };
    },
  },
];

if (existsSync(path.resolve('.cache/firebase-tools/node_modules/firebase-tools/package.json'))) {
  backends.push({
    name: 'gcs-emu',
    open: async () => {
      const emulator = await startGcsEmulator();
      const store = createGcsBlobStore({
        bucket: 'bench',
        projectId: emulator.projectId,
        apiEndpoint: emulator.endpoint,
      });
      return { store, close: () => emulator.close() };
    },
  });
} else {
  console.log(
    'gcs-emu  skipped: firebase-tools is not installed in .cache (the GCS conformance test installs it)',
  );
}

for (const backend of backends) await measure(backend);
