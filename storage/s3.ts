/**
 * Blob store on S3 or an S3-compatible server (MinIO, s3rver, R2, ...). Objects live at
 * `<prefix><key>`; metadata is S3 user metadata (`x-amz-meta-*`). A PUT, and the completion of a
 * multipart upload, are atomic in S3, so readers never see a partial object; a failed or aborted
 * upload is aborted (its parts dropped) by lib-storage's `Upload`.
 *
 * Checksums: `requestChecksumCalculation`/`responseChecksumValidation: 'WHEN_REQUIRED'`, because
 * with the SDK's default a streamed PutObject may be sent with aws-chunked framing that servers
 * other than AWS store inside the object.
 */
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import type { S3ClientConfig } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { BlobInfo, BlobObject, BlobStore, PutOptions } from './blob-store.js';
import { StorageError, toStorageError } from './blob-store.js';
import { assertSafeKey, assertSafePrefix, assertValidMetadata } from './safe-key.js';
import type { PutBody } from './streams.js';
import { checkedStream, exactChunks, streamFromIterator } from './streams.js';

export interface S3StoreOptions {
  bucket: string;
  /** Key prefix inside the bucket, e.g. `stoa/` (a trailing `/` is added when missing). */
  prefix?: string;
  region?: string;
  endpoint?: string;
  forcePathStyle?: boolean;
  /** Static credentials; when absent the SDK's default chain (env, profile, IMDS, ...) is used. */
  accessKeyId?: string;
  secretAccessKey?: string;
  sessionToken?: string;
  /** SDK attempts per request (default 3). */
  maxAttempts?: number;
  /** Multipart part size in bytes (default 8 MiB; at least 5 MiB) and parts in flight (default 4). */
  partSize?: number;
  queueSize?: number;
}

const BACKEND = 's3';
const MiB = 1024 * 1024;

function isAbsence(err: unknown): boolean {
  return err instanceof S3ServiceException && (err.name === 'NoSuchKey' || err.name === 'NotFound');
}

function mapError(err: unknown, what: string): StorageError {
  if (err instanceof S3ServiceException) {
    const status = err.$metadata.httpStatusCode ?? 'no status';
    return new StorageError(`${BACKEND}: ${what} failed: ${err.name} (${status}): ${err.message}`, {
      cause: err,
      backend: BACKEND,
    });
  }
  return toStorageError(err, BACKEND, what);
}

function normalisePrefix(prefix: string | undefined): string {
  const trimmed = (prefix ?? '').replace(/^\/+|\/+$/g, '');
  if (trimmed === '') return '';
  assertSafeKey(trimmed, BACKEND);
  return `${trimmed}/`;
}

/** A web stream over the SDK's Node body that fails (instead of ending) when its length is wrong. */
function bodyStream(
  body: AsyncIterable<Uint8Array>,
  expected: number,
  key: string,
): ReadableStream<Uint8Array> {
  const chunks = exactChunks(
    body,
    expected,
    (total) =>
      new StorageError(`${BACKEND}: get ${key}: body has ${total} bytes, expected ${expected}`, {
        backend: BACKEND,
      }),
  );
  return streamFromIterator(chunks, (err) => mapError(err, `get ${key}`));
}

function isAsyncIterable(value: unknown): value is AsyncIterable<Uint8Array> {
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value;
}

class S3BlobStore implements BlobStore {
  readonly backend = 's3' as const;
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly prefix: string;
  private readonly partSize: number;
  private readonly queueSize: number;

  constructor(options: S3StoreOptions) {
    this.bucket = options.bucket;
    this.prefix = normalisePrefix(options.prefix);
    this.partSize = Math.max(options.partSize ?? 8 * MiB, 5 * MiB);
    this.queueSize = options.queueSize ?? 4;
    const config: S3ClientConfig = {
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      maxAttempts: options.maxAttempts ?? 3,
    };
    // S3-compatible servers (MinIO, s3rver) rarely care about the region, but the SDK needs one.
    if (options.region !== undefined) config.region = options.region;
    else if (options.endpoint !== undefined) config.region = 'us-east-1';
    if (options.endpoint !== undefined) config.endpoint = options.endpoint;
    if (options.forcePathStyle !== undefined) config.forcePathStyle = options.forcePathStyle;
    if (options.accessKeyId !== undefined && options.secretAccessKey !== undefined) {
      config.credentials = {
        accessKeyId: options.accessKeyId,
        secretAccessKey: options.secretAccessKey,
        ...(options.sessionToken === undefined ? {} : { sessionToken: options.sessionToken }),
      };
    }
    this.client = new S3Client(config);
  }

  private objectKey(key: string): string {
    assertSafeKey(key, BACKEND);
    return this.prefix + key;
  }

  async get(key: string, signal?: AbortSignal): Promise<BlobObject | null> {
    const Key = this.objectKey(key);
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key }), {
        abortSignal: signal,
      });
      const size = out.ContentLength ?? 0;
      if (!isAsyncIterable(out.Body))
        throw new StorageError(`${BACKEND}: get ${key}: response has no body`, { backend: BACKEND });
      return { size, metadata: Object.freeze({ ...out.Metadata }), body: bodyStream(out.Body, size, key) };
    } catch (err) {
      if (isAbsence(err)) return null;
      throw mapError(err, `get ${key}`);
    }
  }

  async head(key: string, signal?: AbortSignal): Promise<BlobInfo | null> {
    const Key = this.objectKey(key);
    try {
      const out = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key }), {
        abortSignal: signal,
      });
      return { size: out.ContentLength ?? 0, metadata: Object.freeze({ ...out.Metadata }) };
    } catch (err) {
      if (isAbsence(err)) return null;
      throw mapError(err, `head ${key}`);
    }
  }

  async put(key: string, body: PutBody, options: PutOptions = {}): Promise<void> {
    const Key = this.objectKey(key);
    assertValidMetadata(options.metadata, BACKEND);
    const signal = options.signal;
    const common = {
      Bucket: this.bucket,
      Key,
      Metadata: { ...options.metadata },
      ...(options.contentType === undefined ? {} : { ContentType: options.contentType }),
    };
    try {
      if (signal?.aborted)
        throw new StorageError(`${BACKEND}: put aborted`, { cause: signal.reason, backend: BACKEND });
      if (body instanceof Uint8Array) {
        if (options.size !== undefined && options.size !== body.byteLength) {
          throw new StorageError(`${BACKEND}: body is ${body.byteLength} bytes, expected ${options.size}`, {
            backend: BACKEND,
          });
        }
        await this.client.send(
          new PutObjectCommand({ ...common, Body: body, ContentLength: body.byteLength }),
          {
            abortSignal: signal,
          },
        );
        return;
      }
      const upload = new Upload({
        client: this.client,
        params: { ...common, Body: checkedStream(body, BACKEND, options.size, signal) },
        partSize: this.partSize,
        queueSize: this.queueSize,
        leavePartsOnError: false,
      });
      const onAbort = (): void => {
        upload.abort().catch(() => undefined);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      try {
        await upload.done();
      } finally {
        signal?.removeEventListener('abort', onAbort);
      }
      if (signal?.aborted)
        throw new StorageError(`${BACKEND}: put aborted`, { cause: signal.reason, backend: BACKEND });
    } catch (err) {
      throw mapError(err, `put ${key}`);
    }
  }

  async *list(prefix: string, signal?: AbortSignal): AsyncIterable<string> {
    assertSafePrefix(prefix, BACKEND);
    let token: string | undefined;
    do {
      let page;
      try {
        page = await this.client.send(
          new ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: this.prefix + prefix,
            ContinuationToken: token,
          }),
          { abortSignal: signal },
        );
      } catch (err) {
        throw mapError(err, `list ${prefix}`);
      }
      for (const object of page.Contents ?? []) {
        if (object.Key !== undefined && object.Key.startsWith(this.prefix)) {
          yield object.Key.slice(this.prefix.length);
        }
      }
      token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
  }

  async delete(key: string, signal?: AbortSignal): Promise<void> {
    const Key = this.objectKey(key);
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key }), { abortSignal: signal });
    } catch (err) {
      if (isAbsence(err)) return;
      throw mapError(err, `delete ${key}`);
    }
  }

  async ping(signal?: AbortSignal): Promise<void> {
    try {
      await this.client.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: this.prefix, MaxKeys: 1 }),
        { abortSignal: signal },
      );
    } catch (err) {
      throw mapError(err, 'ping');
    }
  }

  close(): Promise<void> {
    this.client.destroy();
    return Promise.resolve();
  }
}

export function createS3BlobStore(options: S3StoreOptions): BlobStore {
  return new S3BlobStore(options);
}
