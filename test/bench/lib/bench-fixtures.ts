/**
 * Shared pieces of the proxy benchmarks (P1–P5): a git server root with fixture modules published
 * as `github.com/<owner>/<repo>` tagged `v1.0.0`, deterministic content (incompressible bytes and
 * Go-like text), a stoa child process pointed at the git server, and small number formatters.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startGitServer, type GitRequestRecord, type GitServer } from '../../fixtures/git-server.js';
import { RepoBuilder } from '../../fixtures/repo.js';
import { startStoaProcess, type StoaProcess } from './stoa-process.js';

export const MiB = 1 << 20;

/** Compressible Go-like text of exactly `n` bytes (deterministic for a seed). */
export function goText(n: number, seed: number): Buffer {
  const words = ['func', 'return', 'struct', 'interface', 'error', 'string', 'nil', 'ctx', 'err', 'if'];
  const parts: string[] = [];
  let len = 0;
  let x = seed >>> 0;
  while (len < n) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    const w =
      x % 13 === 0 ? `\n\t${words[x % words.length] ?? ''}` : ` ${words[x % words.length] ?? ''}${x % 97}`;
    parts.push(w);
    len += w.length;
  }
  return Buffer.from(parts.join('').slice(0, n));
}

/** A tree's files: path → content. `go.mod` is added by `publishModule`. */
export type Tree = Record<string, Uint8Array>;

/** A small Go module tree: `files` text files of about `fileBytes` each, plus `randomBytes` of noise. */
export function smallTree(files: number, fileBytes: number, noise = 0, seed = 1): Tree {
  const tree: Tree = {};
  for (let i = 0; i < files; i++) tree[`pkg${i % 8}/f${i}.go`] = goText(fileBytes, seed * 1000 + i);
  if (noise > 0) tree['testdata/blob.bin'] = randomBytes(noise);
  return tree;
}

export interface Upstream {
  git: GitServer;
  root: string;
  /**
   * Publishes `github.com/<ownerRepo>` with `tree` in `commits` commits, the last tagged v1.0.0.
   * `bulk`: light zlib and no delta search while building (for trees of hundreds of MiB).
   */
  publishModule(
    ownerRepo: string,
    tree: Tree | ((dir: string) => void),
    commits?: number,
    options?: { bulk?: boolean },
  ): void;
  /** Requests at the git server since the last `mark()`, by command. */
  mark(): () => RequestCount;
  close(): Promise<void>;
}

export interface RequestCount {
  total: number;
  infoRefs: number;
  lsRefs: number;
  fetch: number;
}

/**
 * The fixture server classifies a POST by its body's first bytes; a gzip-encoded body (stoa
 * compresses long want lists) shows as `other`: such an upload-pack POST is a fetch command.
 */
function commandOf(r: GitRequestRecord): GitRequestRecord['command'] {
  const gzipPack =
    r.method === 'POST' && r.path.endsWith('/git-upload-pack') && r.headers['content-encoding'] === 'gzip';
  return r.command === 'other' && gzipPack ? 'fetch' : r.command;
}

export function countRequests(records: readonly GitRequestRecord[]): RequestCount {
  const by = (c: GitRequestRecord['command']): number => records.filter((r) => commandOf(r) === c).length;
  return { total: records.length, infoRefs: by('info-refs'), lsRefs: by('ls-refs'), fetch: by('fetch') };
}

export function showCount(c: RequestCount): string {
  const other = c.total - c.infoRefs - c.lsRefs - c.fetch;
  return `${c.total} (${c.infoRefs} info-refs, ${c.lsRefs} ls-refs, ${c.fetch} fetch${other > 0 ? `, ${other} other` : ''})`;
}

export async function startUpstream(): Promise<Upstream> {
  const root = mkdtempSync(path.join(tmpdir(), 'stoa-bench-git-'));
  const git = await startGitServer({ root, missingAs401: true });
  return {
    git,
    root,
    publishModule(ownerRepo, tree, commits = 1, options = {}) {
      const repo = new RepoBuilder();
      try {
        if (options.bulk === true) {
          repo.run(['config', 'core.compression', '1']);
          repo.run(['config', 'pack.window', '0']);
        }
        repo.write({ 'go.mod': `module github.com/${ownerRepo}\n\ngo 1.19\n` });
        for (let c = 1; c < commits; c++) {
          repo.write({ [`history/c${c}.txt`]: goText(2000, c) }).commit(`history ${c}`);
        }
        if (typeof tree === 'function') tree(repo.dir);
        else repo.write(tree);
        repo.commit('release');
        repo.tag('v1.0.0');
        repo.publish(root, ownerRepo);
      } finally {
        repo.dispose();
      }
    },
    mark() {
      const from = git.requests.length;
      return () => countRequests(git.requests.slice(from));
    },
    async close() {
      await git.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** A stoa child process with a fresh disk store and temp dir under one work directory. */
export async function startStoa(
  upstream: Upstream,
  options: { cpus?: string; env?: Record<string, string>; nodeArgs?: string[] } = {},
): Promise<StoaProcess & { dir: string }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'stoa-bench-stoa-'));
  mkdirSync(path.join(dir, 'tmp'));
  const proc = await startStoaProcess({
    githubUrl: upstream.git.url,
    storageRoot: path.join(dir, 'store'),
    tempDir: path.join(dir, 'tmp'),
    ...options,
  }).catch((err: unknown) => {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  });
  return {
    ...proc,
    dir,
    async stop() {
      await proc.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** GETs a URL and returns status, size and sha256 of the body (streamed, never buffered whole). */
export async function getDigest(url: string): Promise<{ status: number; size: number; sha256: string }> {
  const res = await fetch(url);
  const h = createHash('sha256');
  let size = 0;
  if (res.body !== null) {
    for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
      h.update(chunk);
      size += chunk.byteLength;
    }
  }
  return { status: res.status, size, sha256: h.digest('hex') };
}

/** Writes files in a directory (for trees too large to hold in memory at once). */
export function writeFiles(dir: string, files: Iterable<[string, Uint8Array]>): void {
  for (const [rel, data] of files) {
    const full = path.join(dir, rel);
    mkdirSync(path.dirname(full), { recursive: true });
    writeFileSync(full, data);
  }
}

/** Cleanup steps run last-added first, each even if an earlier one failed. */
export interface Cleanup {
  add(step: () => Promise<void> | void): void;
  run(): Promise<void>;
}

export function createCleanup(): Cleanup {
  const steps: Array<() => Promise<void> | void> = [];
  return {
    add: (step) => void steps.push(step),
    async run() {
      const errors: unknown[] = [];
      for (const step of steps.splice(0).reverse()) {
        try {
          await step();
        } catch (err) {
          errors.push(err);
        }
      }
      if (errors.length > 0) throw new AggregateError(errors, 'cleanup failed');
    },
  };
}

export const median = (xs: readonly number[]): number =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

export const ms = (n: number): string => `${n.toFixed(0)} ms`;
export const ratio = (n: number): string => `${n.toFixed(2)}×`;
export const verdict = (ok: boolean): string => (ok ? 'met' : 'NOT met');
