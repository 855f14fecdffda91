/**
 * Pack handling: deltas (OFS_DELTA from a repacked repository, REF_DELTA from pack-objects without
 * --delta-base-offset, and a REF_DELTA whose base comes later in the pack), checked against git.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { Readable } from 'node:stream';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { deflateSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { git, gitBytes, RepoBuilder } from '../fixtures/repo.js';
import { receivePack } from '../../src/git/pack-file.js';
import { OFS_DELTA, REF_DELTA } from '../../src/git/pack-spool.js';
import { hashObject } from '../../src/git/objects.js';
import { createGitRemote } from '../../src/git/remote.js';
import { buildPack, catFileBatch, objHeader, startEnv, tempEntries, varint, type Env } from './helpers.js';

function chunks(buf: Buffer, size = 777): AsyncIterable<Uint8Array> {
  const parts: Uint8Array[] = [];
  for (let o = 0; o < buf.length; o += size) parts.push(buf.subarray(o, o + size));
  return Readable.from(parts);
}

function allOids(bare: string): string[] {
  return git(bare, ['rev-list', '--objects', '--all'])
    .trim()
    .split('\n')
    .map((l) => l.split(' ')[0] ?? '');
}

describe('pack reading', () => {
  let env: Env;
  let bare: string;
  let scratch: string;

  before(async () => {
    env = await startEnv();
    scratch = mkdtempSync(path.join(tmpdir(), 'stoa-packtest-'));
    const repo = new RepoBuilder();
    let text = '';
    for (let i = 0; i < 200; i++) {
      text += `line ${i}: ${'lorem ipsum dolor sit amet '.repeat(3)}\n`;
      repo.write({ 'file.txt': text, 'go.mod': 'module github.com/acme/deltas\n' }).commit(`edit ${i}`);
    }
    bare = repo.publish(env.root, 'acme/deltas');
    repo.dispose();
    git(bare, ['repack', '-adf', '--depth=50', '-q']);
  });
  after(async () => {
    await env.close();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('resolves every delta of a 200-commit history (depth-1 and full fetch)', async () => {
    const remote = createGitRemote({ url: `${env.server.url}/acme/deltas.git`, tempDir: env.tempDir });
    const head = (await remote.listRefs()).head?.oid ?? '';
    // depth 1: the tree and the blobs at HEAD
    const tree = await remote.readTree(head);
    const one = await remote.fetchBlobs(tree.map((e) => e.oid));
    try {
      for (const e of tree)
        assert.ok(Buffer.from(await one.read(e.oid)).equals(gitBytes(bare, ['cat-file', 'blob', e.oid])));
    } finally {
      await one.close();
    }
    // full: every version of every blob, as the server's deltas
    const objects = catFileBatch(bare, allOids(bare));
    const blobs = [...objects].filter(([, o]) => o.type === 'blob').map(([oid]) => oid);
    assert.ok(blobs.length >= 200);
    const all = await remote.fetchBlobs(blobs);
    try {
      for (const oid of blobs)
        assert.ok(Buffer.from(await all.read(oid)).equals(objects.get(oid)?.data ?? Buffer.alloc(0)));
    } finally {
      await all.close();
    }
    assert.deepEqual(tempEntries(env.tempDir), []);
  });

  it('indexes OFS_DELTA and REF_DELTA packs made by git pack-objects', async () => {
    const oids = allOids(bare);
    const objects = catFileBatch(bare, oids);
    for (const ofs of [true, false]) {
      const pack = execFileSync(
        'git',
        ['pack-objects', '--stdout', '-q', '--depth=50', ...(ofs ? ['--delta-base-offset'] : [])],
        {
          cwd: bare,
          input: oids.join('\n') + '\n',
          maxBuffer: 1 << 28,
        },
      );
      const opened = await receivePack(chunks(pack), scratch);
      try {
        const r = opened.reader;
        const deltaType = ofs ? OFS_DELTA : REF_DELTA;
        assert.ok(r.entries.filter((e) => e.packType === deltaType).length > 100, 'pack has many deltas');
        assert.equal(r.entries.length, oids.length);
        for (const oid of oids) {
          const obj = await r.read(oid);
          assert.equal(obj.type, objects.get(oid)?.type);
          assert.ok(obj.data.equals(objects.get(oid)?.data ?? Buffer.alloc(0)));
          assert.equal(hashObject(obj.type, obj.data), oid);
        }
      } finally {
        await opened.close();
      }
    }
    assert.deepEqual(tempEntries(scratch), []);
  });

  it('resolves a REF_DELTA whose base appears later in the pack', async () => {
    const base = Buffer.from('hello base object\n'.repeat(20));
    const target = Buffer.concat([base.subarray(0, 100), Buffer.from('changed tail\n')]);
    const baseOid = hashObject('blob', base);
    // delta: copy 100 bytes from offset 0, then insert the tail
    const tail = Buffer.from('changed tail\n');
    const delta = Buffer.concat([
      varint(base.length),
      varint(target.length),
      Buffer.from([0x80 | 0x10, 100]),
      Buffer.from([tail.length]),
      tail,
    ]);
    const refDelta = Buffer.concat([
      objHeader(REF_DELTA, delta.length),
      Buffer.from(baseOid, 'hex'),
      deflateSync(delta),
    ]);
    const baseObj = Buffer.concat([objHeader(3, base.length), deflateSync(base)]);
    const pack = buildPack([refDelta, baseObj]);
    const opened = await receivePack(chunks(pack, 5), scratch);
    try {
      const t = await opened.reader.read(hashObject('blob', target));
      assert.ok(t.data.equals(target));
      assert.ok((await opened.reader.read(baseOid)).data.equals(base));
    } finally {
      await opened.close();
    }
  });

  it('rejects a thin pack (REF_DELTA base missing) and bad checksums, removing its files', async () => {
    const delta = Buffer.concat([varint(3), varint(3), Buffer.from([0x80 | 0x10, 3])]);
    const thin = buildPack([
      Buffer.concat([objHeader(REF_DELTA, delta.length), Buffer.alloc(20, 7), deflateSync(delta)]),
    ]);
    await assert.rejects(receivePack(chunks(thin), scratch), { name: 'UpstreamError', message: /missing/ });
    const ok = buildPack([Buffer.concat([objHeader(3, 5), deflateSync(Buffer.from('abcde'))])]);
    const bad = Buffer.from(ok);
    bad[bad.length - 1] = (bad[bad.length - 1] ?? 0) ^ 1;
    await assert.rejects(receivePack(chunks(bad), scratch), { name: 'UpstreamError', message: /checksum/ });
    await assert.rejects(receivePack(chunks(ok.subarray(0, ok.length - 5)), scratch), {
      name: 'UpstreamError',
      message: /EOF/,
    });
    assert.deepEqual(tempEntries(scratch), []);
  });
});
