/**
 * The checksum-database proxy (spec §1.7). For each configured database (STOA_SUMDBS; its name is
 * its URL's host, e.g. `sum.golang.org`), `/sumdb/<name>/supported` says yes, and `lookup`, `tile`
 * and `latest` under it are passed to the database and its answers passed back, never invented.
 * Only those shapes are forwarded, each checked (stoa is not an open proxy to the database's host),
 * and a lookup of a module the download policy excludes is refused (403): its name never leaves.
 */
import { ForbiddenError, NotFoundError } from '../errors.js';
import { unescapePath, unescapeVersion } from '../module/escape.js';
import type { SumdbAnswer, SumdbOperation, SumdbUpstream } from '../upstream/sumdb-upstream.js';

export interface SumdbProxy {
  /** Whether `name` is a database this proxy serves. */
  supports(name: string): boolean;
  /**
   * Whether to tell the go command to use this proxy for `name` (`/supported`): a database this
   * proxy serves and can reach now. Unreachable, it says no, so clients go to the database
   * directly instead of failing through the proxy (spec §1.7). Probed with `latest`, at most once
   * a minute per database.
   */
  reachable(name: string): Promise<boolean>;
  /**
   * The database's answer for `path` (`latest`, `lookup/<escaped path>@<escaped version>`, or
   * `tile/<H>/<L|data>/<NNN>[.p/<W>]`). Throws NotFoundError for any other path or database,
   * InvalidRequestError for a malformed lookup, ForbiddenError for an excluded module.
   */
  get(name: string, path: string, signal: AbortSignal): Promise<SumdbAnswer>;
}

export interface SumdbProxyOptions {
  /** Base URLs of the databases, without a trailing slash. */
  databases: readonly string[];
  upstream: SumdbUpstream;
  /** Maps a database URL to where it is fetched from (STOA_HOST_MAP). */
  mapUrl: (url: string) => string;
  /** Modules whose names must not be sent to a database (the download policy's exclusions). */
  isExcluded: (module: string) => boolean;
  now?: () => number;
}

/** How long a `/supported` probe of a database is trusted. */
const PROBE_INTERVAL_MS = 60_000;

const TILE_RE = /^tile\/\d{1,2}\/(?:\d{1,3}|data)\/(?:x\d{3}\/)*\d{3}(?:\.p\/\d{1,3})?$/;
const LOOKUP_RE = /^lookup\/([^@]+)@([^@/]+)$/;

/** The database's name for a URL: its host (with a port, if any), lower-cased. */
export function sumdbName(url: string): string {
  return new URL(url).host.toLowerCase();
}

function operationOf(path: string, isExcluded: (module: string) => boolean): SumdbOperation {
  if (path === 'latest') return 'latest';
  if (TILE_RE.test(path)) return 'tile';
  const lookup = LOOKUP_RE.exec(path);
  if (lookup) {
    // Checked as the database will (and the go command did) before it is sent anywhere.
    const module = unescapePath(lookup[1] ?? '');
    unescapeVersion(lookup[2] ?? '');
    if (isExcluded(module)) {
      throw new ForbiddenError(`${module}: excluded by the proxy's download policy; not looked up`);
    }
    return 'lookup';
  }
  throw new NotFoundError(`not a checksum database path: ${path.slice(0, 200)}`);
}

export function createSumdbProxy(options: SumdbProxyOptions): SumdbProxy {
  const byName = new Map(options.databases.map((url) => [sumdbName(url), url] as const));
  const now = options.now ?? Date.now;
  const probes = new Map<string, { at: number; ok: Promise<boolean> }>();
  const never = new AbortController().signal;
  return {
    supports: (name) => byName.has(name),
    reachable(name) {
      const base = byName.get(name);
      if (base === undefined) return Promise.resolve(false);
      const known = probes.get(name);
      if (known && now() - known.at < PROBE_INTERVAL_MS) return known.ok;
      // Shared by every client asking within the minute, so no client's signal cancels it; the
      // upstream's own deadline bounds it.
      const ok = options.upstream.get(options.mapUrl(`${base}/latest`), 'latest', never).then(
        () => true,
        () => false,
      );
      probes.set(name, { at: now(), ok });
      return ok;
    },
    async get(name, path, signal) {
      const base = byName.get(name);
      if (base === undefined) throw new NotFoundError(`stoa does not proxy the checksum database ${name}`);
      const operation = operationOf(path, options.isExcluded);
      return await options.upstream.get(options.mapUrl(`${base}/${path}`), operation, signal);
    },
  };
}
