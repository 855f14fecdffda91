/**
 * The one catalogue of stoa's typed errors. Every error that crosses a layer is a StoaError with a
 * literal `code`; the HTTP layer maps codes to statuses with `statusForCode` and nowhere else.
 *
 * This file is a leaf: it imports nothing, so every layer (module/, git/, storage adapters) may use it.
 */

export const ERROR_STATUS = {
  /** The module, version or file does not exist, or is invalid for the path (go falls through). */
  NotFound: 404,
  /** Like NotFound, for things known to have existed (or proxy.golang.org-style "gone"). */
  Gone: 410,
  /** The request itself is malformed (bad escape, bad path syntax). */
  InvalidRequest: 400,
  /** The module is excluded by policy: a hard error, so go does not fall through to `direct`. */
  Forbidden: 403,
  /** Download mode `redirect`: the client is sent to another GOPROXY. */
  Redirect: 302,
  /** The module's content breaks the go command's zip rules; the version cannot be served. */
  InvalidModule: 404,
  /** The upstream answered with a failure (5xx, protocol error, corrupt data). */
  Upstream: 502,
  /** The upstream did not answer in time. */
  UpstreamTimeout: 504,
  /** The upstream throttled us; Retry-After is passed on. */
  RateLimited: 503,
  /** stoa itself is saturated or draining. */
  Overloaded: 503,
  /** The blob store failed. Never a 404: an outage must not look like a missing module. */
  Storage: 503,
  /** A bug. */
  Internal: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export function statusForCode(code: ErrorCode): (typeof ERROR_STATUS)[ErrorCode] {
  return ERROR_STATUS[code];
}

export interface StoaErrorOptions {
  cause?: unknown;
  /** Seconds a client should wait before retrying (RateLimited, Overloaded). */
  retryAfterSeconds?: number;
}

export abstract class StoaError extends Error {
  abstract readonly code: ErrorCode;
  readonly retryAfterSeconds: number | undefined;

  constructor(message: string, options: StoaErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }

  get status(): number {
    return ERROR_STATUS[this.code];
  }
}

export class NotFoundError extends StoaError {
  readonly code = 'NotFound' as const;
}

export class GoneError extends StoaError {
  readonly code = 'Gone' as const;
}

export class InvalidRequestError extends StoaError {
  readonly code = 'InvalidRequest' as const;
}

export class ForbiddenError extends StoaError {
  readonly code = 'Forbidden' as const;
}

/** Not a failure: answers 302 to `location` + the request path. */
export class RedirectError extends StoaError {
  readonly code = 'Redirect' as const;
  constructor(readonly location: string) {
    super(`redirected to ${location}`);
  }
}

export class InvalidModuleError extends StoaError {
  readonly code = 'InvalidModule' as const;
}

export class UpstreamError extends StoaError {
  readonly code = 'Upstream' as const;
}

export class UpstreamTimeoutError extends StoaError {
  readonly code = 'UpstreamTimeout' as const;
}

export class RateLimitedError extends StoaError {
  readonly code = 'RateLimited' as const;
}

export class OverloadedError extends StoaError {
  readonly code = 'Overloaded' as const;
}

export class StorageError extends StoaError {
  readonly code = 'Storage' as const;
}

export class InternalError extends StoaError {
  readonly code = 'Internal' as const;
}

export function isStoaError(err: unknown): err is StoaError {
  return err instanceof StoaError;
}
