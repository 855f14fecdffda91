/** Git object ids and parsers for commit, tree and tag objects (SHA-1 repositories). */
import { createHash } from 'node:crypto';
import { UpstreamError } from '../errors.js';

export type ObjectType = 'commit' | 'tree' | 'blob' | 'tag';

export const OID_RE = /^[0-9a-f]{40}$/;

export function objectHeader(type: ObjectType, size: number): Buffer {
  return Buffer.from(`${type} ${size}\0`, 'latin1');
}

export function hashObject(type: ObjectType, data: Uint8Array): string {
  return createHash('sha1').update(objectHeader(type, data.length)).update(data).digest('hex');
}

export interface ParsedCommit {
  tree: string;
  parents: string[];
  committerTime: number;
  committerTz: string;
}

function headerLines(data: Uint8Array, what: string): string[] {
  const text = Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8');
  const end = text.indexOf('\n\n');
  const head = end < 0 ? text : text.slice(0, end);
  if (head.length === 0) throw new UpstreamError(`corrupt ${what} object: no headers`);
  // continuation lines (gpgsig, mergetag bodies) start with a space
  return head.split('\n').filter((l) => !l.startsWith(' '));
}

export function parseCommit(data: Uint8Array): ParsedCommit {
  let tree: string | undefined;
  const parents: string[] = [];
  let committerTime: number | undefined;
  let committerTz = '+0000';
  for (const line of headerLines(data, 'commit')) {
    const sp = line.indexOf(' ');
    const key = line.slice(0, sp);
    const value = line.slice(sp + 1);
    if (key === 'tree') tree = value;
    else if (key === 'parent') parents.push(value);
    else if (key === 'committer') {
      const m = /> (-?\d+) ([+-]\d{4})$/.exec(value);
      if (m) {
        committerTime = Number.parseInt(m[1] ?? '0', 10);
        committerTz = m[2] ?? '+0000';
      }
    }
  }
  if (!tree || !OID_RE.test(tree) || committerTime === undefined || !parents.every((p) => OID_RE.test(p))) {
    throw new UpstreamError('corrupt commit object');
  }
  return { tree, parents, committerTime, committerTz };
}

export interface ParsedTag {
  object: string;
  type: ObjectType;
}

export function parseTag(data: Uint8Array): ParsedTag {
  let object: string | undefined;
  let type: string | undefined;
  for (const line of headerLines(data, 'tag')) {
    if (line.startsWith('object ')) object = line.slice(7);
    else if (line.startsWith('type ')) type = line.slice(5);
  }
  if (
    !object ||
    !OID_RE.test(object) ||
    !(type === 'commit' || type === 'tree' || type === 'blob' || type === 'tag')
  ) {
    throw new UpstreamError('corrupt tag object');
  }
  return { object, type };
}

export interface RawTreeEntry {
  mode: number;
  name: string;
  oid: string;
}

export const MODE_TREE = 0o40000;
export const MODE_GITLINK = 0o160000;

export function parseTree(data: Uint8Array): RawTreeEntry[] {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const out: RawTreeEntry[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const sp = buf.indexOf(0x20, pos);
    const nul = sp < 0 ? -1 : buf.indexOf(0, sp + 1);
    if (sp < 0 || nul < 0 || nul + 21 > buf.length) throw new UpstreamError('corrupt tree object');
    const modeText = buf.toString('latin1', pos, sp);
    if (!/^[0-7]+$/.test(modeText)) throw new UpstreamError('corrupt tree object: bad mode');
    const name = buf.toString('utf8', sp + 1, nul);
    if (name === '' || name === '.' || name === '..' || name.includes('/')) {
      throw new UpstreamError('corrupt tree object: bad entry name');
    }
    out.push({ mode: Number.parseInt(modeText, 8), name, oid: buf.toString('hex', nul + 1, nul + 21) });
    pos = nul + 21;
  }
  return out;
}
