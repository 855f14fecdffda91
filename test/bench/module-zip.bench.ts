/**
 * Throughput of the module-zip pipeline on synthetic in-memory trees: prepare (selection,
 * attributes, conversion sizing), hash() (one read of every file) and writeTo() to a null sink
 * (deflate level 6 and store). Cases: many small raw files, a few large raw files, large text
 * files under `text=auto eol=crlf` (two reads per file). Three rounds each, median printed.
 * Figures only; compare cases within one run. Run: `npm run bench -- test/bench/module-zip.bench.ts`.
 */
import { Writable } from 'node:stream';
import { performance } from 'node:perf_hooks';
import { MODE_FILE, prepareModuleZip } from '../../src/module/module-zip.js';
import type { TreeEntry } from '../../src/module/module-zip.js';
import { writeZip } from '../../src/module/zip-writer.js';

const MiB = 1 << 20;
const ROUNDS = 3;

function pattern(text: boolean): Uint8Array {
  const b = new Uint8Array(MiB);
  let x = 12345;
  for (let i = 0; i < b.length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    b[i] = text ? (i % 80 === 79 ? 0x0a : 0x61 + ((x >>> 16) % 26)) : (x >>> 16) & 0xff;
  }
  return b;
}

function file(path: string, size: number, chunk: Uint8Array): TreeEntry {
  return {
    path,
    mode: MODE_FILE,
    oid: '0'.repeat(40),
    size,
    async *open() {
      for (let left = size; left > 0; left -= chunk.length) {
        yield left >= chunk.length ? chunk : chunk.subarray(0, left);
        await Promise.resolve();
      }
    },
  };
}

function text(path: string, content: string): TreeEntry {
  const bytes = new TextEncoder().encode(content);
  return { ...file(path, bytes.length, bytes) };
}

interface Case {
  name: string;
  entries: () => TreeEntry[];
}

const binary = pattern(false);
const lines = pattern(true);
const small = binary.subarray(0, 4096);

const CASES: Case[] = [
  {
    name: '4000 files x 4 KiB, raw',
    entries: () => [
      text('go.mod', 'module example.com/m\n'),
      ...Array.from({ length: 4000 }, (_, i) => file(`pkg${i % 40}/f${i}.go`, small.length, small)),
    ],
  },
  {
    name: '4 files, 128 MiB, raw',
    entries: () => [
      text('go.mod', 'module example.com/m\n'),
      ...[0, 1, 2, 3].map((i) => file(`b${i}.bin`, 32 * MiB, binary)),
    ],
  },
  {
    name: '4 files, 128 MiB, text=auto eol=crlf',
    entries: () => [
      text('.gitattributes', '* text=auto eol=crlf\n'),
      text('go.mod', 'module example.com/m\n'),
      ...[0, 1, 2, 3].map((i) => file(`t${i}.txt`, 32 * MiB, lines)),
    ],
  },
];

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const nullSink = (): Writable =>
  new Writable({
    write(_chunk, _enc, cb) {
      cb();
    },
  });

async function measure(c: Case): Promise<void> {
  const prep: number[] = [];
  const hash: number[] = [];
  const deflate: number[] = [];
  const store: number[] = [];
  let total = 0;
  let files = 0;
  for (let round = 0; round < ROUNDS; round++) {
    let t = performance.now();
    const zip = await prepareModuleZip({
      entries: c.entries(),
      moduleDir: '',
      modulePath: 'example.com/m',
      version: 'v1.0.0',
    });
    prep.push(performance.now() - t);
    total = zip.entries.reduce((n, e) => n + e.size, 0);
    files = zip.entries.length;
    t = performance.now();
    const h = await zip.hash();
    hash.push(performance.now() - t);
    t = performance.now();
    const w = await zip.writeTo(nullSink());
    deflate.push(performance.now() - t);
    t = performance.now();
    await zip.writeTo(nullSink(), { compressionLevel: 0 });
    store.push(performance.now() - t);
    if (w.h1 !== h) throw new Error('h1 mismatch between hash() and writeTo()');
  }
  const mib = total / MiB;
  const rate = (ms: number): string =>
    `${((mib * 1000) / ms).toFixed(0).padStart(5)} MiB/s (${ms.toFixed(0)} ms)`;
  console.log(`${c.name}: ${files} files, ${mib.toFixed(1)} MiB after conversion`);
  console.log(`  prepare      ${rate(median(prep))}`);
  console.log(`  hash()       ${rate(median(hash))}`);
  console.log(`  writeTo d6   ${rate(median(deflate))}`);
  console.log(`  writeTo st   ${rate(median(store))}`);
}

/**
 * Many tiny entries: yazl rescans its entry list from the start on every pump, so the cost grows
 * with the square of the entry count; past 65535 entries the zip needs Zip64 records.
 */
async function manyEntries(count: number): Promise<void> {
  const one = new Uint8Array([0x78]);
  const entries = Array.from({ length: count }, (_, i) => ({
    name: `example.com/m@v1.0.0/d${i % 100}/f${i}`,
    size: 1,
    open: () => file('x', 1, one).open(),
  }));
  const t = performance.now();
  const { bytes } = await writeZip(entries, nullSink(), { compressionLevel: 0 });
  console.log(
    `${count} one-byte entries (store): ${(performance.now() - t).toFixed(0)} ms, ${bytes} zip bytes`,
  );
}

for (const c of CASES) await measure(c);
for (const n of [5_000, 20_000, 65_600]) await manyEntries(n);
