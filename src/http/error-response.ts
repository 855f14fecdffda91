/**
 * The one place where errors become HTTP answers. Bodies are one line of text/plain so the go
 * command shows them (spec §1.4); 404/410 only for "does not exist or is invalid for this path",
 * 5xx only for upstream or storage failure, with Retry-After when known.
 */
import { isStoaError, RedirectError, type ErrorCode, ERROR_STATUS } from '../errors.js';

export interface ErrorAnswer {
  status: number;
  body: string;
  headers: Record<string, string>;
  /** The closed-set code, for logs and metrics. */
  code: ErrorCode;
}

const PREFIX: Record<ErrorCode, string> = {
  NotFound: 'not found',
  Gone: 'not found',
  InvalidModule: 'not found',
  InvalidRequest: 'bad request',
  Forbidden: 'forbidden',
  Redirect: 'redirect',
  Upstream: 'upstream error',
  UpstreamTimeout: 'upstream timeout',
  RateLimited: 'upstream rate limited',
  Overloaded: 'overloaded',
  Storage: 'storage unavailable',
  Internal: 'internal error',
};

const MAX_BODY = 600;

function oneLine(text: string): string {
  const line = text
    .replace(/[\r\n]+/g, ' ')
    .replace(/[^\x20-\x7e\u00a0-\uffff]/g, '?')
    .trim();
  return line.length > MAX_BODY ? `${line.slice(0, MAX_BODY)}...` : line;
}

function hasCode(err: unknown, code: string): err is Error & { code: string } {
  return err instanceof Error && (err as { code?: unknown }).code === code;
}

/** @param requestPath the raw request path, appended to a redirect's base URL. */
export function errorAnswer(err: unknown, requestPath = '/'): ErrorAnswer {
  let code: ErrorCode;
  let message: string;
  let retryAfter: number | undefined;
  if (isStoaError(err)) {
    code = err.code;
    message = err.message;
    retryAfter = err.retryAfterSeconds;
  } else if (hasCode(err, 'Storage')) {
    // storage/ is a leaf with its own StorageError class.
    code = 'Storage';
    message = err.message;
  } else if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) {
    code = 'UpstreamTimeout';
    message = 'the fill did not finish in time';
  } else {
    code = 'Internal';
    message = 'unexpected error';
  }
  const headers: Record<string, string> = {
    'content-type': 'text/plain; charset=utf-8',
    'cache-control': 'no-store',
  };
  if (err instanceof RedirectError) headers.location = `${err.location}${requestPath}`;
  if (retryAfter !== undefined) headers['retry-after'] = String(Math.max(1, Math.ceil(retryAfter)));
  else if (code === 'Overloaded' || code === 'Storage') headers['retry-after'] = '5';
  return { status: ERROR_STATUS[code], body: `${PREFIX[code]}: ${oneLine(message)}\n`, headers, code };
}
