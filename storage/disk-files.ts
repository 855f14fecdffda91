/** File-system helpers of the disk blob store: errno checks, durable writes, and file streams. */
import type { FileHandle } from 'node:fs/promises';
import { open, readdir, rm, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { toStorageError } from './blob-store.js';

const BACKEND = 'disk';
const READ_CHUNK = 256 * 1024;

export function errnoOf(err: unknown): string | undefined {
  return err instanceof Error && 'code' in err && typeof err.code === 'string' ? err.code : undefined;
}

/** Errors that mean "no such object" when opening a key's file. */
export const ABSENT = new Set(['ENOENT', 'ENOTDIR']);

/** True when `file` still names the inode `ino` (it was not deleted or replaced). */
export async function sameFile(file: string, ino: number): Promise<boolean> {
  try {
    return (await stat(file)).ino === ino;
  } catch (err) {
    if (ABSENT.has(errnoOf(err) ?? '')) return false;
    throw err;
  }
}

export async function sweepStale(dir: string, olderThanMs: number): Promise<void> {
  const cutoff = Date.now() - olderThanMs;
  for (const name of await readdir(dir)) {
    const file = path.join(dir, name);
    const st = await stat(file).catch(() => null);
    if (st !== null && st.isFile() && st.mtimeMs < cutoff) await rm(file, { force: true });
  }
}

export async function unlinkIfPresent(file: string): Promise<void> {
  try {
    await unlink(file);
  } catch (err) {
    if (!ABSENT.has(errnoOf(err) ?? '')) throw err;
  }
}

/** Writes go to the file in batches of about this many bytes (small chunks are joined first). */
const WRITE_BATCH_BYTES = 256 * 1024;

/**
 * Writes every chunk of `source` to `fh`, in order, joining small chunks into batches of about
 * 256 KiB first: a zip stream arrives in many small pieces (entry headers, deflate blocks), and one
 * write per piece would cost one thread-pool round trip each.
 */
export async function writeBatched(fh: FileHandle, source: AsyncIterable<Uint8Array>): Promise<void> {
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  const flush = async (): Promise<void> => {
    const batch = pending.length === 1 ? pending[0] : Buffer.concat(pending, pendingBytes);
    pending = [];
    pendingBytes = 0;
    if (batch !== undefined) await writeAll(fh, batch);
  };
  for await (const chunk of source) {
    pending.push(chunk);
    pendingBytes += chunk.byteLength;
    if (pendingBytes >= WRITE_BATCH_BYTES) await flush();
  }
  if (pendingBytes > 0) await flush();
}

export async function writeAll(fh: FileHandle, chunk: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < chunk.byteLength) {
    const { bytesWritten } = await fh.write(chunk, offset, chunk.byteLength - offset);
    offset += bytesWritten;
  }
}

export async function writeSynced(file: string, text: string): Promise<void> {
  const fh = await open(file, 'wx', 0o644);
  try {
    await fh.writeFile(text, 'utf8');
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** fsync a directory so a rename survives a crash; best effort (not every file system allows it). */
export async function syncDir(dir: string): Promise<void> {
  try {
    const fh = await open(dir, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch (err) {
    if (errnoOf(err) !== 'EINVAL' && errnoOf(err) !== 'EISDIR') throw err;
  }
}

/** A ReadableStream over an open file handle; closes it at the end, on error and on cancel. */
export function fileStream(fh: FileHandle): ReadableStream<Uint8Array> {
  let closed = false;
  const closeOnce = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    await fh.close();
  };
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          const buffer = new Uint8Array(READ_CHUNK);
          const { bytesRead } = await fh.read(buffer, 0, READ_CHUNK, null);
          if (bytesRead === 0) {
            await closeOnce();
            controller.close();
          } else {
            controller.enqueue(buffer.subarray(0, bytesRead));
          }
        } catch (err) {
          await closeOnce().catch(() => undefined);
          controller.error(toStorageError(err, BACKEND, 'read'));
        }
      },
      async cancel() {
        await closeOnce();
      },
    },
    { highWaterMark: 0 },
  );
}
