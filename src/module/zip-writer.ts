/**
 * Streams a module zip with yazl: files only (no directory entries), UTF-8 names (yazl always sets
 * the UTF-8 flag), declared sizes checked against the real ones, Zip64 where needed. Each file's
 * bytes are pulled lazily, one file at a time, and the zip bytes go straight to the sink.
 */
import { Readable, Transform, Writable } from 'node:stream';
import type { PassThrough } from 'node:stream';
import type { TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { WritableStream as WebWritableStream } from 'node:stream/web';
import yazl from 'yazl';

export interface ZipSourceEntry {
  /** Full entry name, e.g. `example.com/m@v1.0.0/go.mod`. */
  readonly name: string;
  /** Exact uncompressed size; yazl fails the zip if the bytes disagree. */
  readonly size: number;
  /** false: store the bytes as they are (they do not compress); default: deflate. */
  readonly compress?: boolean;
  open(): AsyncIterable<Uint8Array>;
}

export interface ZipWriteOptions {
  /** Modification time written for every entry (default 1980-01-01, the DOS epoch). */
  readonly mtime?: Date;
  /** Deflate level 1-9, or 0 to store (default 6). */
  readonly compressionLevel?: number;
  /** Write Zip64 records even when not needed (for tests). */
  readonly forceZip64?: boolean;
  /**
   * Fail (destroying the sink mid-stream, so an atomic store never commits it) as soon as the zip
   * grows beyond this many bytes. The go command refuses zips over 500 MiB.
   */
  readonly maxBytes?: number;
  /** Builds the error for `maxBytes` (default: a plain Error). */
  readonly tooLarge?: (bytes: number) => Error;
}

export type ZipSink = NodeJS.WritableStream | WebWritableStream<Uint8Array>;

function isWebSink(sink: ZipSink): sink is WebWritableStream<Uint8Array> {
  return typeof (sink as WebWritableStream<Uint8Array>).getWriter === 'function';
}

class ByteCounter extends Transform {
  bytes = 0;
  constructor(
    private readonly max: number,
    private readonly tooLarge: (bytes: number) => Error,
  ) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.max) {
      cb(this.tooLarge(this.bytes));
      return;
    }
    cb(null, chunk);
  }
}

const DOS_EPOCH = new Date(1980, 0, 1, 0, 0, 0);

/**
 * Writes `entries` as a zip to `sink` and resolves with the number of zip bytes written once the
 * sink has taken everything. A failing entry source or sink rejects the promise and destroys the
 * output; nothing is buffered beyond stream high-water marks.
 */
export async function writeZip(
  entries: Iterable<ZipSourceEntry>,
  sink: ZipSink,
  options: ZipWriteOptions = {},
): Promise<{ bytes: number }> {
  const zip = new yazl.ZipFile();
  const output = zip.outputStream as PassThrough;
  const fail = (err: unknown): void => {
    output.destroy(err instanceof Error ? err : new Error(String(err)));
  };
  zip.on('error', fail);
  const level = options.compressionLevel ?? 6;
  const forceZip64 = options.forceZip64 ?? false;
  for (const entry of entries) {
    const entryLevel = entry.compress === false ? 0 : level;
    zip.addReadStreamLazy(
      entry.name,
      {
        size: entry.size,
        mtime: options.mtime ?? DOS_EPOCH,
        mode: 0o100644,
        compress: entryLevel !== 0,
        compressionLevel: entryLevel,
        forceZip64Format: forceZip64,
        forceDosTimestamp: true,
      },
      (cb) => {
        const rs = Readable.from(entry.open(), { objectMode: false });
        rs.on('error', fail);
        cb(null, rs);
      },
    );
  }
  zip.end({ forceZip64Format: forceZip64, comment: '' });
  const counter = new ByteCounter(
    options.maxBytes ?? Number.MAX_SAFE_INTEGER,
    options.tooLarge ?? ((n) => new Error(`zip larger than ${options.maxBytes} bytes (at least ${n})`)),
  );
  const dest: NodeJS.WritableStream = isWebSink(sink) ? Writable.fromWeb(sink) : sink;
  await pipeline(output, counter, dest);
  return { bytes: counter.bytes };
}
