/**
 * The checksum-database proxy (spec §1.7). For each configured database (STOA_SUMDBS: a name, e.g.
 * `sum.golang.org`, and the URL it is fetched from), `/sumdb/<name>/supported` says yes while the
 * database is reachable, and `lookup`, `tile` and `latest` under it are passed to the database and
 * its answers passed back, never invented. Only those shapes are forwarded, each checked and
 * rebuilt from its checked parts (stoa is not an open proxy to the database's host), and lookups of
 * modules that must stay private (STOA_NOSUMDB, the policy's exclusions) are refused with 403:
 * their names never leave.
 */
import { ForbiddenError, NotFoundError } from '../errors.js';
import { escapePath, escapeVersion, unescapePath, unescapeVersion } from '../module/escape.js';
import { isCanonicalVersion, isValid } from '../module/semver.js';
import type { SumdbAnswer, SumdbOperation, SumdbUpstream } from '../upstream/sumdb-upstream.js';

export interface SumdbProxy {
  /** Whether `name` is a database this proxy serves. */
  supports(name: string): boolean;
  /**
   * Whether to tell the go command to use this proxy for `name` (`/supported`): a database this
   * proxy serves and could reach at its last probe. Unreachable, it says no, so clients go to the
   * database directly instead of failing through the proxy (spec §1.7). A probe (`latest`, 5 s at
   * most) runs at most once a minute per database; while a new one runs, the last
   * result is answered. Only the very first `supported` waits for a probe.
   */
  reachable(name: string): Promise<boolean>;
  /**
   * The database's answer for `path` (`latest`, `lookup/<escaped path>@<escaped version>`, or
   * `tile/<H>/<L|data>/<NNN>[.p/<W>]`). Throws NotFoundError for any other path or database,
   * InvalidRequestError for a malformed lookup, ForbiddenError for a module kept private.
   */
  get(name: string, path: string, signal: AbortSignal): Promise<SumdbAnswer>;
}

export interface SumdbDatabase {
  /** The name clients use (`/sumdb/<name>/`), e.g. `sum.golang.org`. */
  name: string;
  /** Where it is fetched from, without a trailing slash. */
  url: string;
}

export interface SumdbProxyOptions {
  databases: readonly SumdbDatabase[];
  upstream: SumdbUpstream;
  /** Maps a database URL to where it is fetched from (STOA_HOST_MAP). */
  mapUrl: (url: string) => string;
  /** Modules whose names must not be sent to a database. */
  isPrivate: (module: string) => boolean;
  now?: () => number;
}

/** How long a `/supported` probe of a database is trusted. */
const PROBE_INTERVAL_MS = 60_000;
const PROBE_TIMEOUT_MS = 5_000;
const TILE_RE = /^tile\/\d{1,2}\/(?:\d{1,3}|data)\/(?:x\d{3}\/)*\d{3}(?:\.p\/\d{1,3})?$/;
const LOOKUP_RE = /^lookup\/([^@]+)@([^@/]+)$/;

interface Probe {
  at: number;
  ok: boolean | undefined;
  running: Promise<boolean> | undefined;
}

/**
 * The operation and the path to send for `path`, rebuilt from its checked parts, or a thrown
 * NotFoundError (InvalidRequestError, ForbiddenError).
 */
function checkedPath(path: string, isPrivate: (module: string) => boolean): [SumdbOperation, string] {
  if (path === 'latest') return ['latest', path];
  if (TILE_RE.test(path)) return ['tile', path];
  const lookup = LOOKUP_RE.exec(path);
  if (lookup) {
    const module = unescapePath(lookup[1] ?? '');
    const version = unescapeVersion(lookup[2] ?? '');
    // The go command looks up canonical versions only.
    if (!isValid(version) || !isCanonicalVersion(version)) {
      throw new NotFoundError(`${module}@${version}: not a canonical version`);
    }
    if (isPrivate(module)) {
      throw new ForbiddenError(
        `${module}: kept private by this proxy (STOA_NOSUMDB or its download policy); not looked up — list it in GONOSUMDB`,
      );
    }
    return ['lookup', `lookup/${escapePath(module)}@${escapeVersion(version)}`];
  }
  throw new NotFoundError(`not a checksum database path: ${path.slice(0, 200)}`);
}

export function createSumdbProxy(options: SumdbProxyOptions): SumdbProxy {
  const byName = new Map(options.databases.map((db) => [db.name, db] as const));
  const now = options.now ?? Date.now;
  const probes = new Map<string, Probe>();

  function probe(db: SumdbDatabase, state: Probe): Promise<boolean> {
    // Shared by every client asking meanwhile, so no client's signal cancels it.
    const signal = AbortSignal.timeout(PROBE_TIMEOUT_MS);
    const running = options.upstream
      .get({ database: db.name, url: options.mapUrl(`${db.url}/latest`), operation: 'latest' }, signal)
      .then(
        () => true,
        () => false,
      )
      .then((ok) => {
        state.at = now();
        state.ok = ok;
        state.running = undefined;
        return ok;
      });
    state.running = running;
    return running;
  }

  return {
    supports: (name) => byName.has(name),

    reachable(name) {
      const db = byName.get(name);
      if (db === undefined) return Promise.resolve(false);
      let state = probes.get(name);
      if (state === undefined) {
        state = { at: 0, ok: undefined, running: undefined };
        probes.set(name, state);
      }
      const stale = now() - state.at >= PROBE_INTERVAL_MS;
      if (stale && state.running === undefined) void probe(db, state);
      if (state.ok !== undefined) return Promise.resolve(state.ok);
      return state.running ?? Promise.resolve(false);
    },

    async get(name, path, signal) {
      const db = byName.get(name);
      if (db === undefined) throw new NotFoundError(`stoa does not proxy the checksum database ${name}`);
      const [operation, checked] = checkedPath(path, options.isPrivate);
      const url = options.mapUrl(`${db.url}/${checked}`);
      return await options.upstream.get({ database: db.name, url, operation }, signal);
    },
  };
}
