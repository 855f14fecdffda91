/**
 * pkt-line framing (gitprotocol-common): a 4-hex-digit length (including itself) then the payload;
 * `0000` flush, `0001` delimiter, `0002` response-end. Encoding helpers and a streaming reader.
 */
import { UpstreamError } from '../errors.js';

export type Packet =
  { kind: 'data'; data: Buffer } | { kind: 'flush' } | { kind: 'delim' } | { kind: 'response-end' };

export const FLUSH = Buffer.from('0000', 'latin1');
export const DELIM = Buffer.from('0001', 'latin1');

const MAX_PKT = 65520;

/** Encodes one data packet; strings get a trailing LF if they lack one. */
export function pktLine(payload: string | Uint8Array): Buffer {
  const body =
    typeof payload === 'string'
      ? Buffer.from(payload.endsWith('\n') ? payload : `${payload}\n`, 'utf8')
      : Buffer.from(payload);
  const len = body.length + 4;
  if (len > MAX_PKT) throw new RangeError(`pkt-line too long (${len})`);
  return Buffer.concat([Buffer.from(len.toString(16).padStart(4, '0'), 'latin1'), body]);
}

/** Text of a data packet without its trailing LF. */
export function pktText(data: Uint8Array): string {
  const s = Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8');
  return s.endsWith('\n') ? s.slice(0, -1) : s;
}

/**
 * Reads packets from a byte stream. Holds at most one packet (≤ 64 KiB) plus one network chunk.
 * `next()` returns null at a clean end of stream (between packets); a truncated packet is an
 * UpstreamError ("early EOF").
 */
export class PktReader {
  private buf: Buffer = Buffer.alloc(0);
  private done = false;
  private readonly it: AsyncIterator<Uint8Array>;

  constructor(source: AsyncIterable<Uint8Array>) {
    this.it = source[Symbol.asyncIterator]();
  }

  private async fill(n: number): Promise<boolean> {
    while (this.buf.length < n) {
      if (this.done) return false;
      const r = await this.it.next();
      if (r.done) {
        this.done = true;
        return false;
      }
      const chunk = Buffer.from(r.value.buffer, r.value.byteOffset, r.value.byteLength);
      this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    }
    return true;
  }

  async next(): Promise<Packet | null> {
    if (!(await this.fill(4))) {
      if (this.buf.length === 0) return null;
      throw new UpstreamError('git protocol error: early EOF inside a pkt-line header');
    }
    const hex = this.buf.toString('latin1', 0, 4);
    if (!/^[0-9a-fA-F]{4}$/.test(hex)) {
      throw new UpstreamError(`git protocol error: bad pkt-line length ${JSON.stringify(hex)}`);
    }
    const len = Number.parseInt(hex, 16);
    if (len < 4) {
      this.buf = this.buf.subarray(4);
      if (len === 0) return { kind: 'flush' };
      if (len === 1) return { kind: 'delim' };
      if (len === 2) return { kind: 'response-end' };
      throw new UpstreamError(`git protocol error: bad pkt-line length ${hex}`);
    }
    if (!(await this.fill(len))) throw new UpstreamError('git protocol error: early EOF inside a pkt-line');
    const data = this.buf.subarray(4, len);
    this.buf = this.buf.subarray(len);
    return { kind: 'data', data };
  }

  /** Reads and discards packets until the end of the stream (so the response completes cleanly). */
  async drainToEnd(limit = 1 << 20): Promise<void> {
    let n = 0;
    for (let p = await this.next(); p !== null; p = await this.next()) {
      n += p.kind === 'data' ? p.data.length : 4;
      if (n > limit) throw new UpstreamError('git protocol error: unexpected data after the reply');
    }
  }

  /** The unread bytes: what is buffered, then the rest of the stream (for raw, unframed data). */
  async *remaining(): AsyncGenerator<Uint8Array> {
    if (this.buf.length) {
      const b = this.buf;
      this.buf = Buffer.alloc(0);
      yield b;
    }
    while (!this.done) {
      const r = await this.it.next();
      if (r.done) {
        this.done = true;
        return;
      }
      yield r.value;
    }
  }

  /** Cancels the underlying stream (releases the connection). */
  async cancel(): Promise<void> {
    if (this.done) return;
    this.done = true;
    await this.it.return?.();
  }
}
