/**
 * Spools a pack stream to a temp file while indexing it in the same pass: every object's offset,
 * type, inflated size and compressed length, the base of each delta, and the id of each whole
 * (non-delta) object. The trailing SHA-1 is verified. Memory: up to 256 KiB of received bytes not
 * yet written, one network chunk, and one small object's window; large objects are inflated as a
 * stream.
 */
import { createHash, type Hash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { constants as zc, createInflate, inflateSync } from 'node:zlib';
import { UpstreamError, isStoaError } from '../errors.js';
import { objectHeader, type ObjectType } from './objects.js';

export const TYPE_NAMES: Record<number, ObjectType | undefined> = {
  1: 'commit',
  2: 'tree',
  3: 'blob',
  4: 'tag',
};
export const OFS_DELTA = 6;
export const REF_DELTA = 7;

export interface PackEntry {
  offset: number;
  dataOffset: number;
  compLen: number;
  /** 1-4 for whole objects; 6/7 for deltas until resolved (then `resolvedType` is set). */
  packType: number;
  /** Inflated size of the stored data (for deltas: of the delta). */
  size: number;
  baseOffset?: number;
  baseOid?: string;
  oid?: string;
  resolvedType?: ObjectType;
  resultSize?: number;
}

export interface SpooledPack {
  entries: PackEntry[];
  size: number;
}

/** Received bytes are written to the spool file in batches of about this size. */
const SPOOL_BATCH = 256 * 1024;

/** Objects up to this size are inflated in one call from an in-memory window. */
const SMALL = 1 << 20;

class SpoolReader {
  private buf: Buffer = Buffer.alloc(0);
  private pos = 0;
  /** Absolute pack offset of buf[pos]. */
  offset = 0;
  private eof = false;
  private tail: Buffer = Buffer.alloc(0);
  /** Bytes received (all of them spooled once flush() has run). */
  private written = 0;
  /** Received chunks not yet on disk, and the file offset they start at. */
  private unflushed: Buffer[] = [];
  private unflushedBytes = 0;
  private flushedTo = 0;
  readonly hash: Hash = createHash('sha1');

  constructor(
    private readonly it: AsyncIterator<Uint8Array>,
    private readonly fh: FileHandle,
  ) {}

  get available(): number {
    return this.buf.length - this.pos;
  }

  peek(n = this.available): Buffer {
    return this.buf.subarray(this.pos, this.pos + n);
  }

  advance(n: number): void {
    this.pos += n;
    this.offset += n;
  }

  /** Pulls one chunk from the network, spooling and hashing it; null at end of stream. */
  private async pull(): Promise<Buffer | null> {
    while (!this.eof) {
      const r = await this.it.next();
      if (r.done) {
        this.eof = true;
        return null;
      }
      const chunk = Buffer.from(r.value.buffer, r.value.byteOffset, r.value.byteLength);
      if (chunk.length === 0) continue;
      // Spooled in ~256 KiB writes: one thread-pool round trip per network chunk would leave the
      // fill waiting on many small writes.
      this.unflushed.push(chunk);
      this.unflushedBytes += chunk.length;
      this.written += chunk.length;
      if (this.unflushedBytes >= SPOOL_BATCH) await this.flush();
      this.hashHoldingBack(chunk);
      return chunk;
    }
    return null;
  }

  /** Reads at least one more chunk into the buffer; false at end of stream. */
  async more(): Promise<boolean> {
    return this.ensure(this.available + 1);
  }

  /** Hashes everything except the last 20 bytes seen so far (the pack trailer, eventually). */
  private hashHoldingBack(chunk: Buffer): void {
    if (chunk.length >= 20) {
      if (this.tail.length) this.hash.update(this.tail);
      this.hash.update(chunk.subarray(0, chunk.length - 20));
      this.tail = Buffer.from(chunk.subarray(chunk.length - 20));
    } else {
      const all = Buffer.concat([this.tail, chunk]);
      if (all.length > 20) this.hash.update(all.subarray(0, all.length - 20));
      this.tail = all.subarray(Math.max(0, all.length - 20));
    }
  }

  /** Buffers at least n bytes (one concatenation); false if the stream ends first. */
  async ensure(n: number): Promise<boolean> {
    if (this.available >= n) return true;
    const parts: Buffer[] = [this.buf.subarray(this.pos)];
    let have = this.available;
    let ok = true;
    while (have < n) {
      const c = await this.pull();
      if (c === null) {
        ok = false;
        break;
      }
      parts.push(c);
      have += c.length;
    }
    this.buf =
      parts.length === 2 && parts[0]?.length === 0 ? (parts[1] ?? Buffer.alloc(0)) : Buffer.concat(parts);
    this.pos = 0;
    return ok;
  }

  /** Writes every received byte to the file. */
  async flush(): Promise<void> {
    if (this.unflushedBytes === 0) return;
    const batch = this.unflushed.length === 1 ? (this.unflushed[0] as Buffer) : Buffer.concat(this.unflushed);
    const at = this.flushedTo;
    this.unflushed = [];
    this.flushedTo += batch.length;
    this.unflushedBytes = 0;
    let done = 0;
    while (done < batch.length) {
      const { bytesWritten } = await this.fh.write(batch, done, batch.length - done, at + done);
      done += bytesWritten;
    }
  }

  get trailer(): Buffer {
    return this.tail;
  }

  get totalWritten(): number {
    return this.written;
  }
}

const truncated = (): UpstreamError => new UpstreamError('corrupt pack: early EOF (truncated pack)');

function zlibError(err: unknown): UpstreamError {
  const msg = err instanceof Error ? err.message : String(err);
  return new UpstreamError(`corrupt pack: ${msg}`);
}

/** Inflates one object's data from the reader, feeding output to `sink`; returns compressed length. */
async function inflateObject(r: SpoolReader, size: number, sink: (c: Buffer) => void): Promise<number> {
  if (size <= SMALL) {
    const want = size + (size >> 3) + 64;
    const full = await r.ensure(want);
    const window = r.peek(Math.min(r.available, want));
    try {
      const res = inflateSync(window, { info: true, finishFlush: zc.Z_FINISH }) as unknown as {
        buffer: Buffer;
        engine: { bytesWritten: number };
      };
      if (res.buffer.length !== size) throw new UpstreamError('corrupt pack: object size mismatch');
      sink(res.buffer);
      const used = res.engine.bytesWritten;
      r.advance(used);
      return used;
    } catch (err) {
      if (isStoaError(err)) throw err;
      const code = (err as { code?: unknown }).code;
      if (code !== 'Z_BUF_ERROR') throw zlibError(err);
      if (!full) throw truncated();
      // compressed data longer than the window (pathological encoder): fall through to streaming
    }
  }
  const inf = createInflate();
  let out = 0;
  let failure: unknown;
  inf.on('data', (c: Buffer) => {
    out += c.length;
    sink(c);
  });
  const ended = new Promise<void>((resolve, reject) => {
    inf.once('end', resolve);
    inf.once('error', (e) => {
      failure = e;
      reject(zlibError(e));
    });
  });
  ended.catch(() => undefined);
  let used = 0;
  try {
    for (;;) {
      if (r.available === 0 && !(await r.more())) throw truncated();
      const data = r.peek();
      const before = inf.bytesWritten;
      await new Promise<void>((resolve, reject) =>
        inf.write(data, (e) => (e ? reject(zlibError(e)) : resolve())),
      );
      if (failure !== undefined) throw zlibError(failure);
      const consumed = inf.bytesWritten - before;
      r.advance(consumed);
      used += consumed;
      if (consumed < data.length) break;
    }
    await ended;
  } finally {
    inf.destroy();
  }
  if (out !== size) throw new UpstreamError('corrupt pack: object size mismatch');
  return used;
}

/** Reads a pack stream to `fh`, indexing as it goes. Throws UpstreamError on any corruption. */
export async function spoolPack(source: AsyncIterable<Uint8Array>, fh: FileHandle): Promise<SpooledPack> {
  const r = new SpoolReader(source[Symbol.asyncIterator](), fh);
  if (!(await r.ensure(12))) {
    throw r.totalWritten === 0 ? new UpstreamError('no pack data received') : truncated();
  }
  const head = r.peek(12);
  if (head.toString('latin1', 0, 4) !== 'PACK') throw new UpstreamError('corrupt pack: bad pack header');
  const version = head.readUInt32BE(4);
  if (version !== 2 && version !== 3) throw new UpstreamError(`corrupt pack: unsupported version ${version}`);
  const count = head.readUInt32BE(8);
  r.advance(12);
  const entries: PackEntry[] = [];
  for (let i = 0; i < count; i++) {
    await r.ensure(32);
    const offset = r.offset;
    const h = r.peek(Math.min(r.available, 32));
    let p = 0;
    const byte = (): number => {
      const b = h[p++];
      if (b === undefined) throw truncated();
      return b;
    };
    let c = byte();
    const packType = (c >> 4) & 7;
    let size = c & 15;
    let mult = 16;
    while (c & 0x80) {
      c = byte();
      size += (c & 0x7f) * mult;
      mult *= 128;
    }
    const entry: PackEntry = { offset, dataOffset: 0, compLen: 0, packType, size };
    if (packType === OFS_DELTA) {
      c = byte();
      let ofs = c & 0x7f;
      while (c & 0x80) {
        c = byte();
        ofs = (ofs + 1) * 128 + (c & 0x7f);
      }
      if (ofs <= 0 || ofs > offset) throw new UpstreamError('corrupt pack: bad delta offset');
      entry.baseOffset = offset - ofs;
    } else if (packType === REF_DELTA) {
      if (p + 20 > h.length) throw truncated();
      entry.baseOid = h.toString('hex', p, p + 20);
      p += 20;
    } else if (TYPE_NAMES[packType] === undefined) {
      throw new UpstreamError(`corrupt pack: bad object type ${packType}`);
    }
    r.advance(p);
    entry.dataOffset = r.offset;
    const typeName = TYPE_NAMES[packType];
    if (typeName) {
      const hash = createHash('sha1').update(objectHeader(typeName, size));
      entry.compLen = await inflateObject(r, size, (d) => hash.update(d));
      entry.oid = hash.digest('hex');
      entry.resolvedType = typeName;
      entry.resultSize = size;
    } else {
      entry.compLen = await inflateObject(r, size, () => undefined);
    }
    entries.push(entry);
  }
  // trailer: exactly 20 bytes must remain
  await r.ensure(21);
  if (r.available < 20) throw truncated();
  if (r.available > 20) throw new UpstreamError('corrupt pack: trailing data after pack');
  const expected = r.peek(20);
  const actual = r.hash.digest();
  if (!actual.equals(expected) || !r.trailer.equals(expected)) {
    throw new UpstreamError('corrupt pack: trailing checksum mismatch');
  }
  r.advance(20);
  await r.flush();
  return { entries, size: r.offset };
}
