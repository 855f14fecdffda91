/**
 * The `h1:` hash of a module zip file on disk (what go.sum records for `<M> <V>`): every entry of
 * the zip, in central-directory order, hashed by name and uncompressed content (spec §6), using
 * src/module/h1.ts. Entries are inflated one at a time as streams; nothing is held whole.
 *
 * Reads the central directory itself (ZIP64 included); supports the stored and deflate methods,
 * which are the only ones a module zip may use. A malformed zip throws.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import { createInflateRaw } from 'node:zlib';
import type { HashedFile } from '../module/h1.js';
import { hash1 } from '../module/h1.js';

interface CentralEntry {
  name: string;
  method: number;
  compressedSize: number;
  size: number;
  localOffset: number;
}

const EOCD = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EOCD = 0x06064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
const U32_MAX = 0xffffffff;

async function readAt(fh: FileHandle, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  const { bytesRead } = await fh.read(buffer, 0, length, position);
  if (bytesRead !== length) throw new Error(`zip: short read at ${position}`);
  return buffer;
}

function u64(buffer: Buffer, offset: number): number {
  const value = buffer.readBigUInt64LE(offset);
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error('zip: 64-bit value too large');
  return Number(value);
}

async function centralDirectory(fh: FileHandle, fileSize: number): Promise<{ offset: number; size: number }> {
  const tailLength = Math.min(fileSize, 22 + 0xffff);
  const tail = await readAt(fh, fileSize - tailLength, tailLength);
  for (let i = tail.length - 22; i >= 0; i--) {
    if (tail.readUInt32LE(i) !== EOCD) continue;
    let size = tail.readUInt32LE(i + 12);
    let offset = tail.readUInt32LE(i + 16);
    const eocdAt = fileSize - tailLength + i;
    if ((size === U32_MAX || offset === U32_MAX) && eocdAt >= 20) {
      const locator = await readAt(fh, eocdAt - 20, 20);
      if (locator.readUInt32LE(0) === ZIP64_LOCATOR) {
        const record = await readAt(fh, u64(locator, 8), 56);
        if (record.readUInt32LE(0) !== ZIP64_EOCD) throw new Error('zip: bad ZIP64 end record');
        size = u64(record, 40);
        offset = u64(record, 48);
      }
    }
    return { offset, size };
  }
  throw new Error('zip: no end of central directory record');
}

function parseEntries(cd: Buffer): CentralEntry[] {
  const entries: CentralEntry[] = [];
  let p = 0;
  while (p + 46 <= cd.length) {
    if (cd.readUInt32LE(p) !== CENTRAL) throw new Error('zip: bad central directory entry');
    const nameLength = cd.readUInt16LE(p + 28);
    const extraLength = cd.readUInt16LE(p + 30);
    const commentLength = cd.readUInt16LE(p + 32);
    const entry: CentralEntry = {
      name: cd.toString('utf8', p + 46, p + 46 + nameLength),
      method: cd.readUInt16LE(p + 10),
      compressedSize: cd.readUInt32LE(p + 20),
      size: cd.readUInt32LE(p + 24),
      localOffset: cd.readUInt32LE(p + 42),
    };
    // ZIP64 extended information: only the fields whose 32-bit value is saturated, in this order.
    let e = p + 46 + nameLength;
    const extraEnd = e + extraLength;
    while (e + 4 <= extraEnd) {
      const id = cd.readUInt16LE(e);
      const length = cd.readUInt16LE(e + 2);
      if (id === 0x0001) {
        let q = e + 4;
        if (entry.size === U32_MAX) {
          entry.size = u64(cd, q);
          q += 8;
        }
        if (entry.compressedSize === U32_MAX) {
          entry.compressedSize = u64(cd, q);
          q += 8;
        }
        if (entry.localOffset === U32_MAX) entry.localOffset = u64(cd, q);
      }
      e += 4 + length;
    }
    entries.push(entry);
    p = extraEnd + commentLength;
  }
  return entries;
}

async function hashEntry(file: string, fh: FileHandle, entry: CentralEntry): Promise<string> {
  const local = await readAt(fh, entry.localOffset, 30);
  if (local.readUInt32LE(0) !== LOCAL) throw new Error(`zip: bad local header for ${entry.name}`);
  const start = entry.localOffset + 30 + local.readUInt16LE(26) + local.readUInt16LE(28);
  const hash = createHash('sha256');
  let size = 0;
  if (entry.compressedSize > 0) {
    const raw = createReadStream(file, { start, end: start + entry.compressedSize - 1 });
    let source: AsyncIterable<Buffer>;
    if (entry.method === 0) source = raw;
    else if (entry.method === 8) source = raw.pipe(createInflateRaw());
    else throw new Error(`zip: ${entry.name} uses unsupported method ${entry.method}`);
    for await (const chunk of source) {
      hash.update(chunk);
      size += chunk.length;
    }
  }
  if (size !== entry.size)
    throw new Error(`zip: ${entry.name} inflated to ${size} bytes, expected ${entry.size}`);
  return hash.digest('hex');
}

/** `h1:` of the module zip at `file` (Go's dirhash.HashZip). */
export async function hashZipFile(file: string): Promise<string> {
  const fh = await open(file, 'r');
  try {
    const { size: fileSize } = await fh.stat();
    const { offset, size } = await centralDirectory(fh, fileSize);
    if (offset + size > fileSize) throw new Error('zip: central directory beyond end of file');
    const entries = parseEntries(await readAt(fh, offset, size));
    const hashed: HashedFile[] = [];
    for (const entry of entries) hashed.push({ name: entry.name, sha256: await hashEntry(file, fh, entry) });
    return hash1(hashed);
  } finally {
    await fh.close();
  }
}
