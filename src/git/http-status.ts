/**
 * HTTP statuses from git hosts → typed errors. Anonymous 401 (GitHub, GitLab) and 404/410 mean
 * "repository not found"; a 401 with a token means the token was rejected (a configuration error);
 * 429 and rate-limit flavoured 403s are throttling; everything else is an upstream failure.
 */
import { NotFoundError, RateLimitedError, UpstreamError, type StoaError } from '../errors.js';
import { isRateLimitMessage, retryAfterFrom, shortText } from './remote-errors.js';

export type Headers = Record<string, string | string[] | undefined>;

export function header(h: Headers, k: string): string {
  const v = h[k];
  return (Array.isArray(v) ? v[0] : v) ?? '';
}

export interface StatusContext {
  /** e.g. `info-refs https://github.com/o/r.git` (already redacted). */
  where: string;
  status: number;
  headers: Headers;
  /** The start of the response body (already scrubbed of credentials). */
  text: string;
  tokenSent: boolean;
}

export function errorForStatus(c: StatusContext): StoaError {
  const { where, status, headers, text } = c;
  const detail = text ? `: ${shortText(text)}` : '';
  const retryAfterSeconds = retryAfterFrom(headers);
  if (status === 401) {
    if (c.tokenSent) {
      return new UpstreamError(
        `${where}: HTTP 401, the configured token was rejected (check the token)${detail}`,
      );
    }
    return new NotFoundError(`${where}: repository not found (HTTP 401)`);
  }
  if (status === 404 || status === 410)
    return new NotFoundError(`${where}: repository not found (HTTP ${status})`);
  if (status === 429)
    return new RateLimitedError(`${where}: rate limited (HTTP 429)${detail}`, { retryAfterSeconds });
  if (status === 403) {
    const limited =
      header(headers, 'x-ratelimit-remaining') === '0' ||
      header(headers, 'retry-after') !== '' ||
      isRateLimitMessage(text);
    if (limited)
      return new RateLimitedError(`${where}: rate limited (HTTP 403)${detail}`, { retryAfterSeconds });
    return new UpstreamError(`${where}: access forbidden (HTTP 403)${detail}`);
  }
  return new UpstreamError(`${where}: HTTP ${status}${detail}`, { retryAfterSeconds });
}
