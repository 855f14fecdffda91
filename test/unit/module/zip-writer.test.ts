/**
 * The streaming zip writer: a module of more than 50 MiB goes through the whole pipeline into a
 * file and unzips (yauzl) to the same bytes and h1; Zip64 records; web WritableStream sinks; a
 * failing source or a wrong declared size fails the write.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { WritableStream } from 'node:stream/web';
import { after, before, describe, it } from 'node:test';
import yauzl from 'yauzl';
import { hash1 } from '../../../src/module/h1.js';
import type { HashedFile } from '../../../src/module/h1.js';
import { MODE_FILE, prepareModuleZip } from '../../../src/module/module-zip.js';
import type { TreeEntry } from '../../../src/module/module-zip.js';
import { writeZip } from '../../../src/module/zip-writer.js';
import { asyncChunks } from './streams.js';
import { memTree } from './trees.js';
import { eachZipEntry, hashZipFile, readZip } from './zip-read.js';

const MiB = 1 << 20;

/** Deterministic pseudo-random bytes (xorshift32), optionally with a newline every 64 bytes. */
async function* generate(size: number, seed: number, lines: boolean): AsyncGenerator<Uint8Array> {
  let x = seed >>> 0 || 1;
  for (let left = size; left > 0;) {
    const n = Math.min(left, MiB);
    const chunk = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      x ^= x << 13;
      x >>>= 0;
      x ^= x >>> 17;
      x ^= x << 5;
      x >>>= 0;
      chunk[i] = lines ? (i % 64 === 63 ? 0x0a : 0x61 + (x % 26)) : x & 0xff;
    }
    left -= n;
    yield chunk;
    await Promise.resolve();
  }
}

function generated(p: string, size: number, seed: number, lines = false): TreeEntry {
  return { path: p, mode: MODE_FILE, oid: '0'.repeat(40), size, open: () => generate(size, seed, lines) };
}

async function sha256Of(source: AsyncIterable<Uint8Array>): Promise<{ hex: string; size: number }> {
  const h = createHash('sha256');
  let size = 0;
  for await (const c of source) {
    h.update(c);
    size += c.length;
  }
  return { hex: h.digest('hex'), size };
}

describe('zip writer', () => {
  let tmp: string;
  before(() => {
    tmp = mkdtempSync(path.join(tmpdir(), 'stoa-zipwriter-'));
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it('streams a > 50 MiB module to a file; yauzl reads back the same bytes and h1', async () => {
    const entries: TreeEntry[] = [
      ...memTree({ '.gitattributes': 'lines.txt eol=crlf\n', 'go.mod': 'module example.com/big\n' }),
      generated('a.bin', 24 * MiB + 7, 1),
      generated('b/c.bin', 20 * MiB, 2),
      generated('lines.txt', 8 * MiB, 3, true),
    ];
    const zip = await prepareModuleZip({
      entries,
      moduleDir: '',
      modulePath: 'example.com/big',
      version: 'v1.0.0',
    });
    const lines = zip.entries.find((e) => e.path === 'lines.txt');
    assert.equal(lines?.size, 8 * MiB + (8 * MiB) / 64, 'CRLF conversion measured while streaming');
    const total = zip.entries.reduce((n, e) => n + e.size, 0);
    assert.ok(total > 50 * MiB);

    // Independent expectation: hash every converted entry once.
    const expected: HashedFile[] = [];
    for (const e of zip.entries) expected.push({ name: e.name, sha256: (await sha256Of(e.open())).hex });
    const want = hash1(expected);

    const file = path.join(tmp, 'big.zip');
    const rssBefore = process.memoryUsage().rss;
    let rssPeak = rssBefore;
    const timer = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)), 20);
    const started = Date.now();
    const { h1, bytes } = await zip.writeTo(createWriteStream(file));
    clearInterval(timer);
    console.log(
      `zip-writer: ${(total / MiB).toFixed(1)} MiB of files → ${(bytes / MiB).toFixed(1)} MiB zip in ` +
        `${Date.now() - started} ms; RSS growth during the write ${((rssPeak - rssBefore) / MiB).toFixed(1)} MiB`,
    );
    assert.equal(h1, want);
    assert.equal(statSync(file).size, bytes);
    assert.equal(await hashZipFile(file), want, 'dirhash.HashZip of the written zip');
    const sizes = new Map<string, number>();
    await eachZipEntry(file, async (entry, data) => {
      const got = await sha256Of(data);
      sizes.set(entry.fileName, got.size);
      assert.ok(!entry.fileName.endsWith('/'), 'no directory entries');
      assert.equal(got.hex, expected.find((x) => x.name === entry.fileName)?.sha256, entry.fileName);
    });
    assert.equal(sizes.size, zip.entries.length);
  });

  it('stores files that do not compress (found by hash()), deflates the rest; same bytes and h1', async () => {
    const entries: TreeEntry[] = [
      {
        path: 'go.mod',
        mode: MODE_FILE,
        oid: '0'.repeat(40),
        size: 21,
        open: () => asyncChunks(Buffer.from('module example.com/m\n')),
      },
      generated('testdata/random.bin', 300_000, 7), // pseudo-random: does not compress
      {
        path: 'small.bin',
        mode: MODE_FILE,
        oid: '0'.repeat(40),
        size: 1000,
        open: () => generate(1000, 3, false),
      },
      {
        path: 'zeros.dat',
        mode: MODE_FILE,
        oid: '0'.repeat(40),
        size: 200_000,
        open: () => asyncChunks(new Uint8Array(200_000)),
      },
    ];
    const zip = await prepareModuleZip({
      entries,
      moduleDir: '',
      modulePath: 'example.com/m',
      version: 'v1.0.0',
    });
    const h1 = await zip.hash();
    const file = path.join(tmp, 'mixed.zip');
    const written = await zip.writeTo(createWriteStream(file), { compressionLevel: 1 });
    assert.equal(written.h1, h1);
    assert.equal(await hashZipFile(file), h1, 'the zip hashes to the same h1');
    const methods: Record<string, number> = {};
    await eachZipEntry(file, async (entry, data) => {
      for await (const chunk of data) void chunk;
      methods[entry.fileName.replace('example.com/m@v1.0.0/', '')] = entry.compressionMethod;
    });
    assert.equal(methods['testdata/random.bin'], 0, 'random bytes are stored');
    assert.equal(methods['zeros.dat'], 8, 'compressible bytes are deflated');
    assert.equal(methods['go.mod'], 8);
    assert.equal(methods['small.bin'], 8, 'files shorter than the sample are always deflated');
    // Without hash() first, nothing is known about the files: everything is deflated.
    const again = await prepareModuleZip({
      entries,
      moduleDir: '',
      modulePath: 'example.com/m',
      version: 'v1.0.0',
    });
    const file2 = path.join(tmp, 'mixed2.zip');
    assert.equal((await again.writeTo(createWriteStream(file2), { compressionLevel: 1 })).h1, h1);
    await eachZipEntry(file2, async (entry, data) => {
      for await (const chunk of data) void chunk;
      assert.equal(entry.compressionMethod, 8, entry.fileName);
    });
  });

  it('Zip64 records when forced (yauzl reads them)', async () => {
    const file = path.join(tmp, 'z64.zip');
    const { bytes } = await writeZip(
      [
        { name: 'example.com/m@v1.0.0/a.txt', size: 2, open: () => asyncChunks('a\n') },
        { name: 'example.com/m@v1.0.0/ä.txt', size: 0, open: () => asyncChunks() },
      ],
      createWriteStream(file),
      { forceZip64: true },
    );
    const raw = readFileSync(file);
    assert.equal(raw.length, bytes);
    assert.ok(raw.includes(Buffer.from([0x50, 0x4b, 0x06, 0x06])), 'Zip64 end of central directory record');
    assert.ok(raw.includes(Buffer.from([0x50, 0x4b, 0x06, 0x07])), 'Zip64 end of central directory locator');
    const files = await readZip(file);
    assert.deepEqual([...files.keys()], ['example.com/m@v1.0.0/a.txt', 'example.com/m@v1.0.0/ä.txt']);
    assert.equal(files.get('example.com/m@v1.0.0/a.txt')?.toString(), 'a\n');
  });

  it('names are UTF-8 with the UTF-8 flag; a web WritableStream works as the sink', async () => {
    const parts: Uint8Array[] = [];
    const sink = new WritableStream<Uint8Array>({
      write(chunk) {
        parts.push(chunk);
      },
    });
    await writeZip([{ name: 'x.com/m@v1.0.0/日本.go', size: 8, open: () => asyncChunks('package ') }], sink, {
      compressionLevel: 0,
    });
    const buf = Buffer.concat(parts);
    const zip = await yauzl.fromBufferPromise(buf, { lazyEntries: true, decodeStrings: true });
    try {
      for await (const e of zip.eachEntry()) {
        assert.equal(e.fileName, 'x.com/m@v1.0.0/日本.go');
        assert.equal(e.generalPurposeBitFlag & 0x800, 0x800);
        assert.equal(e.compressionMethod, 0);
      }
    } finally {
      zip.close();
    }
  });

  it('§7.72 a zip growing past maxBytes fails mid-stream and errors the sink', async () => {
    const file = path.join(tmp, 'big-limit.zip');
    const sink = createWriteStream(file);
    await assert.rejects(
      writeZip([{ name: 'x.com/m@v1.0.0/r', size: 2 * MiB, open: () => generate(2 * MiB, 9, false) }], sink, {
        maxBytes: MiB,
        compressionLevel: 0,
        tooLarge: (n) => new Error(`too large: ${n}`),
      }),
      /too large/,
    );
    assert.ok(sink.destroyed, 'the sink was destroyed, not ended');
    assert.ok(statSync(file).size <= MiB + 64 * 1024);
  });

  it('a failing source or a wrong declared size fails the write', async () => {
    const failing = {
      name: 'x.com/m@v1.0.0/f',
      size: 4,
      async *open(): AsyncGenerator<Uint8Array> {
        yield new Uint8Array(2);
        await Promise.resolve();
        throw new Error('blob read failed');
      },
    };
    await assert.rejects(
      writeZip([failing], createWriteStream(path.join(tmp, 'f1.zip'))),
      /blob read failed/,
    );
    await assert.rejects(
      writeZip(
        [{ name: 'x.com/m@v1.0.0/g', size: 5, open: () => asyncChunks('abc') }],
        createWriteStream(path.join(tmp, 'f2.zip')),
      ),
      /unexpected number of bytes/,
    );
  });
});
