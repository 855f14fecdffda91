/**
 * The one conformance suite every BlobStore backend registers with:
 *
 *   registerBlobStoreSuite({ name: 'disk', create: async () => ({ store, cleanup }) });
 *
 * The 200 MiB case streams a generated object through put and get while sampling this process'
 * RSS every 50 ms. Bound: growth over the baseline taken just before the transfer stays under
 * 150 MiB, plus the object size for a backend that keeps objects in this process (memory).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { BlobStore } from '../../storage/blob-store.js';
import { StorageError } from '../../storage/blob-store.js';
import { compareKeys } from '../../storage/safe-key.js';
import {
  MiB,
  collect,
  digestBytes,
  digestStream,
  endlessStream,
  failingStream,
  generatedStream,
  readAll,
  rssSampler,
  streamOf,
} from './blob-store-helpers.js';

export interface BlobStoreCase {
  name: string;
  /** Skip the whole suite, with the reason (e.g. the emulator cannot be installed here). */
  skip?: string;
  create: () => Promise<{ store: BlobStore; cleanup: () => Promise<void> }>;
  /** Run the 200 MiB streaming case (true), or skip it with the stated reason. */
  bigObject: true | { skip: string };
  /** The backend holds objects in this process' memory (raises the RSS bound by the object size). */
  holdsBytesInProcess?: boolean;
  /** Number of keys for the pagination case (more than the backend's page size). Default 30. */
  manyKeys?: number;
  /**
   * Why this server does not list in UTF-8 byte order (test servers only): the suite then checks
   * the listed set, not the order.
   */
  unsortedListReason?: string;
  /** Run the concurrent overwrite case (true), or skip it with the reason the server cannot pass it. */
  atomicOverwrite?: true | { skip: string };
}

const BIG_CHUNKS = 200;
const RSS_BOUND = 150 * MiB;

function isStorageError(err: unknown): boolean {
  return err instanceof StorageError && err.code === 'Storage';
}

export function registerBlobStoreSuite(c: BlobStoreCase): void {
  describe(`BlobStore conformance: ${c.name}`, c.skip === undefined ? {} : { skip: c.skip }, () => {
    let store: BlobStore;
    let cleanup: () => Promise<void> = () => Promise.resolve();

    before(async () => {
      ({ store, cleanup } = await c.create());
    });
    after(async () => {
      await cleanup();
    });

    const listed = async (prefix: string): Promise<string[]> => {
      const keys = await collect(store.list(prefix));
      return c.unsortedListReason === undefined ? keys : keys.sort(compareKeys);
    };

    it('answers null for a missing key, from get and head', async () => {
      assert.equal(await store.get('missing/github.com/a/b/@v/v1.0.0.zip'), null);
      assert.equal(await store.head('missing/github.com/a/b/@v/v1.0.0.zip'), null);
      assert.deepEqual(await collect(store.list('missing/')), []);
    });

    it('pings', async () => {
      await store.ping();
    });

    for (const size of [0, 1, 10 * MiB]) {
      it(`round-trips ${size} bytes given as bytes and as a stream`, async () => {
        const bytes = new Uint8Array(size).map((_, i) => (i * 31 + 7) % 256);
        await store.put(`rt/${size}/bytes`, bytes);
        await store.put(`rt/${size}/stream`, streamOf(bytes), { size });
        for (const key of [`rt/${size}/bytes`, `rt/${size}/stream`]) {
          const head = await store.head(key);
          assert.equal(head?.size, size);
          const got = await store.get(key);
          assert.ok(got, key);
          assert.equal(got.size, size);
          assert.deepEqual(await digestStream(got.body), digestBytes(bytes));
        }
      });
    }

    it('stays usable after a reader cancels a body half-way', async () => {
      const bytes = new Uint8Array(4 * MiB).fill(9);
      await store.put('cancel/obj', bytes);
      for (let i = 0; i < 3; i++) {
        const got = await store.get('cancel/obj');
        assert.ok(got);
        const reader = got.body.getReader();
        const first = await reader.read();
        assert.equal(first.done, false);
        await reader.cancel();
        assert.equal((await store.head('cancel/obj'))?.size, bytes.byteLength);
        assert.deepEqual(await listed('cancel/'), ['cancel/obj']);
      }
      const whole = await store.get('cancel/obj');
      assert.ok(whole);
      assert.deepEqual(await digestStream(whole.body), digestBytes(bytes));
    });

    it(
      `streams a ${BIG_CHUNKS} MiB object through put and get in bounded memory`,
      c.bigObject === true ? {} : { skip: c.bigObject.skip },
      async () => {
        const key = 'big/github.com/huge/mod/@v/v1.0.0.zip';
        const source = generatedStream(BIG_CHUNKS);
        const sampler = rssSampler();
        let stopped = false;
        try {
          await store.put(key, source.stream);
          const got = await store.get(key);
          assert.ok(got);
          assert.equal(got.size, BIG_CHUNKS * MiB);
          const read = await digestStream(got.body);
          const rss = sampler.stop();
          stopped = true;
          assert.deepEqual(read, source.digest());
          const bound = RSS_BOUND + (c.holdsBytesInProcess === true ? BIG_CHUNKS * MiB : 0);
          const mib = (n: number): string => `${(n / MiB).toFixed(1)} MiB`;
          console.log(
            `# ${c.name}: ${BIG_CHUNKS} MiB put+get: rss baseline ${mib(rss.baseline)}, peak ${mib(rss.peak)}, growth ${mib(rss.growth)} (bound ${mib(bound)})`,
          );
          assert.ok(rss.growth < bound, `RSS grew by ${mib(rss.growth)}, bound ${mib(bound)}`);
        } finally {
          if (!stopped) sampler.stop();
          await store.delete(key);
        }
      },
    );

    it('lists by prefix without leaking into siblings, sorted, with pagination hidden', async () => {
      if (c.unsortedListReason !== undefined) console.log(`# order not checked: ${c.unsortedListReason}`);
      const keys = [
        'ls/github.com/a/b/@v/v1.0.0.info',
        'ls/github.com/a/b/@v/list',
        'ls/github.com/a/b-c/@v/v1.0.0.info',
        'ls/github.com/a/b/v2/@v/v2.0.0.mod',
        'ls/github.com/a/bc/@v/list',
      ];
      for (const key of keys) await store.put(key, new TextEncoder().encode(key));
      assert.deepEqual(await listed('ls/github.com/a/b/'), [
        'ls/github.com/a/b/@v/list',
        'ls/github.com/a/b/@v/v1.0.0.info',
        'ls/github.com/a/b/v2/@v/v2.0.0.mod',
      ]);
      // A partial last element is a plain string prefix: b-c and bc match, in byte order.
      assert.deepEqual(await listed('ls/github.com/a/b'), [
        'ls/github.com/a/b-c/@v/v1.0.0.info',
        'ls/github.com/a/b/@v/list',
        'ls/github.com/a/b/@v/v1.0.0.info',
        'ls/github.com/a/b/v2/@v/v2.0.0.mod',
        'ls/github.com/a/bc/@v/list',
      ]);
      assert.deepEqual(await listed('ls/github.com/a/b/@v/v'), ['ls/github.com/a/b/@v/v1.0.0.info']);
      assert.deepEqual(await listed('ls/nothing/'), []);

      const many = c.manyKeys ?? 30;
      const expected: string[] = [];
      const pending: Promise<void>[] = [];
      for (let i = 0; i < many; i++) {
        const key = `many/k${String(i).padStart(5, '0')}`;
        expected.push(key);
        pending.push(store.put(key, new Uint8Array([i % 256])));
        if (pending.length >= 16) await Promise.all(pending.splice(0));
      }
      await Promise.all(pending);
      assert.deepEqual(await listed('many/'), expected);
    });

    it('leaves nothing visible after a put aborted mid-stream, and keeps the old object', async () => {
      const fresh = 'abort/fresh/v1.0.0.zip';
      const controller = new AbortController();
      const put = store.put(
        fresh,
        endlessStream((n) => {
          if (n === 3) controller.abort(new Error('client went away'));
        }),
        { signal: controller.signal },
      );
      await assert.rejects(put, isStorageError);
      assert.equal(await store.get(fresh), null);
      assert.deepEqual(await collect(store.list('abort/')), []);

      const existing = 'abort/existing/v1.0.0.zip';
      const old = new TextEncoder().encode('the old complete object');
      await store.put(existing, old, { metadata: { generation: 'old' } });
      const controller2 = new AbortController();
      await assert.rejects(
        store.put(
          existing,
          endlessStream((n) => {
            if (n === 3) controller2.abort();
          }),
          { signal: controller2.signal, metadata: { generation: 'new' } },
        ),
        isStorageError,
      );
      const got = await store.get(existing);
      assert.ok(got);
      assert.deepEqual(got.metadata, { generation: 'old' });
      assert.deepEqual(new Uint8Array(await readAll(got.body)), old);
      assert.deepEqual(await collect(store.list('abort/')), [existing]);
    });

    it('leaves nothing visible after a put aborted 24 MiB in (past multipart/resumable thresholds)', async () => {
      const key = 'abort-late/github.com/a/b/@v/v1.0.0.zip';
      await store.put(key, new TextEncoder().encode('old'));
      const controller = new AbortController();
      const put = store.put(
        key,
        endlessStream((n) => {
          if (n === 24) controller.abort(new Error('fill timed out'));
        }, MiB),
        { signal: controller.signal },
      );
      await assert.rejects(put, isStorageError);
      const got = await store.get(key);
      assert.ok(got);
      assert.equal((await readAll(got.body)).toString(), 'old');
      assert.deepEqual(await listed('abort-late/'), [key]);
    });

    it('leaves nothing visible after a put whose source stream errors', async () => {
      await assert.rejects(store.put('srcerr/github.com/a/b/@v/v1.zip', failingStream(3)), isStorageError);
      assert.equal(await store.head('srcerr/github.com/a/b/@v/v1.zip'), null);
      assert.deepEqual(await collect(store.list('srcerr/')), []);
    });

    it('rejects a body whose length differs from the declared size, storing nothing', async () => {
      const bytes = new Uint8Array(1000).fill(1);
      await assert.rejects(store.put('sized/short', streamOf(bytes, 100), { size: 1001 }), isStorageError);
      await assert.rejects(store.put('sized/long', streamOf(bytes, 100), { size: 999 }), isStorageError);
      await assert.rejects(store.put('sized/bytes', bytes, { size: 5 }), isStorageError);
      assert.deepEqual(await collect(store.list('sized/')), []);
    });

    it(
      'ends concurrent puts to one key with one complete object, and readers see whole objects',
      c.atomicOverwrite === undefined || c.atomicOverwrite === true ? {} : { skip: c.atomicOverwrite.skip },
      async () => {
        const key = 'race/github.com/a/b/@v/v1.0.0.zip';
        const variants = [0, 1, 2, 3, 4].map((v) =>
          new Uint8Array(2 * MiB).map((_, i) => (i * (v + 3) + v) % 256),
        );
        const digests = variants.map((v) => digestBytes(v).sha256);
        await store.put(key, variants[0] ?? new Uint8Array(), { metadata: { variant: '0' } });
        let writing = true;
        const reader = (async (): Promise<number> => {
          let reads = 0;
          while (writing) {
            const got = await store.get(key);
            assert.ok(got, 'a key being overwritten never disappears');
            const { sha256 } = await digestStream(got.body);
            const variant = digests.indexOf(sha256);
            assert.ok(variant >= 0, 'a reader saw a partial or mixed object');
            assert.equal(got.metadata['variant'], String(variant), 'metadata belongs to the data');
            reads++;
          }
          return reads;
        })().then(
          (reads) => ({ reads, error: undefined }),
          (error: unknown) => ({ reads: 0, error }),
        );
        try {
          await Promise.all(
            variants.slice(1).map((bytes, i) =>
              store.put(key, streamOf(bytes), {
                metadata: { variant: String(i + 1) },
                size: bytes.byteLength,
              }),
            ),
          );
        } finally {
          writing = false;
        }
        const readResult = await reader;
        assert.ifError(readResult.error);
        assert.ok(readResult.reads >= 1);
        const final = await store.get(key);
        assert.ok(final);
        const variant = digests.indexOf((await digestStream(final.body)).sha256);
        assert.ok(variant >= 1, 'the final object is one of the concurrent puts');
        assert.equal(final.metadata['variant'], String(variant));
      },
    );

    it('stores keys with !, +, ~ and unicode', async () => {
      const keys = [
        'odd/github.com/!azure/go-autorest/@v/v1.0.0.zip',
        'odd/gopkg.in/yaml.v2/@v/v2.0.0+incompatible.info',
        'odd/example.com/~user/mod/@v/list',
        'odd/example.com/日本語/é/@v/v1.0.0.mod',
      ];
      for (const key of keys) await store.put(key, new TextEncoder().encode(key));
      for (const key of keys) {
        const got = await store.get(key);
        assert.ok(got, key);
        assert.equal((await readAll(got.body)).toString('utf8'), key);
      }
      assert.deepEqual(await listed('odd/'), [...keys].sort(compareKeys));
    });

    it('rejects unsafe keys before any I/O', async () => {
      const unsafe = [
        '',
        '/abs/key',
        'a/../b',
        '..',
        '.',
        'a/./b',
        'a\\b',
        'a\0b',
        'a//b',
        'a/',
        '../escape',
      ];
      for (const key of unsafe) {
        await assert.rejects(store.get(key), isStorageError, `get ${JSON.stringify(key)}`);
        await assert.rejects(store.head(key), isStorageError, `head ${JSON.stringify(key)}`);
        await assert.rejects(store.put(key, new Uint8Array(1)), isStorageError, `put ${JSON.stringify(key)}`);
        await assert.rejects(store.delete(key), isStorageError, `delete ${JSON.stringify(key)}`);
      }
      await assert.rejects(collect(store.list('../')), isStorageError);
      await assert.rejects(collect(store.list('/abs')), isStorageError);
    });

    it('round-trips metadata and rejects metadata that would not survive every backend', async () => {
      const metadata = { h1: 'h1:abcDEF+/0123456789=', size: '12', 'stored-at': '2026-12-04T16:00:00.000Z' };
      await store.put('meta/obj', new Uint8Array(12), { metadata, contentType: 'application/zip' });
      assert.deepEqual({ ...(await store.head('meta/obj'))?.metadata }, metadata);
      const got = await store.get('meta/obj');
      assert.ok(got);
      await got.body.cancel();
      assert.deepEqual({ ...got.metadata }, metadata);
      assert.deepEqual({ ...(await store.head('rt/1/bytes'))?.metadata }, {});
      await assert.rejects(
        store.put('meta/bad', new Uint8Array(1), { metadata: { Upper: 'x' } }),
        isStorageError,
      );
      await assert.rejects(
        store.put('meta/bad', new Uint8Array(1), { metadata: { k: 'é' } }),
        isStorageError,
      );
      assert.equal(await store.head('meta/bad'), null);
    });

    it('deletes, and deleting a missing key is fine', async () => {
      await store.put('del/a', new Uint8Array([1]));
      await store.put('del/b', new Uint8Array([2]));
      await store.delete('del/a');
      await store.delete('del/a');
      await store.delete('del/never-existed');
      assert.equal(await store.get('del/a'), null);
      assert.deepEqual(await collect(store.list('del/')), ['del/b']);
    });
  });
}
