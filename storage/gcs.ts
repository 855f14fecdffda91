/**
 * Blob store on Google Cloud Storage. Objects live at `<prefix><key>`; metadata is GCS custom
 * metadata. Streams are written with resumable uploads: the object only appears when the upload
 * is finalised, so an aborted or failed put leaves nothing (and the old generation untouched).
 * Reads pin the generation whose metadata they returned, so data and metadata always match.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Storage } from '@google-cloud/storage';
import type { Bucket, FileMetadata, StorageOptions } from '@google-cloud/storage';
import type { BlobInfo, BlobObject, BlobStore, PutOptions } from './blob-store.js';
import { StorageError, toStorageError } from './blob-store.js';
import { assertSafeKey, assertSafePrefix, assertValidMetadata } from './safe-key.js';
import type { PutBody } from './streams.js';
import { checkedChunks, streamFromIterator } from './streams.js';

export interface GcsStoreOptions {
  bucket: string;
  /** Object name prefix, e.g. `stoa/` (a trailing `/` is added when missing). */
  prefix?: string;
  projectId?: string;
  /** Service account key file; otherwise Application Default Credentials. */
  keyFilename?: string;
  /** e.g. an emulator's `http://127.0.0.1:9199` (then no credentials are sent unless keyFilename is set). */
  apiEndpoint?: string;
  /** Library retries of a failed request (default 3, with exponential back-off). */
  maxRetries?: number;
}

const BACKEND = 'gcs';
const READ_ATTEMPTS = 3;

function statusOf(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null || !('code' in err)) return undefined;
  return typeof err.code === 'number' ? err.code : undefined;
}

function mapError(err: unknown, what: string): StorageError {
  const status = statusOf(err);
  return toStorageError(err, BACKEND, status === undefined ? what : `${what} (HTTP ${status})`);
}

/** A request that failed on the connection (no HTTP answer), e.g. a pooled socket the server closed. */
function isConnectionReset(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const code = 'code' in err ? err.code : undefined;
  return (
    code === 'ECONNRESET' || code === 'EPIPE' || (err instanceof Error && /socket hang up/.test(err.message))
  );
}

/**
 * Runs an idempotent request again (at once, up to twice) when its connection was reset before
 * any answer. After a download is cancelled mid-body, the next request on the shared keep-alive
 * pool can meet a dead socket ("socket hang up"), and the library does not retry that itself.
 */
async function idempotent<T>(request: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await request();
    } catch (err) {
      if (attempt >= 3 || !isConnectionReset(err)) throw err;
    }
  }
}

function checkSignal(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted) {
    throw new StorageError(`${BACKEND}: ${what} aborted`, { cause: signal.reason, backend: BACKEND });
  }
}

function infoOf(md: FileMetadata): BlobInfo {
  const metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(md.metadata ?? {})) {
    if (value !== null && value !== undefined) metadata[name] = String(value);
  }
  return { size: Number(md.size ?? 0), metadata: Object.freeze(metadata) };
}

/** Node stream → web stream that yields `first` (already read) and fails on a short read. */
function bodyStream(
  first: IteratorResult<Uint8Array>,
  rest: AsyncIterator<Uint8Array>,
  expected: number,
  key: string,
): ReadableStream<Uint8Array> {
  async function* all(): AsyncGenerator<Uint8Array, void, undefined> {
    let total = 0;
    let next = first;
    try {
      while (next.done !== true) {
        total += next.value.byteLength;
        yield next.value;
        next = await rest.next();
      }
    } finally {
      if (next.done !== true) await rest.return?.();
    }
    if (total !== expected) {
      throw new StorageError(`${BACKEND}: get ${key}: body ended after ${total} of ${expected} bytes`, {
        backend: BACKEND,
      });
    }
  }
  return streamFromIterator(all(), (err) => mapError(err, `get ${key}`));
}

class GcsBlobStore implements BlobStore {
  readonly backend = 'gcs' as const;
  private readonly bucket: Bucket;
  private readonly prefix: string;

  constructor(options: GcsStoreOptions) {
    const trimmed = (options.prefix ?? '').replace(/^\/+|\/+$/g, '');
    if (trimmed !== '') assertSafeKey(trimmed, BACKEND);
    this.prefix = trimmed === '' ? '' : `${trimmed}/`;
    const config: StorageOptions = {};
    if (options.projectId !== undefined) config.projectId = options.projectId;
    if (options.keyFilename !== undefined) config.keyFilename = options.keyFilename;
    if (options.maxRetries !== undefined) {
      config.retryOptions = { maxRetries: options.maxRetries, autoRetry: options.maxRetries > 0 };
    }
    if (options.apiEndpoint !== undefined) {
      config.apiEndpoint = options.apiEndpoint;
      config.useAuthWithCustomEndpoint = options.keyFilename !== undefined;
    }
    this.bucket = new Storage(config).bucket(options.bucket);
  }

  private objectName(key: string): string {
    assertSafeKey(key, BACKEND);
    return this.prefix + key;
  }

  private async metadataOf(name: string): Promise<FileMetadata | null> {
    try {
      const [md] = await idempotent(() => this.bucket.file(name).getMetadata());
      return md;
    } catch (err) {
      if (statusOf(err) === 404) return null;
      throw err;
    }
  }

  async get(key: string, signal?: AbortSignal): Promise<BlobObject | null> {
    const name = this.objectName(key);
    try {
      for (let attempt = 1; ; attempt++) {
        checkSignal(signal, 'get');
        const md = await this.metadataOf(name);
        if (md === null) return null;
        const generation = md.generation === undefined ? undefined : Number(md.generation);
        const file = this.bucket.file(name, generation === undefined ? {} : { generation });
        const source = file.createReadStream();
        // Servers that ignore the generation parameter (the emulator) say what they served.
        let served: string | undefined;
        source.on('response', (res: { headers?: Record<string, unknown> }) => {
          const header = res.headers?.['x-goog-generation'];
          if (typeof header === 'string') served = header;
        });
        const onAbort = (): void => {
          source.destroy(new StorageError(`${BACKEND}: get aborted`, { backend: BACKEND }));
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        const iterator = (source as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
        let first: IteratorResult<Uint8Array>;
        try {
          first = await iterator.next();
        } catch (err) {
          // The generation was replaced between the metadata read and the download, or the
          // connection was reset before an answer: read again.
          if ((statusOf(err) === 404 || isConnectionReset(err)) && attempt < READ_ATTEMPTS) continue;
          throw err;
        } finally {
          signal?.removeEventListener('abort', onAbort);
        }
        if (generation !== undefined && served !== undefined && served !== String(generation)) {
          await iterator.return?.();
          if (attempt < READ_ATTEMPTS) continue;
          throw new StorageError(`${BACKEND}: get ${key}: object kept changing while being read`, {
            backend: BACKEND,
          });
        }
        const info = infoOf(md);
        return { ...info, body: bodyStream(first, iterator, info.size, key) };
      }
    } catch (err) {
      throw mapError(err, `get ${key}`);
    }
  }

  async head(key: string, signal?: AbortSignal): Promise<BlobInfo | null> {
    const name = this.objectName(key);
    try {
      checkSignal(signal, 'head');
      const md = await this.metadataOf(name);
      return md === null ? null : infoOf(md);
    } catch (err) {
      throw mapError(err, `head ${key}`);
    }
  }

  async put(key: string, body: PutBody, options: PutOptions = {}): Promise<void> {
    const name = this.objectName(key);
    assertValidMetadata(options.metadata, BACKEND);
    const metadata: FileMetadata = { metadata: { ...options.metadata } };
    if (options.contentType !== undefined) metadata.contentType = options.contentType;
    const file = this.bucket.file(name);
    try {
      checkSignal(options.signal, 'put');
      if (body instanceof Uint8Array) {
        if (options.size !== undefined && options.size !== body.byteLength) {
          throw new StorageError(`${BACKEND}: body is ${body.byteLength} bytes, expected ${options.size}`, {
            backend: BACKEND,
          });
        }
        await file.save(Buffer.from(body.buffer, body.byteOffset, body.byteLength), {
          resumable: false,
          metadata,
        });
      } else {
        const source = Readable.from(checkedChunks(body, BACKEND, options.size, options.signal), {
          objectMode: false,
        });
        await pipeline(source, file.createWriteStream({ resumable: true, metadata }));
      }
      checkSignal(options.signal, 'put');
    } catch (err) {
      throw mapError(err, `put ${key}`);
    }
  }

  async *list(prefix: string, signal?: AbortSignal): AsyncIterable<string> {
    assertSafePrefix(prefix, BACKEND);
    let pageToken: string | undefined;
    do {
      checkSignal(signal, 'list');
      let files;
      let next;
      try {
        const query = {
          prefix: this.prefix + prefix,
          autoPaginate: false,
          maxResults: 1000,
          ...(pageToken === undefined ? {} : { pageToken }),
        };
        [files, next] = await idempotent(() => this.bucket.getFiles(query));
      } catch (err) {
        throw mapError(err, `list ${prefix}`);
      }
      for (const file of files) {
        if (file.name.startsWith(this.prefix)) yield file.name.slice(this.prefix.length);
      }
      pageToken =
        next !== null && typeof next === 'object' && 'pageToken' in next ? next.pageToken : undefined;
    } while (pageToken !== undefined);
  }

  async delete(key: string, signal?: AbortSignal): Promise<void> {
    const name = this.objectName(key);
    try {
      checkSignal(signal, 'delete');
      await idempotent(() => this.bucket.file(name).delete({ ignoreNotFound: true }));
    } catch (err) {
      throw mapError(err, `delete ${key}`);
    }
  }

  async ping(signal?: AbortSignal): Promise<void> {
    try {
      checkSignal(signal, 'ping');
      await idempotent(() =>
        this.bucket.getFiles({ prefix: this.prefix, maxResults: 1, autoPaginate: false }),
      );
    } catch (err) {
      throw mapError(err, 'ping');
    }
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

export function createGcsBlobStore(options: GcsStoreOptions): BlobStore {
  return new GcsBlobStore(options);
}
