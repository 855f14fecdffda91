import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { StorageError } from '../../storage/blob-store.js';
import { createDiskBlobStore } from '../../storage/disk.js';
import { registerBlobStoreSuite } from './blob-store.case.js';
import { collect, endlessStream, readAll } from './blob-store-helpers.js';

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

  it('fails with StorageError when a key collides with a directory of other keys', async () => {
    const store = createDiskBlobStore({ root: path.join(dir, 'collide') });
    await store.put('a/b/c', new Uint8Array(1));
    await assert.rejects(store.put('a/b', new Uint8Array(1)), StorageError);
    assert.equal(await store.get('a/b'), null);
  });
});
