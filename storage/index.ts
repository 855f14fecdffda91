/**
 * Picks a blob store from configuration. The only place that knows every concrete backend.
 */
import type { BlobStore } from './blob-store.js';
import { createDiskBlobStore, type DiskStoreOptions } from './disk.js';
import { createGcsBlobStore, type GcsStoreOptions } from './gcs.js';
import { createMemoryBlobStore, type MemoryStoreOptions } from './memory.js';
import { createS3BlobStore, type S3StoreOptions } from './s3.js';

export type { BackendName, BlobInfo, BlobObject, BlobStore, PutOptions } from './blob-store.js';
export { StorageError } from './blob-store.js';
export type { KeyLayout, LayoutName } from './keys.js';
export { layoutFor } from './keys.js';
export type {
  CachedAnswer,
  IntegrityEvent,
  ModuleStore,
  ModuleStoreOptions,
  StoredZip,
  VersionFiles,
  ZipRecord,
} from './module-store.js';
export { createModuleStore } from './module-store.js';

/** Which backend, with that backend's own options (one definition per backend, in its file). */
export type StorageConfig =
  | ({ type: 'disk' } & DiskStoreOptions)
  | ({ type: 'memory' } & MemoryStoreOptions)
  | ({ type: 's3' } & S3StoreOptions)
  | ({ type: 'gcs' } & GcsStoreOptions);

export function createBlobStore(config: StorageConfig): BlobStore {
  switch (config.type) {
    case 'disk':
      return createDiskBlobStore({ root: config.root });
    case 'memory':
      return createMemoryBlobStore(config.maxBytes === undefined ? {} : { maxBytes: config.maxBytes });
    case 's3': {
      const { type: _type, ...options } = config;
      return createS3BlobStore(options);
    }
    case 'gcs': {
      const { type: _type, ...options } = config;
      return createGcsBlobStore(options);
    }
  }
}
