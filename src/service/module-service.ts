/**
 * Hit or miss. Immutable artifacts (`.info`/`.mod`/`.zip` of canonical versions) come from the
 * store once present; a miss runs one coalesced, limited fill that builds the version from its
 * source and stores zip, mod, then info (the completion marker). Queries that are not canonical
 * versions (branches, hashes, HEAD) are resolved upstream and stored under the canonical version
 * they resolve to. `@v/list` and `@latest` are asked upstream each time (coalesced per module).
 */
import { ForbiddenError, isStoaError, NotFoundError, RedirectError } from '../errors.js';
import type { Coalescer } from '../fetch/coalescer.js';
import type { DistributedLocks } from '../fetch/distributed-lock.js';
import type { Limiter } from '../fetch/limiter.js';
import { matchPathMajor, splitPathVersion } from '../module/check-path.js';
import { isCanonicalVersion, isValid } from '../module/semver.js';
import { parseRevInfo, type RevInfo } from '../upstream/rev-info.js';
import type { ModuleSource } from '../upstream/source.js';
import type { AnswerKind, ArtifactStore, StoredZip } from './artifact-store.js';
import type { DownloadPolicy } from './download-policy.js';
import { createNegativeCache } from './negative-cache.js';
import type { ArtifactKind, CacheOutcome, FillEvent, Telemetry } from '../telemetry.js';

export type CacheResult = CacheOutcome;

export interface Served<T> {
  value: T;
  cache: CacheResult;
  /** The stored bytes of `value` when it came from the store as JSON (sent as they are). */
  raw?: Uint8Array;
}

export interface ModuleServiceDeps {
  store: ArtifactStore;
  source: ModuleSource;
  coalescer: Coalescer;
  limiter: Limiter;
  /** Cross-replica fill locks (Redis); without them fills are coalesced in this process only. */
  locks?: DistributedLocks;
  /** Serve only what the store holds. */
  offline: boolean;
  /** Download modes and exclusions per module (default: sync for everything). */
  policy?: DownloadPolicy;
  telemetry: Pick<Telemetry, 'cacheLookup' | 'fill'>;
  /** `@v/list` and `@latest` answers are fresh for this long (ms); older ones are refreshed. */
  listTtlMs: number;
  /** "Not found" answers are remembered for this long (ms); 0 disables. */
  negativeTtlMs: number;
  now?: () => number;
}

export interface ModuleService {
  list(module: string, signal?: AbortSignal): Promise<Served<string[]>>;
  latest(module: string, signal?: AbortSignal): Promise<Served<RevInfo>>;
  info(module: string, query: string, signal?: AbortSignal): Promise<Served<RevInfo>>;
  mod(module: string, version: string, signal?: AbortSignal): Promise<Served<Uint8Array>>;
  zip(module: string, version: string, signal?: AbortSignal): Promise<Served<StoredZip>>;
  /**
   * A warm `.info` or `.mod` of a canonical version, synchronously from the artifact store's
   * in-process cache (for the HTTP fast path), counted as a cache hit; undefined when the cache
   * does not hold it or the module is excluded (then the asynchronous path decides). The bytes are
   * shared: callers must not modify them.
   */
  peek(kind: 'info' | 'mod', module: string, version: string): Uint8Array | undefined;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

interface Codec<T> {
  encode(value: T): Uint8Array;
  /** null when the stored bytes are unusable (treated as absent). */
  decode(bytes: Uint8Array): T | null;
}

const LIST_CODEC: Codec<string[]> = {
  encode: (versions) => encoder.encode(versions.map((v) => `${v}\n`).join('')),
  decode: (bytes) =>
    decoder
      .decode(bytes)
      .split('\n')
      .filter((l) => l !== ''),
};

const LATEST_CODEC: Codec<RevInfo> = {
  encode: (info) => encoder.encode(JSON.stringify(info)),
  decode: (bytes) => parseRevInfo(decoder.decode(bytes)),
};

/** Failures worth serving a stale answer for: the upstream, not the question. */
function isTransient(err: unknown): boolean {
  if (isStoaError(err))
    return ['Upstream', 'UpstreamTimeout', 'RateLimited', 'Overloaded'].includes(err.code);
  return err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
}

export function createModuleService(deps: ModuleServiceDeps): ModuleService {
  const { store, source, coalescer, limiter } = deps;
  const now = deps.now ?? Date.now;
  const negatives = createNegativeCache(deps.negativeTtlMs, 10_000, now);
  /** Cached `.info` bytes `peek` has checked (the store's cache hands out the same array each time). */
  const checkedInfo = new WeakSet<Uint8Array>();

  /** Runs `work`, remembering a NotFoundError under `key`. */
  async function rememberNotFound<T>(key: string, work: () => Promise<T>): Promise<T> {
    negatives.check(key);
    try {
      return await work();
    } catch (err) {
      if (err instanceof NotFoundError) negatives.remember(key, err);
      throw err;
    }
  }

  /** Fetches a mutable answer upstream (coalesced per module) and stores it with its time. */
  function refresh<T>(kind: AnswerKind, module: string, codec: Codec<T>, signal?: AbortSignal) {
    return coalescer.run(
      `${kind}:${module}`,
      (fillSignal) =>
        timedFill(kind, module, undefined, async () => {
          const value = await (kind === 'list'
            ? source.list(module, fillSignal)
            : source.latest(module, fillSignal));
          const typed = value as T;
          await store.putAnswer(kind, module, codec.encode(typed), fillSignal);
          return typed;
        }),
      signal,
    );
  }

  /**
   * `@v/list` and `@latest`: fresh within the TTL (refreshed in the background after half of it);
   * older answers are refreshed first, and served stale when the upstream fails or throttles.
   */
  async function mutable<T>(
    kind: AnswerKind,
    module: string,
    codec: Codec<T>,
    signal?: AbortSignal,
  ): Promise<Served<T>> {
    checkExcluded(module);
    negatives.check(`${kind}:${module}`);
    const cached = await store.getAnswer(kind, module, signal);
    const decoded = cached ? codec.decode(cached.body) : null;
    const age = cached ? now() - cached.storedAt.getTime() : Number.POSITIVE_INFINITY;
    if (deps.offline) {
      if (decoded !== null) return served(kind, decoded, 'hit');
      if (kind === 'list') return served(kind, (await store.listVersions(module, signal)) as T, 'hit');
      throw offlineMiss(`${module}@latest`);
    }
    if (decoded !== null && age < deps.listTtlMs) {
      if (age >= deps.listTtlMs / 2) {
        // Refresh ahead of expiry so hot modules never wait; failures are reported by timedFill.
        refresh(kind, module, codec).catch(() => undefined);
      }
      return served(kind, decoded, 'hit');
    }
    if (decoded === null) onMiss(module, `${module}@${kind}`, () => refresh(kind, module, codec));
    else if (deps.policy !== undefined && deps.policy.decide(module).kind === 'mode') {
      const d = deps.policy.decide(module);
      // Modes that do not fetch while the client waits keep serving what they have.
      if (d.kind === 'mode' && d.mode !== 'sync') {
        if (d.mode === 'async') refresh(kind, module, codec).catch(() => undefined);
        return served(kind, decoded, 'stale');
      }
    }
    try {
      const { value, coalesced } = await refresh(kind, module, codec, signal);
      return served(kind, value, coalesced ? 'coalesced' : 'miss');
    } catch (err) {
      if (err instanceof NotFoundError) {
        negatives.remember(`${kind}:${module}`, err);
        throw err;
      }
      if (decoded !== null && isTransient(err)) return served(kind, decoded, 'stale');
      throw err;
    }
  }

  /** Runs a fill inside the limiter and reports its duration and outcome. */
  function timedFill<T>(
    kind: FillEvent['kind'],
    module: string,
    version: string | undefined,
    work: () => Promise<T>,
  ): Promise<T> {
    return limiter.run(async () => {
      const started = performance.now();
      const report = (outcome: FillEvent['outcome'], error?: unknown): void =>
        deps.telemetry.fill({
          kind,
          module,
          version,
          durationMs: performance.now() - started,
          outcome,
          error: error instanceof Error ? error.message : undefined,
        });
      try {
        const value = await work();
        report('ok');
        return value;
      } catch (err) {
        report(err instanceof NotFoundError ? 'not_found' : 'error', err);
        throw err;
      }
    });
  }

  function served<T>(kind: ArtifactKind, value: T, cache: CacheResult): Served<T> {
    deps.telemetry.cacheLookup(kind, cache);
    return { value, cache };
  }

  function offlineMiss(what: string): NotFoundError {
    return new NotFoundError(`${what}: not in the cache and stoa is offline`);
  }

  /** Refuses excluded modules, whatever the store holds. */
  function checkExcluded(module: string): void {
    if (deps.policy?.decide(module).kind === 'excluded') {
      throw new ForbiddenError(`${module}: excluded by the proxy's download policy`);
    }
  }

  /**
   * What a miss does under the module's download mode: returns to fill now (`sync`), or throws —
   * 404 for `none` and offline, 404 after starting the fill in the background for `async`, and a
   * redirect for `redirect`.
   */
  function onMiss(module: string, what: string, background: () => Promise<unknown>): void {
    if (deps.offline) throw offlineMiss(what);
    const d = deps.policy?.decide(module) ?? { kind: 'mode', mode: 'sync' };
    if (d.kind === 'excluded') throw new ForbiddenError(`${module}: excluded by the proxy's download policy`);
    switch (d.mode) {
      case 'sync':
        return;
      case 'none':
        throw new NotFoundError(`${what}: not in the cache, and this proxy does not download ${module}`);
      case 'redirect':
        throw new RedirectError(d.redirectUrl);
      case 'async':
        // Failures are reported by the fill's telemetry; the next request tries again.
        background().catch(() => undefined);
        throw new NotFoundError(`${what}: not in the cache yet; fetching it now, try again shortly`);
    }
  }

  /** Builds and stores `version` (canonical) unless the store has it; returns its stored info. */
  async function fillVersion(module: string, version: string, signal: AbortSignal): Promise<RevInfo> {
    const stored = await readInfo(module, version, signal);
    if (stored) return stored;
    const built = await source.build(module, version, signal);
    try {
      const info = encoder.encode(JSON.stringify(built.info));
      await store.putVersion(module, built.info.Version, { info, mod: built.mod, zip: built.zip }, signal);
      return built.info;
    } finally {
      await built.close();
    }
  }

  async function readInfo(module: string, version: string, signal?: AbortSignal): Promise<RevInfo | null> {
    const bytes = await store.getInfo(module, version, signal);
    if (bytes === null) return null;
    return parseRevInfo(decoder.decode(bytes));
  }

  /**
   * One fill per module@version across all callers, inside the fill limiter. With `locks`, the
   * in-process fill also takes the cross-replica lock (one Redis attempt however many local
   * callers wait); when another replica filled it, the version is read from the shared store.
   */
  async function ensureVersion(module: string, version: string, signal?: AbortSignal): Promise<CacheResult> {
    const key = `version:${module}@${version}`;
    const { value: filledHere, coalesced } = await rememberNotFound(key, () =>
      coalescer.run(
        key,
        async (fillSignal) => {
          const fill = () =>
            timedFill('version', module, version, () => fillVersion(module, version, fillSignal));
          if (!deps.locks) {
            await fill();
            return true;
          }
          const isDone = async () => (await store.getInfo(module, version, fillSignal)) !== null;
          return (await deps.locks.runExclusive(key, fill, { isDone, signal: fillSignal })).ran;
        },
        signal,
      ),
    );
    return coalesced || !filledHere ? 'coalesced' : 'miss';
  }

  /**
   * Resolves a query (a canonical version may still resolve to +incompatible), then makes sure the
   * canonical version it names is stored; returns the stored info.
   */
  async function resolveAndFill(
    module: string,
    query: string,
    signal?: AbortSignal,
  ): Promise<{ info: RevInfo; cache: CacheResult }> {
    if (isValid(query) && isCanonicalVersion(query) && isVersionOfPath(module, query)) {
      // Nearly always the version itself: filled directly (the fill checks it as stat would, and
      // reads go.mod from the same pack as the module's files: one upstream fetch fewer). Resolved
      // first when it cannot be — v2.0.0 of a path without /v2 (often v2.0.0+incompatible) — and
      // when the fill finds it is not a version of its own or does not exist (the stat then gives
      // the answer or the error).
      try {
        const cache = await ensureVersion(module, query, signal);
        const info = await readInfo(module, query, signal);
        if (info) return { info, cache };
      } catch (err) {
        if (!(err instanceof NotFoundError)) throw err;
      }
    }
    const { value: resolved, coalesced } = await rememberNotFound(`stat:${module}@${query}`, () =>
      coalescer.run(
        `stat:${module}@${query}`,
        (fillSignal) => timedFill('stat', module, query, () => source.stat(module, query, fillSignal)),
        signal,
      ),
    );
    const hit = await readInfo(module, resolved.Version, signal);
    if (hit) return { info: hit, cache: coalesced ? 'coalesced' : 'miss' };
    const cache = await ensureVersion(module, resolved.Version, signal);
    const info = await readInfo(module, resolved.Version, signal);
    return { info: info ?? resolved, cache: coalesced ? 'coalesced' : cache };
  }

  /** Whether `version`'s major fits the module path (`/vN`, or v0/v1/+incompatible without one). */
  function isVersionOfPath(module: string, version: string): boolean {
    const split = splitPathVersion(module);
    return split !== null && matchPathMajor(version, split.pathMajor);
  }

  function requireCanonical(module: string, version: string): void {
    if (!isValid(version) || !isCanonicalVersion(version)) {
      throw new NotFoundError(`${module}@${version}: invalid version: version ${version} is not canonical`);
    }
  }

  return {
    list(module, signal) {
      return mutable('list', module, LIST_CODEC, signal);
    },

    latest(module, signal) {
      return mutable('latest', module, LATEST_CODEC, signal);
    },

    async info(module, query, signal) {
      checkExcluded(module);
      if (isValid(query) && isCanonicalVersion(query)) {
        const bytes = await store.getInfo(module, query, signal);
        const hit = bytes === null ? null : parseRevInfo(decoder.decode(bytes));
        if (hit && bytes) return { ...served('info', hit, 'hit'), raw: bytes };
      }
      onMiss(module, `${module}@${query}`, () => resolveAndFill(module, query));
      const { info, cache } = await resolveAndFill(module, query, signal);
      return served('info', info, cache);
    },

    async mod(module, version, signal) {
      checkExcluded(module);
      requireCanonical(module, version);
      const hit = await store.getMod(module, version, signal);
      if (hit) return served('mod', hit, 'hit');
      onMiss(module, `${module}@${version}`, () => ensureVersion(module, version));
      const cache = await ensureVersion(module, version, signal);
      const mod = await store.getMod(module, version, signal);
      if (!mod) throw new NotFoundError(`${module}@${version}: not found`);
      return served('mod', mod, cache);
    },

    peek(kind, module, version) {
      if (deps.policy?.decide(module).kind === 'excluded') return undefined;
      const bytes = store.peek(kind, module, version);
      if (bytes === undefined) return undefined;
      if (kind === 'info' && !checkedInfo.has(bytes)) {
        // What `info` would serve as a hit: bytes that parse, naming this very version.
        if (parseRevInfo(decoder.decode(bytes))?.Version !== version) return undefined;
        checkedInfo.add(bytes);
      }
      deps.telemetry.cacheLookup(kind, 'hit');
      return bytes;
    },

    async zip(module, version, signal) {
      checkExcluded(module);
      requireCanonical(module, version);
      const hit = await store.getZip(module, version, signal);
      if (hit) return served('zip', hit, 'hit');
      onMiss(module, `${module}@${version}`, () => ensureVersion(module, version));
      const cache = await ensureVersion(module, version, signal);
      const zip = await store.getZip(module, version, signal);
      if (!zip) throw new NotFoundError(`${module}@${version}: not found`);
      return served('zip', zip, cache);
    },
  };
}
