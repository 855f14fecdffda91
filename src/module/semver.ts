/**
 * Go's semantic versions (golang.org/x/mod/semver) and Go language versions (gover), on strings.
 *
 * Why this is a direct implementation of Go's grammar and not the `semver` npm package:
 * - Go versions carry a mandatory leading `v`; npm semver strips an optional `v` (and `=`) and
 *   would accept `1.2.3`, which Go rejects.
 * - Go accepts the shorthands `v1` and `v1.2` (canonical `v1.0.0`, `v1.2.0`) but without any
 *   prerelease or build suffix; npm semver rejects them in strict mode and in loose mode accepts far
 *   more (`v1.2-pre`, whitespace, `v01.2.3`), which Go rejects.
 * - Go's `Canonical` strips `+build`, `Major` returns the *string prefix* (`v1`), and
 *   `MajorMinor` keeps the input's spelling; npm has no equivalents that keep these strings.
 * - Go compares numbers as decimal strings of any length (no 2^53 limit); npm semver rejects
 *   numbers above Number.MAX_SAFE_INTEGER.
 * - Go orders invalid versions below all valid ones and equal to each other; npm throws.
 * So every function below follows semver.go exactly, and npm semver is not used at all.
 */

interface Parsed {
  major: string;
  minor: string;
  patch: string;
  /** ".0.0" or ".0" for the shorthands, else "". */
  short: string;
  /** "-pre" or "". */
  prerelease: string;
  /** "+meta" or "". */
  build: string;
}

function isDigit(c: string | undefined): boolean {
  return c !== undefined && c >= '0' && c <= '9';
}

function isIdentChar(c: string): boolean {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c === '-';
}

/** A run of digits without a needless leading zero; returns the digits and the rest. */
function parseInt(v: string): [string, string] | null {
  if (!isDigit(v[0])) return null;
  let i = 1;
  while (isDigit(v[i])) i++;
  if (v[0] === '0' && i !== 1) return null;
  return [v.slice(0, i), v.slice(i)];
}

function isBadNum(v: string): boolean {
  let i = 0;
  while (isDigit(v[i])) i++;
  return i === v.length && i > 1 && v[0] === '0';
}

function isNum(v: string): boolean {
  let i = 0;
  while (isDigit(v[i])) i++;
  return i === v.length;
}

function parsePrerelease(v: string): [string, string] | null {
  if (v[0] !== '-') return null;
  let i = 1;
  let start = 1;
  while (i < v.length && v[i] !== '+') {
    const c = v[i] as string;
    if (!isIdentChar(c) && c !== '.') return null;
    if (c === '.') {
      if (start === i || isBadNum(v.slice(start, i))) return null;
      start = i + 1;
    }
    i++;
  }
  if (start === i || isBadNum(v.slice(start, i))) return null;
  return [v.slice(0, i), v.slice(i)];
}

function parseBuild(v: string): [string, string] | null {
  if (v[0] !== '+') return null;
  let i = 1;
  let start = 1;
  while (i < v.length) {
    const c = v[i] as string;
    if (!isIdentChar(c) && c !== '.') return null;
    if (c === '.') {
      if (start === i) return null;
      start = i + 1;
    }
    i++;
  }
  if (start === i) return null;
  return [v.slice(0, i), v.slice(i)];
}

function parse(v: string): Parsed | null {
  if (v[0] !== 'v') return null;
  const ma = parseInt(v.slice(1));
  if (ma === null) return null;
  const [major, r1] = ma;
  if (r1 === '') return { major, minor: '0', patch: '0', short: '.0.0', prerelease: '', build: '' };
  if (r1[0] !== '.') return null;
  const mi = parseInt(r1.slice(1));
  if (mi === null) return null;
  const [minor, r2] = mi;
  if (r2 === '') return { major, minor, patch: '0', short: '.0', prerelease: '', build: '' };
  if (r2[0] !== '.') return null;
  const pa = parseInt(r2.slice(1));
  if (pa === null) return null;
  const patch = pa[0];
  let rest = pa[1];
  let prerelease = '';
  let build = '';
  if (rest[0] === '-') {
    const pr = parsePrerelease(rest);
    if (pr === null) return null;
    [prerelease, rest] = pr;
  }
  if (rest[0] === '+') {
    const b = parseBuild(rest);
    if (b === null) return null;
    [build, rest] = b;
  }
  if (rest !== '') return null;
  return { major, minor, patch, short: '', prerelease, build };
}

/** semver.IsValid. */
export function isValid(v: string): boolean {
  return parse(v) !== null;
}

/** semver.Canonical: `v1.2` → `v1.2.0`, `v1.2.3+meta` → `v1.2.3`; "" if invalid. */
export function canonical(v: string): string {
  const p = parse(v);
  if (p === null) return '';
  if (p.build !== '') return v.slice(0, v.length - p.build.length);
  if (p.short !== '') return v + p.short;
  return v;
}

/** semver.Major: `v1.2.3` → `v1`; "" if invalid. */
export function major(v: string): string {
  const p = parse(v);
  if (p === null) return '';
  return v.slice(0, 1 + p.major.length);
}

/** semver.MajorMinor: `v1.2.3` → `v1.2`, `v1` → `v1.0`; "" if invalid. */
export function majorMinor(v: string): string {
  const p = parse(v);
  if (p === null) return '';
  const i = 1 + p.major.length;
  const j = i + 1 + p.minor.length;
  if (j <= v.length && v[i] === '.' && v.slice(i + 1, j) === p.minor) return v.slice(0, j);
  return v.slice(0, i) + '.' + p.minor;
}

/** semver.Prerelease: `-pre` or "". */
export function prerelease(v: string): string {
  return parse(v)?.prerelease ?? '';
}

/** semver.Build: `+meta` or "". */
export function build(v: string): string {
  return parse(v)?.build ?? '';
}

/** Compares decimal digit strings without leading zeros, of any length. */
function compareInt(x: string, y: string): -1 | 0 | 1 {
  if (x === y) return 0;
  if (x.length !== y.length) return x.length < y.length ? -1 : 1;
  return x < y ? -1 : 1;
}

function nextIdent(x: string): [string, string] {
  let i = 0;
  while (i < x.length && x[i] !== '.') i++;
  return [x.slice(0, i), x.slice(i)];
}

function comparePrerelease(x: string, y: string): -1 | 0 | 1 {
  if (x === y) return 0;
  if (x === '') return 1;
  if (y === '') return -1;
  while (x !== '' && y !== '') {
    // Skip the leading '-' or '.'.
    let dx: string;
    let dy: string;
    [dx, x] = nextIdent(x.slice(1));
    [dy, y] = nextIdent(y.slice(1));
    if (dx !== dy) {
      const ix = isNum(dx);
      const iy = isNum(dy);
      if (ix !== iy) return ix ? -1 : 1;
      if (ix && dx.length !== dy.length) return dx.length < dy.length ? -1 : 1;
      return dx < dy ? -1 : 1;
    }
  }
  return x === '' ? -1 : 1;
}

/**
 * semver.Compare. Invalid versions compare equal to each other and below every valid version;
 * build metadata is ignored.
 */
export function compare(a: string, b: string): -1 | 0 | 1 {
  const pa = parse(a);
  const pb = parse(b);
  if (pa === null && pb === null) return 0;
  if (pa === null) return -1;
  if (pb === null) return 1;
  return (
    compareInt(pa.major, pb.major) ||
    compareInt(pa.minor, pb.minor) ||
    compareInt(pa.patch, pb.patch) ||
    comparePrerelease(pa.prerelease, pb.prerelease)
  );
}

/** semver.Max: the larger of the two canonical forms (the second one on a tie). */
export function max(a: string, b: string): string {
  const ca = canonical(a);
  const cb = canonical(b);
  return compare(ca, cb) > 0 ? ca : cb;
}

/** Orders strings by code point, which is Go's byte order for their UTF-8 encodings. */
export function compareCodePoints(a: string, b: string): -1 | 0 | 1 {
  if (a === b) return 0;
  const ia = a[Symbol.iterator]();
  const ib = b[Symbol.iterator]();
  for (;;) {
    const x = ia.next();
    const y = ib.next();
    if (x.done === true) return y.done === true ? 0 : -1;
    if (y.done === true) return 1;
    const cx = x.value.codePointAt(0) ?? 0;
    const cy = y.value.codePointAt(0) ?? 0;
    if (cx !== cy) return cx < cy ? -1 : 1;
  }
}

/** semver.Sort order, returned as a new array: by Compare, ties broken by string order. */
export function sortVersions(vs: readonly string[]): string[] {
  return [...vs].sort((a, b) => compare(a, b) || compareCodePoints(a, b));
}

/** module.CanonicalVersion: like canonical, but keeps a `+incompatible` build suffix. */
export function canonicalVersion(v: string): string {
  const cv = canonical(v);
  return build(v) === '+incompatible' ? cv + '+incompatible' : cv;
}

/** A version is canonical iff CanonicalVersion leaves it unchanged (and it is valid). */
export function isCanonicalVersion(v: string): boolean {
  return v !== '' && canonicalVersion(v) === v;
}

// ------------------------------------------------------------------------------------------------
// Go language versions (cmd/go/internal/gover, also in go/version): "1.13", "1.21.0", "1.24rc1".

interface GoVersion {
  major: string;
  minor: string;
  patch: string;
  /** "", "alpha", "beta", "rc" (any lower-case word parses). */
  kind: string;
  pre: string;
}

const ZERO_GO_VERSION: GoVersion = { major: '', minor: '', patch: '', kind: '', pre: '' };

/** Digits without a needless leading zero (gover cutInt). */
function cutInt(x: string): [string, string] | null {
  let i = 0;
  while (isDigit(x[i])) i++;
  if (i === 0 || (x[0] === '0' && i !== 1)) return null;
  return [x.slice(0, i), x.slice(i)];
}

function parseGoVersion(x: string): GoVersion {
  const ma = cutInt(x);
  if (ma === null) return ZERO_GO_VERSION;
  const [maj, r1] = ma;
  if (r1 === '') return { major: maj, minor: '0', patch: '0', kind: '', pre: '' };
  if (r1[0] !== '.') return ZERO_GO_VERSION;
  const mi = cutInt(r1.slice(1));
  if (mi === null) return ZERO_GO_VERSION;
  const [min, r2] = mi;
  if (r2 === '') {
    // Before Go 1.21 a missing patch means .0; from 1.21 on, "1.21" is the language version,
    // which sorts before 1.21rc1 and 1.21.0.
    return { major: maj, minor: min, patch: compareInt(min, '21') < 0 ? '0' : '', kind: '', pre: '' };
  }
  if (r2[0] === '.') {
    const pa = cutInt(r2.slice(1));
    if (pa === null || pa[1] !== '') return ZERO_GO_VERSION;
    return { major: maj, minor: min, patch: pa[0], kind: '', pre: '' };
  }
  let i = 0;
  while (i < r2.length && !isDigit(r2[i])) {
    const c = r2[i] as string;
    if (c < 'a' || c > 'z') return ZERO_GO_VERSION;
    i++;
  }
  if (i === 0) return ZERO_GO_VERSION;
  const kind = r2.slice(0, i);
  const r3 = r2.slice(i);
  if (r3 === '') return { major: maj, minor: min, patch: '', kind, pre: '' };
  const pr = cutInt(r3);
  if (pr === null || pr[1] !== '') return ZERO_GO_VERSION;
  return { major: maj, minor: min, patch: '', kind, pre: pr[0] };
}

/** Compares two Go language versions as gover.Compare does; unparseable ones sort lowest. */
export function compareGoVersions(x: string, y: string): -1 | 0 | 1 {
  const vx = parseGoVersion(x);
  const vy = parseGoVersion(y);
  return (
    compareInt(vx.major, vy.major) ||
    compareInt(vx.minor, vy.minor) ||
    compareInt(vx.patch, vy.patch) ||
    (vx.kind === vy.kind ? 0 : vx.kind < vy.kind ? -1 : 1) ||
    compareInt(vx.pre, vy.pre)
  );
}

/** goVersion >= min under gover rules ("1.24rc1" and "1.24.0" are both >= "1.24"). */
export function goVersionAtLeast(goVersion: string, min: string): boolean {
  return compareGoVersions(goVersion, min) >= 0;
}
