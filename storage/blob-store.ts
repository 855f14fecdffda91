/**
 * The blob store contract every backend (disk, memory, s3, gcs) implements, and the one error type
 * it throws. This package is a leaf: it imports nothing from `src/`.
 *
 * Keys are `/`-separated strings such as `github.com/!azure/go-autorest/@v/v1.0.0.zip`. A key that
 * is empty, absolute, has an empty, `.` or `..` element, or contains `\`, NUL or another control
 * character is rejected with StorageError before any I/O (see `safe-key.ts`).
 *
 * Metadata keys are lower-case `[a-z0-9-]` (S3 folds header names to lower case), values are
 * printable ASCII, at most 2 KiB in all: the same rules on every backend, so a store can be swapped.
 */

export type BackendName = 'disk' | 'memory' | 's3' | 'gcs';

/** Every failure other than absence. The HTTP layer maps it to 503, never 404. */
export class StorageError extends Error {
  readonly code = 'Storage' as const;
  readonly backend: string | undefined;

  constructor(message: string, options: { cause?: unknown; backend?: string } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'StorageError';
    this.backend = options.backend;
  }
}

export interface BlobInfo {
  size: number;
  metadata: Readonly<Record<string, string>>;
}

export interface BlobObject extends BlobInfo {
  /** Read it to the end or cancel it: an unread body may hold a file handle or a socket. */
  body: ReadableStream<Uint8Array>;
}

export interface PutOptions {
  /** When given, a body of any other length fails the put (StorageError) and stores nothing. */
  size?: number;
  metadata?: Record<string, string>;
  contentType?: string;
  signal?: AbortSignal;
}

export interface BlobStore {
  readonly backend: BackendName;
  /** null = absent; never throws for absence. */
  get(key: string, signal?: AbortSignal): Promise<BlobObject | null>;
  head(key: string, signal?: AbortSignal): Promise<BlobInfo | null>;
  /**
   * Atomic: readers see the old object or the complete new one, never a partial one. An aborted or
   * failed put leaves nothing visible (and the old object, if any, untouched).
   */
  put(key: string, body: ReadableStream<Uint8Array> | Uint8Array, options?: PutOptions): Promise<void>;
  /** Keys starting with `prefix` (plain string prefix), pagination hidden, in UTF-8 byte order. */
  list(prefix: string, signal?: AbortSignal): AsyncIterable<string>;
  /** Deleting a missing key is fine. */
  delete(key: string, signal?: AbortSignal): Promise<void>;
  /** For /readyz: throws StorageError when the store is unreachable. */
  ping(signal?: AbortSignal): Promise<void>;
  close(): Promise<void>;
}

/** Wraps anything thrown into a StorageError (kept as is when it already is one). */
export function toStorageError(err: unknown, backend: string, what: string): StorageError {
  if (err instanceof StorageError) return err;
  const detail = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return new StorageError(`${backend}: ${what} failed: ${detail}`, { cause: err, backend });
}
