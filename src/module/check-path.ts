/**
 * Module, import and file path checks and the major-version suffix, as golang.org/x/mod/module
 * (CheckPath, CheckImportPath, CheckFilePath, SplitPathVersion, CheckPathMajor, PathMajorPrefix).
 * Spec: goproxy-spec.md §2.1, §2.2. Error messages follow Go's wording.
 */
import { InvalidRequestError } from '../errors.js';
import { build, major } from './semver.js';

const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u;

function escapeRune(c: string, quote: string): string {
  switch (c) {
    case '\x07':
      return '\\a';
    case '\b':
      return '\\b';
    case '\f':
      return '\\f';
    case '\n':
      return '\\n';
    case '\r':
      return '\\r';
    case '\t':
      return '\\t';
    case '\v':
      return '\\v';
    case '\\':
      return '\\\\';
  }
  if (c === quote) return '\\' + c;
  if (PRINTABLE.test(c)) return c;
  const cp = c.codePointAt(0) ?? 0;
  if (cp < 0x20 || cp === 0x7f) return '\\x' + cp.toString(16).padStart(2, '0');
  if (cp < 0x10000) return '\\u' + cp.toString(16).padStart(4, '0');
  return '\\U' + cp.toString(16).padStart(8, '0');
}

/** Go's strconv.Quote (%q on a string), for error messages. */
export function goQuote(s: string): string {
  let out = '"';
  for (const c of s) out += escapeRune(c, '"');
  return out + '"';
}

/** Go's strconv.QuoteRune (%q on a rune), for error messages. */
export function goQuoteRune(c: string): string {
  return "'" + escapeRune(c, "'") + "'";
}

export type PathKind = 'module' | 'import' | 'file';

/** module.InvalidPathError: `malformed module path "x": missing dot in first path element`. */
export class PathError extends InvalidRequestError {
  constructor(
    readonly kind: PathKind,
    readonly path: string,
    readonly reason: string,
  ) {
    super(`malformed ${kind} path ${goQuote(path)}: ${reason}`);
  }
}

/**
 * module.InvalidVersionError: `version "v2.0.0" invalid: should be v0 or v1, not v2`
 * (`pseudo-version ...` when `pseudo` is set).
 */
export class VersionError extends InvalidRequestError {
  constructor(
    readonly version: string,
    readonly reason: string,
    readonly pseudo = false,
  ) {
    super(`${pseudo ? 'pseudo-version' : 'version'} ${goQuote(version)} invalid: ${reason}`);
  }
}

const BAD_WINDOWS_NAMES: ReadonlySet<string> = new Set([
  'CON',
  'PRN',
  'AUX',
  'NUL',
  ...[1, 2, 3, 4, 5, 6, 7, 8, 9].flatMap((n) => [`COM${n}`, `LPT${n}`]),
]);

const FILE_PUNCT = '!#$%&()+,-.=@[]^_{}~ ';
const LETTER = /^\p{L}$/u;
const LONE_SURROGATE = /\p{Surrogate}/u;

/**
 * ASCII-only upper-casing. Exact for strings.EqualFold against the reserved names: the only
 * non-ASCII runes that fold to ASCII letters are U+212A (k) and U+017F (s), in none of them.
 */
function asciiUpper(s: string): string {
  return s.replace(/[a-z]/g, (c) => c.toUpperCase());
}

function isAsciiAlnum(c: string): boolean {
  return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

function modPathOK(c: string): boolean {
  return isAsciiAlnum(c) || c === '-' || c === '.' || c === '_' || c === '~';
}

function charOK(c: string, kind: PathKind): boolean {
  switch (kind) {
    case 'module':
      return modPathOK(c);
    case 'import':
      return modPathOK(c) || c === '+';
    case 'file':
      if (c.length === 1 && c < '\x80') return isAsciiAlnum(c) || FILE_PUNCT.includes(c);
      // unicode.IsLetter, tracking the current Unicode version as current Go does.
      return LETTER.test(c);
  }
}

/** Returns the reason an element is invalid, or null. Iterates by code point. */
function checkElem(elem: string, kind: PathKind): string | null {
  if (elem === '') return 'empty path element';
  if (/^\.+$/.test(elem)) return `invalid path element ${goQuote(elem)}`;
  if (elem[0] === '.' && kind === 'module') return 'leading dot in path element';
  if (elem.endsWith('.')) return 'trailing dot in path element';
  for (const c of elem) {
    if (!charOK(c, kind)) return `invalid char ${goQuoteRune(c)}`;
  }
  const dot = elem.indexOf('.');
  const short = dot >= 0 ? elem.slice(0, dot) : elem;
  if (BAD_WINDOWS_NAMES.has(asciiUpper(short))) {
    return `${goQuote(short)} disallowed as path element component on Windows`;
  }
  if (kind === 'file') return null;
  // Windows short names: a tilde followed by one or more ASCII digits at the end of `short`.
  const tilde = short.lastIndexOf('~');
  if (tilde >= 0 && tilde < short.length - 1 && /^[0-9]+$/.test(short.slice(tilde + 1))) {
    return 'trailing tilde and digits in path element';
  }
  return null;
}

function checkPathReason(path: string, kind: PathKind): string | null {
  if (LONE_SURROGATE.test(path)) return 'invalid UTF-8';
  if (path === '') return 'empty string';
  if (path[0] === '-' && kind !== 'file') return 'leading dash';
  if (path.includes('//')) return 'double slash';
  if (path.endsWith('/')) return 'trailing slash';
  for (const elem of path.split('/')) {
    const reason = checkElem(elem, kind);
    if (reason !== null) return reason;
  }
  return null;
}

function checkModulePathReason(path: string): string | null {
  const reason = checkPathReason(path, 'module');
  if (reason !== null) return reason;
  let i = path.indexOf('/');
  if (i < 0) i = path.length;
  if (i === 0) return 'leading slash';
  const first = path.slice(0, i);
  if (!first.includes('.')) return 'missing dot in first path element';
  if (path[0] === '-') return 'leading dash in first path element';
  for (const c of first) {
    if (!(c === '-' || c === '.' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z'))) {
      return `invalid char ${goQuoteRune(c)} in first path element`;
    }
  }
  if (splitPathVersion(path) === null) return 'invalid version';
  return null;
}

/** module.CheckPath: is `path` a valid module path? Throws PathError (kind 'module'). */
export function checkPath(path: string): void {
  const reason = checkModulePathReason(path);
  if (reason !== null) throw new PathError('module', path, reason);
}

/** module.CheckImportPath. Throws PathError (kind 'import'). */
export function checkImportPath(path: string): void {
  const reason = checkPathReason(path, 'import');
  if (reason !== null) throw new PathError('import', path, reason);
}

/** module.CheckFilePath (zip entry names). Throws PathError (kind 'file'). */
export function checkFilePath(path: string): void {
  const reason = checkPathReason(path, 'file');
  if (reason !== null) throw new PathError('file', path, reason);
}

/**
 * The file-path element check (checkElem with filePath rules) on a single element, used for
 * versions. Returns the reason it fails, or null.
 */
export function fileElementProblem(elem: string): string | null {
  if (LONE_SURROGATE.test(elem)) return 'invalid UTF-8';
  return checkElem(elem, 'file');
}

export function isGopkgIn(path: string): boolean {
  return path.startsWith('gopkg.in/');
}

function isDigit(c: string | undefined): boolean {
  return c !== undefined && c >= '0' && c <= '9';
}

function splitGopkgIn(path: string): { prefix: string; pathMajor: string } | null {
  let i = path.length;
  if (path.endsWith('-unstable')) i -= '-unstable'.length;
  while (i > 0 && isDigit(path[i - 1])) i--;
  if (i <= 1 || path[i - 1] !== 'v' || path[i - 2] !== '.') return null;
  const prefix = path.slice(0, i - 2);
  const pathMajor = path.slice(i - 2);
  if (pathMajor.length <= 2 || (pathMajor[2] === '0' && pathMajor !== '.v0')) return null;
  return { prefix, pathMajor };
}

/**
 * module.SplitPathVersion: splits `path` into prefix and pathMajor (`/vN`, `.vN`,
 * `.vN-unstable` or ""). Returns null where Go returns ok=false (`/v0`, `/v1`, `/v02`, `/v2.1`,
 * gopkg.in paths without `.vN`).
 */
export function splitPathVersion(path: string): { prefix: string; pathMajor: string } | null {
  if (isGopkgIn(path)) return splitGopkgIn(path);
  let i = path.length;
  let dot = false;
  while (i > 0 && (isDigit(path[i - 1]) || path[i - 1] === '.')) {
    if (path[i - 1] === '.') dot = true;
    i--;
  }
  if (i <= 1 || i === path.length || path[i - 1] !== 'v' || path[i - 2] !== '/') {
    return { prefix: path, pathMajor: '' };
  }
  const prefix = path.slice(0, i - 2);
  const pathMajor = path.slice(i - 2);
  if (dot || pathMajor.length <= 2 || pathMajor[2] === '0' || pathMajor === '/v1') return null;
  return { prefix, pathMajor };
}

function pathMajorProblem(version: string, pathMajor: string): string | null {
  let pm = pathMajor;
  if (pm.startsWith('.v') && pm.endsWith('-unstable')) pm = pm.slice(0, -'-unstable'.length);
  // An old gopkg.in bug produced v0.0.0- pseudo-versions for .v1 paths; Go still allows them.
  if (version.startsWith('v0.0.0-') && pm === '.v1') return null;
  const m = major(version);
  if (pm === '') {
    if (m === 'v0' || m === 'v1' || build(version) === '+incompatible') return null;
    pm = 'v0 or v1';
  } else if (pm[0] === '/' || pm[0] === '.') {
    if (m === pm.slice(1)) return null;
    pm = pm.slice(1);
  }
  return `should be ${pm}, not ${m}`;
}

/** module.CheckPathMajor: throws VersionError (`should be v2, not v1`) unless the major fits. */
export function checkPathMajor(version: string, pathMajor: string): void {
  const reason = pathMajorProblem(version, pathMajor);
  if (reason !== null) throw new VersionError(version, reason);
}

/** module.MatchPathMajor. */
export function matchPathMajor(version: string, pathMajor: string): boolean {
  return pathMajorProblem(version, pathMajor) === null;
}

/**
 * module.PathMajorPrefix: `/v2` → `v2`, `.v1-unstable` → `v1`, "" → "". Go panics on a malformed
 * pathMajor; this throws InvalidRequestError.
 */
export function pathMajorPrefix(pathMajor: string): string {
  if (pathMajor === '') return '';
  if (pathMajor[0] !== '/' && pathMajor[0] !== '.') {
    throw new InvalidRequestError(`pathMajor suffix ${pathMajor} passed to PathMajorPrefix lacks separator`);
  }
  let pm = pathMajor;
  if (pm.startsWith('.v') && pm.endsWith('-unstable')) pm = pm.slice(0, -'-unstable'.length);
  const m = pm.slice(1);
  if (m !== major(m)) {
    throw new InvalidRequestError(
      `pathMajor suffix ${pathMajor} passed to PathMajorPrefix is not a valid major version`,
    );
  }
  return m;
}
