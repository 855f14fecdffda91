/**
 * The in-process cache of createArtifactStore over a real disk store (wrapped in a decorator that
 * counts the calls reaching it): warm hits skip the store, the byte bound and LRU order hold,
 * putVersion invalidates, and a zip whose file changes behind the store's back is never served
 * with a wrong length.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { BlobStore } from '../../storage/blob-store.js';
import { createDiskBlobStore } from '../../storage/disk.js';
import type { IntegrityEvent } from '../../storage/module-store.js';
import type { ArtifactStore, VersionArtifacts } from '../../src/service/artifact-store.js';
import { CACHE_ENTRY_OVERHEAD, createArtifactStore } from '../../src/service/artifact-store-impl.js';
import { ByteLru } from '../../src/service/byte-lru.js';

const H1 = `h1:${'A'.repeat(43)}=`;
const MODULE = 'example.com/m';
const encoder = new TextEncoder();

/** A real store that records every call made to it (operation and key). */
function counting(inner: BlobStore): { store: BlobStore; calls: string[] } {
  const calls: string[] = [];
  const store: BlobStore = {
    backend: inner.backend,
    get: (key, signal) => (calls.push(`get ${key}`), inner.get(key, signal)),
    head: (key, signal) => (calls.push(`head ${key}`), inner.head(key, signal)),
    put: (key, body, options) => (calls.push(`put ${key}`), inner.put(key, body, options)),
    list: (prefix, signal) => (calls.push(`list ${prefix}`), inner.list(prefix, signal)),
    delete: (key, signal) => (calls.push(`delete ${key}`), inner.delete(key, signal)),
    ping: (signal) => inner.ping(signal),
    close: () => inner.close(),
  };
  return { store, calls };
}

function artifacts(version: string, zip: Uint8Array, tag = ''): VersionArtifacts {
  return {
    info: encoder.encode(JSON.stringify({ Version: version, Time: '2024-01-01T00:00:00Z', tag })),
    mod: encoder.encode(`module ${MODULE}\n// ${tag}\n`),
    zip: {
      hash: H1,
      stream: new ReadableStream({
        start(c) {
          c.enqueue(zip);
          c.close();
        },
      }),
      done: Promise.resolve(),
    },
  };
}

function zipOf(size: number, seed: number): Uint8Array {
  return Uint8Array.from({ length: size }, (_, i) => (i * 31 + seed) % 251);
}

async function readZip(store: ArtifactStore, version: string): Promise<Uint8Array | null> {
  const zip = await store.getZip(MODULE, version);
  if (zip === null) return null;
  const bytes = new Uint8Array(await new Response(zip.body).arrayBuffer()); // small test zips
  assert.equal(bytes.byteLength, zip.size, 'the body carries the announced size');
  return bytes;
}

describe('artifact store memory cache', () => {
  let dir: string;
  let n = 0;
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'stoa-artifact-cache-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  function setup(options: { memoryCacheBytes: number; smallZipBytes?: number }) {
    const root = path.join(dir, String(n++));
    const { store: blobs, calls } = counting(createDiskBlobStore({ root }));
    const events: IntegrityEvent[] = [];
    const store = createArtifactStore(blobs, { ...options, onIntegrityError: (e) => events.push(e) });
    const zipFile = (version: string) => path.join(root, 'example.com', 'm', '@v', `${version}.zip`);
    return { store, calls, events, zipFile };
  }

  it('serves warm .info, .mod and small zips without touching the store', async () => {
    const { store, calls } = setup({ memoryCacheBytes: 1024 * 1024 });
    const zip = zipOf(5000, 1);
    const put = artifacts('v1.0.0', zip);
    await store.putVersion(MODULE, 'v1.0.0', put);
    assert.deepEqual(await store.getInfo(MODULE, 'v1.0.0'), put.info);
    assert.deepEqual(await store.getMod(MODULE, 'v1.0.0'), put.mod);
    assert.deepEqual(await readZip(store, 'v1.0.0'), zip);
    const cold = calls.length;
    assert.ok(cold > 4, 'the cold reads went to the store');
    for (let i = 0; i < 3; i++) {
      assert.deepEqual(await store.getInfo(MODULE, 'v1.0.0'), put.info);
      assert.deepEqual(await store.getMod(MODULE, 'v1.0.0'), put.mod);
      assert.deepEqual(await readZip(store, 'v1.0.0'), zip);
    }
    assert.equal(calls.length, cold, 'no store call for warm reads');
  });

  it('hands out copies of .info/.mod: a caller mutating one does not change the cache', async () => {
    const { store } = setup({ memoryCacheBytes: 1024 * 1024 });
    const put = artifacts('v1.0.0', zipOf(10, 2));
    await store.putVersion(MODULE, 'v1.0.0', put);
    const first = await store.getInfo(MODULE, 'v1.0.0');
    assert.ok(first);
    first.fill(0);
    assert.deepEqual(await store.getInfo(MODULE, 'v1.0.0'), put.info);
  });

  it('serves a warm large zip with exactly one get of the zip object', async () => {
    const { store, calls } = setup({ memoryCacheBytes: 1024 * 1024, smallZipBytes: 1000 });
    const zip = zipOf(300_000, 3);
    await store.putVersion(MODULE, 'v1.0.0', artifacts('v1.0.0', zip));
    const before = calls.length;
    assert.deepEqual(await readZip(store, 'v1.0.0'), zip);
    assert.deepEqual(calls.slice(before), [
      'head example.com/m/@v/v1.0.0.info',
      'get example.com/m/@v/v1.0.0.ziprecord',
      'get example.com/m/@v/v1.0.0.zip',
    ]);
    const warm = calls.length;
    assert.deepEqual(await readZip(store, 'v1.0.0'), zip);
    assert.deepEqual(calls.slice(warm), ['get example.com/m/@v/v1.0.0.zip']);
  });

  it('never caches absence', async () => {
    const { store, calls } = setup({ memoryCacheBytes: 1024 * 1024 });
    assert.equal(await store.getInfo(MODULE, 'v9.0.0'), null);
    const after1 = calls.length;
    assert.equal(await store.getInfo(MODULE, 'v9.0.0'), null);
    assert.equal(calls.length, after1 + 1);
    assert.equal(await store.getZip(MODULE, 'v9.0.0'), null);
    await store.putVersion(MODULE, 'v9.0.0', artifacts('v9.0.0', zipOf(10, 4)));
    assert.notEqual(await store.getInfo(MODULE, 'v9.0.0'), null);
    assert.notEqual(await store.getZip(MODULE, 'v9.0.0'), null);
  });

  it('keeps within its byte bound, evicting the least recently used entry first', async () => {
    const versions = ['v1.0.0', 'v1.0.1', 'v1.0.2'];
    const infoSize = artifacts('v1.0.0', zipOf(1, 0)).info.byteLength;
    // Room for exactly two .info entries.
    const { store, calls } = setup({ memoryCacheBytes: 2 * (infoSize + CACHE_ENTRY_OVERHEAD) });
    for (const v of versions) await store.putVersion(MODULE, v, artifacts(v, zipOf(10, 5)));
    const storeReads = async (v: string): Promise<number> => {
      const before = calls.length;
      assert.notEqual(await store.getInfo(MODULE, v), null);
      return calls.length - before;
    };
    assert.equal(await storeReads('v1.0.0'), 1); // cold
    assert.equal(await storeReads('v1.0.1'), 1); // cold; cache: v1.0.0, v1.0.1
    assert.equal(await storeReads('v1.0.0'), 0); // hit; v1.0.1 is now the least recently used
    assert.equal(await storeReads('v1.0.2'), 1); // cold; evicts v1.0.1
    assert.equal(await storeReads('v1.0.0'), 0);
    assert.equal(await storeReads('v1.0.2'), 0);
    assert.equal(await storeReads('v1.0.1'), 1); // was evicted
  });

  it('memoryCacheBytes 0 disables the cache', async () => {
    const { store, calls } = setup({ memoryCacheBytes: 0 });
    await store.putVersion(MODULE, 'v1.0.0', artifacts('v1.0.0', zipOf(100, 6)));
    const before = calls.length;
    await store.getInfo(MODULE, 'v1.0.0');
    await store.getInfo(MODULE, 'v1.0.0');
    await readZip(store, 'v1.0.0');
    await readZip(store, 'v1.0.0');
    assert.equal(calls.length - before, 2 + 2 * 3);
  });

  it('putVersion invalidates what was cached of the version', async () => {
    const { store } = setup({ memoryCacheBytes: 1024 * 1024, smallZipBytes: 100 });
    await store.putVersion(MODULE, 'v1.0.0', artifacts('v1.0.0', zipOf(50, 7), 'old'));
    await store.putVersion(MODULE, 'v1.0.1', artifacts('v1.0.1', zipOf(500, 7), 'old'));
    for (const v of ['v1.0.0', 'v1.0.1']) {
      await store.getInfo(MODULE, v);
      await store.getMod(MODULE, v);
      await readZip(store, v);
    }
    const small = artifacts('v1.0.0', zipOf(60, 8), 'new');
    const large = artifacts('v1.0.1', zipOf(700, 8), 'new');
    await store.putVersion(MODULE, 'v1.0.0', small);
    await store.putVersion(MODULE, 'v1.0.1', large);
    assert.deepEqual(await store.getInfo(MODULE, 'v1.0.0'), small.info);
    assert.deepEqual(await store.getMod(MODULE, 'v1.0.0'), small.mod);
    assert.deepEqual(await readZip(store, 'v1.0.0'), zipOf(60, 8));
    assert.deepEqual(await store.getInfo(MODULE, 'v1.0.1'), large.info);
    assert.deepEqual(await readZip(store, 'v1.0.1'), zipOf(700, 8));
  });

  it('a zip cached as "complete, size N" but shorter on disk is absent (reported) and forgotten', async () => {
    const { store, calls, events, zipFile } = setup({ memoryCacheBytes: 1024 * 1024, smallZipBytes: 1000 });
    const zip = zipOf(4000, 9);
    await store.putVersion(MODULE, 'v1.0.0', artifacts('v1.0.0', zip));
    assert.deepEqual(await readZip(store, 'v1.0.0'), zip); // now cached as complete, 4000 bytes
    writeFileSync(zipFile('v1.0.0'), zip.subarray(0, 1000)); // behind the store's back
    assert.equal(await store.getZip(MODULE, 'v1.0.0'), null);
    assert.deepEqual(
      events.map((e) => [e.reason, e.expected, e.actual]),
      [['size-mismatch', 4000, 1000]],
    );
    const before = calls.length;
    assert.equal(await store.getZip(MODULE, 'v1.0.0'), null);
    assert.equal(calls.length - before, 3, 'the entry was dropped: the full check runs again');
    // A new fill replaces it and is served again.
    await store.putVersion(MODULE, 'v1.0.0', artifacts('v1.0.0', zip));
    assert.deepEqual(await readZip(store, 'v1.0.0'), zip);
  });

  it('a zip truncated while it streams errors instead of ending, and the entry is dropped', async () => {
    const { store, calls, zipFile } = setup({ memoryCacheBytes: 1024 * 1024, smallZipBytes: 1000 });
    const zip = zipOf(600_000, 10);
    await store.putVersion(MODULE, 'v1.0.0', artifacts('v1.0.0', zip));
    assert.deepEqual(await readZip(store, 'v1.0.0'), zip);
    const open = await store.getZip(MODULE, 'v1.0.0'); // warm: the file is open, size 600,000
    assert.ok(open);
    truncateSync(zipFile('v1.0.0'), 1000); // same inode, now short
    await assert.rejects(new Response(open.body).arrayBuffer(), /ended after 1000 of 600000 bytes/);
    const before = calls.length;
    assert.equal(await store.getZip(MODULE, 'v1.0.0'), null);
    assert.ok(calls.slice(before).includes('head example.com/m/@v/v1.0.0.info'), 'full check again');
  });

  it('a small zip held whole in memory is served from the copy verified when it was cached', async () => {
    const { store, calls, zipFile } = setup({ memoryCacheBytes: 1024 * 1024 });
    const zip = zipOf(4000, 11);
    await store.putVersion(MODULE, 'v1.0.0', artifacts('v1.0.0', zip));
    assert.deepEqual(await readZip(store, 'v1.0.0'), zip);
    writeFileSync(zipFile('v1.0.0'), zip.subarray(0, 1000));
    const before = calls.length;
    assert.deepEqual(await readZip(store, 'v1.0.0'), zip, 'the complete bytes, never the short file');
    assert.equal(calls.length, before);
  });

  it('copies at most its byte bound of zips at a time while they are first served', async () => {
    const { store, calls } = setup({ memoryCacheBytes: 1024 * 1024, smallZipBytes: 600_000 });
    const versions = ['v1.0.0', 'v1.0.1', 'v1.0.2'];
    for (const [i, v] of versions.entries())
      await store.putVersion(MODULE, v, artifacts(v, zipOf(500_000, i)));
    // All three read at once: the first two copies fit in 1 MiB, the third would not.
    const open = await Promise.all(versions.map((v) => store.getZip(MODULE, v)));
    const lengths = await Promise.all(
      open.map(async (zip) => (await new Response(zip?.body).arrayBuffer()).byteLength),
    );
    assert.deepEqual(lengths, [500_000, 500_000, 500_000]);
    // Which two were copied depends on the order the reads finished in. Probe without reading
    // (a cancelled body is not copied, so probing changes nothing).
    const costs: number[] = [];
    for (const v of versions) {
      const before = calls.length;
      const zip = await store.getZip(MODULE, v);
      costs.push(calls.length - before);
      await zip?.body.cancel();
    }
    assert.deepEqual(
      costs.toSorted((a, b) => a - b),
      [0, 0, 1],
      'two served from memory, one with a single get',
    );
  });

  it('does not keep a zip that was only partly read', async () => {
    const { store, calls } = setup({ memoryCacheBytes: 4 * 1024 * 1024, smallZipBytes: 2 * 1024 * 1024 });
    const zip = zipOf(1_500_000, 12);
    await store.putVersion(MODULE, 'v1.0.0', artifacts('v1.0.0', zip));
    const first = await store.getZip(MODULE, 'v1.0.0');
    assert.ok(first);
    const reader = first.body.getReader();
    await reader.read();
    await reader.cancel();
    const before = calls.length;
    assert.deepEqual(await readZip(store, 'v1.0.0'), zip);
    assert.deepEqual(calls.slice(before), ['get example.com/m/@v/v1.0.0.zip'], 'size known, bytes not');
    const after = calls.length;
    assert.deepEqual(await readZip(store, 'v1.0.0'), zip);
    assert.equal(calls.length, after, 'kept whole after one complete read');
  });
});

describe('ByteLru', () => {
  it('evicts least recently used first and never exceeds its bound', () => {
    const lru = new ByteLru<string>(10);
    assert.ok(lru.set('a', 'A', 4));
    assert.ok(lru.set('b', 'B', 4));
    assert.equal(lru.get('a'), 'A'); // b is now the oldest
    assert.ok(lru.set('c', 'C', 4));
    assert.deepEqual(lru.keys(), ['a', 'c']);
    assert.equal(lru.bytes, 8);
    assert.ok(lru.set('d', 'D', 10));
    assert.deepEqual(lru.keys(), ['d']);
    assert.equal(lru.bytes, 10);
  });

  it('refuses an entry larger than the bound, dropping the older value of that key', () => {
    const lru = new ByteLru<string>(10);
    lru.set('a', 'A', 5);
    lru.set('b', 'B', 5);
    assert.equal(lru.set('a', 'A2', 11), false);
    assert.deepEqual(lru.keys(), ['b']);
    assert.equal(lru.bytes, 5);
    assert.equal(new ByteLru<string>(0).set('x', 'X', 1), false);
  });
});
