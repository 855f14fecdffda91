/**
 * Maps what git hosts say (HTTP statuses, headers, ERR packets, sideband band-3 text) onto stoa's
 * typed errors. Messages never carry credentials: callers pass redacted URLs only.
 */
import { NotFoundError, RateLimitedError, UpstreamError, type StoaError } from '../errors.js';

const RATE_LIMIT_RE = /rate.?limit|limiting|quota|too many requests|resource.?exhausted|retry later|throttl/i;

export function isRateLimitMessage(text: string): boolean {
  return RATE_LIMIT_RE.test(text);
}

/** Seconds from `Retry-After` (delta or HTTP date) or `x-ratelimit-reset` (epoch seconds). */
export function retryAfterFrom(
  headers: Record<string, string | string[] | undefined>,
  now = Date.now(),
): number | undefined {
  const get = (k: string): string | undefined => {
    const v = headers[k];
    return Array.isArray(v) ? v[0] : v;
  };
  const ra = get('retry-after')?.trim();
  if (ra) {
    if (/^\d+$/.test(ra)) return Number.parseInt(ra, 10);
    const t = Date.parse(ra);
    if (!Number.isNaN(t)) return Math.max(0, Math.ceil((t - now) / 1000));
  }
  const reset = get('x-ratelimit-reset')?.trim();
  if (reset && /^\d+$/.test(reset)) return Math.max(0, Number.parseInt(reset, 10) - Math.floor(now / 1000));
  return undefined;
}

/** Trims a remote-provided text to one short line for an error message. */
export function shortText(text: string, max = 200): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max)}…` : line;
}

/** An `ERR ...` packet or a fatal band-3 message from the remote. */
export function remoteMessageError(where: string, text: string): StoaError {
  const msg = shortText(text);
  if (isRateLimitMessage(msg)) return new RateLimitedError(`${where}: remote is rate limiting: ${msg}`);
  if (
    /not our ref|no such (ref|object)|not a valid object|could not find|unknown (object|revision)/i.test(msg)
  ) {
    return new NotFoundError(`${where}: object not found: ${msg}`);
  }
  if (
    /repository not found|does not appear to be a git repository|not a git repository|repository not exported/i.test(
      msg,
    )
  ) {
    return new NotFoundError(`${where}: repository not found: ${msg}`);
  }
  return new UpstreamError(`${where}: remote error: ${msg}`);
}
