/**
 * ArtifactStore over storage/'s module store, which owns the write protocol: the zip (with its
 * `h1:`, size and sha256 recorded), then the mod, then the info last as the completion marker; a
 * version is visible only once its info exists, and a zip whose stored size differs from its
 * record is treated as absent (and filled again) instead of being served.
 *
 * With `memoryCacheBytes` > 0, an in-process LRU bounded in bytes keeps what never changes once a
 * version's info exists: the `.info` and `.mod` bytes, the fact "zip complete, recorded size N",
 * and whole zips of at most `smallZipBytes`. A warm info/mod/small zip is then served without
 * touching the store, and a warm large zip costs one `get` of the zip object, whose size must
 * still be N (else the entry is dropped and the store's own checks decide: absent, reported).
 * A zip stream that ends short errors instead of ending. Every `putVersion` (a fill may replace a
 * version whose zip failed its check) drops the version's entries before and after it writes, and
 * a read that overlapped any putVersion does not fill the cache.
 */
import type { BlobObject, BlobStore } from '../../storage/blob-store.js';
import { StorageError } from '../../storage/blob-store.js';
import type { LayoutName } from '../../storage/keys.js';
import { createModuleStore, type IntegrityEvent } from '../../storage/module-store.js';
import type { ArtifactStore, StoredZip } from './artifact-store.js';
import { ByteLru } from './byte-lru.js';

/** Bytes charged per cache entry on top of its value (key, map slot, object headers). */
export const CACHE_ENTRY_OVERHEAD = 128;
const SMALL_ZIP_MAX = 2 * 1024 * 1024;
/** Chunk size of zips served from memory. */
const MEMORY_CHUNK = 1024 * 1024;

async function readAll(object: BlobObject | null): Promise<Uint8Array | null> {
  if (object === null) return null;
  const out = new Uint8Array(object.size);
  let n = 0;
  for await (const chunk of object.body) {
    out.set(chunk.subarray(0, Math.max(0, out.length - n)), n);
    n += chunk.byteLength;
  }
  return n === out.length ? out : null;
}

function fromMemory(bytes: Uint8Array): ReadableStream<Uint8Array> {
  let offset = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (offset >= bytes.byteLength) {
        controller.close();
        return;
      }
      const end = Math.min(bytes.byteLength, offset + MEMORY_CHUNK);
      controller.enqueue(bytes.subarray(offset, end));
      offset = end;
    },
  });
}

export interface ArtifactStoreOptions {
  layout?: LayoutName;
  /** A stored zip failed its size check (logged and counted by the caller). */
  onIntegrityError?: (event: IntegrityEvent) => void;
  /** Byte bound of the in-process cache of immutable artifacts; 0 (the default) disables it. */
  memoryCacheBytes?: number;
  /** Largest zip kept whole in that cache (default: 2 MiB, at most an eighth of the bound). */
  smallZipBytes?: number;
}

type Kind = 'info' | 'mod' | 'zip-size' | 'zip';

export function createArtifactStore(blobStore: BlobStore, options: ArtifactStoreOptions = {}): ArtifactStore {
  const store = createModuleStore(blobStore, {
    layout: options.layout ?? 'stoa',
    onIntegrityError: options.onIntegrityError,
  });
  const maxBytes = Math.max(0, options.memoryCacheBytes ?? 0);
  const cache = new ByteLru<Uint8Array | number>(maxBytes);
  const smallZipMax = options.smallZipBytes ?? Math.min(SMALL_ZIP_MAX, Math.floor(maxBytes / 8));
  /** Bumped at the start and end of every putVersion: a read that saw it change caches nothing. */
  let generation = 0;
  /** Zips being copied into the cache while they are served (one copy per zip at a time). */
  const capturing = new Set<string>();
  /** Bytes of those copies: at most the cache's bound, however many zips are being served. */
  let capturingBytes = 0;

  const keyOf = (kind: Kind, module: string, version: string): string => `${kind}\n${module}\n${version}`;

  function remember(key: string, value: Uint8Array | number, bytes: number, seen: number): void {
    if (maxBytes > 0 && seen === generation) cache.set(key, value, bytes + CACHE_ENTRY_OVERHEAD);
  }

  function forget(module: string, version: string): void {
    for (const kind of ['info', 'mod', 'zip-size', 'zip'] as const)
      cache.delete(keyOf(kind, module, version));
  }

  async function small(kind: 'info' | 'mod', module: string, version: string, signal?: AbortSignal) {
    const key = keyOf(kind, module, version);
    const hit = cache.get(key);
    if (hit instanceof Uint8Array) return hit.slice();
    const seen = generation;
    const object = await (kind === 'info'
      ? store.getInfo(module, version, signal)
      : store.getMod(module, version, signal));
    const bytes = await readAll(object);
    if (bytes !== null) remember(key, bytes.slice(), bytes.byteLength, seen);
    return bytes;
  }

  /**
   * Passes a zip body through, erroring if it does not carry exactly `size` bytes (and then
   * dropping the version's entries). A small zip is also copied, from its first read on, and the
   * copy cached once the body has ended at exactly `size` bytes. Cancelling cancels the body.
   */
  function served(
    module: string,
    version: string,
    body: ReadableStream<Uint8Array>,
    size: number,
    seen: number,
  ): ReadableStream<Uint8Array> {
    const zipKey = keyOf('zip', module, version);
    const what = `${module}@${version}.zip`;
    const reader = body.getReader();
    let started = false;
    let copy: Uint8Array | null = null;
    let total = 0;
    const release = (): void => {
      if (copy === null) return;
      copy = null;
      capturing.delete(zipKey);
      capturingBytes -= size;
    };
    return new ReadableStream<Uint8Array>(
      {
        async pull(controller) {
          if (!started) {
            started = true;
            const fits = capturingBytes + size <= maxBytes;
            if (maxBytes > 0 && size <= smallZipMax && fits && !capturing.has(zipKey)) {
              copy = new Uint8Array(size);
              capturing.add(zipKey);
              capturingBytes += size;
            }
          }
          try {
            const next = await reader.read();
            if (next.done) {
              if (total !== size) throw new StorageError(`${what} ended after ${total} of ${size} bytes`);
              if (copy !== null) remember(zipKey, copy, size, seen);
              release();
              controller.close();
              return;
            }
            const chunk = next.value;
            if (total + chunk.byteLength > size) {
              throw new StorageError(`${what} is longer than its ${size} bytes`);
            }
            copy?.set(chunk, total);
            total += chunk.byteLength;
            controller.enqueue(chunk);
          } catch (err) {
            release();
            forget(module, version);
            reader.cancel(err).catch(() => undefined);
            controller.error(err);
          }
        },
        async cancel(reason) {
          release();
          await reader.cancel(reason);
        },
      },
      { highWaterMark: 0 },
    );
  }

  return {
    async getAnswer(kind, module, signal) {
      return kind === 'list' ? store.getList(module, signal) : store.getLatest(module, signal);
    },
    async putAnswer(kind, module, body, signal) {
      await (kind === 'list' ? store.putList(module, body, signal) : store.putLatest(module, body, signal));
    },
    getInfo: (module, version, signal) => small('info', module, version, signal),
    getMod: (module, version, signal) => small('mod', module, version, signal),
    peek(kind, module, version) {
      const hit = cache.get(keyOf(kind, module, version));
      return hit instanceof Uint8Array ? hit : undefined;
    },
    async getZip(module, version, signal): Promise<StoredZip | null> {
      const whole = cache.get(keyOf('zip', module, version));
      if (whole instanceof Uint8Array) return { body: fromMemory(whole), size: whole.byteLength };
      const sizeKey = keyOf('zip-size', module, version);
      const known = cache.get(sizeKey);
      const seen = generation;
      if (typeof known === 'number') {
        const object = await blobStore.get(store.layout.zip(module, version), signal);
        if (object !== null && object.size === known) {
          return { body: served(module, version, object.body, known, seen), size: known };
        }
        await object?.body.cancel();
        // Changed behind our back: forget it and let the store's checks decide (and report).
        forget(module, version);
      }
      const zip = await store.getZip(module, version, signal);
      if (zip === null) return null;
      remember(sizeKey, zip.size, 8, seen);
      return { body: served(module, version, zip.body, zip.size, seen), size: zip.size };
    },
    async putVersion(module, version, artifacts, signal) {
      forget(module, version);
      generation++;
      try {
        await store.putVersion(module, version, {
          info: artifacts.info,
          mod: artifacts.mod,
          zip: artifacts.zip.stream,
          zipHash: artifacts.zip.hash,
          signal,
        });
        // Surface a failure of the zip builder even if the store already took every byte.
        await artifacts.zip.done;
      } finally {
        forget(module, version);
        generation++;
      }
    },
    listVersions(module, signal) {
      return store.listVersions(module, signal);
    },
  };
}
