/**
 * Test helpers for the git client: a git-server root with cleanup, oracles from the git CLI, and a
 * relay that lets an `intercept` hook forward a request to a plain fixture server and rewrite the
 * reply (pkt-line aware) to inject faults.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { deflateSync } from 'node:zlib';
import { startGitServer, type GitServer, type GitServerOptions } from '../fixtures/git-server.js';
import { git } from '../fixtures/repo.js';

export interface Env {
  root: string;
  tempDir: string;
  server: GitServer;
  /** A second server on the same root without intercepts, for relaying. */
  plain: GitServer;
  close(): Promise<void>;
}

export async function startEnv(options: Omit<GitServerOptions, 'root'> = {}): Promise<Env> {
  const root = mkdtempSync(path.join(tmpdir(), 'stoa-gitroot-'));
  const tempDir = mkdtempSync(path.join(tmpdir(), 'stoa-gittmp-'));
  const plain = await startGitServer({ root });
  const server = await startGitServer({ root, ...options });
  return {
    root,
    tempDir,
    server,
    plain,
    async close() {
      await server.close();
      await plain.close();
      rmSync(root, { recursive: true, force: true });
      rmSync(tempDir, { recursive: true, force: true });
    },
  };
}

export function tempEntries(dir: string): string[] {
  return readdirSync(dir);
}

export interface Relayed {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** Forwards a request (as received by an intercept) to `base` and buffers the reply. */
export function relay(base: string, req: http.IncomingMessage, body: Buffer): Promise<Relayed> {
  return new Promise((resolve, reject) => {
    const headers: http.OutgoingHttpHeaders = { ...req.headers };
    delete headers.host;
    delete headers['content-length'];
    const out = http.request(
      `${base}${req.url ?? '/'}`,
      { method: req.method, headers: { ...headers, 'content-length': body.length } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        );
        res.on('error', reject);
      },
    );
    out.on('error', reject);
    out.end(body);
  });
}

export function pkt(payload: string | Buffer): Buffer {
  const b = typeof payload === 'string' ? Buffer.from(payload) : payload;
  return Buffer.concat([Buffer.from((b.length + 4).toString(16).padStart(4, '0')), b]);
}

export interface FramedPacket {
  len: number;
  data: Buffer;
}

export function parsePkts(buf: Buffer): FramedPacket[] {
  const out: FramedPacket[] = [];
  let p = 0;
  while (p + 4 <= buf.length) {
    const len = Number.parseInt(buf.toString('latin1', p, p + 4), 16);
    if (len < 4) {
      out.push({ len, data: Buffer.alloc(0) });
      p += 4;
      continue;
    }
    out.push({ len, data: buf.subarray(p + 4, p + len) });
    p += len;
  }
  return out;
}

export function framePkts(pkts: FramedPacket[]): Buffer {
  return Buffer.concat(
    pkts.map((p) => (p.len < 4 ? Buffer.from(p.len.toString(16).padStart(4, '0')) : pkt(p.data))),
  );
}

/**
 * Rewrites the pack inside a v2 fetch reply: collects band-1 data after `packfile`, lets `mutate`
 * change it, and re-frames it as side-band packets.
 */
export function rewritePack(reply: Buffer, mutate: (pack: Buffer) => Buffer): Buffer {
  const pkts = parsePkts(reply);
  const i = pkts.findIndex((p) => p.len >= 4 && p.data.toString('latin1') === 'packfile\n');
  if (i < 0) throw new Error('no packfile section');
  const before = pkts.slice(0, i + 1);
  const pack = Buffer.concat(
    pkts
      .slice(i + 1)
      .filter((p) => p.len >= 4 && p.data[0] === 1)
      .map((p) => p.data.subarray(1)),
  );
  const changed = mutate(pack);
  const out: FramedPacket[] = [...before];
  for (let o = 0; o < changed.length; o += 65515) {
    const d = Buffer.concat([Buffer.from([1]), changed.subarray(o, o + 65515)]);
    out.push({ len: d.length + 4, data: d });
  }
  out.push({ len: 0, data: Buffer.alloc(0) });
  return framePkts(out);
}

export interface LsRemote {
  head: string;
  headSymref: string;
  refs: Map<string, string>;
}

export function lsRemote(bare: string): LsRemote {
  const refs = new Map<string, string>();
  for (const line of git(bare, ['ls-remote', '.']).trim().split('\n')) {
    const [oid = '', name = ''] = line.split('\t');
    refs.set(name, oid);
  }
  return {
    head: refs.get('HEAD') ?? '',
    headSymref: git(bare, ['symbolic-ref', 'HEAD']).trim(),
    refs,
  };
}

/** `git cat-file --batch` for many objects in one process: oid → type and content. */
export function catFileBatch(bare: string, oids: string[]): Map<string, { type: string; data: Buffer }> {
  const out = execFileSync('git', ['cat-file', '--batch'], {
    cwd: bare,
    input: oids.join('\n') + '\n',
    maxBuffer: 1 << 30,
    env: { PATH: process.env.PATH, HOME: bare, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' },
  });
  const m = new Map<string, { type: string; data: Buffer }>();
  let p = 0;
  while (p < out.length) {
    const nl = out.indexOf(10, p);
    const [oid = '', type = '', size = '0'] = out.toString('latin1', p, nl).split(' ');
    const n = Number(size);
    m.set(oid, { type, data: out.subarray(nl + 1, nl + 1 + n) });
    p = nl + 1 + n + 1;
  }
  return m;
}

/** Pack object header: type and size varint. */
export function objHeader(type: number, size: number): Buffer {
  const bytes: number[] = [];
  let c = (type << 4) | (size & 15);
  let rest = Math.floor(size / 16);
  while (rest > 0) {
    bytes.push(c | 0x80);
    c = rest & 0x7f;
    rest = Math.floor(rest / 128);
  }
  bytes.push(c);
  return Buffer.from(bytes);
}

export function varint(n: number): Buffer {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return Buffer.from(out);
}

/** A pack of the given raw objects, with a correct trailer. */
export function buildPack(objects: Buffer[]): Buffer {
  const head = Buffer.alloc(12);
  head.write('PACK', 0, 'latin1');
  head.writeUInt32BE(2, 4);
  head.writeUInt32BE(objects.length, 8);
  const body = Buffer.concat([head, ...objects]);
  return Buffer.concat([body, createHash('sha1').update(body).digest()]);
}

/** A pack holding `target` as a REF_DELTA against `base`, with the base stored AFTER the delta. */
export function forwardRefDeltaPack(base: Buffer, keep: number, tail: Buffer, baseOid: string): Buffer {
  const targetLen = keep + tail.length;
  const delta = Buffer.concat([
    varint(base.length),
    varint(targetLen),
    Buffer.from([0x80 | 0x10 | 0x20, keep & 0xff, keep >> 8]),
    Buffer.from([tail.length]),
    tail,
  ]);
  const refDelta = Buffer.concat([
    objHeader(7, delta.length),
    Buffer.from(baseOid, 'hex'),
    deflateSync(delta),
  ]);
  const baseObj = Buffer.concat([objHeader(3, base.length), deflateSync(base)]);
  return buildPack([refDelta, baseObj]);
}
