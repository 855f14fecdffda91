/**
 * .gitattributes as `git archive` reads them from the archived tree (spec §5.1): pattern matching
 * with git's attr rules (basename match for slash-less patterns, anchored match relative to the
 * file's directory otherwise, `dir/` patterns never match a file), and the precedence of git's
 * attribute stack (deeper files first, later lines first, first decision wins, macros expanded
 * when set). Parsing lives in gitattributes-parse.ts.
 */
import { BUILTIN_MACROS, parseGitattributes } from './gitattributes-parse.js';
import type { AttrFile, AttrPattern, AttrState, AttrValue } from './gitattributes-parse.js';
import { wildmatch } from './wildmatch.js';

export { ATTR_MAX_FILE_SIZE, parseGitattributes } from './gitattributes-parse.js';
export type { AttrFile, AttrRule, AttrState, AttrValue } from './gitattributes-parse.js';

function bytesEqual(a: Uint8Array, aFrom: number, b: Uint8Array, bFrom: number, len: number): boolean {
  for (let i = 0; i < len; i++) if (a[aFrom + i] !== b[bFrom + i]) return false;
  return true;
}

/**
 * Whether `pattern`, read from the .gitattributes of directory `base` ("" for the root), matches
 * the regular file `path` (full repository path, bytes).
 */
function patternMatches(pat: AttrPattern, path: Uint8Array, base: Uint8Array): boolean {
  if (pat.mustBeDir) return false; // a file is never a directory
  const plen = pat.bytes.length;
  if (pat.noDir) {
    const slash = path.lastIndexOf(0x2f);
    const baseName = path.subarray(slash + 1);
    if (pat.noWildcardLen === plen) {
      return plen === baseName.length && bytesEqual(pat.bytes, 0, baseName, 0, plen);
    }
    if (pat.endsWith) {
      const n = plen - 1;
      return n <= baseName.length && bytesEqual(pat.bytes, 1, baseName, baseName.length - n, n);
    }
    return wildmatch(pat.bytes, baseName, false);
  }
  let pattern = pat.bytes;
  let prefix = pat.noWildcardLen;
  if (pattern[0] === 0x2f) {
    pattern = pattern.subarray(1);
    prefix--;
  }
  const baseLen = base.length;
  if (path.length < baseLen + 1) return false;
  if (baseLen > 0 && (path[baseLen] !== 0x2f || !bytesEqual(path, 0, base, 0, baseLen))) return false;
  let name = baseLen > 0 ? path.subarray(baseLen + 1) : path;
  if (prefix > 0) {
    if (prefix > name.length) return false;
    if (!bytesEqual(pattern, 0, name, 0, prefix)) return false;
    pattern = pattern.subarray(prefix);
    name = name.subarray(prefix);
    if (pattern.length === 0 && name.length === 0) return true;
  }
  return wildmatch(pattern, name, true);
}

/** One level of git's attribute stack: a parsed file and the directory holding it. */
export interface AttrStackLevel {
  /** Directory of the .gitattributes file, "" for the repository root. */
  readonly dir: string;
  readonly file: AttrFile;
}

/**
 * Attributes of the regular file `path`, given the .gitattributes files along its path ordered
 * from the root to the deepest directory. Absent keys are unspecified.
 */
export function attributesFor(path: string, levels: readonly AttrStackLevel[]): Map<string, AttrValue> {
  // Macro definitions: the root file may define them (last definition wins), then the builtins.
  const macros = new Map<string, readonly AttrState[]>();
  for (const level of [...levels].reverse()) {
    for (const [name, states] of [...level.file.macros].reverse()) {
      if (!macros.has(name)) macros.set(name, states);
    }
  }
  for (const [name, states] of BUILTIN_MACROS) if (!macros.has(name)) macros.set(name, states);

  const values = new Map<string, AttrValue>();
  const fillOne = (states: readonly AttrState[]): void => {
    for (let i = states.length - 1; i >= 0; i--) {
      const state = states[i];
      if (!state) continue;
      const [name, value] = state;
      if (values.has(name)) continue;
      values.set(name, value);
      const macro = macros.get(name);
      if (macro && value === true) fillOne(macro);
    }
  };

  const pathBytes = Buffer.from(path, 'utf8');
  for (let l = levels.length - 1; l >= 0; l--) {
    const level = levels[l];
    if (!level) continue;
    const base = Buffer.from(level.dir, 'utf8');
    const rules = level.file.rules;
    for (let i = rules.length - 1; i >= 0; i--) {
      const rule = rules[i];
      if (rule && patternMatches(rule.pattern, pathBytes, base)) fillOne(rule.states);
    }
  }
  for (const [k, v] of values) if (v === null) values.delete(k);
  return values;
}

/** Directories whose .gitattributes apply to `path`: "", "a", "a/b" for `a/b/c.go`. */
export function attributeDirs(path: string): string[] {
  const dirs = [''];
  let i = path.indexOf('/');
  while (i >= 0) {
    dirs.push(path.slice(0, i));
    i = path.indexOf('/', i + 1);
  }
  return dirs;
}

/**
 * Caches parsed .gitattributes files per directory and answers attribute queries. `load(dir)`
 * returns the raw blob of `<dir>/.gitattributes` (or `.gitattributes` for ""), or null.
 */
export function createAttributeResolver(load: (dir: string) => Promise<Uint8Array | null>): {
  attributes(path: string): Promise<Map<string, AttrValue>>;
} {
  const cache = new Map<string, Promise<AttrFile | null>>();
  const fileFor = (dir: string): Promise<AttrFile | null> => {
    let p = cache.get(dir);
    if (!p) {
      p = load(dir).then((blob) => (blob ? parseGitattributes(blob, { macrosAllowed: dir === '' }) : null));
      cache.set(dir, p);
    }
    return p;
  };
  return {
    async attributes(path: string): Promise<Map<string, AttrValue>> {
      const levels: AttrStackLevel[] = [];
      for (const dir of attributeDirs(path)) {
        const file = await fileFor(dir);
        if (file) levels.push({ dir, file });
      }
      return attributesFor(path, levels);
    },
  };
}
