/**
 * Picks a blob store from configuration. The only place that knows every concrete backend.
 */
import type { BlobStore } from './blob-store.js';
import { createDiskBlobStore } from './disk.js';
import { createGcsBlobStore } from './gcs.js';
import { createMemoryBlobStore } from './memory.js';
import { createS3BlobStore } from './s3.js';

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

export type StorageConfig =
  | { type: 'disk'; root: string }
  | { type: 'memory'; maxBytes?: number }
  | {
      type: 's3';
      bucket: string;
      prefix?: string;
      region?: string;
      endpoint?: string;
      forcePathStyle?: boolean;
      accessKeyId?: string;
      secretAccessKey?: string;
      sessionToken?: string;
    }
  | {
      type: 'gcs';
      bucket: string;
      prefix?: string;
      projectId?: string;
      keyFilename?: string;
      apiEndpoint?: string;
    };

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
