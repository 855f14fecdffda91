/**
 * ArtifactStore over a BlobStore and a key layout (storage/keys.ts). Write protocol: the zip
 * (streamed), then its record (size and `h1:`, like the go command's `.ziphash`), then the mod,
 * then the info last as the completion marker. A version is visible only once its info exists; a
 * zip whose stored size differs from its record is never served.
 */
import { StorageError, type BlobStore } from '../../storage/blob-store.js';
import { layoutFor, type KeyLayout, type LayoutName } from '../../storage/keys.js';
import type { ArtifactStore, StoredZip, VersionArtifacts } from './artifact-store.js';

const MAX_SMALL = 32 << 20;
/** Metadata key of a mutable answer's fetch time (ms since the epoch). */
const STORED_AT = 'stored-at';

interface ZipRecord {
  size: number;
  h1: string;
}

async function readSmall(store: BlobStore, key: string, signal?: AbortSignal): Promise<Uint8Array | null> {
  const obj = await store.get(key, signal);
  if (!obj) return null;
  if (obj.size > MAX_SMALL) {
    await obj.body.cancel();
    throw new StorageError(`${key}: unexpectedly large (${obj.size} bytes)`);
  }
  const out = new Uint8Array(obj.size);
  let n = 0;
  for await (const chunk of obj.body) {
    if (n + chunk.byteLength > out.length) throw new StorageError(`${key}: longer than its recorded size`);
    out.set(chunk, n);
    n += chunk.byteLength;
  }
  if (n !== out.length) throw new StorageError(`${key}: shorter than its recorded size`);
  return out;
}

export interface ArtifactStoreOptions {
  layout?: LayoutName;
}

export function createArtifactStore(store: BlobStore, options: ArtifactStoreOptions = {}): ArtifactStore {
  const keys: KeyLayout = layoutFor(options.layout ?? 'stoa', store.backend);

  async function readRecord(
    module: string,
    version: string,
    signal?: AbortSignal,
  ): Promise<ZipRecord | null> {
    const key = keys.zipRecord(module, version);
    if (key === null) return null;
    const bytes = await readSmall(store, key, signal);
    if (!bytes) return null;
    const value = JSON.parse(new TextDecoder().decode(bytes)) as Partial<ZipRecord>;
    if (typeof value.size !== 'number' || typeof value.h1 !== 'string') {
      throw new StorageError(`${key}: malformed zip record`);
    }
    return { size: value.size, h1: value.h1 };
  }

  return {
    async getAnswer(kind, module, signal) {
      const key = kind === 'list' ? keys.list(module) : keys.latest(module);
      const meta = await store.head(key, signal);
      if (!meta) return null;
      const body = await readSmall(store, key, signal);
      if (!body) return null;
      const at = Number(meta.metadata[STORED_AT] ?? 0);
      return { body, storedAt: new Date(Number.isFinite(at) ? at : 0) };
    },

    async putAnswer(kind, module, body, signal) {
      const key = kind === 'list' ? keys.list(module) : keys.latest(module);
      await store.put(key, body, {
        contentType: kind === 'list' ? 'text/plain; charset=utf-8' : 'application/json',
        metadata: { [STORED_AT]: String(Date.now()) },
        signal,
      });
    },

    async getInfo(module, version, signal) {
      return readSmall(store, keys.info(module, version), signal);
    },

    async getMod(module, version, signal) {
      if ((await store.head(keys.info(module, version), signal)) === null) return null;
      return readSmall(store, keys.mod(module, version), signal);
    },

    async getZip(module, version, signal): Promise<StoredZip | null> {
      if ((await store.head(keys.info(module, version), signal)) === null) return null;
      const record = await readRecord(module, version, signal);
      const obj = await store.get(keys.zip(module, version), signal);
      if (!obj) return null;
      if (record && record.size !== obj.size) {
        await obj.body.cancel();
        throw new StorageError(
          `${keys.zip(module, version)}: stored size ${obj.size} differs from recorded size ${record.size}`,
        );
      }
      return { body: obj.body, size: obj.size };
    },

    async putVersion(module, version, artifacts: VersionArtifacts, signal) {
      await store.put(keys.zip(module, version), artifacts.zip.stream, {
        contentType: 'application/zip',
        signal,
      });
      const { hash, size } = await artifacts.zip.result;
      const recordKey = keys.zipRecord(module, version);
      if (recordKey !== null) {
        const record: ZipRecord = { size, h1: hash };
        await store.put(recordKey, new TextEncoder().encode(JSON.stringify(record)), {
          contentType: 'application/json',
          signal,
        });
      }
      await store.put(keys.mod(module, version), artifacts.mod, {
        contentType: 'text/plain; charset=utf-8',
        signal,
      });
      await store.put(keys.info(module, version), artifacts.info, {
        contentType: 'application/json',
        signal,
      });
    },

    async listVersions(module, signal) {
      const out: string[] = [];
      for await (const key of store.list(keys.versionsPrefix(module), signal)) {
        const v = keys.versionOfInfoKey(module, key);
        if (v !== null) out.push(v);
      }
      return out;
    },
  };
}
