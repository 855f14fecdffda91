/**
 * In-process blob store for tests and small single-replica deployments. Objects are immutable
 * lists of blocks (1 MiB each) swapped in with one Map write, so a put is atomic by construction.
 * `maxBytes` caps the stored bytes: a put that would go over it fails and stores nothing (bytes of
 * puts in flight count against the cap, so an overwrite near the cap may be refused early).
 */
import type { BlobInfo, BlobObject, BlobStore, PutOptions } from './blob-store.js';
import { StorageError, toStorageError } from './blob-store.js';
import { assertSafeKey, assertSafePrefix, assertValidMetadata, compareKeys } from './safe-key.js';
import type { PutBody } from './streams.js';
import { checkedChunks } from './streams.js';

export interface MemoryStoreOptions {
  maxBytes?: number;
}

interface StoredObject {
  readonly blocks: readonly Uint8Array[];
  readonly size: number;
  readonly metadata: Readonly<Record<string, string>>;
}

const BLOCK_SIZE = 1024 * 1024;
const BACKEND = 'memory';

/** Runs `fn` so that a throw becomes a rejected promise, as callers of an async API expect. */
function settle<T>(fn: () => T): Promise<T> {
  return new Promise<T>((resolve) => resolve(fn()));
}

function checkSignal(signal: AbortSignal | undefined): void {
  if (signal?.aborted)
    throw new StorageError(`${BACKEND}: aborted`, { cause: signal.reason, backend: BACKEND });
}

class MemoryBlobStore implements BlobStore {
  readonly backend = 'memory' as const;
  private readonly objects = new Map<string, StoredObject>();
  private readonly maxBytes: number;
  private usedBytes = 0;
  private reservedBytes = 0;
  private closed = false;

  constructor(options: MemoryStoreOptions) {
    this.maxBytes = options.maxBytes ?? Number.POSITIVE_INFINITY;
  }

  private checkOpen(): void {
    if (this.closed) throw new StorageError(`${BACKEND}: store is closed`, { backend: BACKEND });
  }

  get(key: string, signal?: AbortSignal): Promise<BlobObject | null> {
    return settle(() => this.getNow(key, signal));
  }

  private getNow(key: string, signal?: AbortSignal): BlobObject | null {
    assertSafeKey(key, BACKEND);
    this.checkOpen();
    checkSignal(signal);
    const object = this.objects.get(key);
    if (object === undefined) return null;
    let index = 0;
    const body = new ReadableStream<Uint8Array>(
      {
        pull(controller) {
          const block = object.blocks[index++];
          // A copy: the stored block must stay immutable whatever the reader does with its chunk.
          if (block === undefined) controller.close();
          else controller.enqueue(block.slice());
        },
      },
      { highWaterMark: 0 },
    );
    return { size: object.size, metadata: object.metadata, body };
  }

  head(key: string, signal?: AbortSignal): Promise<BlobInfo | null> {
    return settle(() => {
      assertSafeKey(key, BACKEND);
      this.checkOpen();
      checkSignal(signal);
      const object = this.objects.get(key);
      return object === undefined ? null : { size: object.size, metadata: object.metadata };
    });
  }

  async put(key: string, body: PutBody, options: PutOptions = {}): Promise<void> {
    assertSafeKey(key, BACKEND);
    assertValidMetadata(options.metadata, BACKEND);
    this.checkOpen();
    const blocks: Uint8Array[] = [];
    let current = new Uint8Array(BLOCK_SIZE);
    let filled = 0;
    let size = 0;
    try {
      for await (const chunk of checkedChunks(body, BACKEND, options.size, options.signal)) {
        this.reserve(chunk.byteLength);
        size += chunk.byteLength;
        let offset = 0;
        while (offset < chunk.byteLength) {
          const n = Math.min(BLOCK_SIZE - filled, chunk.byteLength - offset);
          current.set(chunk.subarray(offset, offset + n), filled);
          filled += n;
          offset += n;
          if (filled === BLOCK_SIZE) {
            blocks.push(current);
            current = new Uint8Array(BLOCK_SIZE);
            filled = 0;
          }
        }
      }
      if (filled > 0) blocks.push(current.slice(0, filled));
      this.checkOpen();
      const previous = this.objects.get(key);
      this.objects.set(key, { blocks, size, metadata: Object.freeze({ ...options.metadata }) });
      this.usedBytes += size - (previous?.size ?? 0);
    } catch (err) {
      throw toStorageError(err, BACKEND, `put ${key}`);
    } finally {
      this.reservedBytes -= size;
    }
  }

  private reserve(bytes: number): void {
    if (this.usedBytes + this.reservedBytes + bytes > this.maxBytes) {
      throw new StorageError(`${BACKEND}: store is full (maxBytes ${this.maxBytes})`, { backend: BACKEND });
    }
    this.reservedBytes += bytes;
  }

  async *list(prefix: string, signal?: AbortSignal): AsyncIterable<string> {
    assertSafePrefix(prefix, BACKEND);
    this.checkOpen();
    checkSignal(signal);
    const keys = [...this.objects.keys()].filter((k) => k.startsWith(prefix)).sort(compareKeys);
    for (const key of keys) {
      checkSignal(signal);
      yield await Promise.resolve(key);
    }
  }

  delete(key: string, signal?: AbortSignal): Promise<void> {
    return settle(() => {
      assertSafeKey(key, BACKEND);
      this.checkOpen();
      checkSignal(signal);
      const previous = this.objects.get(key);
      if (previous !== undefined) {
        this.objects.delete(key);
        this.usedBytes -= previous.size;
      }
    });
  }

  ping(signal?: AbortSignal): Promise<void> {
    return settle(() => {
      this.checkOpen();
      checkSignal(signal);
    });
  }

  close(): Promise<void> {
    this.closed = true;
    this.objects.clear();
    this.usedBytes = 0;
    return Promise.resolve();
  }
}

export function createMemoryBlobStore(options: MemoryStoreOptions = {}): BlobStore {
  return new MemoryBlobStore(options);
}
