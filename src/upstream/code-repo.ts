/**
 * A module inside a code repository: the go command's modfetch codeRepo (coderepo.go), over a
 * CodeHost. It turns tags into the version list, resolves queries (tags, branches, hashes, HEAD,
 * pseudo-versions) into canonical versions exactly as cmd/go does, and locates the module's go.mod.
 * Spec: goproxy-spec.md §1.6, §2.4–2.6, §3.2–3.4.
 */
import { NotFoundError } from '../errors.js';
import { checkPath, matchPathMajor, pathMajorPrefix, splitPathVersion } from '../module/check-path.js';
import { findModuleDir, majorSubdir } from '../module/gomod.js';
import {
  isPseudoVersion,
  pseudoVersion,
  pseudoVersionBase,
  pseudoVersionRev,
  pseudoVersionTime,
} from '../module/pseudo.js';
import { isRetracted, parseRetractions, retractionSource } from '../module/retract.js';
import { canonical, canonicalVersion, compare, isValid, major, sortVersions } from '../module/semver.js';
import type { CodeHost, CodeRevInfo } from './code-host.js';
import { formatGoTime, type RevInfo } from './rev-info.js';

export interface ModuleLocation {
  /** Commit hash. */
  rev: string;
  /** Directory of the module inside the repository ("" = root). */
  dir: string;
  /** Raw go.mod bytes, or null when the module has none (synthesized .mod). */
  goMod: Uint8Array | null;
}

export interface CodeRepoParams {
  /** Module path as requested (exact case). */
  modPath: string;
  /** Import path of the repository root, e.g. `github.com/Owner/repo`. */
  codeRoot: string;
}

/** Thrown for anything the go command reports as "not found / invalid version" (→ 404). */
function notFound(message: string): NotFoundError {
  return new NotFoundError(message);
}

export class CodeRepo {
  readonly modPath: string;
  readonly codeRoot: string;
  readonly codeDir: string;
  readonly pathPrefix: string;
  readonly pathMajor: string;
  readonly pseudoMajor: string;
  private readonly tagPrefix: string;

  constructor(
    private readonly code: CodeHost,
    params: CodeRepoParams,
  ) {
    const { modPath, codeRoot } = params;
    checkPath(modPath);
    const split = splitPathVersion(modPath);
    if (split === null) throw notFound(`invalid module path ${modPath}`);
    const { prefix: pathPrefix, pathMajor } = split;
    let codeDir = '';
    if (codeRoot !== modPath) {
      if (!pathPrefix.startsWith(codeRoot + '/') && pathPrefix !== codeRoot) {
        throw notFound(`mismatched repo: found ${codeRoot} for ${modPath}`);
      }
      codeDir = pathPrefix.slice(codeRoot.length).replace(/^\/+|\/+$/g, '');
    }
    this.modPath = modPath;
    this.codeRoot = codeRoot;
    this.codeDir = codeDir;
    this.pathPrefix = pathPrefix;
    this.pathMajor = pathMajor;
    this.pseudoMajor = pathMajorPrefix(pathMajor);
    this.tagPrefix = codeDir === '' ? '' : codeDir + '/';
  }

  private prefixed(msg: string): string {
    return `${this.modPath}: ${msg}`;
  }

  private invalidVersion(version: string, msg: string): NotFoundError {
    return notFound(`${this.modPath}@${version}: invalid version: ${msg}`);
  }

  // ---------------------------------------------------------------------------------------------
  // Versions

  /** The `@v/list` versions: canonical tags of this module, plus `+incompatible` ones (§1.6, §2.6). */
  async versions(signal: AbortSignal): Promise<string[]> {
    if (this.pathMajor.startsWith('.v') && this.pathMajor.endsWith('-unstable')) return [];
    const tags = await this.code.tags(signal);
    const list: string[] = [];
    const incompatible: string[] = [];
    for (const tag of tags.keys()) {
      if (!tag.startsWith(this.tagPrefix)) continue;
      const v = tag.slice(this.tagPrefix.length);
      if (v === '' || v !== canonical(v) || isPseudoVersion(v)) continue;
      if (!matchPathMajor(v, this.pathMajor)) {
        if (this.codeDir === '' && this.pathMajor === '' && compare(major(v), 'v1') > 0) incompatible.push(v);
        continue;
      }
      list.push(v);
    }
    const sorted = sortVersions(list);
    return [...sorted, ...(await this.incompatibleVersions(sorted, incompatible, tags, signal))];
  }

  private async incompatibleVersions(
    list: readonly string[],
    incompatible: string[],
    tags: ReadonlyMap<string, string>,
    signal: AbortSignal,
  ): Promise<string[]> {
    if (incompatible.length === 0) return [];
    const hasGoMod = async (v: string): Promise<boolean> => {
      const commit = tags.get(v);
      if (commit === undefined) return false;
      return (await this.code.readFile(commit, 'go.mod', signal)) !== null;
    };
    const highest = list[list.length - 1];
    // If the latest compatible version has a go.mod, the module opted into semantic import
    // versioning: no +incompatible versions at all.
    if (highest !== undefined && (await hasGoMod(highest))) return [];
    const out: string[] = [];
    const sorted = sortVersions(incompatible);
    let lastMajor = '';
    let lastMajorHasGoMod = false;
    for (let i = 0; i < sorted.length; i++) {
      const v = sorted[i] as string;
      const m = major(v);
      if (m !== lastMajor) {
        let j = i;
        while (j + 1 < sorted.length && major(sorted[j + 1] as string) === m) j++;
        lastMajorHasGoMod = await hasGoMod(sorted[j] as string);
        lastMajor = m;
      }
      if (!lastMajorHasGoMod) out.push(v + '+incompatible');
    }
    return out;
  }

  // ---------------------------------------------------------------------------------------------
  // Stat / Latest

  /** Resolves a query (version, tag, branch, hash, HEAD) into a canonical RevInfo (§2.5). */
  async stat(rev: string, signal: AbortSignal): Promise<RevInfo> {
    const codeRev = this.revToRev(rev);
    let info: CodeRevInfo;
    try {
      info = await this.code.stat(codeRev, signal);
    } catch (err) {
      if (err instanceof NotFoundError) throw this.invalidVersion(rev, err.message);
      throw err;
    }
    return this.convert(info, rev, signal);
  }

  /** `@latest`: the default branch head, converted (its tag, or a pseudo-version). */
  async latest(signal: AbortSignal): Promise<RevInfo> {
    const info = await this.code.latest(signal);
    return this.convert(info, '', signal);
  }

  private revToRev(rev: string): string {
    if (isValid(rev)) {
      if (isPseudoVersion(rev)) return pseudoVersionRev(rev);
      const r = rev.endsWith('+incompatible') ? rev.slice(0, -'+incompatible'.length) : rev;
      return this.tagPrefix + r;
    }
    return rev;
  }

  private async convert(info: CodeRevInfo, statVers: string, signal: AbortSignal): Promise<RevInfo> {
    const incompatibleOk = new Map<string, boolean>();
    const canUseIncompatible = async (v: string): Promise<boolean> => {
      if (this.codeDir !== '' || this.pathMajor !== '') return false;
      let ok = incompatibleOk.get('');
      if (ok === undefined) {
        ok = (await this.code.readFile(info.name, 'go.mod', signal)) === null;
        incompatibleOk.set('', ok);
      }
      if (!ok) return false;
      if (v !== '' && !statVers.endsWith('+incompatible')) {
        const m = major(v);
        let okMajor = incompatibleOk.get(m);
        if (okMajor === undefined) {
          okMajor = (await this.code.readFile(info.name, `${m}/go.mod`, signal)) === null;
          incompatibleOk.set(m, okMajor);
        }
        if (!okMajor) return false;
      }
      return true;
    };

    const checkCanonical = async (version: string): Promise<RevInfo> => {
      let v = version;
      await this.findDir(info.name, v, signal);
      if (v === statVers.replace(/\+incompatible$/, '')) v = statVers;
      const base = v.replace(/\+incompatible$/, '');
      let errIncompatible: NotFoundError | null = null;
      if (!matchPathMajor(base, this.pathMajor)) {
        if (await canUseIncompatible(base)) {
          v = base + '+incompatible';
        } else if (this.pathMajor !== '') {
          errIncompatible = this.invalidVersion(
            v,
            'module path includes a major version suffix, so major version must match',
          );
        } else {
          errIncompatible = this.invalidVersion(
            v,
            `module contains a go.mod file, so module path must match major version ("${this.pathPrefix}/${major(v)}")`,
          );
        }
      } else if (v.endsWith('+incompatible')) {
        errIncompatible = this.invalidVersion(
          v,
          `+incompatible suffix not allowed: major version ${major(v)} is compatible`,
        );
      }
      if (statVers !== '' && statVers === canonicalVersion(statVers)) {
        const statBase = statVers.replace(/\+incompatible$/, '');
        if (statBase !== base) {
          throw this.invalidVersion(statVers, `resolves to version ${v} (${statBase} is not a tag)`);
        }
      }
      if (errIncompatible) throw errIncompatible;
      return this.revInfo(info, v);
    };

    if (isPseudoVersion(statVers)) {
      const revInfo = await checkCanonical(statVers);
      await this.validatePseudoVersion(info, statVers, signal);
      return revInfo;
    }

    const tagToVersion = (tag: string): { v: string; isCanonical: boolean } => {
      if (!tag.startsWith(this.tagPrefix)) return { v: '', isCanonical: false };
      const trimmed = tag.slice(this.tagPrefix.length);
      // Tags that look like pseudo-versions would be confusing (cmd/go checks the whole tag).
      if (isPseudoVersion(tag)) return { v: '', isCanonical: false };
      const v = canonical(trimmed);
      if (v === '' || !trimmed.startsWith(v)) return { v: '', isCanonical: false };
      return { v, isCanonical: v === trimmed };
    };

    {
      const { v, isCanonical } = tagToVersion(info.version);
      if (isCanonical) {
        try {
          return await checkCanonical(v);
        } catch (err) {
          if (!(err instanceof NotFoundError)) throw err;
        }
      }
    }

    // Read after the canonical-tag answer, which never depends on them (cmd/go reads them first
    // and ignores its errors, so the result is the same without the extra go.mod read).
    const isRetracted = await this.retractedVersions(signal);

    let highestCanonical = '';
    let pseudoBase = '';
    for (const pathTag of info.tags) {
      const { v, isCanonical } = tagToVersion(pathTag);
      if (statVers !== '' && v !== '' && compare(v, statVers) === 0) {
        if (isCanonical) return checkCanonical(v);
        pseudoBase = v;
      }
      if (isCanonical && compare(highestCanonical, v) < 0 && !isRetracted(v)) {
        if (matchPathMajor(v, this.pathMajor) || (await canUseIncompatible(v))) highestCanonical = v;
      }
    }
    if (highestCanonical !== '') return checkCanonical(highestCanonical);

    if (pseudoBase === '') {
      const tag = await this.recentTag(
        info.name,
        async (t) => {
          const { v } = tagToVersion(t);
          if (v === '') return false;
          if (!matchPathMajor(v, this.pathMajor) && !(await canUseIncompatible(v))) return false;
          return !isRetracted(v);
        },
        signal,
      );
      if (tag !== '') pseudoBase = tagToVersion(tag).v;
    }
    return checkCanonical(
      pseudoVersion(this.pseudoMajor, pseudoBase, new Date(info.time * 1000), info.short),
    );
  }

  /** The highest allowed tag (by semver) among the tags that are ancestors-or-self of `commit`. */
  private async recentTag(
    commit: string,
    allowed: (tag: string) => Promise<boolean>,
    signal: AbortSignal,
  ): Promise<string> {
    const tags = await this.code.tags(signal);
    const candidates: string[] = [];
    for (const tag of tags.keys()) {
      if (tag.startsWith(this.tagPrefix) && (await allowed(tag))) candidates.push(tag);
    }
    // Highest first; the first one that is an ancestor wins.
    candidates.sort((a, b) => compare(b.slice(this.tagPrefix.length), a.slice(this.tagPrefix.length)));
    for (const tag of candidates) {
      const target = tags.get(tag);
      if (target !== undefined && (await this.code.descendsFrom(commit, target, signal))) return tag;
    }
    return '';
  }

  private async validatePseudoVersion(
    info: CodeRevInfo,
    version: string,
    signal: AbortSignal,
  ): Promise<void> {
    const bad = (msg: string): NotFoundError => this.invalidVersion(version, msg);
    const rev = pseudoVersionRev(version);
    if (rev !== info.short) {
      if (rev.startsWith(info.short)) throw bad(`revision is longer than canonical (expected ${info.short})`);
      if (info.short.startsWith(rev))
        throw bad(`revision is shorter than canonical (expected ${info.short})`);
      throw bad(`does not match short name of revision (expected ${info.short})`);
    }
    const t = pseudoVersionTime(version);
    if (t.getTime() !== info.time * 1000) {
      throw bad(`does not match version-control timestamp (expected ${formatPseudoTime(info.time)})`);
    }
    const base = pseudoVersionBase(version.replace(/\+incompatible$/, ''));
    if (base === '') {
      if (this.pseudoMajor === '' && major(version) === 'v1') {
        throw bad('major version without preceding tag must be v0, not v1');
      }
      return;
    }
    for (const tag of info.tags) {
      const versionOnly = tag.startsWith(this.tagPrefix) ? tag.slice(this.tagPrefix.length) : tag;
      if (versionOnly === base) {
        throw bad(
          `tag (${tag}) found on revision ${rev} is already canonical, so should not be replaced with a pseudo-version derived from that tag`,
        );
      }
    }
    const tags = await this.code.tags(signal);
    let lastTag = '';
    for (const [tag, target] of [...tags].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      if (!tag.startsWith(this.tagPrefix + base)) continue;
      const versionOnly = tag.slice(this.tagPrefix.length);
      if (compare(versionOnly, base) !== 0) continue;
      lastTag = tag;
      if (await this.code.descendsFrom(info.name, target, signal)) return;
    }
    if (lastTag === '') throw bad(`preceding tag (${base}) not found`);
    throw bad(`revision ${rev} is not a descendent of preceding tag (${lastTag})`);
  }

  /** The retraction predicate once known for this instance (see retractedVersions). */
  private retracted: ((v: string) => boolean) | undefined;

  /**
   * coderepo.go retractedVersions (§2.5): the `retract` directives of the go.mod of the highest
   * release in the version list (else the highest prerelease; `+incompatible` entries removed
   * first), read with ParseLax. Any failure means "nothing retracted", as in cmd/go. Only answers
   * that cannot change while this instance lives (found, absent, unparsable, findDir refused) are
   * cached; an aborted signal is rethrown so that no answer is built on a half-read state.
   */
  private async retractedVersions(signal: AbortSignal): Promise<(v: string) => boolean> {
    if (this.retracted !== undefined) return this.retracted;
    const none = (_v: string): boolean => false;
    try {
      const source = retractionSource(await this.versions(signal));
      let predicate = none;
      const commit =
        source === null ? undefined : (await this.code.tags(signal)).get(this.tagPrefix + source);
      if (source !== null && commit !== undefined) {
        const { goMod } = await this.findDir(commit, source, signal);
        // No go.mod: the synthesized `module <path>` retracts nothing.
        const retractions = goMod === null ? null : parseRetractions(goMod);
        if (retractions !== null && retractions.length > 0) predicate = (v) => isRetracted(v, retractions);
      }
      this.retracted = predicate;
      return predicate;
    } catch (err) {
      signal.throwIfAborted();
      if (err instanceof NotFoundError) this.retracted = none;
      return none;
    }
  }

  private revInfo(info: CodeRevInfo, version: string): RevInfo {
    const origin: RevInfo['Origin'] = { VCS: 'git', URL: this.code.url, Hash: info.name };
    if (this.codeDir !== '') origin.Subdir = this.codeDir;
    if (!isPseudoVersion(version) && info.ref !== undefined) origin.Ref = info.ref;
    return { Version: version, Time: formatGoTime(info.time), Origin: origin };
  }

  // ---------------------------------------------------------------------------------------------
  // Locating the module (findDir) and its go.mod

  /** findDir (§3.3): where the module lives at `rev`, and its raw go.mod. Throws NotFoundError. */
  async findDir(rev: string, version: string, signal: AbortSignal): Promise<ModuleLocation> {
    try {
      const found = await findModuleDir({
        codeRoot: this.codeRoot,
        modPath: this.modPath,
        codeDir: this.codeDir,
        pathMajor: this.pathMajor,
        version,
        rev,
        readFile: (p) => this.code.readFile(rev, p, signal),
      });
      return { rev, dir: found.moduleDir, goMod: found.goMod };
    } catch (err) {
      if (err instanceof NotFoundError) throw this.invalidVersion(version, err.message);
      throw err;
    }
  }

  /**
   * Where `locate(version)` will look, found without reading a file: the commit the version names
   * and the directories findDir considers (`<codeDir>`, and `<codeDir>/vN` for a `/vN` path). Lets
   * a fill fetch the go.mod files findDir reads together with the module's other files. Throws
   * NotFoundError (or InvalidRequestError for a malformed pseudo-version) when a check that needs no
   * file already fails — a version of another major, a pseudo-version that does not name its
   * commit's hash and time, a revision that does not exist: `locate` then reports it, in Go's
   * words, without the fill having fetched any file.
   */
  async likelyLocation(
    version: string,
    signal: AbortSignal,
  ): Promise<{ rev: string; dir: string; majorDir: string | null }> {
    if (!matchPathMajor(version, this.pathMajor))
      throw notFound(`${version}: not a version of ${this.modPath}`);
    const info = await this.code.stat(this.revToRev(version), signal);
    if (
      isPseudoVersion(version) &&
      (pseudoVersionRev(version) !== info.short || pseudoVersionTime(version).getTime() !== info.time * 1000)
    ) {
      throw notFound(`${version}: does not match its commit`);
    }
    return { rev: info.name, dir: this.codeDir, majorDir: majorSubdir(this) };
  }

  /**
   * Resolves a canonical version for `.mod`/`.zip`: stats it (which validates pseudo-versions and
   * +incompatible) and requires the result to be exactly `version`; then locates the module.
   */
  async locate(version: string, signal: AbortSignal): Promise<{ info: RevInfo; location: ModuleLocation }> {
    if (version !== canonicalVersion(version) || !isValid(version)) {
      throw this.invalidVersion(version, `version ${version} is not canonical`);
    }
    const info = await this.stat(version, signal);
    if (info.Version !== version) {
      throw this.invalidVersion(version, `resolves to version ${info.Version}`);
    }
    const hash = info.Origin?.Hash;
    if (hash === undefined) throw this.invalidVersion(version, 'no revision');
    const location = await this.findDir(hash, version, signal);
    return { info, location };
  }

  describe(): string {
    return this.prefixed(`repo ${this.codeRoot} dir "${this.codeDir}" major "${this.pathMajor}"`);
  }
}

function formatPseudoTime(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace(/[-:T]/g, '').slice(0, 14);
}
