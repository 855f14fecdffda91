/**
 * Blob store on a local (or network) file system. Data files live at `<root>/<key>` as plain
 * files, so a tree written by Athens' disk storage can be read as is. Metadata lives in a parallel
 * tree, `<root>/.meta/<key>.json`, and names the inode and size of the data file it belongs to.
 *
 * put: stream into `<root>/.tmp/<uuid>`, fsync, write the sidecar the same way, then (under a
 * per-key lock) rename the sidecar into place and then the data file. Rename is atomic, so readers
 * see the old file or the complete new one; a reader that finds a sidecar naming another inode
 * (the moment between the two renames) retries, so data and metadata are always read as a pair.
 * A data file without a sidecar (written by hand or by Athens) reads with empty metadata.
 *
 * Keys whose first element is `.tmp` or `.meta` are reserved. A key cannot be both an object and
 * a "directory" of other keys here (`a/b` and `a/b/c`): such a put fails with StorageError.
 */
import { randomUUID } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BlobInfo, BlobObject, BlobStore, PutOptions } from './blob-store.js';
import { StorageError, toStorageError } from './blob-store.js';
import {
  ABSENT,
  errnoOf,
  fileStream,
  sameFile,
  sweepStale,
  syncDir,
  unlinkIfPresent,
  writeBatched,
  writeSynced,
} from './disk-files.js';
import { walkSorted } from './disk-walk.js';
import { KeyLock } from './key-lock.js';
import { assertSafeKey, assertSafePrefix, assertValidMetadata } from './safe-key.js';
import type { PutBody } from './streams.js';
import { checkedChunks } from './streams.js';

export interface DiskStoreOptions {
  root: string;
}

interface Sidecar {
  v: 1;
  ino: number;
  size: number;
  metadata: Record<string, string>;
  contentType?: string;
}

const BACKEND = 'disk';
const TMP_DIR = '.tmp';
const META_DIR = '.meta';
const RESERVED = new Set([TMP_DIR, META_DIR]);
const PAIR_ATTEMPTS = 8;
const STALE_TMP_MS = 24 * 60 * 60 * 1000;

function checkSignal(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted) {
    throw new StorageError(`${BACKEND}: ${what} aborted`, { cause: signal.reason, backend: BACKEND });
  }
}

class DiskBlobStore implements BlobStore {
  readonly backend = 'disk' as const;
  private readonly root: string;
  private readonly tmpDir: string;
  private readonly locks = new KeyLock();
  private tmpReady: Promise<void> | undefined;

  constructor(options: DiskStoreOptions) {
    this.root = path.resolve(options.root);
    this.tmpDir = path.join(this.root, TMP_DIR);
  }

  private dataPath(key: string): string {
    assertSafeKey(key, BACKEND);
    const first = key.split('/', 1)[0] ?? '';
    if (RESERVED.has(first)) {
      throw new StorageError(`${BACKEND}: key ${JSON.stringify(key)} uses a reserved name`, {
        backend: BACKEND,
      });
    }
    const full = path.join(this.root, ...key.split('/'));
    if (!full.startsWith(this.root + path.sep)) {
      throw new StorageError(`${BACKEND}: key ${JSON.stringify(key)} escapes the root`, { backend: BACKEND });
    }
    return full;
  }

  private metaPath(key: string): string {
    return `${path.join(this.root, META_DIR, ...key.split('/'))}.json`;
  }

  private async readSidecar(key: string): Promise<Sidecar | null> {
    let text: string;
    try {
      text = await readFile(this.metaPath(key), 'utf8');
    } catch (err) {
      if (ABSENT.has(errnoOf(err) ?? '')) return null;
      throw err;
    }
    return JSON.parse(text) as Sidecar;
  }

  /** Opens the data file and reads its matching sidecar; null when absent. The caller closes `fh`. */
  private async openPair(
    key: string,
    signal: AbortSignal | undefined,
  ): Promise<{ fh: FileHandle; size: number; metadata: Record<string, string> } | null> {
    const file = this.dataPath(key);
    for (let attempt = 1; ; attempt++) {
      checkSignal(signal, 'read');
      let fh: FileHandle;
      try {
        fh = await open(file, 'r');
      } catch (err) {
        if (ABSENT.has(errnoOf(err) ?? '')) return null;
        throw err;
      }
      try {
        const st = await fh.stat();
        if (!st.isFile()) {
          await fh.close();
          return null;
        }
        const sidecar = await this.readSidecar(key);
        if (sidecar !== null && sidecar.ino === st.ino && sidecar.size === st.size) {
          return { fh, size: st.size, metadata: sidecar.metadata };
        }
        // No sidecar: a foreign file, or one deleted since we opened it (then look again).
        if (sidecar === null && (await sameFile(file, st.ino))) return { fh, size: st.size, metadata: {} };
        if (attempt >= PAIR_ATTEMPTS) {
          // The sidecar belongs to another file for good (e.g. the data file was replaced by hand).
          return { fh, size: st.size, metadata: {} };
        }
      } catch (err) {
        await fh.close();
        throw err;
      }
      await fh.close();
      await sleep(attempt * 2);
    }
  }

  async get(key: string, signal?: AbortSignal): Promise<BlobObject | null> {
    this.dataPath(key);
    try {
      const pair = await this.openPair(key, signal);
      if (pair === null) return null;
      return { size: pair.size, metadata: Object.freeze(pair.metadata), body: fileStream(pair.fh) };
    } catch (err) {
      throw toStorageError(err, BACKEND, `get ${key}`);
    }
  }

  async head(key: string, signal?: AbortSignal): Promise<BlobInfo | null> {
    this.dataPath(key);
    try {
      const pair = await this.openPair(key, signal);
      if (pair === null) return null;
      await pair.fh.close();
      return { size: pair.size, metadata: Object.freeze(pair.metadata) };
    } catch (err) {
      throw toStorageError(err, BACKEND, `head ${key}`);
    }
  }

  /** Creates `.tmp/` once, removing temp files a crashed process left there more than a day ago. */
  private ensureTmp(): Promise<void> {
    this.tmpReady ??= mkdir(this.tmpDir, { recursive: true }).then(
      () => sweepStale(this.tmpDir, STALE_TMP_MS),
      (err: unknown) => {
        this.tmpReady = undefined;
        throw err;
      },
    );
    return this.tmpReady;
  }

  /** Opens a new temp file; re-creates `.tmp/` if something removed it since. */
  private async openTemp(file: string): Promise<FileHandle> {
    await this.ensureTmp();
    try {
      return await open(file, 'wx', 0o644);
    } catch (err) {
      if (errnoOf(err) !== 'ENOENT') throw err;
      this.tmpReady = undefined;
      await this.ensureTmp();
      return open(file, 'wx', 0o644);
    }
  }

  async put(key: string, body: PutBody, options: PutOptions = {}): Promise<void> {
    const target = this.dataPath(key);
    assertValidMetadata(options.metadata, BACKEND);
    const tmpData = path.join(this.tmpDir, randomUUID());
    const tmpMeta = `${tmpData}.json`;
    try {
      const fh = await this.openTemp(tmpData);
      let ino: number;
      let size: number;
      try {
        await writeBatched(fh, checkedChunks(body, BACKEND, options.size, options.signal));
        await fh.sync();
        const st = await fh.stat();
        ino = st.ino;
        size = st.size;
      } finally {
        await fh.close();
      }
      const sidecar: Sidecar = { v: 1, ino, size, metadata: { ...options.metadata } };
      if (options.contentType !== undefined) sidecar.contentType = options.contentType;
      await writeSynced(tmpMeta, JSON.stringify(sidecar));
      checkSignal(options.signal, 'put');
      const metaFile = this.metaPath(key);
      await this.locks.run(key, async () => {
        await mkdir(path.dirname(metaFile), { recursive: true });
        await rename(tmpMeta, metaFile);
        await mkdir(path.dirname(target), { recursive: true });
        await rename(tmpData, target);
      });
      await syncDir(path.dirname(target));
    } catch (err) {
      await rm(tmpData, { force: true }).catch(() => undefined);
      await rm(tmpMeta, { force: true }).catch(() => undefined);
      throw toStorageError(err, BACKEND, `put ${key}`);
    }
  }

  async *list(prefix: string, signal?: AbortSignal): AsyncIterable<string> {
    assertSafePrefix(prefix, BACKEND);
    const slash = prefix.lastIndexOf('/');
    const dirPart = slash < 0 ? '' : prefix.slice(0, slash + 1);
    const namePrefix = prefix.slice(slash + 1);
    const dir = path.join(this.root, ...dirPart.split('/').filter((e) => e !== ''));
    const skipTop = dirPart === '' ? RESERVED : new Set<string>();
    try {
      for await (const key of walkSorted(dir, dirPart, namePrefix, skipTop)) {
        checkSignal(signal, 'list');
        yield key;
      }
    } catch (err) {
      throw toStorageError(err, BACKEND, `list ${prefix}`);
    }
  }

  async delete(key: string, signal?: AbortSignal): Promise<void> {
    const target = this.dataPath(key);
    try {
      checkSignal(signal, 'delete');
      await this.locks.run(key, async () => {
        await unlinkIfPresent(target);
        await unlinkIfPresent(this.metaPath(key));
      });
    } catch (err) {
      throw toStorageError(err, BACKEND, `delete ${key}`);
    }
  }

  async ping(signal?: AbortSignal): Promise<void> {
    try {
      checkSignal(signal, 'ping');
      const st = await stat(this.root);
      if (!st.isDirectory()) throw new StorageError(`${BACKEND}: root ${this.root} is not a directory`);
      await this.ensureTmp();
    } catch (err) {
      throw toStorageError(err, BACKEND, 'ping');
    }
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

export function createDiskBlobStore(options: DiskStoreOptions): BlobStore {
  return new DiskBlobStore(options);
}
