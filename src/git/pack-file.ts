/**
 * Receives a pack into a private temp directory and opens it for reading. The directory is removed
 * on close, and on any failure (corruption, early EOF, abort) before this returns.
 */
import { mkdtemp, open, rm } from 'node:fs/promises';
import path from 'node:path';
import { PackReader } from './pack-reader.js';
import { spoolPack } from './pack-spool.js';

export interface OpenedPack {
  reader: PackReader;
  /** Pack size in bytes. */
  size: number;
  close(): Promise<void>;
}

export async function receivePack(
  source: AsyncIterable<Uint8Array>,
  tempDir: string,
  signal?: AbortSignal,
): Promise<OpenedPack> {
  const dir = await mkdtemp(path.join(tempDir, 'stoa-pack-'));
  const file = path.join(dir, 'pack');
  let fh: Awaited<ReturnType<typeof open>> | undefined;
  const cleanup = async (): Promise<void> => {
    await fh?.close().catch(() => undefined);
    fh = undefined;
    await rm(dir, { recursive: true, force: true });
  };
  try {
    fh = await open(file, 'w+');
    const spooled = await spoolPack(source, fh);
    signal?.throwIfAborted();
    const reader = await PackReader.open(fh, file, spooled.entries, signal);
    let closed = false;
    return {
      reader,
      size: spooled.size,
      close: async () => {
        if (closed) return;
        closed = true;
        await cleanup();
      },
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}
