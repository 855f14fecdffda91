import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { StorageError } from '../../storage/blob-store.js';
import { registerBlobStoreSuite } from './blob-store.case.js';
import { collect, generatedStream, readAll, streamOf } from './blob-store-helpers.js';
import { createS3BlobStore } from '../../storage/s3.js';
import { startS3rver } from '../fixtures/s3rver.js';

registerBlobStoreSuite({
  name: 's3 (s3rver)',
  create: async () => {
    const server = await startS3rver();
    const store = createS3BlobStore({ ...server.clientConfig, prefix: 'cache' });
    return {
      store,
      cleanup: async () => {
        await store.close();
        await server.close();
      },
    };
  },
  bigObject: true,
  manyKeys: 1005,
  unsortedListReason:
    's3rver lists in directory-walk order (a/b/x before a/b-c); S3 lists in UTF-8 byte order',
  atomicOverwrite: {
    skip: 's3rver writes objects in place (FilesystemStore.putObject streams into the final file), so readers can see a partial overwrite; S3 itself replaces objects atomically',
  },
});

describe('s3 store: faults', () => {
  it('fails a put with StorageError when the server dies mid-upload, shows nothing, recovers after restart', async () => {
    const server = await startS3rver();
    const store = createS3BlobStore({ ...server.clientConfig, maxAttempts: 2 });
    try {
      await store.put('seed', new Uint8Array([1]));
      const key = 'github.com/a/b/@v/v1.0.0.zip';
      let killing: Promise<void> | undefined;
      const source = generatedStream(100, 3, (n) => {
        if (n === 30) killing = server.kill();
      });
      await assert.rejects(store.put(key, source.stream), StorageError);
      await killing;
      await assert.rejects(store.get(key), StorageError, 'a dead server is an error, not absence');
      await assert.rejects(store.ping(), StorageError);
      await server.restart();
      assert.equal(await store.head(key), null);
      assert.deepEqual(await collect(store.list('')), ['seed']);
      const bytes = new TextEncoder().encode('after the restart');
      await store.put(key, bytes);
      const got = await store.get(key);
      assert.ok(got);
      assert.equal((await readAll(got.body)).toString(), 'after the restart');
    } finally {
      await store.close();
      await server.close();
    }
  });

  it('maps 503 SlowDown and connection refused to StorageError, never to absence', async () => {
    const slow = http.createServer((req, res) => {
      req.resume();
      res.writeHead(503, { 'content-type': 'application/xml' });
      res.end(
        '<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>',
      );
    });
    await new Promise<void>((resolve) => slow.listen(0, '127.0.0.1', resolve));
    const port = (slow.address() as AddressInfo).port;
    const base = {
      bucket: 'b',
      region: 'us-east-1',
      forcePathStyle: true,
      accessKeyId: 'k',
      secretAccessKey: 's',
      maxAttempts: 1,
    };
    const throttled = createS3BlobStore({ ...base, endpoint: `http://127.0.0.1:${port}` });
    try {
      await assert.rejects(
        throttled.get('a/b'),
        (err) => err instanceof StorageError && /SlowDown/.test(err.message),
      );
      await assert.rejects(throttled.head('a/b'), StorageError);
      await assert.rejects(throttled.put('a/b', new Uint8Array(3)), StorageError);
      await assert.rejects(throttled.put('a/b', streamOf(new Uint8Array(3))), StorageError);
      await assert.rejects(collect(throttled.list('a/')), StorageError);
      await assert.rejects(throttled.delete('a/b'), StorageError);
      await assert.rejects(throttled.ping(), StorageError);
    } finally {
      await throttled.close();
      await new Promise((resolve) => slow.close(resolve));
    }
    const refused = createS3BlobStore({ ...base, endpoint: `http://127.0.0.1:${port}` });
    try {
      await assert.rejects(refused.get('a/b'), StorageError);
      await assert.rejects(refused.ping(), StorageError);
    } finally {
      await refused.close();
    }
  });
});
