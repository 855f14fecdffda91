import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { StorageError } from '../../storage/blob-store.js';
import { createDiskBlobStore } from '../../storage/disk.js';
import { layoutFor } from '../../storage/keys.js';
import { createMemoryBlobStore } from '../../storage/memory.js';
import type { IntegrityEvent } from '../../storage/module-store.js';
import { createModuleStore } from '../../storage/module-store.js';
import { digestBytes, digestStream, readAll, streamOf } from './blob-store-helpers.js';

const H1 = 'h1:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=';
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

function files(
  version: string,
  zip: Uint8Array,
): Parameters<ReturnType<typeof createModuleStore>['putVersion']>[2] {
  return {
    info: enc(`{"Version":"${version}","Time":"2024-01-02T03:04:05Z"}`),
    mod: enc('module github.com/Azure/x\n'),
    zip: streamOf(zip, 1000),
    zipSize: zip.byteLength,
    zipHash: H1,
  };
}

describe('module store (stoa layout)', () => {
  let root: string;
  before(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'stoa-ms-'));
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('writes zip, record, mod, then info at escaped keys, and reads them back with the record', async () => {
    const ms = createModuleStore(createDiskBlobStore({ root: path.join(root, 'a') }));
    const zip = new Uint8Array(5000).map((_, i) => i % 253);
    const record = await ms.putVersion('github.com/Azure/x', 'v1.0.0-Beta', files('v1.0.0-Beta', zip));
    assert.deepEqual(record, { v: 1, size: 5000, h1: H1, sha256: digestBytes(zip).sha256 });
    const dir = path.join(root, 'a/github.com/!azure/x/@v');
    assert.equal(await readFile(path.join(dir, 'v1.0.0-!beta.mod'), 'utf8'), 'module github.com/Azure/x\n');
    assert.deepEqual(JSON.parse(await readFile(path.join(dir, 'v1.0.0-!beta.ziprecord'), 'utf8')), record);

    assert.equal(await ms.hasVersion('github.com/Azure/x', 'v1.0.0-Beta'), true);
    const info = await ms.getInfo('github.com/Azure/x', 'v1.0.0-Beta');
    assert.ok(info);
    assert.match((await readAll(info.body)).toString(), /"Version":"v1.0.0-Beta"/);
    const got = await ms.getZip('github.com/Azure/x', 'v1.0.0-Beta');
    assert.ok(got);
    assert.equal(got.h1, H1);
    assert.equal(got.sha256, record.sha256);
    assert.deepEqual(await digestStream(got.body), digestBytes(zip));
    assert.deepEqual(await ms.getZipRecord('github.com/Azure/x', 'v1.0.0-Beta'), record);
    assert.deepEqual(await ms.listVersions('github.com/Azure/x'), ['v1.0.0-Beta']);
    assert.deepEqual(await ms.listVersions('github.com/Azure'), []);
  });

  it('never shows a version whose fill failed before the .info marker', async () => {
    const blobs = createMemoryBlobStore();
    const ms = createModuleStore(blobs);
    const zip = new Uint8Array(3000).fill(1);
    await assert.rejects(
      ms.putVersion('example.com/m', 'v1.0.0', { ...files('v1.0.0', zip), zipSize: 2999 }),
      StorageError,
    );
    // A fill that stored the zip and mod but died before the .info:
    await blobs.put(ms.layout.zip('example.com/m', 'v1.1.0'), zip);
    await blobs.put(ms.layout.mod('example.com/m', 'v1.1.0'), enc('module example.com/m\n'));
    for (const v of ['v1.0.0', 'v1.1.0']) {
      assert.equal(await ms.hasVersion('example.com/m', v), false);
      assert.equal(await ms.getInfo('example.com/m', v), null);
      assert.equal(await ms.getMod('example.com/m', v), null);
      assert.equal(await ms.getZip('example.com/m', v), null);
    }
    assert.deepEqual(await ms.listVersions('example.com/m'), []);
    await assert.rejects(
      ms.putVersion('example.com/m', 'v1.2.0', { ...files('v1.2.0', zip), zipHash: 'sha:x' }),
      StorageError,
    );
  });

  it('treats a zip whose size differs from the record as absent, and reports it', async () => {
    const blobs = createMemoryBlobStore();
    const events: IntegrityEvent[] = [];
    const ms = createModuleStore(blobs, { onIntegrityError: (e) => events.push(e) });
    const zip = new Uint8Array(4096).fill(2);
    await ms.putVersion('example.com/m', 'v1.0.0', files('v1.0.0', zip));
    await blobs.put(ms.layout.zip('example.com/m', 'v1.0.0'), zip.subarray(0, 1000));
    assert.equal(await ms.getZip('example.com/m', 'v1.0.0'), null);
    assert.deepEqual(events, [
      {
        module: 'example.com/m',
        version: 'v1.0.0',
        key: 'example.com/m/@v/v1.0.0.zip',
        reason: 'size-mismatch',
        expected: 4096,
        actual: 1000,
      },
    ]);
    // A new fill replaces it.
    await ms.putVersion('example.com/m', 'v1.0.0', files('v1.0.0', zip));
    const got = await ms.getZip('example.com/m', 'v1.0.0');
    assert.ok(got);
    assert.equal((await digestStream(got.body)).size, 4096);
  });

  it('reads records without sha256 (as the proxy writes them) and still checks the size', async () => {
    const blobs = createMemoryBlobStore();
    const ms = createModuleStore(blobs);
    const zip = new Uint8Array(100).fill(3);
    await blobs.put(ms.layout.zip('example.com/r', 'v1.0.0'), zip);
    await blobs.put(
      ms.layout.zipRecord('example.com/r', 'v1.0.0') ?? '',
      enc(JSON.stringify({ size: 99, h1: H1 })),
    );
    await blobs.put(ms.layout.info('example.com/r', 'v1.0.0'), enc('{"Version":"v1.0.0"}'));
    assert.deepEqual(await ms.getZipRecord('example.com/r', 'v1.0.0'), {
      v: 1,
      size: 99,
      h1: H1,
      sha256: null,
    });
    assert.equal(await ms.getZip('example.com/r', 'v1.0.0'), null);
  });

  it('stores list and latest answers with their timestamp', async () => {
    let clock = new Date('2026-12-04T10:00:00Z');
    const ms = createModuleStore(createMemoryBlobStore(), { now: () => clock });
    assert.equal(await ms.getList('example.com/m'), null);
    await ms.putList('example.com/m', enc('v1.0.0\nv1.1.0\n'));
    clock = new Date('2026-12-04T11:00:00Z');
    await ms.putLatest('example.com/m', enc('{"Version":"v1.1.0"}'));
    const list = await ms.getList('example.com/m');
    assert.ok(list);
    assert.equal(new TextDecoder().decode(list.body), 'v1.0.0\nv1.1.0\n');
    assert.equal(list.storedAt.toISOString(), '2026-12-04T10:00:00.000Z');
    const latest = await ms.getLatest('example.com/m');
    assert.equal(latest?.storedAt.toISOString(), '2026-12-04T11:00:00.000Z');
    assert.deepEqual(await ms.listVersions('example.com/m'), []);
  });
});

describe('module store (athens layout)', () => {
  let root: string;
  before(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'stoa-athens-'));
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('reads versions from a tree written at the exact paths of Athens disk storage', async () => {
    const put = async (rel: string, content: string | Uint8Array): Promise<void> => {
      await mkdir(path.dirname(path.join(root, rel)), { recursive: true });
      await writeFile(path.join(root, rel), content);
    };
    const zip = new Uint8Array(7000).map((_, i) => (i * 7) % 256);
    await put(
      'github.com/Azure/go-autorest/v1.0.0/v1.0.0.info',
      '{"Version":"v1.0.0","Time":"2019-01-01T00:00:00Z"}',
    );
    await put('github.com/Azure/go-autorest/v1.0.0/go.mod', 'module github.com/Azure/go-autorest\n');
    await put('github.com/Azure/go-autorest/v1.0.0/source.zip', zip);
    await put(
      'github.com/Azure/go-autorest/v1.1.0/v1.1.0.info',
      '{"Version":"v1.1.0","Time":"2019-02-01T00:00:00Z"}',
    );
    await put('github.com/Azure/go-autorest/v1.1.0/go.mod', 'module github.com/Azure/go-autorest\n');
    await put('github.com/Azure/go-autorest/v1.1.0/source.zip', zip.subarray(0, 10));
    await put('github.com/Azure/go-autorest/v2/v2.0.0/v2.0.0.info', '{"Version":"v2.0.0"}');
    // A version Athens was still writing: no .info yet.
    await put('github.com/Azure/go-autorest/v1.2.0/go.mod', 'module github.com/Azure/go-autorest\n');

    const ms = createModuleStore(createDiskBlobStore({ root }), { layout: 'athens' });
    assert.equal(ms.layout.name, 'athens-disk');
    assert.deepEqual(await ms.listVersions('github.com/Azure/go-autorest'), ['v1.0.0', 'v1.1.0']);
    assert.deepEqual(await ms.listVersions('github.com/Azure/go-autorest/v2'), ['v2.0.0']);
    const info = await ms.getInfo('github.com/Azure/go-autorest', 'v1.0.0');
    assert.ok(info);
    assert.match((await readAll(info.body)).toString(), /"Version":"v1.0.0"/);
    const mod = await ms.getMod('github.com/Azure/go-autorest', 'v1.0.0');
    assert.ok(mod);
    assert.equal((await readAll(mod.body)).toString(), 'module github.com/Azure/go-autorest\n');
    const got = await ms.getZip('github.com/Azure/go-autorest', 'v1.0.0');
    assert.ok(got);
    assert.equal(got.h1, null);
    assert.deepEqual(await digestStream(got.body), digestBytes(zip));
    assert.equal(await ms.getZip('github.com/Azure/go-autorest', 'v1.2.0'), null);
  });

  it('maps the athens layout of object stores to <module>/@v/<version>.<ext>', () => {
    const layout = layoutFor('athens', 's3');
    assert.equal(layout.name, 'athens-object');
    assert.equal(layoutFor('athens', 'gcs').name, 'athens-object');
    assert.equal(layout.zip('github.com/Azure/x', 'v1.0.0'), 'github.com/Azure/x/@v/v1.0.0.zip');
    assert.equal(layout.info('github.com/Azure/x', 'v1.0.0'), 'github.com/Azure/x/@v/v1.0.0.info');
    assert.equal(layout.mod('github.com/Azure/x', 'v1.0.0'), 'github.com/Azure/x/@v/v1.0.0.mod');
    assert.equal(
      layout.versionOfInfoKey('github.com/Azure/x', 'github.com/Azure/x/@v/v1.0.0.info'),
      'v1.0.0',
    );
  });
});
