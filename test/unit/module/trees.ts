/**
 * Test helpers that produce the TreeEntry list the module-zip pipeline takes: from an in-memory
 * description, or from a commit of a real repository read with the git CLI (`git ls-tree -r -l -z`
 * and `git cat-file blob`), streaming blobs from the git process.
 */
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import type { TreeEntry } from '../../../src/module/module-zip.js';
import { MODE_EXECUTABLE, MODE_FILE, MODE_GITLINK, MODE_SYMLINK } from '../../../src/module/module-zip.js';
import { asyncChunks } from './streams.js';

export type MemFile = string | Uint8Array | { symlink: string } | { gitlink: string } | { exec: string };

function blobOid(bytes: Uint8Array): string {
  return createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
}

/** Tree entries from `{ path: content }`, in git's tree order. */
export function memTree(files: Record<string, MemFile>): TreeEntry[] {
  const entries: TreeEntry[] = [];
  for (const [path, spec] of Object.entries(files)) {
    let mode = MODE_FILE;
    let bytes: Uint8Array;
    if (typeof spec === 'string') bytes = new TextEncoder().encode(spec);
    else if (spec instanceof Uint8Array) bytes = spec;
    else if ('symlink' in spec) {
      mode = MODE_SYMLINK;
      bytes = new TextEncoder().encode(spec.symlink);
    } else if ('exec' in spec) {
      mode = MODE_EXECUTABLE;
      bytes = new TextEncoder().encode(spec.exec);
    } else {
      entries.push({ path, mode: MODE_GITLINK, oid: spec.gitlink, size: 0, open: () => asyncChunks() });
      continue;
    }
    const b = bytes;
    entries.push({ path, mode, oid: blobOid(b), size: b.length, open: () => asyncChunks(b) });
  }
  // git orders tree entries by name with directories compared as "name/".
  return entries.sort((a, b) => Buffer.compare(Buffer.from(a.path), Buffer.from(b.path)));
}

const GIT_ENV = { PATH: process.env.PATH, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' };

/** Streams a blob out of a repository with `git cat-file blob`. */
async function* catFile(repo: string, oid: string): AsyncGenerator<Uint8Array> {
  const child = spawn('git', ['cat-file', 'blob', oid], {
    cwd: repo,
    env: GIT_ENV,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? 1)));
  for await (const chunk of child.stdout) yield chunk as Buffer;
  const code = await exited;
  if (code !== 0) throw new Error(`git cat-file blob ${oid} exited ${code}`);
}

/** The flattened tree of `commit` in the (bare) repository `repo`. */
export function gitTree(repo: string, commit: string): TreeEntry[] {
  const out = execFileSync('git', ['ls-tree', '-r', '-l', '-z', '--full-tree', commit], {
    cwd: repo,
    env: GIT_ENV,
    maxBuffer: 1 << 30,
  });
  const entries: TreeEntry[] = [];
  for (const rec of out.toString('utf8').split('\0')) {
    if (rec === '') continue;
    const tab = rec.indexOf('\t');
    const [modeText = '', , oid = '', sizeText = ''] = rec.slice(0, tab).split(/ +/);
    const path = rec.slice(tab + 1);
    const mode = parseInt(modeText, 8);
    const size = sizeText === '-' ? 0 : Number(sizeText);
    entries.push({ path, mode, oid, size, open: () => catFile(repo, oid) });
  }
  return entries;
}
