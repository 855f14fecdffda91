/**
 * What the service needs from storage: the immutable artifacts of module versions and the cached
 * mutable answers. Implemented over storage/'s module store (`createArtifactStore`).
 */

export interface StoredZip {
  body: ReadableStream<Uint8Array>;
  size: number;
}

/** A zip being built: its `h1:` (known before the bytes flow) and its bytes. */
export interface ZipBuild {
  hash: string;
  stream: ReadableStream<Uint8Array>;
  /** Settles when the builder has written every byte into `stream` (rejects if it failed). */
  done: Promise<void>;
}

export interface VersionArtifacts {
  info: Uint8Array;
  mod: Uint8Array;
  zip: ZipBuild;
}

/** A stored mutable answer (`@v/list` body or `@latest` JSON) and when it was fetched. */
export interface CachedAnswer {
  body: Uint8Array;
  storedAt: Date;
}

export type AnswerKind = 'list' | 'latest';

export interface ArtifactStore {
  getAnswer(kind: AnswerKind, module: string, signal?: AbortSignal): Promise<CachedAnswer | null>;
  putAnswer(kind: AnswerKind, module: string, body: Uint8Array, signal?: AbortSignal): Promise<void>;
  getInfo(module: string, version: string, signal?: AbortSignal): Promise<Uint8Array | null>;
  getMod(module: string, version: string, signal?: AbortSignal): Promise<Uint8Array | null>;
  getZip(module: string, version: string, signal?: AbortSignal): Promise<StoredZip | null>;
  /**
   * The `.info` or `.mod` bytes of a complete version when the in-process cache holds them, without
   * touching the store; undefined otherwise (always, with the cache off). The bytes are shared:
   * callers must not modify them.
   */
  peek(kind: 'info' | 'mod', module: string, version: string): Uint8Array | undefined;
  /** Stores a complete version: zip, then mod, then info. Nothing is visible if it fails. */
  putVersion(
    module: string,
    version: string,
    artifacts: VersionArtifacts,
    signal?: AbortSignal,
  ): Promise<void>;
  /** Canonical versions with a complete record in the store (offline `@v/list`). */
  listVersions(module: string, signal?: AbortSignal): Promise<string[]>;
}
