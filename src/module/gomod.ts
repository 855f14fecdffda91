/**
 * go.mod rules of direct mode (spec §2.6, §3.3, §3.4): modfile.ModulePath, isMajor, locating the
 * module's go.mod in a revision (coderepo.go findDir), the `.mod` bytes (raw or synthesized with
 * AutoQuote), and the inputs of canUseIncompatible.
 *
 * go.mod files are read as `git cat-file blob <rev>:<path>` reads them: the raw blob bytes with no
 * attribute conversion; a symlink yields its link text; a tree or a gitlink does not exist.
 */
import { NotFoundError } from '../errors.js';
import { goQuote, pathMajorPrefix, splitPathVersion } from './check-path.js';
import { autoQuote, goTrimSpace, goUnquote } from './go-strings.js';
import { major } from './semver.js';

/**
 * Reads a file of the revision as `git cat-file blob` does: raw bytes of a regular file or the
 * link text of a symlink; null if the path is absent, a tree or a gitlink.
 */
export type RevisionFileReader = (repoPath: string) => Promise<Uint8Array | null>;

/** modfile.ModulePath: the module path a go.mod declares, or "" (missing or malformed). */
export function modulePath(goMod: Uint8Array | string): string {
  const text =
    typeof goMod === 'string' ? goMod : new TextDecoder('utf-8', { ignoreBOM: true }).decode(goMod);
  for (const raw of text.split('\n')) {
    let line = raw;
    const cut = line.indexOf('//');
    if (cut >= 0) line = line.slice(0, cut);
    line = goTrimSpace(line);
    if (!line.startsWith('module')) continue;
    line = line.slice('module'.length);
    const n = line.length;
    line = goTrimSpace(line);
    if (line.length === n || line.length === 0) continue;
    if (line.startsWith('"') || line.startsWith('`')) return goUnquote(line) ?? '';
    return line;
  }
  return '';
}

/**
 * coderepo.go isMajor: whether a go.mod declaring `mpath` can serve a module path whose major
 * suffix is `pathMajor`. Only the major suffixes are compared, never the full paths.
 */
export function isMajor(mpath: string, pathMajor: string): boolean {
  if (mpath === '') return false;
  const split = splitPathVersion(mpath);
  if (!split) return false;
  if (pathMajor === '') {
    const p = pathMajorPrefix(split.pathMajor);
    return p === '' || p === 'v0' || p === 'v1';
  }
  if (split.pathMajor === '') return false;
  return pathMajor.slice(1) === split.pathMajor.slice(1);
}

/** The `.mod` synthesized when a module has no go.mod: `module <AutoQuote(path)>\n`. */
export function legacyGoMod(modPath: string): Uint8Array {
  return new TextEncoder().encode(`module ${autoQuote(modPath)}\n`);
}

/** The exact `.mod` bytes: the raw go.mod found by findModuleDir, or the synthesized one. */
export function modFileFor(modPath: string, goMod: Uint8Array | null): Uint8Array {
  return goMod ?? legacyGoMod(modPath);
}

export interface FindModuleDirInput {
  /** Repository import path, e.g. `github.com/o/r`. */
  readonly codeRoot: string;
  /** Requested module path (exact case), e.g. `github.com/o/r/tools/v2`. */
  readonly modPath: string;
  /** Module directory inside the repository, "" for the root (modPath prefix minus codeRoot). */
  readonly codeDir: string;
  /** `/vN`, `.vN`, `.vN-unstable` or "". */
  readonly pathMajor: string;
  /** The version being served (for the "post-vN" message). */
  readonly version: string;
  /** The revision as Go names it in messages (tag name or commit hash). */
  readonly rev: string;
  readonly readFile: RevisionFileReader;
}

export interface ModuleLocation {
  /** Repository directory whose files make up the zip: "", codeDir or codeDir/vN. */
  readonly moduleDir: string;
  /** Raw go.mod bytes, or null when the module has none (only allowed at the root). */
  readonly goMod: Uint8Array | null;
}

/** `dir/name`, or `name` in the root (""). */
export function joinPath(dir: string, name: string): string {
  return dir === '' ? name : `${dir}/${name}`;
}

/**
 * The major-version subdirectory findModuleDir also looks in (`<codeDir>/vN` for a `/vN` module
 * path below its repository root), or null when there is none to look in.
 */
export function majorSubdir(
  input: Pick<FindModuleDirInput, 'codeRoot' | 'modPath' | 'codeDir' | 'pathMajor'>,
): string | null {
  const { codeRoot, modPath, codeDir, pathMajor } = input;
  if (pathMajor === '' || codeRoot === modPath || pathMajor.startsWith('.')) return null;
  return joinPath(codeDir, pathMajor.slice(1));
}

/**
 * coderepo.go findDir: where the module lives in the revision and which go.mod it has. Throws
 * NotFoundError with Go's message when the layout does not serve this path.
 */
export async function findModuleDir(input: FindModuleDirInput): Promise<ModuleLocation> {
  const { codeRoot, modPath, codeDir, pathMajor, rev, readFile } = input;
  const pathPrefix = splitPathVersion(modPath)?.prefix ?? modPath;
  const file1 = joinPath(codeDir, 'go.mod');
  const gomod1 = await readFile(file1);
  const mpath1 = gomod1 ? modulePath(gomod1) : '';
  const found1 =
    gomod1 !== null && (isMajor(mpath1, pathMajor) || (pathMajor === '' && mpath1.startsWith('gopkg.in/')));

  let file2 = '';
  const dir2 = majorSubdir(input);
  if (dir2 !== null) {
    file2 = joinPath(dir2, 'go.mod');
    const gomod2 = await readFile(file2);
    const mpath2 = gomod2 ? modulePath(gomod2) : '';
    const found2 = gomod2 !== null && isMajor(mpath2, pathMajor);
    if (found1 && found2) {
      throw new NotFoundError(
        `${pathPrefix}/${file1} and ...${pathMajor}/go.mod both have ...${pathMajor} module paths at revision ${rev}`,
      );
    }
    if (found2) return { moduleDir: dir2, goMod: gomod2 };
    if (gomod2 !== null) {
      if (mpath2 === '')
        throw new NotFoundError(`${codeRoot}/${file2} is missing module path at revision ${rev}`);
      throw new NotFoundError(
        `${codeRoot}/${file2} has non-...${pathMajor} module path ${goQuote(mpath2)} at revision ${rev}`,
      );
    }
  }

  if (found1) return { moduleDir: codeDir, goMod: gomod1 };
  if (gomod1 !== null) {
    const suffix = file2 !== '' ? ` (and ...${pathMajor}/go.mod does not exist)` : '';
    if (mpath1 === '') throw new NotFoundError(`${file1} is missing module path${suffix} at revision ${rev}`);
    if (pathMajor !== '') {
      throw new NotFoundError(
        `${file1} has non-...${pathMajor} module path ${goQuote(mpath1)}${suffix} at revision ${rev}`,
      );
    }
    if (!splitPathVersion(mpath1)) {
      throw new NotFoundError(
        `${file1} has malformed module path ${goQuote(mpath1)}${suffix} at revision ${rev}`,
      );
    }
    throw new NotFoundError(
      `${file1} has post-${major(input.version)} module path ${goQuote(mpath1)}${suffix} at revision ${rev}`,
    );
  }
  if (codeDir === '' && (pathMajor === '' || pathMajor.startsWith('.')))
    return { moduleDir: '', goMod: null };
  if (file2 !== '') {
    throw new NotFoundError(`missing ${pathPrefix}/go.mod and ...${pathMajor}/go.mod at revision ${rev}`);
  }
  throw new NotFoundError(`missing ${pathPrefix}/go.mod at revision ${rev}`);
}

export interface IncompatibleInput {
  readonly codeDir: string;
  readonly pathMajor: string;
  /** The version whose major is checked (`v2.0.0`), or "" to check only the root go.mod. */
  readonly version: string;
  /** The version or revision as requested (a request ending in `+incompatible` skips the vN check). */
  readonly requested: string;
  /** Reads files of the commit being resolved. */
  readonly readFile: RevisionFileReader;
}

/**
 * coderepo.go canUseIncompatible (spec §2.6): +incompatible needs a root module path without a
 * major suffix, no go.mod at the repository root, and (unless the request itself ends in
 * `+incompatible`) no `vN/go.mod` for the version's major.
 */
export async function canUseIncompatible(input: IncompatibleInput): Promise<boolean> {
  if (input.codeDir !== '' || input.pathMajor !== '') return false;
  if ((await input.readFile('go.mod')) !== null) return false;
  if (input.version !== '' && !input.requested.endsWith('+incompatible')) {
    const m = major(input.version);
    if ((await input.readFile(`${m}/go.mod`)) !== null) return false;
  }
  return true;
}
