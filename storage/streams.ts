/**
 * Stream helpers shared by the backends: iterate a put body chunk by chunk with abort and length
 * checks, and turn such an iteration back into a web ReadableStream.
 */
import { StorageError } from './blob-store.js';

export type PutBody = ReadableStream<Uint8Array> | Uint8Array;

function abortError(signal: AbortSignal, backend: string): StorageError {
  return new StorageError(`${backend}: put aborted`, { cause: signal.reason, backend });
}

/**
 * Yields the body's chunks. Throws StorageError when `signal` aborts (also while a read is
 * pending), when the source stream errors, or when the total length differs from `size`.
 * Cancels the source when the consumer stops early or anything fails.
 */
export async function* checkedChunks(
  body: PutBody,
  backend: string,
  size?: number,
  signal?: AbortSignal,
): AsyncGenerator<Uint8Array, void, undefined> {
  if (signal?.aborted) throw abortError(signal, backend);
  if (body instanceof Uint8Array) {
    if (size !== undefined && body.byteLength !== size) {
      throw new StorageError(`${backend}: body is ${body.byteLength} bytes, expected ${size}`, { backend });
    }
    if (body.byteLength > 0) yield body;
    return;
  }
  const reader = body.getReader();
  const onAbort = (): void => {
    reader.cancel(signal?.reason).catch(() => undefined);
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  let total = 0;
  let finished = false;
  try {
    for (;;) {
      let result: Awaited<ReturnType<typeof reader.read>>;
      try {
        result = await reader.read();
      } catch (err) {
        if (signal?.aborted) throw abortError(signal, backend);
        throw new StorageError(`${backend}: put source failed: ${String(err)}`, { cause: err, backend });
      }
      if (signal?.aborted) throw abortError(signal, backend);
      if (result.done) break;
      const chunk = result.value;
      total += chunk.byteLength;
      if (size !== undefined && total > size) {
        throw new StorageError(`${backend}: body is longer than the declared ${size} bytes`, { backend });
      }
      if (chunk.byteLength > 0) yield chunk;
      if (signal?.aborted) throw abortError(signal, backend);
    }
    finished = true;
    if (size !== undefined && total !== size) {
      throw new StorageError(`${backend}: body is ${total} bytes, expected ${size}`, { backend });
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
    if (!finished) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}

/**
 * Yields `source`'s chunks and fails (instead of ending) when they add up to more or fewer than
 * `size` bytes, so a truncated or foreign object is never taken for a complete one.
 */
export async function* exactChunks(
  source: AsyncIterable<Uint8Array>,
  size: number,
  fail: (total: number) => Error,
): AsyncGenerator<Uint8Array, void, undefined> {
  let total = 0;
  for await (const chunk of source) {
    total += chunk.byteLength;
    if (total > size) throw fail(total);
    yield chunk;
  }
  if (total !== size) throw fail(total);
}

/** A pull-based ReadableStream over an async iterator; cancelling it returns the iterator. */
export function streamFromIterator(
  iterator: AsyncIterator<Uint8Array, void, undefined>,
  onError?: (err: unknown) => unknown,
): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          const next = await iterator.next();
          if (next.done === true) controller.close();
          else controller.enqueue(next.value);
        } catch (err) {
          controller.error(onError === undefined ? err : onError(err));
        }
      },
      async cancel() {
        await iterator.return?.();
      },
    },
    { highWaterMark: 0 },
  );
}

/** The body as a ReadableStream that errors (instead of ending) on abort or a length mismatch. */
export function checkedStream(
  body: PutBody,
  backend: string,
  size?: number,
  signal?: AbortSignal,
): ReadableStream<Uint8Array> {
  return streamFromIterator(checkedChunks(body, backend, size, signal));
}
