import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { StorageError } from '../../storage/blob-store.js';
import { createGcsBlobStore } from '../../storage/gcs.js';
import { collect } from './blob-store-helpers.js';
import { ensureFirebaseTools, startGcsEmulator } from '../fixtures/gcs-emulator.js';
import { registerBlobStoreSuite } from './blob-store.case.js';

// Installs the emulator on first use (about a minute); without it the suite is skipped, saying why.
const unavailable = await ensureFirebaseTools().then(
  () => undefined,
  (err: unknown) => `firebase-tools could not be installed here: ${String(err)}`,
);

registerBlobStoreSuite({
  name: 'gcs (firebase storage emulator)',
  ...(unavailable === undefined ? {} : { skip: unavailable }),
  create: async () => {
    const emulator = await startGcsEmulator();
    const store = createGcsBlobStore({
      bucket: 'stoa-test',
      prefix: 'cache',
      projectId: emulator.projectId,
      apiEndpoint: emulator.endpoint,
    });
    return {
      store,
      cleanup: async () => {
        await store.close();
        await emulator.close();
      },
    };
  },
  bigObject: true,
  manyKeys: 1005,
});

describe('gcs store: faults', () => {
  it('maps 503 answers and connection refused to StorageError, never to absence', async () => {
    const failing = http.createServer((req, res) => {
      req.resume();
      res.writeHead(503, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 503, message: 'backend unavailable', errors: [] } }));
    });
    await new Promise<void>((resolve) => failing.listen(0, '127.0.0.1', resolve));
    const endpoint = `http://127.0.0.1:${(failing.address() as AddressInfo).port}`;
    const options = { bucket: 'b', projectId: 'demo-test', apiEndpoint: endpoint, maxRetries: 0 };
    const store = createGcsBlobStore(options);
    await assert.rejects(store.get('a/b'), StorageError);
    await assert.rejects(store.head('a/b'), StorageError);
    await assert.rejects(store.put('a/b', new Uint8Array(3)), StorageError);
    await assert.rejects(collect(store.list('a/')), StorageError);
    await assert.rejects(store.ping(), StorageError);
    await new Promise((resolve) => failing.close(resolve));
    const refused = createGcsBlobStore(options);
    await assert.rejects(refused.get('a/b'), StorageError);
    await assert.rejects(refused.ping(), StorageError);
  });
});
