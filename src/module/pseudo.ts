/**
 * Pseudo-versions (golang.org/x/mod/module/pseudo.go). Spec: goproxy-spec.md §2.4.
 *
 * Forms (each may end in `+incompatible` when the base has it):
 *   1. vX.0.0-yyyymmddhhmmss-abcdefabcdef          (no base)
 *   2. vX.Y.(Z+1)-0.yyyymmddhhmmss-abcdefabcdef    (base vX.Y.Z)
 *   3. vX.Y.Z-pre.0.yyyymmddhhmmss-abcdefabcdef    (base vX.Y.Z-pre)
 */
import { VersionError } from './check-path.js';
import { build, canonical, isValid, major as semverMajor, prerelease } from './semver.js';

const PSEUDO_RE =
  /^v[0-9]+\.(0\.0-|\d+\.\d+-([^+]*\.)?0\.)\d{14}-[A-Za-z0-9]+(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$/;

/** module.PseudoVersionTimestampFormat, as a description: "20060102150405" (UTC). */
export const PSEUDO_TIMESTAMP_LAYOUT = '20060102150405';

/** module.IsPseudoVersion: at least two dashes, valid semver, and the pseudo-version shape. */
export function isPseudoVersion(v: string): boolean {
  let dashes = 0;
  for (let i = 0; i < v.length && dashes < 2; i++) if (v[i] === '-') dashes++;
  return dashes >= 2 && isValid(v) && PSEUDO_RE.test(v);
}

/** module.ZeroPseudoVersion: `vX.0.0-00010101000000-000000000000`. */
export function zeroPseudoVersion(major: string): string {
  return (major === '' ? 'v0' : major) + '.0.0-00010101000000-000000000000';
}

/** module.IsZeroPseudoVersion. */
export function isZeroPseudoVersion(v: string): boolean {
  return v === zeroPseudoVersion(semverMajor(v));
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

/** Formats `t` in UTC with Go's layout "20060102150405" (sub-second part dropped). */
export function formatPseudoTimestamp(t: Date): string {
  if (Number.isNaN(t.getTime())) throw new RangeError('invalid Date');
  return (
    pad(t.getUTCFullYear(), 4) +
    pad(t.getUTCMonth() + 1, 2) +
    pad(t.getUTCDate(), 2) +
    pad(t.getUTCHours(), 2) +
    pad(t.getUTCMinutes(), 2) +
    pad(t.getUTCSeconds(), 2)
  );
}

/** codehost.AllHex: entirely lower-case hexadecimal digits. */
function allHex(s: string): boolean {
  return /^[0-9a-f]*$/.test(s);
}

/** module.ShortenSHA1: a 40-hex revision becomes its first 12 characters; anything else is kept. */
export function shortenSHA1(rev: string): string {
  return rev.length === 40 && allHex(rev) ? rev.slice(0, 12) : rev;
}

/** Adds one to a decimal digit string (`9` → `10`, `199` → `200`). */
function incDecimal(decimal: string): string {
  const digits = decimal.split('');
  let i = digits.length - 1;
  while (i >= 0 && digits[i] === '9') digits[i--] = '0';
  if (i >= 0) digits[i] = String(Number(digits[i]) + 1);
  else {
    digits[0] = '1';
    digits.push('0');
  }
  return digits.join('');
}

/** Subtracts one from a decimal digit string; "" for zero (`10` → `9`, `100` → `99`). */
function decDecimal(decimal: string): string {
  const digits = decimal.split('');
  let i = digits.length - 1;
  while (i >= 0 && digits[i] === '0') digits[i--] = '9';
  if (i < 0) return '';
  if (i === 0 && digits[i] === '1' && digits.length > 1) digits.shift();
  else digits[i] = String(Number(digits[i]) - 1);
  return digits.join('');
}

/**
 * module.PseudoVersion: builds the pseudo-version for a commit at time `time` with revision `rev`
 * on top of the tag `older` ("" or invalid = no base). `major` "" means v0. A 40-hex `rev` is
 * shortened to 12 characters (module.ShortenSHA1, which Go callers apply before calling).
 */
export function pseudoVersion(major: string, older: string, time: Date, rev: string): string {
  const mj = major === '' ? 'v0' : major;
  const segment = `${formatPseudoTimestamp(time)}-${shortenSHA1(rev)}`;
  const b = build(older);
  const base = canonical(older);
  if (base === '') return `${mj}.0.0-${segment}`;
  if (prerelease(base) !== '') return `${base}.0.${segment}${b}`;
  const i = base.lastIndexOf('.') + 1;
  return `${base.slice(0, i)}${incDecimal(base.slice(i))}-0.${segment}${b}`;
}

interface ParsedPseudo {
  base: string;
  timestamp: string;
  rev: string;
  build: string;
}

function parsePseudoVersion(v: string): ParsedPseudo {
  if (!isPseudoVersion(v)) throw new VersionError(v, 'syntax error', true);
  const b = build(v);
  let rest = v.slice(0, v.length - b.length);
  const j = rest.lastIndexOf('-');
  const rev = rest.slice(j + 1);
  rest = rest.slice(0, j);
  const i = rest.lastIndexOf('-');
  const dot = rest.lastIndexOf('.');
  if (dot > i) return { base: rest.slice(0, dot), timestamp: rest.slice(dot + 1), rev, build: b };
  return { base: rest.slice(0, i), timestamp: rest.slice(i + 1), rev, build: b };
}

function daysIn(month: number, year: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/**
 * module.PseudoVersionTime: the UTC time embedded in a pseudo-version. Throws VersionError for a
 * non-pseudo-version or an out-of-range time (`malformed time "…"`), as Go's time.Parse would.
 */
export function pseudoVersionTime(v: string): Date {
  const { timestamp } = parsePseudoVersion(v);
  const n = (from: number, to: number): number => Number(timestamp.slice(from, to));
  const [year, month, day, hour, min, sec] = [n(0, 4), n(4, 6), n(6, 8), n(8, 10), n(10, 12), n(12, 14)];
  if (month < 1 || month > 12 || day < 1 || day > daysIn(month, year) || hour > 23 || min > 59 || sec > 59) {
    throw new VersionError(v, `malformed time "${timestamp}"`, true);
  }
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  d.setUTCHours(hour, min, sec, 0);
  return d;
}

/** module.PseudoVersionRev: the revision (normally 12 hex digits). Throws on a non-pseudo-version. */
export function pseudoVersionRev(v: string): string {
  return parsePseudoVersion(v).rev;
}

/**
 * module.PseudoVersionBase: "" for form 1; `vX.Y.Z` for form 2 (keeping `+incompatible`);
 * `vX.Y.Z-pre` for form 3. Throws VersionError on a non-pseudo-version, on form 1 with build
 * metadata, and on `vX.Y.0-0.…` (negative patch).
 */
export function pseudoVersionBase(v: string): string {
  const { base, build: b } = parsePseudoVersion(v);
  const pre = prerelease(base);
  if (pre === '') {
    if (b !== '') {
      throw new VersionError(v, `lacks base version, but has build metadata "${b}"`, true);
    }
    return '';
  }
  if (pre === '-0') {
    const trimmed = base.slice(0, base.length - pre.length);
    const i = trimmed.lastIndexOf('.');
    const patch = decDecimal(trimmed.slice(i + 1));
    if (patch === '') {
      throw new VersionError(v, `version before ${trimmed} would have negative patch number`, true);
    }
    return trimmed.slice(0, i + 1) + patch + b;
  }
  // The recogniser guarantees a ".0" before the timestamp in form 3.
  return base.slice(0, base.length - '.0'.length) + b;
}
