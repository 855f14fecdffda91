/**
 * The git-backed ModuleSource: github.com modules straight from GitHub's git endpoint, other hosts
 * through go-import discovery. Each call opens a CodeHost on the repository (refs listed once per
 * call) and a CodeRepo for the module; zips are built from exactly the module's blobs.
 */
import { PassThrough, Readable } from 'node:stream';
import { InvalidRequestError, NotFoundError, UpstreamError } from '../errors.js';
import { createGitRemote, type BlobSet, type GitRemote, type TreeEntry } from '../git/remote.js';
import { joinPath, modFileFor } from '../module/gomod.js';
import { prepareModuleZip, type TreeEntry as ZipTreeEntry } from '../module/module-zip.js';
import type { ZipBuild } from '../service/artifact-store.js';
import type { Telemetry } from '../telemetry.js';
import { CodeRepo } from './code-repo.js';
import { createGitCodeHost, isFile, type GitCodeHost } from './git-code-host.js';
import { hostOf, politeRemote, type HostGate } from './politeness.js';
import type { RepoLocation, RepoResolver } from './repo-resolver.js';
import type { BuiltVersion, ModuleSource } from './source.js';

export interface GitSourceOptions {
  resolver: RepoResolver;
  /** Token for github.com repositories only (never sent to other hosts). */
  githubToken: string | undefined;
  idleTimeoutMs: number;
  tempDir: string;
  /** Every request made to a git host is reported here. */
  telemetry: Pick<Telemetry, 'upstream'>;
  /** How long an opened repository (its refs, trees, small files) is reused; default 10 s. */
  reuseMs?: number;
  /** Per-host concurrency limit, retries and rate-limit circuit; none when unset. */
  gate?: HostGate;
}

interface OpenRepo {
  remote: GitRemote;
  host: GitCodeHost;
}

/**
 * Deflate level of stored zips. The go command checks `h1:` over file contents, never the zip bytes,
 * so the level is ours to choose: 1 builds about twice as fast as 6 for a slightly larger zip.
 */
const ZIP_LEVEL = 1;

async function* emptyStream(): AsyncIterable<Uint8Array> {
  // a gitlink has no content
}

/** Blob ids the zip of a module in `dir` needs: its files, the root LICENSE, .gitattributes on the way. */
export function neededEntries(tree: readonly TreeEntry[], dir: string): TreeEntry[] {
  const prefix = dir === '' ? '' : `${dir}/`;
  const ancestors = new Set<string>(['']);
  if (dir !== '') {
    const parts = dir.split('/');
    for (let i = 1; i < parts.length; i++) ancestors.add(parts.slice(0, i).join('/'));
  }
  return tree.filter((e) => {
    if (!isFile(e)) return e.path.startsWith(prefix);
    if (e.path.startsWith(prefix)) return true;
    if (dir !== '' && e.path === 'LICENSE') return true;
    const slash = e.path.lastIndexOf('/');
    const parent = slash < 0 ? '' : e.path.slice(0, slash);
    return (
      e.path.endsWith('.gitattributes') &&
      e.path.slice(slash + 1) === '.gitattributes' &&
      ancestors.has(parent)
    );
  });
}

interface LocatedVersion {
  info: BuiltVersion['info'];
  mod: Uint8Array;
  /** The module's directory in the repository. */
  dir: string;
  /** Tree entries the zip needs (neededEntries). */
  entries: TreeEntry[];
  /** Their blobs (the caller closes them). */
  blobs: BlobSet;
}

/**
 * Resolves and locates `version` (cmd/go's rules, `CodeRepo.locate`) and fetches the blobs of its
 * module: with the early pack (fetchLikelyBlobs) when it guessed right, which is nearly always, so
 * a fill costs one fetch for every file it reads; else the early pack is dropped and the right
 * blobs are fetched.
 */
async function locateAndFetch(
  { repo, remote, host }: OpenRepo & { repo: CodeRepo },
  version: string,
  signal: AbortSignal,
): Promise<LocatedVersion> {
  const early = await fetchLikelyBlobs(repo, host, remote, version, signal);
  try {
    // The go.mod files locate reads were taken from the early pack: they cost no request.
    const { info, location } = await repo.locate(version, signal);
    const mod = modFileFor(repo.modPath, location.goMod);
    const entries = neededEntries(await host.readTree(location.rev, signal), location.dir);
    if (early && early.rev === location.rev && early.dir === location.dir) {
      return { info, mod, dir: location.dir, entries, blobs: early.blobs };
    }
    await early?.blobs.close();
    const oids = [...new Set(entries.filter(isFile).map((e) => e.oid))];
    return { info, mod, dir: location.dir, entries, blobs: await remote.fetchBlobs(oids, signal) };
  } catch (err) {
    await early?.blobs.close();
    throw err;
  }
}

interface EarlyBlobs {
  rev: string;
  dir: string;
  blobs: BlobSet;
}

/**
 * One pack with everything a fill will read at the version's commit: the blobs of the directory
 * findDir will most likely pick (`<codeDir>/vN` when the tree has its go.mod, else `<codeDir>`),
 * and the go.mod files findDir reads to decide. Fetched before `locate`, and its go.mod files handed
 * to the code host, so locate's reads cost no request: a fill costs one fetch fewer than reading
 * go.mod on its own first. Null when the version names no commit (`locate` reports that, in Go's
 * words).
 */
async function fetchLikelyBlobs(
  repo: CodeRepo,
  host: GitCodeHost,
  remote: GitRemote,
  version: string,
  signal: AbortSignal,
): Promise<EarlyBlobs | null> {
  let likely: Awaited<ReturnType<CodeRepo['likelyLocation']>>;
  try {
    likely = await repo.likelyLocation(version, signal);
  } catch (err) {
    if (err instanceof NotFoundError || err instanceof InvalidRequestError) return null;
    throw err;
  }
  const tree = await host.readTree(likely.rev, signal);
  const has = (path: string): boolean => tree.some((e) => e.path === path && isFile(e));
  const goMods = new Set([joinPath(likely.dir, 'go.mod')]);
  let dir = likely.dir;
  if (likely.majorDir !== null) {
    const majorGoMod = joinPath(likely.majorDir, 'go.mod');
    goMods.add(majorGoMod);
    if (has(majorGoMod)) dir = likely.majorDir;
  }
  // What findDir and the +incompatible rule will refuse from the tree alone is not worth a pack:
  // a module directory without go.mod (only a root module of major v0/v1 may lack one), and a
  // +incompatible version of a commit with a root go.mod.
  const rootWithout = dir === '' && !repo.pathMajor.startsWith('/');
  if (!has(joinPath(dir, 'go.mod')) && !rootWithout) return null;
  if (version.endsWith('+incompatible') && has('go.mod')) return null;
  const wanted = neededEntries(tree, dir).filter(isFile);
  wanted.push(...tree.filter((e) => goMods.has(e.path) && isFile(e)));
  const blobs = await remote.fetchBlobs([...new Set(wanted.map((e) => e.oid))], signal);
  try {
    await host.takeFiles(likely.rev, [...goMods], blobs, signal);
  } catch (err) {
    await blobs.close();
    throw err;
  }
  return { rev: likely.rev, dir, blobs };
}

export function createGitSource(options: GitSourceOptions): ModuleSource {
  /**
   * Repositories opened in the last few seconds, shared by the calls of one client's burst
   * (`.info`, `.mod`, `.zip` of one version; many versions during `go list`): refs are listed once
   * and trees and small files are fetched once.
   */
  const recent = new Map<string, { opened: OpenRepo; at: number }>();
  const reuseMs = options.reuseMs ?? 10_000;

  function openRepo(loc: RepoLocation): OpenRepo {
    const now = Date.now();
    for (const [k, v] of recent) if (now - v.at > reuseMs) recent.delete(k);
    const cached = recent.get(loc.fetchUrl);
    if (cached) return cached.opened;
    const direct = createGitRemote({
      url: loc.fetchUrl,
      token: loc.source === 'github' ? options.githubToken : undefined,
      timeoutMs: options.idleTimeoutMs,
      tempDir: options.tempDir,
      onRequest: (e) => options.telemetry.upstream({ source: loc.source, ...e }),
    });
    const remote = options.gate ? politeRemote(direct, options.gate, hostOf(loc.fetchUrl)) : direct;
    const opened: OpenRepo = { remote, host: createGitCodeHost({ remote, url: loc.publicUrl }) };
    if (recent.size >= 256) recent.delete(recent.keys().next().value ?? '');
    recent.set(loc.fetchUrl, { opened, at: now });
    return opened;
  }

  /**
   * Module path → its repository, resolved in the last few seconds: a burst's list, .info, .mod and
   * .zip (and a canonical .info that is filled, then resolved) make one go-import discovery request
   * for a module on another host, not one each. Only answers are kept; failures are not.
   */
  const resolved = new Map<string, { location: RepoLocation; at: number }>();

  async function resolve(module: string, signal: AbortSignal): Promise<RepoLocation> {
    const now = Date.now();
    for (const [k, v] of resolved) if (now - v.at > reuseMs) resolved.delete(k);
    const known = resolved.get(module);
    if (known) return known.location;
    const location = await options.resolver.resolve(module, signal);
    if (resolved.size >= 256) resolved.delete(resolved.keys().next().value ?? '');
    resolved.set(module, { location, at: now });
    return location;
  }

  async function open(module: string, signal: AbortSignal): Promise<OpenRepo & { repo: CodeRepo }> {
    const loc = await resolve(module, signal);
    const opened = openRepo(loc);
    return { ...opened, repo: new CodeRepo(opened.host, { modPath: module, codeRoot: loc.codeRoot }) };
  }

  return {
    async list(module, signal) {
      const { repo } = await open(module, signal);
      return repo.versions(signal);
    },

    async latest(module, signal) {
      const { repo } = await open(module, signal);
      return repo.latest(signal);
    },

    async stat(module, query, signal) {
      const { repo } = await open(module, signal);
      return repo.stat(query, signal);
    },

    async build(module, version, signal): Promise<BuiltVersion> {
      const { info, mod, dir, entries, blobs } = await locateAndFetch(
        await open(module, signal),
        version,
        signal,
      );
      try {
        const files: ZipTreeEntry[] = [];
        for (const e of entries) {
          const blob = isFile(e);
          files.push({
            path: e.path,
            mode: e.mode,
            oid: e.oid,
            size: blob ? await blobs.size(e.oid) : 0,
            open: blob ? () => blobs.stream(e.oid) : emptyStream,
          });
        }
        const moduleZip = await prepareModuleZip({
          entries: files,
          moduleDir: dir,
          modulePath: module,
          version,
        });
        // The store records the h1 with the zip, so it is computed first: one extra read of the
        // blobs from the spooled pack on local disk, no extra upstream bytes.
        const hash = await moduleZip.hash();
        const pass = new PassThrough();
        const done = moduleZip.writeTo(pass, { compressionLevel: ZIP_LEVEL }).then(({ h1 }) => {
          if (h1 !== hash)
            throw new UpstreamError(`${module}@${version}: zip contents changed while writing`);
        });
        // Observed by the store after it has read the stream; a failed put must not leave it unhandled.
        done.catch(() => undefined);
        const zip: ZipBuild = { hash, stream: Readable.toWeb(pass) as ReadableStream<Uint8Array>, done };
        return { info, mod, zip, close: () => blobs.close() };
      } catch (err) {
        await blobs.close();
        throw err;
      }
    },
  };
}
