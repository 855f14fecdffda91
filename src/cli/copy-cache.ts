/**
 * `stoa copy --from <store> --to <store>`: copies every complete module version (info, mod, zip)
 * from one blob store to another, e.g. an Athens disk cache into stoa's S3 layout.
 *
 * Per version: the source zip is spooled to a temp file while its sha256 and size are computed;
 * its h1 is computed from the file (and must match the h1 the source recorded, if any); then the
 * target's module store writes zip, record, mod and .info last; then the copy is read back and
 * its bytes (sha256, size), mod, info and recorded h1 are checked. Versions already complete in
 * the target are skipped, so an interrupted copy is resumed by running it again.
 *
 * Exit codes: 0 all copied or skipped, 1 some versions failed, 2 usage error.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pLimit from 'p-limit';
import type { BlobObject, BlobStore, StorageConfig } from '../../storage/index.js';
import { createBlobStore } from '../../storage/index.js';
import type { LayoutName } from '../../storage/keys.js';
import type { ModuleStore } from '../../storage/module-store.js';
import { createModuleStore } from '../../storage/module-store.js';
import { streamFromIterator } from '../../storage/streams.js';
import { parseStoreSpec } from './store-spec.js';
import { hashZipFile } from './zip-h1.js';

export interface CopyCacheIo {
  stdout: (line: string) => void;
  stderr: (line: string) => void;
  /** Builds a store from a parsed spec (default: storage's createBlobStore, closed at the end). */
  createStore?: (config: StorageConfig) => BlobStore;
  /** h1 of a module zip file (default: ./zip-h1.ts). */
  hashZipFile?: (file: string) => Promise<string>;
  /** Where zips are spooled (default: the OS temp dir). */
  tmpDir?: string;
  signal?: AbortSignal;
  /** Called when a version is found and when one is finished (drives the progress bar). */
  onProgress?: (p: CopyProgress) => void;
}

export interface CopyProgress {
  /** Versions found in the source so far (the total is known once listing ends). */
  found: number;
  done: number;
  listing: boolean;
}

export const COPY_USAGE = `usage: stoa copy --from <store> --to <store> [options]

stores: disk:<dir> (or a path), s3://bucket/prefix?region=&endpoint=&path-style=true,
        gcs://bucket/prefix?project=&endpoint=&key-file=, memory:
options:
  --from-layout stoa|athens|athens-disk|athens-object   source key layout (default stoa)
  --to-layout   stoa|athens|athens-disk|athens-object   target key layout (default stoa)
  --module <path>       copy only this module (repeatable)
  --concurrency <n>     versions copied at once (default 4)`;

const LAYOUTS: readonly LayoutName[] = ['stoa', 'athens', 'athens-disk', 'athens-object'];
const MAX_SMALL = 16 * 1024 * 1024;

interface Counts {
  copied: number;
  skipped: number;
  failed: number;
}

async function readSmall(object: BlobObject | null, what: string): Promise<Uint8Array> {
  if (object === null) throw new Error(`${what} disappeared from the source`);
  if (object.size > MAX_SMALL) throw new Error(`${what} is ${object.size} bytes, too large`);
  const out = new Uint8Array(object.size);
  let offset = 0;
  for await (const chunk of object.body) {
    if (offset + chunk.byteLength > out.byteLength) throw new Error(`${what} is longer than stated`);
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  if (offset !== out.byteLength) throw new Error(`${what} ended early`);
  return out;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(
    Buffer.from(b.buffer, b.byteOffset, b.byteLength),
  );
}

async function digest(
  body: AsyncIterable<Uint8Array>,
  spoolTo?: string,
): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  const fh = spoolTo === undefined ? undefined : await open(spoolTo, 'wx', 0o600);
  try {
    for await (const chunk of body) {
      hash.update(chunk);
      size += chunk.byteLength;
      if (fh !== undefined) await fh.write(chunk);
    }
  } finally {
    await fh?.close();
  }
  return { sha256: hash.digest('hex'), size };
}

function fileBody(file: string): ReadableStream<Uint8Array> {
  async function* chunks(): AsyncGenerator<Uint8Array, void, undefined> {
    for await (const chunk of createReadStream(file)) yield chunk as Buffer;
  }
  return streamFromIterator(chunks());
}

async function copyVersion(
  source: ModuleStore,
  target: ModuleStore,
  module: string,
  version: string,
  spoolDir: string,
  hashZip: (file: string) => Promise<string>,
  signal: AbortSignal | undefined,
): Promise<'copied' | 'skipped'> {
  if (await target.hasVersion(module, version, signal)) return 'skipped';
  const id = `${module}@${version}`;
  const info = await readSmall(await source.getInfo(module, version, signal), `${id} .info`);
  const mod = await readSmall(await source.getMod(module, version, signal), `${id} .mod`);
  const zip = await source.getZip(module, version, signal);
  if (zip === null) throw new Error(`${id} .zip is missing or does not match its recorded size`);
  const spool = path.join(spoolDir, `${createHash('sha256').update(id).digest('hex')}.zip`);
  try {
    const spooled = await digest(zip.body, spool);
    if (zip.sha256 !== null && zip.sha256 !== spooled.sha256) {
      throw new Error(`${id} source zip does not match its recorded sha256`);
    }
    const h1 = await hashZip(spool);
    if (zip.h1 !== null && zip.h1 !== h1) {
      throw new Error(`${id} source zip hashes to ${h1}, but the source recorded ${zip.h1}`);
    }
    await target.putVersion(module, version, {
      info,
      mod,
      zip: fileBody(spool),
      zipSize: spooled.size,
      zipHash: h1,
      ...(signal === undefined ? {} : { signal }),
    });
    // Read the copy back: same bytes, same record, complete.
    const copied = await target.getZip(module, version, signal);
    if (copied === null) throw new Error(`${id} is not complete in the target after the copy`);
    const check = await digest(copied.body);
    if (check.sha256 !== spooled.sha256 || check.size !== spooled.size) {
      throw new Error(`${id} zip in the target differs from the source`);
    }
    if (copied.h1 !== null && copied.h1 !== h1) throw new Error(`${id} target records another h1`);
    const copiedMod = await readSmall(await target.getMod(module, version, signal), `${id} target .mod`);
    const copiedInfo = await readSmall(await target.getInfo(module, version, signal), `${id} target .info`);
    if (!sameBytes(copiedMod, mod) || !sameBytes(copiedInfo, info)) {
      throw new Error(`${id} .mod or .info in the target differs from the source`);
    }
    return 'copied';
  } finally {
    await rm(spool, { force: true });
  }
}

async function* sourceVersions(
  source: ModuleStore,
  modules: readonly string[],
  signal: AbortSignal | undefined,
): AsyncGenerator<{ module: string; version: string }> {
  if (modules.length > 0) {
    for (const module of modules) {
      for (const version of await source.listVersions(module, signal)) yield { module, version };
    }
    return;
  }
  for await (const key of source.blobStore.list('', signal)) {
    const parsed = source.layout.parseInfoKey(key);
    if (parsed !== null) yield parsed;
  }
}

function parseLayout(value: string | undefined, flag: string): LayoutName {
  const layout = (value ?? 'stoa') as LayoutName;
  if (!LAYOUTS.includes(layout)) throw new Error(`${flag} must be one of ${LAYOUTS.join(', ')}`);
  return layout;
}

export async function runCopyCache(argv: readonly string[], io: CopyCacheIo): Promise<number> {
  let from: StorageConfig;
  let to: StorageConfig;
  let fromLayout: LayoutName;
  let toLayout: LayoutName;
  let concurrency: number;
  let modules: string[];
  try {
    const { values } = parseArgs({
      args: [...argv],
      options: {
        from: { type: 'string' },
        to: { type: 'string' },
        'from-layout': { type: 'string' },
        'to-layout': { type: 'string' },
        module: { type: 'string', multiple: true },
        concurrency: { type: 'string' },
        help: { type: 'boolean' },
      },
      strict: true,
      allowPositionals: false,
    });
    if (values.help === true) {
      io.stdout(COPY_USAGE);
      return 0;
    }
    if (values.from === undefined || values.to === undefined) throw new Error('--from and --to are required');
    from = parseStoreSpec(values.from);
    to = parseStoreSpec(values.to);
    fromLayout = parseLayout(values['from-layout'], '--from-layout');
    toLayout = parseLayout(values['to-layout'], '--to-layout');
    concurrency = Number(values.concurrency ?? '4');
    if (!Number.isInteger(concurrency) || concurrency < 1)
      throw new Error('--concurrency must be a positive integer');
    modules = values.module ?? [];
  } catch (err) {
    io.stderr(`stoa copy: ${err instanceof Error ? err.message : String(err)}`);
    io.stderr(COPY_USAGE);
    return 2;
  }

  const sourceBlobs = (io.createStore ?? createBlobStore)(from);
  const targetBlobs = (io.createStore ?? createBlobStore)(to);
  const source = createModuleStore(sourceBlobs, { layout: fromLayout });
  const target = createModuleStore(targetBlobs, { layout: toLayout });
  const spoolDir = await mkdtemp(path.join(io.tmpDir ?? tmpdir(), 'stoa-copy-'));
  const counts: Counts = { copied: 0, skipped: 0, failed: 0 };
  const limit = pLimit(concurrency);
  const hashZip = io.hashZipFile ?? hashZipFile;
  const tasks: Promise<void>[] = [];
  let found = 0;
  let done = 0;
  let listing = true;
  const progress = (): void => io.onProgress?.({ found, done, listing });
  try {
    for await (const { module, version } of sourceVersions(source, modules, io.signal)) {
      found++;
      progress();
      tasks.push(
        limit(async () => {
          const id = `${module}@${version}`;
          try {
            const result = await copyVersion(source, target, module, version, spoolDir, hashZip, io.signal);
            counts[result]++;
            io.stdout(`${result} ${id}`);
          } catch (err) {
            counts.failed++;
            io.stderr(`failed ${id}: ${err instanceof Error ? err.message : String(err)}`);
          } finally {
            done++;
            progress();
          }
        }),
      );
    }
  } catch (err) {
    io.stderr(`stoa copy: listing the source failed: ${err instanceof Error ? err.message : String(err)}`);
    counts.failed++;
  } finally {
    listing = false;
    progress();
    await Promise.all(tasks);
    await rm(spoolDir, { recursive: true, force: true });
    // Stores built from io.createStore belong to the caller.
    if (io.createStore === undefined) await Promise.all([sourceBlobs.close(), targetBlobs.close()]);
  }
  io.stdout(`stoa copy: ${counts.copied} copied, ${counts.skipped} skipped, ${counts.failed} failed`);
  return counts.failed === 0 ? 0 : 1;
}
