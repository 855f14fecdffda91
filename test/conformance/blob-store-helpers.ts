/** Stream builders and measurers for the blob store conformance suite. */
import { createHash, randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';

export const MiB = 1024 * 1024;

/** Reads a (small) stream into one buffer. Only for test objects of a few MiB. */
export async function readAll(body: ReadableStream<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of body) parts.push(Buffer.from(chunk));
  return Buffer.concat(parts);
}

export interface Digest {
  sha256: string;
  size: number;
}

export async function digestStream(body: ReadableStream<Uint8Array>): Promise<Digest> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of body) {
    hash.update(chunk);
    size += chunk.byteLength;
  }
  return { sha256: hash.digest('hex'), size };
}

export function digestBytes(bytes: Uint8Array): Digest {
  return { sha256: createHash('sha256').update(bytes).digest('hex'), size: bytes.byteLength };
}

/**
 * A deterministic generated stream of `chunks` MiB-sized chunks that never exists in memory as a
 * whole; `digest()` gives the sha256 of what was produced once the stream has been read.
 */
export function generatedStream(
  chunks: number,
  seed = 1,
  onChunk?: (n: number) => void,
): { stream: ReadableStream<Uint8Array>; digest: () => Digest } {
  const base = randomBytes(MiB);
  base.writeUInt32BE(seed, 0);
  const hash = createHash('sha256');
  let index = 0;
  let size = 0;
  const stream = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        if (index >= chunks) {
          controller.close();
          return;
        }
        const chunk = Buffer.from(base);
        chunk.writeUInt32BE(index++, 4);
        hash.update(chunk);
        size += chunk.byteLength;
        controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
        onChunk?.(index);
      },
    },
    { highWaterMark: 0 },
  );
  let result: Digest | undefined;
  return {
    stream,
    digest: () => (result ??= { sha256: hash.digest('hex'), size }),
  };
}

/** A stream that yields `chunkSize` bytes every few ms forever, calling `onChunk(n)` after the n-th chunk. */
export function endlessStream(
  onChunk: (n: number) => void,
  chunkSize = 64 * 1024,
): ReadableStream<Uint8Array> {
  let n = 0;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        await sleep(chunkSize > 64 * 1024 ? 1 : 5);
        controller.enqueue(new Uint8Array(chunkSize).fill(n % 251));
        onChunk(++n);
      },
    },
    { highWaterMark: 0 },
  );
}

/** A stream that yields `good` chunks of 64 KiB, then errors. */
export function failingStream(good: number): ReadableStream<Uint8Array> {
  let n = 0;
  return new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        if (n++ < good) controller.enqueue(new Uint8Array(64 * 1024).fill(7));
        else controller.error(new Error('source failed on purpose'));
      },
    },
    { highWaterMark: 0 },
  );
}

export function streamOf(bytes: Uint8Array, chunkSize = 64 * 1024): ReadableStream<Uint8Array> {
  let offset = 0;
  return new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        if (offset >= bytes.byteLength) {
          controller.close();
          return;
        }
        controller.enqueue(bytes.slice(offset, offset + chunkSize));
        offset += chunkSize;
      },
    },
    { highWaterMark: 0 },
  );
}

/** Samples this process' RSS every 50 ms; `stop()` returns the baseline, the peak and the growth. */
export function rssSampler(): { stop: () => { baseline: number; peak: number; growth: number } } {
  const baseline = process.memoryUsage().rss;
  let peak = baseline;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 50);
  return {
    stop() {
      clearInterval(timer);
      peak = Math.max(peak, process.memoryUsage().rss);
      return { baseline, peak, growth: peak - baseline };
    },
  };
}

export async function collect(iterable: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const key of iterable) out.push(key);
  return out;
}
