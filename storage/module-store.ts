/**
 * The module write/read protocol on top of a BlobStore.
 *
 * putVersion writes the zip, then (stoa layout) the zip record, then the .mod, then the .info
 * LAST: the .info is the completion marker, so a version whose fill died half-way is simply not
 * there. The zip's h1 and size are recorded at write time (user metadata on the zip object, and
 * the `.ziprecord` JSON in the stoa layout) together with its sha256, computed as it streams.
 *
 * Reads: getInfo/getMod/getZip answer null unless the .info exists. getZip compares the stored
 * object's size with the recorded one; on a mismatch (a truncated or foreign object) the version
 * is treated as ABSENT — the caller fills it again, and the fill's putVersion replaces it — and
 * `onIntegrityError` is called so the event is logged and counted. A body that ends short while
 * streaming errors instead of ending, so a truncated zip is never served as complete.
 *
 * list and latest answers are mutable: they are stored with a `stored-at` timestamp, for TTLs.
 *
 * Module paths and versions are the real (unescaped) ones; the layout escapes them as it needs.
 */
import { createHash } from 'node:crypto';
import type { BlobObject, BlobStore } from './blob-store.js';
import { StorageError } from './blob-store.js';
import type { KeyLayout, LayoutName } from './keys.js';
import { layoutFor } from './keys.js';
import { exactChunks, streamFromIterator } from './streams.js';

export interface ZipRecord {
  v: 1;
  size: number;
  /** `h1:` of the zip, as passed by the writer. */
  h1: string;
  /** Lower-case hex sha256 of the zip's bytes (null in records written without it). */
  sha256: string | null;
}

export interface StoredZip {
  body: ReadableStream<Uint8Array>;
  size: number;
  /** The recorded h1, or null when the layout/object has none (e.g. written by Athens). */
  h1: string | null;
  /** The recorded sha256, or null when unknown. */
  sha256: string | null;
}

export interface VersionFiles {
  info: Uint8Array;
  mod: Uint8Array;
  zip: ReadableStream<Uint8Array>;
  /** When given, a zip of any other length fails the put. */
  zipSize?: number;
  /** `h1:` of the zip (computed by the caller: storage does not hash zips). */
  zipHash: string;
  signal?: AbortSignal;
}

export interface CachedAnswer {
  body: Uint8Array;
  /** When it was stored (epoch when unknown, so it counts as stale). */
  storedAt: Date;
}

export interface IntegrityEvent {
  module: string;
  version: string;
  key: string;
  reason: 'size-mismatch' | 'zip-missing';
  expected: number | null;
  actual: number | null;
}

export interface ModuleStoreOptions {
  layout?: LayoutName;
  onIntegrityError?: (event: IntegrityEvent) => void;
  now?: () => Date;
}

export interface ModuleStore {
  readonly layout: KeyLayout;
  readonly blobStore: BlobStore;
  getInfo(module: string, version: string, signal?: AbortSignal): Promise<BlobObject | null>;
  getMod(module: string, version: string, signal?: AbortSignal): Promise<BlobObject | null>;
  getZip(module: string, version: string, signal?: AbortSignal): Promise<StoredZip | null>;
  /** The record written with the zip (stoa layout), else null. */
  getZipRecord(module: string, version: string, signal?: AbortSignal): Promise<ZipRecord | null>;
  hasVersion(module: string, version: string, signal?: AbortSignal): Promise<boolean>;
  /** Complete versions (those with an .info), in the store's key order. */
  listVersions(module: string, signal?: AbortSignal): Promise<string[]>;
  putVersion(module: string, version: string, files: VersionFiles): Promise<ZipRecord>;
  getList(module: string, signal?: AbortSignal): Promise<CachedAnswer | null>;
  putList(module: string, body: Uint8Array, signal?: AbortSignal): Promise<void>;
  getLatest(module: string, signal?: AbortSignal): Promise<CachedAnswer | null>;
  putLatest(module: string, body: Uint8Array, signal?: AbortSignal): Promise<void>;
}

const H1 = /^h1:[A-Za-z0-9+/]{43}=$/;
const SHA256 = /^[0-9a-f]{64}$/;
const MAX_SMALL_BLOB = 16 * 1024 * 1024;
const META_H1 = 'zip-h1';
const META_SIZE = 'zip-size';
const META_STORED_AT = 'stored-at';

/** Parses a zip record; also accepts records without `v`/`sha256` (as src/service's artifact store writes). */
function parseRecord(text: string): ZipRecord | null {
  const parsed = JSON.parse(text) as Partial<ZipRecord>;
  if (typeof parsed.size !== 'number' || typeof parsed.h1 !== 'string') return null;
  const sha256 = typeof parsed.sha256 === 'string' && SHA256.test(parsed.sha256) ? parsed.sha256 : null;
  return { v: 1, size: parsed.size, h1: parsed.h1, sha256 };
}

/** Reads a small blob (record, list, latest) whole; refuses anything unreasonably large. */
async function readSmall(object: BlobObject, key: string): Promise<Uint8Array> {
  if (object.size > MAX_SMALL_BLOB) {
    await object.body.cancel();
    throw new StorageError(`${key} is ${object.size} bytes, more than a small blob may be`);
  }
  const out = new Uint8Array(object.size);
  let offset = 0;
  for await (const chunk of object.body) {
    if (offset + chunk.byteLength > out.byteLength) {
      throw new StorageError(`${key} is longer than its stated ${object.size} bytes`);
    }
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  if (offset !== out.byteLength)
    throw new StorageError(`${key} ended after ${offset} of ${object.size} bytes`);
  return out;
}

/** Passes `body` through, erroring (instead of ending) if it does not carry exactly `size` bytes. */
function exactLength(
  body: ReadableStream<Uint8Array>,
  size: number,
  key: string,
): ReadableStream<Uint8Array> {
  return streamFromIterator(
    exactChunks(body, size, (total) =>
      total > size
        ? new StorageError(`${key} is longer than its recorded ${size} bytes`)
        : new StorageError(`${key} ended after ${total} of ${size} bytes`),
    ),
  );
}

/** Passes `body` through while computing its sha256 and length. */
function hashing(body: ReadableStream<Uint8Array>): {
  stream: ReadableStream<Uint8Array>;
  result: () => { sha256: string; size: number };
} {
  const hash = createHash('sha256');
  let size = 0;
  async function* tap(): AsyncGenerator<Uint8Array, void, undefined> {
    for await (const chunk of body) {
      hash.update(chunk);
      size += chunk.byteLength;
      yield chunk;
    }
  }
  let digest: string | undefined;
  return {
    stream: streamFromIterator(tap()),
    result: () => ({ sha256: (digest ??= hash.digest('hex')), size }),
  };
}

export function createModuleStore(blobStore: BlobStore, options: ModuleStoreOptions = {}): ModuleStore {
  const layout = layoutFor(options.layout ?? 'stoa', blobStore.backend);
  const now = options.now ?? (() => new Date());
  const report = options.onIntegrityError ?? (() => undefined);

  async function complete(module: string, version: string, signal?: AbortSignal): Promise<boolean> {
    return (await blobStore.head(layout.info(module, version), signal)) !== null;
  }

  async function getZipRecord(
    module: string,
    version: string,
    signal?: AbortSignal,
  ): Promise<ZipRecord | null> {
    const key = layout.zipRecord(module, version);
    if (key === null) return null;
    const object = await blobStore.get(key, signal);
    if (object === null) return null;
    return parseRecord(new TextDecoder().decode(await readSmall(object, key)));
  }

  async function getCached(key: string, signal?: AbortSignal): Promise<CachedAnswer | null> {
    const object = await blobStore.get(key, signal);
    if (object === null) return null;
    const storedAt = Number(object.metadata[META_STORED_AT]);
    const body = await readSmall(object, key);
    return { body, storedAt: new Date(Number.isFinite(storedAt) ? storedAt : 0) };
  }

  function putCached(key: string, body: Uint8Array, signal?: AbortSignal): Promise<void> {
    return blobStore.put(key, body, {
      metadata: { [META_STORED_AT]: String(now().getTime()) },
      contentType: 'text/plain; charset=utf-8',
      ...(signal === undefined ? {} : { signal }),
    });
  }

  return {
    layout,
    blobStore,

    async getInfo(module, version, signal) {
      return blobStore.get(layout.info(module, version), signal);
    },

    async getMod(module, version, signal) {
      if (!(await complete(module, version, signal))) return null;
      return blobStore.get(layout.mod(module, version), signal);
    },

    async getZip(module, version, signal) {
      const key = layout.zip(module, version);
      const [done, record] = await Promise.all([
        complete(module, version, signal),
        getZipRecord(module, version, signal),
      ]);
      if (!done) return null;
      const object = await blobStore.get(key, signal);
      if (object === null) {
        report({ module, version, key, reason: 'zip-missing', expected: record?.size ?? null, actual: null });
        return null;
      }
      const metaSize = object.metadata[META_SIZE];
      const expected = record?.size ?? (metaSize === undefined ? null : Number(metaSize));
      if (expected !== null && expected !== object.size) {
        await object.body.cancel();
        report({ module, version, key, reason: 'size-mismatch', expected, actual: object.size });
        return null;
      }
      return {
        body: exactLength(object.body, object.size, key),
        size: object.size,
        h1: record?.h1 ?? object.metadata[META_H1] ?? null,
        sha256: record?.sha256 ?? null,
      };
    },

    getZipRecord,

    hasVersion: complete,

    async listVersions(module, signal) {
      const versions: string[] = [];
      for await (const key of blobStore.list(layout.versionsPrefix(module), signal)) {
        const version = layout.versionOfInfoKey(module, key);
        if (version !== null) versions.push(version);
      }
      return versions;
    },

    async putVersion(module, version, files) {
      if (!H1.test(files.zipHash)) {
        throw new StorageError(
          `putVersion ${module}@${version}: zipHash ${JSON.stringify(files.zipHash)} is not h1:`,
        );
      }
      const signal = files.signal;
      const withSignal = signal === undefined ? {} : { signal };
      const metadata: Record<string, string> = { [META_H1]: files.zipHash };
      if (files.zipSize !== undefined) metadata[META_SIZE] = String(files.zipSize);
      const tapped = hashing(files.zip);
      await blobStore.put(layout.zip(module, version), tapped.stream, {
        metadata,
        contentType: 'application/zip',
        ...(files.zipSize === undefined ? {} : { size: files.zipSize }),
        ...withSignal,
      });
      const { sha256, size } = tapped.result();
      const record: ZipRecord = { v: 1, size, h1: files.zipHash, sha256 };
      const recordKey = layout.zipRecord(module, version);
      if (recordKey !== null) {
        await blobStore.put(recordKey, new TextEncoder().encode(JSON.stringify(record)), {
          contentType: 'application/json',
          ...withSignal,
        });
      }
      await blobStore.put(layout.mod(module, version), files.mod, {
        contentType: 'text/plain; charset=utf-8',
        ...withSignal,
      });
      await blobStore.put(layout.info(module, version), files.info, {
        contentType: 'application/json',
        ...withSignal,
      });
      return record;
    },

    getList: (module, signal) => getCached(layout.list(module), signal),
    putList: (module, body, signal) => putCached(layout.list(module), body, signal),
    getLatest: (module, signal) => getCached(layout.latest(module), signal),
    putLatest: (module, body, signal) => putCached(layout.latest(module), body, signal),
  };
}
