import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { StorageError } from '../../storage/blob-store.js';
import { createDiskBlobStore } from '../../storage/disk.js';
import { registerBlobStoreSuite } from './blob-store.case.js';
import { collect, endlessStream, readAll, streamOf } from './blob-store-helpers.js';

registerBlobStoreSuite({
  name: 'disk',
  create: async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'stoa-disk-'));
    const store = createDiskBlobStore({ root });
    return { store, cleanup: () => rm(root, { recursive: true, force: true }) };
  },
  bigObject: true,
});

describe('disk store specifics', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'stoa-disk-x-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('stores plain files at the key path, hides temp and sidecar files, cleans up after an abort', async () => {
    const root = path.join(dir, 'plain');
    const store = createDiskBlobStore({ root });
    await store.put('github.com/!azure/x/@v/v1.0.0.mod', new TextEncoder().encode('module x\n'), {
      metadata: { a: 'b' },
    });
    assert.equal(await readFile(path.join(root, 'github.com/!azure/x/@v/v1.0.0.mod'), 'utf8'), 'module x\n');
    const controller = new AbortController();
    await assert.rejects(
      store.put(
        'github.com/!azure/x/@v/v1.0.0.zip',
        endlessStream((n) => n === 2 && controller.abort()),
        {
          signal: controller.signal,
        },
      ),
      StorageError,
    );
    assert.deepEqual(await readdir(path.join(root, '.tmp')), []);
    assert.deepEqual(await collect(store.list('')), ['github.com/!azure/x/@v/v1.0.0.mod']);
    await assert.rejects(store.put('.tmp/x', new Uint8Array(1)), StorageError);
    await assert.rejects(store.get('.meta/github.com'), StorageError);
  });

  it('reads a hand-written file without a sidecar with empty metadata', async () => {
    const root = path.join(dir, 'hand');
    const store = createDiskBlobStore({ root });
    await store.put('seed', new Uint8Array(1));
    await writeFile(path.join(root, 'by-hand.txt'), 'hello');
    const got = await store.get('by-hand.txt');
    assert.ok(got);
    assert.deepEqual(got.metadata, {});
    assert.equal((await readAll(got.body)).toString(), 'hello');
  });

  it('fails with StorageError (never absence) when the root is a file', async () => {
    const file = path.join(dir, 'not-a-dir');
    await writeFile(file, 'x');
    const store = createDiskBlobStore({ root: file });
    await assert.rejects(store.put('a/b', new Uint8Array(10)), StorageError);
    await assert.rejects(store.ping(), StorageError);
  });

  it('fails with StorageError on a full and on a read-only file system, leaving the old object', async (t) => {
    const full = path.join(dir, 'full');
    const readOnly = path.join(dir, 'ro');
    const mounted: string[] = [];
    try {
      for (const [target, opts] of [
        [full, 'size=1m'],
        [readOnly, 'size=1m'],
      ] as const) {
        await mkdir(target);
        execFileSync('mount', ['-t', 'tmpfs', '-o', opts, 'tmpfs', target], { stdio: 'ignore' });
        mounted.push(target);
      }
    } catch (err) {
      t.skip(`needs permission to mount a small tmpfs (root): ${String(err)}`);
      return;
    }
    try {
      const store = createDiskBlobStore({ root: full });
      await store.put('a/b', new Uint8Array([1, 2, 3]), { metadata: { v: 'old' } });
      await assert.rejects(store.put('a/b', streamOf(new Uint8Array(4 * 1024 * 1024).fill(1))), StorageError);
      const got = await store.get('a/b');
      assert.ok(got);
      assert.deepEqual(got.metadata, { v: 'old' });
      assert.deepEqual([...(await readAll(got.body))], [1, 2, 3]);
      assert.deepEqual(await readdir(path.join(full, '.tmp')), []);

      const ro = createDiskBlobStore({ root: readOnly });
      await ro.put('x', new Uint8Array([1]));
      execFileSync('mount', ['-o', 'remount,ro', readOnly], { stdio: 'ignore' });
      await assert.rejects(ro.put('y', new Uint8Array([1])), StorageError);
      await assert.rejects(ro.put('x', new Uint8Array([2])), StorageError);
      assert.equal((await ro.head('x'))?.size, 1);
      assert.equal(await ro.get('y'), null);
    } finally {
      for (const target of mounted) execFileSync('umount', [target], { stdio: 'ignore' });
    }
  });

  it('removes temp files a crashed process left behind more than a day ago', async () => {
    const root = path.join(dir, 'stale');
    await mkdir(path.join(root, '.tmp'), { recursive: true });
    const stale = path.join(root, '.tmp', 'crashed-upload');
    const recent = path.join(root, '.tmp', 'in-flight-upload');
    await writeFile(stale, 'x');
    await writeFile(recent, 'y');
    const old = new Date(Date.now() - 2 * 24 * 60 * 60 * 1000);
    await utimes(stale, old, old);
    await createDiskBlobStore({ root }).put('k', new Uint8Array(1));
    assert.deepEqual(await readdir(path.join(root, '.tmp')), ['in-flight-upload']);
  });

  it('fails with StorageError when a key collides with a directory of other keys', async () => {
    const store = createDiskBlobStore({ root: path.join(dir, 'collide') });
    await store.put('a/b/c', new Uint8Array(1));
    await assert.rejects(store.put('a/b', new Uint8Array(1)), StorageError);
    assert.equal(await store.get('a/b'), null);
  });
});
