/**
 * The git-backed ModuleSource: github.com modules straight from GitHub's git endpoint, other hosts
 * through go-import discovery. Each call opens a CodeHost on the repository (refs listed once per
 * call) and a CodeRepo for the module; zips are built from exactly the module's blobs.
 */
import { PassThrough, Readable } from 'node:stream';
import { UpstreamError } from '../errors.js';
import { createGitRemote, type GitRemote, type TreeEntry } from '../git/remote.js';
import { modFileFor } from '../module/gomod.js';
import { prepareModuleZip, type TreeEntry as ZipTreeEntry } from '../module/module-zip.js';
import type { ZipBuild } from '../service/artifact-store.js';
import type { Telemetry } from '../telemetry.js';
import { CodeRepo } from './code-repo.js';
import { createGitCodeHost } from './git-code-host.js';
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
  host: ReturnType<typeof createGitCodeHost>;
}

const REGULAR = new Set([0o100644, 0o100755]);

/**
 * Deflate level of stored zips. The go command checks `h1:` over file contents, never the zip bytes,
 * so the level is ours to choose: 1 builds about twice as fast as 6 for a slightly larger zip.
 */
const ZIP_LEVEL = 1;

async function* emptyStream(): AsyncIterable<Uint8Array> {
  // a gitlink has no content
}
const SYMLINK = 0o120000;

/** Blob ids the zip of a module in `dir` needs: its files, the root LICENSE, .gitattributes on the way. */
export function neededEntries(tree: readonly TreeEntry[], dir: string): TreeEntry[] {
  const prefix = dir === '' ? '' : `${dir}/`;
  const ancestors = new Set<string>(['']);
  if (dir !== '') {
    const parts = dir.split('/');
    for (let i = 1; i < parts.length; i++) ancestors.add(parts.slice(0, i).join('/'));
  }
  return tree.filter((e) => {
    if (e.mode !== SYMLINK && !REGULAR.has(e.mode)) return e.path.startsWith(prefix);
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

  async function open(module: string, signal: AbortSignal): Promise<OpenRepo & { repo: CodeRepo }> {
    const loc = await options.resolver.resolve(module, signal);
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
      const { repo, remote, host } = await open(module, signal);
      const { info, location } = await repo.locate(version, signal);
      const mod = modFileFor(module, location.goMod);
      const tree = await host.readTree(location.rev, signal);
      const entries = neededEntries(tree, location.dir);
      const blobIds = [
        ...new Set(entries.filter((e) => e.mode === SYMLINK || REGULAR.has(e.mode)).map((e) => e.oid)),
      ];
      const blobs = await remote.fetchBlobs(blobIds, signal);
      try {
        const files: ZipTreeEntry[] = [];
        for (const e of entries) {
          const isBlob = e.mode === SYMLINK || REGULAR.has(e.mode);
          files.push({
            path: e.path,
            mode: e.mode,
            oid: e.oid,
            size: isBlob ? await blobs.size(e.oid) : 0,
            open: isBlob ? () => blobs.stream(e.oid) : emptyStream,
          });
        }
        const moduleZip = await prepareModuleZip({
          entries: files,
          moduleDir: location.dir,
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
