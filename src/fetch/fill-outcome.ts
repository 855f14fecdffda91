/**
 * A fill's failure as it travels between replicas (published by the lock holder, rethrown by the
 * waiters): the error code of the catalogue, the message and Retry-After, so a waiter answers its
 * clients exactly as the holder did.
 */
import {
  ERROR_STATUS,
  ForbiddenError,
  GoneError,
  InternalError,
  InvalidModuleError,
  InvalidRequestError,
  isStoaError,
  NotFoundError,
  OverloadedError,
  RateLimitedError,
  StorageError,
  UpstreamError,
  UpstreamTimeoutError,
  type ErrorCode,
  type StoaError,
  type StoaErrorOptions,
} from '../errors.js';

export interface WireError {
  code: ErrorCode;
  message: string;
  retryAfterSeconds?: number;
}

const CLASSES: Record<ErrorCode, new (message: string, options?: StoaErrorOptions) => StoaError> = {
  NotFound: NotFoundError,
  Gone: GoneError,
  InvalidRequest: InvalidRequestError,
  Forbidden: ForbiddenError,
  // A redirect is decided before any fill, so it never travels between replicas.
  Redirect: InternalError,
  InvalidModule: InvalidModuleError,
  Upstream: UpstreamError,
  UpstreamTimeout: UpstreamTimeoutError,
  RateLimited: RateLimitedError,
  Overloaded: OverloadedError,
  Storage: StorageError,
  Internal: InternalError,
};

export function fillErrorToWire(err: unknown): WireError {
  if (isStoaError(err)) {
    return { code: err.code, message: err.message, retryAfterSeconds: err.retryAfterSeconds };
  }
  if (err instanceof Error && err.name === 'TimeoutError') {
    return { code: 'UpstreamTimeout', message: 'the fill did not finish in time' };
  }
  return { code: 'Upstream', message: err instanceof Error ? err.message : String(err) };
}

export function fillErrorFromWire(wire: WireError | undefined): StoaError {
  const code: ErrorCode = wire && wire.code in ERROR_STATUS ? wire.code : 'Upstream';
  const Class = CLASSES[code];
  return new Class(wire?.message ?? 'the fill failed on another replica', {
    retryAfterSeconds: typeof wire?.retryAfterSeconds === 'number' ? wire.retryAfterSeconds : undefined,
  });
}
