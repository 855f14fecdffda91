/** Applies a git pack delta (copy/insert instructions) to a base object. */
import { UpstreamError } from '../errors.js';

function readVarint(d: Uint8Array, pos: number): [number, number] {
  let value = 0;
  let mult = 1;
  for (;;) {
    const c = d[pos++];
    if (c === undefined) throw new UpstreamError('corrupt pack: truncated delta header');
    value += (c & 0x7f) * mult;
    mult *= 128;
    if ((c & 0x80) === 0) return [value, pos];
  }
}

/** Target size announced by a delta, without applying it. */
export function deltaTargetSize(delta: Uint8Array): number {
  const [, p] = readVarint(delta, 0);
  return readVarint(delta, p)[0];
}

export function applyDelta(base: Uint8Array, delta: Uint8Array): Buffer {
  const [srcSize, p0] = readVarint(delta, 0);
  if (srcSize !== base.length) throw new UpstreamError('corrupt pack: delta base size mismatch');
  const [dstSize, p1] = readVarint(delta, p0);
  let pos = p1;
  const out = Buffer.allocUnsafe(dstSize);
  let o = 0;
  while (pos < delta.length) {
    const op = delta[pos++] ?? 0;
    if (op & 0x80) {
      let off = 0;
      let size = 0;
      for (let i = 0; i < 4; i++) if (op & (1 << i)) off += (delta[pos++] ?? 0) * 2 ** (8 * i);
      for (let i = 0; i < 3; i++) if (op & (0x10 << i)) size += (delta[pos++] ?? 0) * 2 ** (8 * i);
      if (size === 0) size = 0x10000;
      if (off + size > base.length || o + size > dstSize || pos > delta.length) {
        throw new UpstreamError('corrupt pack: delta copy out of range');
      }
      out.set(base.subarray(off, off + size), o);
      o += size;
    } else if (op !== 0) {
      if (pos + op > delta.length || o + op > dstSize)
        throw new UpstreamError('corrupt pack: delta insert out of range');
      out.set(delta.subarray(pos, pos + op), o);
      pos += op;
      o += op;
    } else {
      throw new UpstreamError('corrupt pack: reserved delta opcode 0');
    }
  }
  if (o !== dstSize) throw new UpstreamError('corrupt pack: delta result size mismatch');
  return out;
}
