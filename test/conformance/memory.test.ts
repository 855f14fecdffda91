import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StorageError } from '../../storage/blob-store.js';
import { createMemoryBlobStore } from '../../storage/memory.js';
import { registerBlobStoreSuite } from './blob-store.case.js';
import { collect, streamOf } from './blob-store-helpers.js';

registerBlobStoreSuite({
  name: 'memory',
  create: () => {
    const store = createMemoryBlobStore({ maxBytes: 1024 * 1024 * 1024 });
    return Promise.resolve({ store, cleanup: () => store.close() });
  },
  bigObject: true,
  holdsBytesInProcess: true,
});

describe('memory store: byte cap', () => {
  it('refuses a put over maxBytes with StorageError and stores nothing; frees bytes on delete', async () => {
    const store = createMemoryBlobStore({ maxBytes: 1000 });
    await store.put('a', new Uint8Array(600));
    await assert.rejects(store.put('b', streamOf(new Uint8Array(500), 100)), StorageError);
    await assert.rejects(store.put('b', new Uint8Array(401)), StorageError);
    assert.equal(await store.get('b'), null);
    assert.deepEqual(await collect(store.list('')), ['a']);
    await store.delete('a');
    await store.put('b', new Uint8Array(1000));
    assert.equal((await store.head('b'))?.size, 1000);
    await store.close();
    await assert.rejects(store.get('b'), StorageError);
  });
});
