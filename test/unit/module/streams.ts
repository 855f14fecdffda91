/** Test helpers: byte streams from strings or arrays, and collecting them back. */

/** An async iterable yielding the given chunks (strings are UTF-8 encoded). */
export function asyncChunks(...parts: (string | Uint8Array)[]): AsyncIterable<Uint8Array> {
  const bytes = parts.map((p) => (typeof p === 'string' ? new TextEncoder().encode(p) : p));
  return {
    [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
      let i = 0;
      return {
        next: (): Promise<IteratorResult<Uint8Array>> => {
          const value = bytes[i++];
          return Promise.resolve(
            value === undefined ? { value: undefined, done: true } : { value, done: false },
          );
        },
      };
    },
  };
}

/** Collects a stream into one Buffer (tests only: small data). */
export async function collect(source: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of source) parts.push(Buffer.from(c));
  return Buffer.concat(parts);
}
