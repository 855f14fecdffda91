/**
 * ArtifactStore over storage/'s module store, which owns the write protocol: the zip (with its
 * `h1:`, size and sha256 recorded), then the mod, then the info last as the completion marker; a
 * version is visible only once its info exists, and a zip whose stored size differs from its
 * record is treated as absent (and filled again) instead of being served.
 */
import type { BlobObject, BlobStore } from '../../storage/blob-store.js';
import type { LayoutName } from '../../storage/keys.js';
import { createModuleStore, type IntegrityEvent } from '../../storage/module-store.js';
import type { ArtifactStore, StoredZip } from './artifact-store.js';

async function readAll(object: BlobObject | null): Promise<Uint8Array | null> {
  if (object === null) return null;
  const out = new Uint8Array(object.size);
  let n = 0;
  for await (const chunk of object.body) {
    out.set(chunk.subarray(0, Math.max(0, out.length - n)), n);
    n += chunk.byteLength;
  }
  return n === out.length ? out : null;
}

export interface ArtifactStoreOptions {
  layout?: LayoutName;
  /** A stored zip failed its size check (logged and counted by the caller). */
  onIntegrityError?: (event: IntegrityEvent) => void;
}

export function createArtifactStore(blobStore: BlobStore, options: ArtifactStoreOptions = {}): ArtifactStore {
  const store = createModuleStore(blobStore, {
    layout: options.layout ?? 'stoa',
    onIntegrityError: options.onIntegrityError,
  });
  return {
    async getAnswer(kind, module, signal) {
      return kind === 'list' ? store.getList(module, signal) : store.getLatest(module, signal);
    },
    async putAnswer(kind, module, body, signal) {
      await (kind === 'list' ? store.putList(module, body, signal) : store.putLatest(module, body, signal));
    },
    async getInfo(module, version, signal) {
      return readAll(await store.getInfo(module, version, signal));
    },
    async getMod(module, version, signal) {
      return readAll(await store.getMod(module, version, signal));
    },
    async getZip(module, version, signal): Promise<StoredZip | null> {
      const zip = await store.getZip(module, version, signal);
      return zip === null ? null : { body: zip.body, size: zip.size };
    },
    async putVersion(module, version, artifacts, signal) {
      await store.putVersion(module, version, {
        info: artifacts.info,
        mod: artifacts.mod,
        zip: artifacts.zip.stream,
        zipHash: artifacts.zip.hash,
        signal,
      });
      // Surface a failure of the zip builder even if the store already took every byte.
      await artifacts.zip.done;
    },
    listVersions(module, signal) {
      return store.listVersions(module, signal);
    },
  };
}
