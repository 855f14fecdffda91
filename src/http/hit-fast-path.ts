/**
 * The fast path for warm immutable answers. A GET or HEAD of a canonical version's `.info` or
 * `.mod` whose bytes the service can give synchronously (the artifact store's in-process cache) is
 * answered by the Node request listener itself, before the hono app: same status, headers and
 * body as the route would send, same telemetry (a cache hit in the service, a request event here).
 * Everything else — misses, lists, zips, errors, other spellings of a path, and every request
 * while draining — goes to the hono app unchanged.
 *
 * Why: a warm `.info` is a ~200-byte answer, and hono's routing, middleware chain, Response objects
 * and promise hops, plus parsing and checking the module path, cost more than writing it. Parsed
 * request paths are remembered in a bounded map, so a path is parsed and checked once, not per
 * request; the bytes are looked up on every request, so what the fast path serves is always what
 * the cache holds now.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isCanonicalVersion } from '../module/semver.js';
import type { ModuleService } from '../service/module-service.js';
import type { Telemetry } from '../telemetry.js';
import { parseGoproxyPath } from './goproxy-request.js';
import { IMMUTABLE, JSON_TYPE, TEXT } from './goproxy-routes.js';

interface Target {
  kind: 'info' | 'mod';
  module: string;
  version: string;
}

export interface HitFastPathDeps {
  service: Pick<ModuleService, 'peek'>;
  telemetry: Pick<Telemetry, 'request'>;
  isDraining(): boolean;
  /** Reporting the request failed after its answer was written (the app would have answered 500). */
  onTelemetryError(err: unknown): void;
  /** Request paths remembered (parsed, or known not to be a fast-path target); default 10,000. */
  maxPaths?: number;
}

/** Longer request paths are left to the app (and never remembered): no module path is this long. */
const MAX_FAST_PATH = 512;

/** Answers the request and returns true, or returns false having done nothing. */
export type HitFastPath = (req: IncomingMessage, res: ServerResponse) => boolean;

const CONTENT_TYPE = { info: JSON_TYPE, mod: TEXT } as const;

export function createHitFastPath(deps: HitFastPathDeps): HitFastPath {
  const maxPaths = deps.maxPaths ?? 10_000;
  /** Request path → its target, or null for a valid GOPROXY path that never takes the fast path. */
  const targets = new Map<string, Target | null>();

  function targetOf(url: string): Target | null {
    const known = targets.get(url);
    if (known !== undefined) return known;
    let target: Target | null;
    try {
      const req = parseGoproxyPath(url);
      target =
        (req.kind === 'info' || req.kind === 'mod') && isCanonicalVersion(req.version)
          ? { kind: req.kind, module: req.module, version: req.version }
          : null;
    } catch {
      return null; // invalid: the app answers it (and it is not worth remembering)
    }
    // Oldest first out: a hot path evicted by a flood of others costs one more parse.
    if (targets.size >= maxPaths) {
      const oldest = targets.keys().next();
      if (oldest.done !== true) targets.delete(oldest.value);
    }
    targets.set(url, target);
    return target;
  }

  /** The warm answer for this request, or null; any failure is left to the app to answer. */
  function lookup(
    method: string | undefined,
    url: string | undefined,
  ): { target: Target; body: Uint8Array } | null {
    // Absolute-form, percent-encoded (the app decodes), query-carrying and very long request paths
    // take the ordinary path.
    if ((method !== 'GET' && method !== 'HEAD') || url === undefined || url.charCodeAt(0) !== 47) return null;
    if (url.length > MAX_FAST_PATH || url.includes('?') || url.includes('%') || deps.isDraining())
      return null;
    try {
      const target = targetOf(url);
      const body = target && deps.service.peek(target.kind, target.module, target.version);
      return target && body ? { target, body } : null;
    } catch {
      return null; // the app takes the request and answers (and reports) whatever failed
    }
  }

  return function hitFastPath(req, res) {
    const start = performance.now();
    const { method, url } = req;
    const hit = lookup(method, url);
    if (hit === null || method === undefined || url === undefined) return false;
    const { target, body } = hit;
    res.writeHead(200, {
      'content-type': CONTENT_TYPE[target.kind],
      'content-length': String(body.byteLength),
      'cache-control': IMMUTABLE,
    });
    if (method === 'HEAD') res.end();
    else res.end(body);
    try {
      deps.telemetry.request({
        method,
        endpoint: target.kind,
        module: target.module,
        path: url,
        status: 200,
        durationMs: performance.now() - start,
        cache: 'hit',
        bytes: body.byteLength,
      });
    } catch (err) {
      deps.onTelemetryError(err);
    }
    return true;
  };
}
