/**
 * CodeHost over the git smart-HTTP client: the go command's codehost/git.go, without a local
 * clone. Refs are listed once per instance (one fill); trees, small files and the commit graph are
 * fetched on demand and kept for the instance's lifetime. Only commits reachable from a branch, a
 * tag or HEAD resolve (spec §2.5, §7.35): PR refs and fork objects are refused.
 */
import { NotFoundError, UpstreamError } from '../errors.js';
import type { CommitGraph } from '../git/commit-graph.js';
import type { BlobSet, GitRemote, RefList, TreeEntry } from '../git/remote.js';
import type { CodeHost, CodeRevInfo } from './code-host.js';

const MIN_HASH_DIGITS = 7;
const MAX_SMALL_FILE = 16 << 20;

/** A tree entry with content: a regular or executable file, or a symlink (read as its target text). */
export function isFile(e: TreeEntry): boolean {
  return e.mode === 0o100644 || e.mode === 0o100755 || e.mode === 0o120000;
}

export interface GitCodeHostOptions {
  remote: GitRemote;
  /** Public repository URL for `.info` Origin (e.g. `https://github.com/o/r`). */
  url: string;
}

export interface GitCodeHost extends CodeHost {
  readTree(commit: string, signal: AbortSignal): Promise<TreeEntry[]>;
  /**
   * Makes `readFile(commit, path)` answer these paths from `blobs`, a pack the caller fetched (with
   * the module's files), instead of fetching each file on its own. Paths absent from the commit, not
   * files, not in `blobs`, or too large are left to readFile. The caller keeps owning `blobs`.
   */
  takeFiles(commit: string, paths: readonly string[], blobs: BlobSet, signal: AbortSignal): Promise<void>;
}

export function createGitCodeHost(options: GitCodeHostOptions): GitCodeHost {
  const { remote } = options;
  let refsPromise: Promise<RefList> | undefined;
  let graph: CommitGraph | undefined;
  const trees = new Map<string, Promise<TreeEntry[]>>();
  const files = new Map<string, Uint8Array | null>();
  const commitTimes = new Map<string, number>();

  function refs(signal: AbortSignal): Promise<RefList> {
    refsPromise ??= remote.listRefs(signal).catch((err: unknown) => {
      refsPromise = undefined;
      throw err;
    });
    return refsPromise;
  }

  /** Every commit reachable from a branch, tag or HEAD (filter tree:0 fetch, kept per instance). */
  async function reachableGraph(signal: AbortSignal): Promise<CommitGraph> {
    const r = await refs(signal);
    const tips = new Set<string>();
    for (const oid of r.branches.values()) tips.add(oid);
    for (const t of r.tags.values()) tips.add(t.peeled);
    if (r.head) tips.add(r.head.oid);
    const missing = [...tips].filter((t) => !graph?.has(t));
    if (missing.length > 0 || graph === undefined) {
      graph = await remote.commitGraph(missing.length > 0 ? missing : [...tips], graph, signal);
    }
    return graph;
  }

  async function commitTime(oid: string, signal: AbortSignal): Promise<number> {
    const known = commitTimes.get(oid) ?? graph?.get(oid)?.time;
    if (known !== undefined) return known;
    // The tree is needed next anyway (go.mod location), and its pack carries the commit: reading
    // it first makes the commit's time free.
    await readTree(oid, signal);
    const c = await remote.readCommit(oid, signal);
    commitTimes.set(oid, c.committerTime);
    return c.committerTime;
  }

  async function revInfo(
    hash: string,
    version: string,
    ref: string | undefined,
    signal: AbortSignal,
  ): Promise<CodeRevInfo> {
    const r = await refs(signal);
    const tags: string[] = [];
    for (const [name, t] of r.tags) if (t.peeled === hash) tags.push(name);
    tags.sort();
    const info: CodeRevInfo = {
      name: hash,
      short: hash.slice(0, 12),
      time: await commitTime(hash, signal),
      tags,
      version,
    };
    if (ref !== undefined) info.ref = ref;
    return info;
  }

  function readTree(commit: string, signal: AbortSignal): Promise<TreeEntry[]> {
    let p = trees.get(commit);
    if (!p) {
      p = remote.readTree(commit, signal);
      p.catch(() => trees.delete(commit));
      trees.set(commit, p);
    }
    return p;
  }

  return {
    url: options.url,

    async tags(signal) {
      const r = await refs(signal);
      const out = new Map<string, string>();
      for (const [name, t] of r.tags) out.set(name, t.peeled);
      return out;
    },

    async stat(rev, signal) {
      const r = await refs(signal);
      const tag = r.tags.get(rev);
      if (tag) return revInfo(tag.peeled, rev, `refs/tags/${rev}`, signal);
      const branch = r.branches.get(rev);
      if (branch) return revInfo(branch, branch, `refs/heads/${rev}`, signal);
      if (rev === 'HEAD' && r.head) return revInfo(r.head.oid, r.head.oid, 'HEAD', signal);
      if (rev.length >= MIN_HASH_DIGITS && rev.length <= 40 && /^[0-9a-f]+$/.test(rev)) {
        // A prefix of a ref tip, or of any commit reachable from one.
        const tips = new Set<string>([...r.branches.values(), ...[...r.tags.values()].map((t) => t.peeled)]);
        if (r.head) tips.add(r.head.oid);
        let matches = [...tips].filter((h) => h.startsWith(rev));
        if (matches.length === 0) {
          const g = await reachableGraph(signal);
          matches = [...g.oids()].filter((h) => h.startsWith(rev));
        }
        if (matches.length > 1) throw new NotFoundError(`ambiguous hash prefix ${rev}`);
        const hash = matches[0];
        if (hash !== undefined) return revInfo(hash, hash, undefined, signal);
      }
      throw new NotFoundError(`unknown revision ${rev}`);
    },

    async latest(signal) {
      const r = await refs(signal);
      if (!r.head) throw new NotFoundError('no commits');
      return revInfo(r.head.oid, r.head.oid, 'HEAD', signal);
    },

    async readFile(commit, path, signal) {
      const key = `${commit}:${path}`;
      if (files.has(key)) return files.get(key) ?? null;
      const tree = await readTree(commit, signal);
      const entry = tree.find((e) => e.path === path);
      // `git cat-file blob rev:path` semantics, as cmd/go reads files: a symlink reads as its target text.
      if (!entry || !isFile(entry)) {
        files.set(key, null);
        return null;
      }
      const blobs = await remote.fetchBlobs([entry.oid], signal);
      try {
        if ((await blobs.size(entry.oid)) > MAX_SMALL_FILE) {
          throw new UpstreamError(`${path} at ${commit.slice(0, 12)} is larger than 16 MiB`);
        }
        const data = await blobs.read(entry.oid);
        files.set(key, data);
        return data;
      } finally {
        await blobs.close();
      }
    },

    async descendsFrom(commit, ancestor, signal) {
      if (commit === ancestor) return true;
      const g = await reachableGraph(signal);
      if (!g.has(commit)) {
        graph = await remote.commitGraph([commit], g, signal);
      }
      return (graph ?? g).isAncestor(ancestor, commit);
    },

    readTree,

    async takeFiles(commit, paths, blobs, signal) {
      const tree = await readTree(commit, signal);
      for (const path of paths) {
        const key = `${commit}:${path}`;
        const entry = tree.find((e) => e.path === path);
        if (files.has(key) || !entry || !isFile(entry) || !blobs.has(entry.oid)) continue;
        if ((await blobs.size(entry.oid)) > MAX_SMALL_FILE) continue;
        files.set(key, await blobs.read(entry.oid));
      }
    },
  };
}
