/**
 * Case escaping of module paths and versions (module.EscapePath / UnescapePath / EscapeVersion /
 * UnescapeVersion) and URL path percent-decoding. Spec: goproxy-spec.md §1.2.
 */
import { InvalidRequestError } from '../errors.js';
import { checkPath, fileElementProblem, goQuote, VersionError } from './check-path.js';

/** `A` → `!a` for ASCII upper case; refuses `!` and non-ASCII (Go's "internal error" guard). */
function escapeString(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x21 || c >= 0x80) {
      throw new InvalidRequestError(`cannot escape ${goQuote(s)}: contains '!' or a non-ASCII character`);
    }
    out += c >= 0x41 && c <= 0x5a ? '!' + String.fromCharCode(c + 0x20) : s[i];
  }
  return out;
}

/** The inverse of escapeString; null for non-ASCII, upper case, `!` not before a–z, trailing `!`. */
function unescapeString(escaped: string): string | null {
  let out = '';
  let bang = false;
  for (let i = 0; i < escaped.length; i++) {
    const c = escaped.charCodeAt(i);
    if (c >= 0x80) return null;
    if (bang) {
      bang = false;
      if (c < 0x61 || c > 0x7a) return null;
      out += String.fromCharCode(c - 0x20);
      continue;
    }
    if (c === 0x21) {
      bang = true;
      continue;
    }
    if (c >= 0x41 && c <= 0x5a) return null;
    out += escaped[i];
  }
  return bang ? null : out;
}

/** module.EscapePath: checkPath, then `Azure` → `!azure`. Throws PathError. */
export function escapePath(path: string): string {
  checkPath(path);
  return escapeString(path);
}

/**
 * module.EscapeVersion: the version must be a valid file-path element without `!`.
 * Throws VersionError ("disallowed version string") or InvalidRequestError (non-ASCII letters,
 * which pass the element check but cannot be escaped).
 */
export function escapeVersion(v: string): string {
  if (fileElementProblem(v) !== null || v.includes('!')) {
    throw new VersionError(v, 'disallowed version string');
  }
  return escapeString(v);
}

/** module.UnescapePath. Throws InvalidRequestError `invalid escaped module path "…"[: reason]`. */
export function unescapePath(escaped: string): string {
  const path = unescapeString(escaped);
  if (path === null) throw new InvalidRequestError(`invalid escaped module path ${goQuote(escaped)}`);
  try {
    checkPath(path);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new InvalidRequestError(`invalid escaped module path ${goQuote(escaped)}: ${reason}`, {
      cause: err,
    });
  }
  return path;
}

/** module.UnescapeVersion. Throws InvalidRequestError `invalid escaped version "…"[: reason]`. */
export function unescapeVersion(escaped: string): string {
  const v = unescapeString(escaped);
  if (v === null) throw new InvalidRequestError(`invalid escaped version ${goQuote(escaped)}`);
  const problem = fileElementProblem(v);
  if (problem !== null) throw new InvalidRequestError(`invalid escaped version ${goQuote(v)}: ${problem}`);
  return v;
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  return -1;
}

const UTF8_DECODER = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const UTF8_ENCODER = new TextEncoder();

/**
 * Decodes `%XX` escapes in a URL path (`%21` → `!`, `%2B` → `+`, `%2F` → `/`); `+` stays `+`.
 * A malformed `%` escape, a NUL (raw or decoded), a lone surrogate, or decoded bytes that are not
 * valid UTF-8 give InvalidRequestError.
 */
export function percentDecodePath(raw: string): string {
  if (/[\0\p{Surrogate}]/u.test(raw)) {
    throw new InvalidRequestError('invalid character in request path');
  }
  if (!raw.includes('%')) return raw;
  const input = UTF8_ENCODER.encode(raw);
  const bytes = new Uint8Array(input.length);
  let n = 0;
  for (let i = 0; i < input.length; i++) {
    const c = input[i] as number;
    if (c !== 0x25) {
      bytes[n++] = c;
      continue;
    }
    const hi = hexValue(input[i + 1] ?? -1);
    const lo = hexValue(input[i + 2] ?? -1);
    if (hi < 0 || lo < 0) {
      const bad = String.fromCharCode(...input.subarray(i, i + 3));
      throw new InvalidRequestError(`invalid URL escape ${goQuote(bad)} in request path`);
    }
    const b = hi * 16 + lo;
    if (b === 0) throw new InvalidRequestError('NUL byte in request path');
    bytes[n++] = b;
    i += 2;
  }
  try {
    return UTF8_DECODER.decode(bytes.subarray(0, n));
  } catch (err) {
    throw new InvalidRequestError('request path is not valid UTF-8', { cause: err });
  }
}
