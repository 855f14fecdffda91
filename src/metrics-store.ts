/**
 * A BlobStore decorator that counts operations, failures and durations per backend into the
 * metrics. Absence (a null from get/head) is an answer, not a failure.
 */
import type { BlobStore } from '../storage/blob-store.js';
import type { Metrics, StoreOperation } from './metrics.js';

export function meterBlobStore(store: BlobStore, metrics: Metrics): BlobStore {
  const backend = store.backend;
  metrics.initStoreBackend(backend);

  async function timed<T>(operation: StoreOperation, work: () => Promise<T>): Promise<T> {
    metrics.storeOperations.inc({ backend, operation });
    const end = metrics.storeDuration.startTimer({ backend, operation });
    try {
      return await work();
    } catch (err) {
      metrics.storeErrors.inc({ backend, operation });
      throw err;
    } finally {
      end();
    }
  }

  async function* meteredList(prefix: string, signal?: AbortSignal): AsyncIterable<string> {
    metrics.storeOperations.inc({ backend, operation: 'list' });
    const end = metrics.storeDuration.startTimer({ backend, operation: 'list' });
    try {
      yield* store.list(prefix, signal);
    } catch (err) {
      metrics.storeErrors.inc({ backend, operation: 'list' });
      throw err;
    } finally {
      end();
    }
  }

  return {
    backend,
    get: (key, signal) => timed('get', () => store.get(key, signal)),
    head: (key, signal) => timed('head', () => store.head(key, signal)),
    put: (key, body, options) => timed('put', () => store.put(key, body, options)),
    list: meteredList,
    delete: (key, signal) => timed('delete', () => store.delete(key, signal)),
    ping: (signal) => timed('ping', () => store.ping(signal)),
    close: () => store.close(),
  };
}
