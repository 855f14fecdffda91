/** Response-body helpers for the transport: content decoding and URL redaction for messages. */
import { Readable, pipeline } from 'node:stream';
import { createGunzip, createInflate } from 'node:zlib';
import { UpstreamError, isStoaError } from '../errors.js';

/** Undoes a Content-Encoding (GitLab gzips info/refs) as a stream. */
export function decodeBody(
  src: AsyncIterable<Uint8Array>,
  encoding: string,
  where: string,
  signal: AbortSignal | undefined,
): AsyncIterable<Uint8Array> {
  if (encoding === '' || encoding === 'identity') return src;
  if (encoding !== 'gzip' && encoding !== 'x-gzip' && encoding !== 'deflate') {
    throw new UpstreamError(`${where}: unsupported content-encoding ${encoding}`);
  }
  return {
    [Symbol.asyncIterator]: () => {
      const z = encoding === 'deflate' ? createInflate() : createGunzip();
      const out = pipeline(Readable.from(src), z, () => undefined);
      return (async function* () {
        try {
          for await (const c of out) yield c as Buffer;
        } catch (err) {
          throw isStoaError(err) || signal?.aborted
            ? err
            : new UpstreamError(`${where}: bad ${encoding} body`);
        }
      })();
    },
  };
}

export function redactUrl(u: string): string {
  try {
    const url = new URL(u);
    url.username = '';
    url.password = '';
    url.search = '';
    return url.toString().replace(/\/$/, '');
  } catch {
    return '<invalid url>';
  }
}
