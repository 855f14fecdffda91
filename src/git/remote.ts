/**
 * The public git operations stoa needs from a remote over smart HTTP: list refs, read one commit,
 * build a commit graph, list a commit's tree, and fetch chosen blobs (or subtrees) in one pack.
 * Protocol v2 when the server speaks it, v0/v1 otherwise.
 */
import { tmpdir } from 'node:os';
import { gzipSync } from 'node:zlib';
import type { Dispatcher } from 'undici';
import { NotFoundError, RateLimitedError, UpstreamError, isStoaError } from '../errors.js';
import { CommitGraph } from './commit-graph.js';
import type { FetchArgs } from './fetch-args.js';
import { parseHandshake, type Handshake } from './handshake.js';
import { MODE_TREE, OID_RE, parseCommit, parseTag, parseTree } from './objects.js';
import { receivePack, type OpenedPack } from './pack-file.js';
import type { PackReader } from './pack-reader.js';
import { PktReader } from './pkt-line.js';
import { buildFetchV0, openPackV0, refsFromAdvertisement } from './protocol-v0.js';
import { buildFetchV2, buildLsRefs, openPackV2, parseLsRefs } from './protocol-v2.js';
import { buildRefList, type RefList } from './refs.js';
import { isRateLimitMessage, shortText } from './remote-errors.js';
import type { SidebandDemuxer } from './sideband.js';
import { createTransport, type RequestEvent } from './transport.js';

export type { RefList } from './refs.js';
export { CommitGraph } from './commit-graph.js';

export interface GitRemoteOptions {
  /** Repository URL, e.g. https://github.com/o/r.git */
  url: string;
  /** Sent up front as Basic base64("x-access-token:"+token); never logged or put in errors. */
  token?: string;
  /** Basic-auth user name for the token: default `x-access-token` (GitHub); `oauth2` suits GitLab. */
  tokenUsername?: string;
  /** Default `git/2.45.0 (stoa)`; must start with "git/". */
  userAgent?: string;
  /** No-data (idle) timeout per network step; default 60 000 ms. */
  timeoutMs?: number;
  /** Where packs are spooled; default os.tmpdir(). */
  tempDir?: string;
  onRequest?: (e: RequestEvent) => void;
  /** undici dispatcher (connection pool); default: undici's global dispatcher. */
  dispatcher?: Dispatcher;
  /** At most this many `have` lines are sent when extending a known commit graph. Default 256. */
  maxHaves?: number;
}

export interface CommitInfo {
  oid: string;
  tree: string;
  parents: string[];
  committerTime: number;
  committerTz: string;
}

export interface TreeEntry {
  path: string;
  mode: number;
  oid: string;
}

export interface BlobSet {
  has(oid: string): boolean;
  size(oid: string): Promise<number>;
  read(oid: string): Promise<Uint8Array>;
  stream(oid: string): AsyncIterable<Uint8Array>;
  close(): Promise<void>;
}

export interface GitRemote {
  listRefs(signal?: AbortSignal): Promise<RefList>;
  /** One commit's metadata; free (no request) for a commit whose tree was read through this remote. */
  readCommit(oid: string, signal?: AbortSignal): Promise<CommitInfo>;
  /** Commits reachable from `tips`, added into `known` (which is returned) or a new graph. */
  commitGraph(tips: string[], known?: CommitGraph, signal?: AbortSignal): Promise<CommitGraph>;
  readTree(commit: string, signal?: AbortSignal): Promise<TreeEntry[]>;
  /** Fetches exactly these blobs (and/or whole subtrees by tree oid) in one pack; caller must close(). */
  fetchBlobs(oids: string[], signal?: AbortSignal): Promise<BlobSet>;
  readonly stats: { requests: number; bytesReceived: number };
}

export const DEFAULT_USER_AGENT = 'git/2.45.0 (stoa)';

function checkOids(oids: string[]): void {
  for (const o of oids)
    if (!OID_RE.test(o)) throw new NotFoundError(`invalid object id ${JSON.stringify(o)}`);
}

export function createGitRemote(options: GitRemoteOptions): GitRemote {
  const userAgent = options.userAgent ?? DEFAULT_USER_AGENT;
  const tempDir = options.tempDir ?? tmpdir();
  const maxHaves = options.maxHaves ?? 256;
  const transport = createTransport({
    url: options.url,
    token: options.token,
    tokenUsername: options.tokenUsername,
    userAgent,
    timeoutMs: options.timeoutMs ?? 60_000,
    dispatcher: options.dispatcher,
    onRequest: options.onRequest,
  });
  const agent = userAgent.split(' ')[0] ?? 'git/2.45.0';
  let cached: Handshake | undefined;

  async function handshake(signal?: AbortSignal): Promise<Handshake> {
    const res = await transport.infoRefs(true, signal);
    cached = await parseHandshake(res.body, `info-refs ${transport.displayUrl}`);
    return cached;
  }

  async function post(
    body: Buffer,
    operation: 'ls-refs' | 'fetch',
    v2: boolean,
    signal?: AbortSignal,
    gzipped = false,
  ): Promise<PktReader> {
    const res = await transport.uploadPack(body, operation, v2, signal, gzipped);
    return new PktReader(res.body);
  }

  async function listRefs(signal?: AbortSignal): Promise<RefList> {
    // v0 carries refs in info/refs, so it is always fetched fresh; v2 reuses the capabilities
    const hs = cached?.version === 2 ? cached : await handshake(signal);
    if (hs.version === 0) return buildRefList(refsFromAdvertisement(hs.refs, hs.caps));
    const where = `ls-refs ${transport.displayUrl}`;
    const reader = await post(buildLsRefs(hs.caps, agent), 'ls-refs', true, signal);
    try {
      const refs = await parseLsRefs(reader, where);
      await reader.drainToEnd();
      return buildRefList(refs);
    } finally {
      await reader.cancel();
    }
  }

  /**
   * One pack fetch. A host may advertise `filter` yet refuse a filter kind ("filter 'tree' not
   * supported", "tree filter allows max depth"): then fetch once more without it (more bytes).
   */
  async function fetchPack(args: FetchArgs, signal?: AbortSignal): Promise<OpenedPack> {
    try {
      return await fetchPackOnce(args, signal);
    } catch (err) {
      if (args.filter === undefined || signal?.aborted) throw err;
      if (!(isStoaError(err) && err.code === 'Upstream' && /\bfilter/i.test(err.message))) throw err;
      return fetchPackOnce({ ...args, filter: undefined }, signal);
    }
  }

  async function fetchPackOnce(args: FetchArgs, signal?: AbortSignal): Promise<OpenedPack> {
    const hs = cached ?? (await handshake(signal));
    const v2 = hs.version === 2;
    let body = v2 ? buildFetchV2(hs.caps, agent, args) : buildFetchV0(hs.caps, agent, args);
    const where = `fetch ${transport.displayUrl}`;
    // like git, gzip request bodies over 1 KiB (many wants)
    const gzipped = body.length > 1024;
    if (gzipped) body = gzipSync(body);
    const reader = await post(body, 'fetch', v2, signal, gzipped);
    let demuxer: SidebandDemuxer | null = null;
    try {
      let source: AsyncIterable<Uint8Array>;
      if (v2) {
        demuxer = await openPackV2(reader, where);
        source = demuxer.packData();
      } else {
        const p = await openPackV0(reader, hs.caps, where, () => reader.remaining());
        demuxer = p.demuxer;
        source = p.demuxer ? p.demuxer.packData() : (p.raw ?? reader.remaining());
      }
      const pack = await receivePack(source, tempDir, signal);
      try {
        if (demuxer) await reader.drainToEnd();
      } catch (err) {
        await pack.close();
        throw err;
      }
      return pack;
    } catch (err) {
      if (signal?.aborted) throw signal.reason;
      const progress = demuxer?.progressText ?? '';
      if (isStoaError(err) && err.code === 'Upstream' && isRateLimitMessage(progress)) {
        throw new RateLimitedError(`${where}: remote is rate limiting: ${shortText(progress)}`, {
          cause: err,
        });
      }
      throw err;
    } finally {
      await reader.cancel();
    }
  }

  async function withPack<T>(
    args: FetchArgs,
    signal: AbortSignal | undefined,
    use: (r: PackReader) => Promise<T>,
  ): Promise<T> {
    const pack = await fetchPack(args, signal);
    try {
      return await use(pack.reader);
    } finally {
      await pack.close();
    }
  }

  /** Commits met in tree fetches (which carry them anyway): readCommit answers these without a fetch. */
  const commitsSeen = new Map<string, CommitInfo>();

  async function commitFrom(reader: PackReader, oid: string): Promise<CommitInfo> {
    let cur = oid;
    for (let i = 0; i < 10; i++) {
      if (!reader.has(cur)) throw new NotFoundError(`object ${cur} not found in the fetched pack`);
      const obj = await reader.read(cur);
      if (obj.type === 'commit') return { oid: cur, ...parseCommit(obj.data) };
      if (obj.type !== 'tag') throw new NotFoundError(`object ${oid} is a ${obj.type}, not a commit`);
      cur = parseTag(obj.data).object;
    }
    throw new UpstreamError(`tag chain too long at ${oid}`);
  }

  return {
    stats: transport.stats,
    listRefs,

    async readCommit(oid, signal) {
      checkOids([oid]);
      const seen = commitsSeen.get(oid);
      if (seen) return seen;
      return withPack({ wants: [oid], depth1: true, filter: 'tree:0' }, signal, (r) => commitFrom(r, oid));
    },

    async commitGraph(tips, known, signal) {
      checkOids(tips);
      const graph = known ?? new CommitGraph();
      const wants = [...new Set(tips)].filter((t) => !graph.has(t));
      if (wants.length === 0) return graph;
      const haves = known ? known.heads().slice(0, maxHaves) : [];
      const found = await withPack({ wants, haves, filter: 'tree:0' }, signal, async (r) => {
        const out = new Map<string, { parents: string[]; time: number }>();
        for (const oid of r.oidsOfType('commit')) {
          const c = parseCommit((await r.read(oid)).data);
          out.set(oid, { parents: c.parents, time: c.committerTime });
        }
        return out;
      });
      for (const [oid, node] of found) graph.add(oid, node);
      const missing = wants.filter((w) => !graph.has(w));
      if (missing.length) throw new NotFoundError(`commit ${missing[0] ?? ''} not found in the fetched pack`);
      return graph;
    },

    async readTree(commit, signal) {
      checkOids([commit]);
      return withPack({ wants: [commit], depth1: true, filter: 'blob:none' }, signal, async (r) => {
        const c = await commitFrom(r, commit);
        if (commitsSeen.size >= 1024) commitsSeen.clear();
        commitsSeen.set(commit, c);
        const out: TreeEntry[] = [];
        const walk = async (treeOid: string, prefix: string): Promise<void> => {
          if (!r.has(treeOid)) throw new UpstreamError(`tree ${treeOid} missing from the fetched pack`);
          const obj = await r.read(treeOid);
          if (obj.type !== 'tree') throw new UpstreamError(`object ${treeOid} is not a tree`);
          for (const e of parseTree(obj.data)) {
            if (e.mode === MODE_TREE) await walk(e.oid, `${prefix}${e.name}/`);
            else out.push({ path: `${prefix}${e.name}`, mode: e.mode, oid: e.oid });
          }
        };
        await walk(c.tree, '');
        return out;
      });
    },

    async fetchBlobs(oids, signal) {
      checkOids(oids);
      const wants = [...new Set(oids)];
      const pack = await fetchPack({ wants }, signal);
      const r = pack.reader;
      const blob = (oid: string): void => {
        if (r.typeOf(oid) !== 'blob') throw new NotFoundError(`blob ${oid} not found in the fetched pack`);
      };
      return {
        has: (oid) => r.typeOf(oid) === 'blob',
        size: (oid) => {
          blob(oid);
          return Promise.resolve(r.entry(oid)?.resultSize ?? 0);
        },
        read: async (oid) => {
          blob(oid);
          return (await r.read(oid)).data;
        },
        stream: (oid) => {
          blob(oid);
          return r.stream(oid);
        },
        close: () => pack.close(),
      };
    },
  };
}
