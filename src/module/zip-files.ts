/**
 * Which files of a module tree go into the module zip: golang.org/x/mod/zip checkFiles as Create
 * runs it (spec §5.2, §5.3), in its exact order — not clean/absolute (error), vendored (omit), in a
 * nested module (omit), root `.hg_archival.txt` (omit), CheckFilePath (error), `GO.MOD` spelling
 * (error), case-fold collisions (error), symlinks and other non-regular files (omit), then the size
 * limits (500 MiB total, 16 MiB for go.mod and LICENSE).
 *
 * Errors are collected as Go does (one per path, in file order) and reported as one
 * InvalidModuleError whose message follows Go's `create zip: <path>: <reason>` lines; a size error
 * takes precedence over the per-file errors, as in CheckedFiles.Err.
 */
import { InvalidModuleError } from '../errors.js';
import { checkFilePath, goQuote, PathError } from './check-path.js';
import { goVersionAtLeast } from './semver.js';

/** MaxZipFile: total uncompressed size of the files (and size limit of the zip itself). */
export const MAX_ZIP_FILE = 500 << 20;
/** MaxGoMod. */
export const MAX_GO_MOD = 16 << 20;
/** MaxLICENSE. */
export const MAX_LICENSE = 16 << 20;

export type FileKind = 'file' | 'symlink' | 'other';

/** A file as the archive lists it, relative to the module root. */
export interface CandidateFile {
  readonly path: string;
  readonly kind: FileKind;
}

export interface FileProblem {
  readonly path: string;
  readonly reason: string;
}

export interface Selection<T extends CandidateFile> {
  /** Regular files that passed every rule but the size limits, in input order. */
  readonly kept: T[];
  /** Files left out on purpose (vendored, nested module, symlink, ...). */
  readonly omitted: FileProblem[];
  /** Files that make the module invalid. */
  readonly invalid: FileProblem[];
}

/**
 * x/mod isVendoredPackage. `newRule` is the rule of x/mod v0.22 (root go.mod says go >= 1.24): it
 * omits `vendor/modules.txt` and fixes the `/vendor/` offset quirk of the old rule, under which every
 * path containing `/vendor/` is omitted.
 */
export function isVendored(p: string, newRule: boolean): boolean {
  if (newRule && p === 'vendor/modules.txt') return true;
  let i: number;
  if (p.startsWith('vendor/')) {
    i = 'vendor/'.length;
  } else {
    const j = p.indexOf('/vendor/');
    if (j < 0) return false;
    // The old rule measures from the start of the path instead of from the match.
    i = newRule ? j + '/vendor/'.length : '/vendor/'.length;
  }
  return p.slice(i).includes('/');
}

/** Whether the root go.mod's go version selects the new vendor rule (go >= 1.24). */
export function usesNewVendorRule(goVersion: string | null): boolean {
  return goVersion !== null && goVersionAtLeast(goVersion, '1.24');
}

/** path.Clean(p) === p for a relative or absolute slash path. */
function isClean(p: string): boolean {
  if (p === '') return false;
  if (p === '/') return true;
  const elems = (p.startsWith('/') ? p.slice(1) : p).split('/');
  return elems.every((e) => e !== '' && e !== '.' && e !== '..');
}

function dirOf(p: string): string {
  const i = p.lastIndexOf('/');
  return i < 0 ? '' : p.slice(0, i + 1);
}

function baseOf(p: string): string {
  return p.slice(p.lastIndexOf('/') + 1);
}

/** Go's strings.EqualFold-compatible key (x/mod strToFold, via unicode.SimpleFold orbits). */
export function foldKey(s: string): string {
  if (!/[A-Z\u0080-\uffff]/.test(s)) return s; // ASCII without upper case
  let out = '';
  for (const c of s) out += foldRune(c);
  return out;
}

function singleRune(s: string): boolean {
  return s.length > 0 && Array.from(s).length === 1;
}

/**
 * Orbit members that no other member's upper/lower case mapping reaches (they map into the orbit,
 * nothing maps to them): U+00B5 MICRO SIGN, U+0345 COMBINING YPOGEGRAMMENI, U+1C88 CYRILLIC SMALL
 * LETTER UNBLENDED UK. Checked against a union over all code points.
 */
const REVERSE_ONLY: Readonly<Record<string, string>> = {
  '\u039c': '\u00b5',
  '\u0399': '\u0345',
  '\ua64a': '\u1c88',
};

/** The smallest member of c's simple case-folding orbit (A-Z mapped to a-z). */
function foldRune(c: string): string {
  const orbit = new Set([c]);
  const queue = [c];
  for (let x = queue.pop(); x !== undefined; x = queue.pop()) {
    // U+0131 (dotless i) upper-cases to I but is not in I's folding orbit.
    if (x === '\u0131') continue;
    for (const y of [x.toLowerCase(), x.toUpperCase(), REVERSE_ONLY[x] ?? '']) {
      if (singleRune(y) && y !== '\u0131' && !orbit.has(y)) {
        orbit.add(y);
        queue.push(y);
      }
    }
  }
  let min = c;
  for (const x of orbit) if ((x.codePointAt(0) ?? 0) < (min.codePointAt(0) ?? 0)) min = x;
  if (min >= 'A' && min <= 'Z') min = min.toLowerCase();
  return min;
}

/** x/mod collisionChecker: case-fold collisions, file-vs-directory, duplicates. */
export function createCollisionChecker(): (p: string, isDir: boolean) => string | null {
  const seen = new Map<string, { path: string; isDir: boolean }>();
  const check = (p: string, isDir: boolean): string | null => {
    const fold = foldKey(p);
    const other = seen.get(fold);
    if (other) {
      if (p !== other.path)
        return `case-insensitive file name collision: ${goQuote(other.path)} and ${goQuote(p)}`;
      if (isDir !== other.isDir) return `entry ${goQuote(p)} is both a file and a directory`;
      if (!isDir) return `multiple entries for file ${goQuote(p)}`;
    } else {
      seen.set(fold, { path: p, isDir });
    }
    const slash = p.lastIndexOf('/');
    return slash > 0 ? check(p.slice(0, slash), true) : null;
  };
  return check;
}

/**
 * Steps 1–10 of checkFiles over the archive's files (module-relative paths, in archive order).
 * `goVersion` is the root go.mod's go directive (lax-parsed), or null.
 */
export function selectFiles<T extends CandidateFile>(
  files: readonly T[],
  goVersion: string | null,
): Selection<T> {
  const newVendor = usesNewVendorRule(goVersion);
  const kept: T[] = [];
  const omitted: FileProblem[] = [];
  const invalid: FileProblem[] = [];
  const reported = new Set<string>();
  const report = (path: string, reason: string, omit: boolean): void => {
    if (reported.has(path)) return;
    reported.add(path);
    (omit ? omitted : invalid).push({ path, reason });
  };

  // Directories holding a regular go.mod (any case) are nested modules; the root does not count.
  const moduleDirs = new Set<string>();
  for (const f of files) {
    if (f.kind === 'file' && baseOf(f.path).toLowerCase() === 'go.mod') moduleDirs.add(dirOf(f.path));
  }
  const inNestedModule = (p: string): boolean => {
    for (let d = dirOf(p); d !== ''; d = dirOf(d.slice(0, -1))) if (moduleDirs.has(d)) return true;
    return false;
  };

  const collides = createCollisionChecker();
  for (const f of files) {
    const p = f.path;
    if (!isClean(p)) {
      report(p, 'file path is not clean', false);
      continue;
    }
    if (p.startsWith('/')) {
      report(p, 'file path is not relative', false);
      continue;
    }
    if (isVendored(p, newVendor)) {
      report(p, 'file is in vendor directory', true);
      continue;
    }
    if (inNestedModule(p)) {
      report(p, 'file is in another module', true);
      continue;
    }
    if (p === '.hg_archival.txt') {
      report(p, "file is inserted by 'hg archive' and is always omitted", true);
      continue;
    }
    try {
      checkFilePath(p);
    } catch (err) {
      if (!(err instanceof PathError)) throw err;
      report(p, err.message, false);
      continue;
    }
    if (p.toLowerCase() === 'go.mod' && p !== 'go.mod') {
      report(p, 'go.mod files must have lowercase names', false);
      continue;
    }
    const collision = collides(p, false);
    if (collision !== null) {
      report(p, collision, false);
      continue;
    }
    if (f.kind === 'symlink') {
      report(p, 'file is a symbolic link', true);
      continue;
    }
    if (f.kind !== 'file') {
      report(p, 'not a regular file', true);
      continue;
    }
    kept.push(f);
  }
  return { kept, omitted, invalid };
}

/**
 * Steps 11–13: the running size total and the go.mod/LICENSE limits, over the kept files with their
 * sizes as the archive writes them (after eol/ident conversion). Returns the files that stay and
 * the size error, if any.
 */
export function checkSizes<T extends CandidateFile & { readonly size: number }>(
  kept: readonly T[],
): { valid: T[]; invalid: FileProblem[]; sizeError: string | null } {
  let remaining = MAX_ZIP_FILE;
  let sizeError: string | null = null;
  const valid: T[] = [];
  const invalid: FileProblem[] = [];
  for (const f of kept) {
    if (f.size >= 0 && f.size <= remaining) {
      remaining -= f.size;
    } else if (sizeError === null) {
      sizeError = `module source tree too large (max size is ${MAX_ZIP_FILE} bytes)`;
    }
    if (f.path === 'go.mod' && f.size > MAX_GO_MOD) {
      invalid.push({ path: f.path, reason: `go.mod file too large (max size is ${MAX_GO_MOD} bytes)` });
      continue;
    }
    if (f.path === 'LICENSE' && f.size > MAX_LICENSE) {
      invalid.push({ path: f.path, reason: `LICENSE file too large (max size is ${MAX_LICENSE} bytes)` });
      continue;
    }
    valid.push(f);
  }
  return { valid, invalid, sizeError };
}

/** CheckedFiles.Err as Create reports it, or null when the files are fine. */
export function zipRulesError(
  invalid: readonly FileProblem[],
  sizeError: string | null,
): InvalidModuleError | null {
  if (sizeError !== null) return new InvalidModuleError(`create zip: ${sizeError}`);
  if (invalid.length === 0) return null;
  return new InvalidModuleError(`create zip: ${invalid.map((e) => `${e.path}: ${e.reason}`).join('\n')}`);
}
