/**
 * A source of modules (the go command's modfetch.Repo, as the proxy needs it). The git-backed
 * source serves github.com directly and other hosts through go-import discovery.
 */
import type { ZipBuild } from '../service/artifact-store.js';
import type { RevInfo } from './rev-info.js';

export interface BuiltVersion {
  info: RevInfo;
  /** Exact `.mod` bytes (raw go.mod, or synthesized). */
  mod: Uint8Array;
  zip: ZipBuild;
  /** Releases temp files (spooled packs); call after the zip stream has been consumed or abandoned. */
  close(): Promise<void>;
}

export interface ModuleSource {
  /** `@v/list` versions (canonical tags, +incompatible where allowed; no pseudo-versions). */
  list(module: string, signal: AbortSignal): Promise<string[]>;
  /** `@latest`. */
  latest(module: string, signal: AbortSignal): Promise<RevInfo>;
  /** Resolves any query into a canonical RevInfo. */
  stat(module: string, query: string, signal: AbortSignal): Promise<RevInfo>;
  /** Builds the artifacts of a canonical version (which must resolve to exactly itself). */
  build(module: string, version: string, signal: AbortSignal): Promise<BuiltVersion>;
}
