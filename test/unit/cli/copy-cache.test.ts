import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { finished } from 'node:stream/promises';
import { after, before, describe, it } from 'node:test';
import yazl from 'yazl';
import { runCopyCache } from '../../../src/cli/copy-cache.js';
import type { BlobStore, StorageConfig } from '../../../storage/index.js';
import { createBlobStore } from '../../../storage/index.js';
import { createMemoryBlobStore } from '../../../storage/memory.js';
import { createModuleStore } from '../../../storage/module-store.js';
import { GoSandbox } from '../../fixtures/go.js';
import type { S3rverServer } from '../../fixtures/s3rver.js';
import { startS3rver } from '../../fixtures/s3rver.js';

interface Version {
  module: string;
  version: string;
  zipSha256: string;
}

async function writeModuleZip(file: string, module: string, version: string): Promise<string> {
  const zip = new yazl.ZipFile();
  const prefix = `${module}@${version}/`;
  // One module's zip uses ZIP64 records, to exercise that path of the h1 reader (go checks it).
  const base = { mtime: new Date('2020-01-01T00:00:00Z'), forceZip64Format: module === 'example.com/small' };
  zip.addBuffer(Buffer.from(`module ${module}\n\ngo 1.19\n`), `${prefix}go.mod`, base);
  zip.addBuffer(Buffer.from(`# ${module} ${version}\n`.repeat(200)), `${prefix}README.md`, {
    ...base,
    compress: true,
  });
  zip.addBuffer(Buffer.from('package sub\n'), `${prefix}sub/x.go`, { ...base, compress: false });
  zip.end();
  await mkdir(path.dirname(file), { recursive: true });
  await finished(zip.outputStream.pipe(createWriteStream(file)));
  return createHash('sha256')
    .update(await readFile(file))
    .digest('hex');
}

/** An Athens disk-storage tree, written by hand at Athens' exact paths. */
async function athensTree(root: string, versions: readonly [string, string][]): Promise<Version[]> {
  const out: Version[] = [];
  for (const [module, version] of versions) {
    const dir = path.join(root, module, version);
    await mkdir(dir, { recursive: true });
    await writeFile(
      path.join(dir, `${version}.info`),
      `{"Version":"${version}","Time":"2020-01-01T00:00:00Z"}`,
    );
    await writeFile(path.join(dir, 'go.mod'), `module ${module}\n\ngo 1.19\n`);
    out.push({
      module,
      version,
      zipSha256: await writeModuleZip(path.join(dir, 'source.zip'), module, version),
    });
  }
  return out;
}

function capture(createStore?: (config: StorageConfig) => BlobStore): {
  io: Parameters<typeof runCopyCache>[1];
  out: string[];
  err: string[];
} {
  const out: string[] = [];
  const err: string[] = [];
  return {
    io: {
      stdout: (line) => out.push(line),
      stderr: (line) => err.push(line),
      ...(createStore === undefined ? {} : { createStore }),
    },
    out,
    err,
  };
}

async function zipDigest(store: BlobStore, v: Version): Promise<string | null> {
  const zip = await createModuleStore(store).getZip(v.module, v.version);
  if (zip === null) return null;
  const hash = createHash('sha256');
  for await (const chunk of zip.body) hash.update(chunk);
  return hash.digest('hex');
}

const VERSIONS: [string, string][] = [
  ['github.com/Azure/go-autorest', 'v1.0.0'],
  ['github.com/Azure/go-autorest', 'v1.1.0-Beta'],
  ['example.com/small', 'v0.1.0'],
];

describe('stoa copy', () => {
  let dir: string;
  let athens: string;
  let versions: Version[];
  let s3: S3rverServer;

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'stoa-copy-test-'));
    athens = path.join(dir, 'athens');
    versions = await athensTree(athens, VERSIONS);
    s3 = await startS3rver();
  });
  after(async () => {
    await s3.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('copies an Athens disk cache into a stoa-layout disk store that the go command accepts', async () => {
    const target = path.join(dir, 'stoa');
    const { io, out, err } = capture();
    const progress: { found: number; done: number; listing: boolean }[] = [];
    const code = await runCopyCache(['--from', `disk:${athens}`, '--from-layout', 'athens', '--to', target], {
      ...io,
      onProgress: (p) => progress.push(p),
    });
    assert.deepEqual(err, []);
    assert.equal(code, 0);
    assert.equal(out.at(-1), 'stoa copy: 3 copied, 0 skipped, 0 failed');
    // The progress bar's feed: found grows to 3, done reaches 3 once listing has ended.
    assert.deepEqual(progress.at(-1), { found: 3, done: 3, listing: false });
    assert.ok(progress.some((p) => p.listing && p.found >= 1));
    const store = createBlobStore({ type: 'disk', root: target });
    const ms = createModuleStore(store);
    // The stoa disk layout is a GOPROXY tree: the go command itself checks every zip and its h1.
    const go = new GoSandbox({ goproxy: `file://${target}` });
    try {
      for (const v of versions) {
        assert.equal(await zipDigest(store, v), v.zipSha256, `${v.module}@${v.version} bytes`);
        const result = await go.download(`${v.module}@${v.version}`);
        assert.equal(result.Error, undefined, result.Error);
        const record = await ms.getZipRecord(v.module, v.version);
        assert.equal(record?.h1, result.Sum, `recorded h1 of ${v.module}@${v.version} matches go`);
        assert.equal(record?.sha256, v.zipSha256);
      }
    } finally {
      go.dispose();
    }
  });

  it('copies into memory and S3, and a second run skips everything (resumable)', async () => {
    const memory = createMemoryBlobStore();
    const withStores = (config: StorageConfig): BlobStore => {
      if (config.type === 'memory') return memory;
      if (config.type === 's3')
        return createBlobStore({ ...config, accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' });
      return createBlobStore(config);
    };
    const s3Spec = `s3://${s3.bucket}/mirror?region=us-east-1&endpoint=${encodeURIComponent(s3.endpoint)}&path-style=true`;
    for (const to of ['memory:', s3Spec]) {
      const first = capture(withStores);
      assert.equal(
        await runCopyCache(['--from', athens, '--from-layout', 'athens', '--to', to], first.io),
        0,
      );
      assert.equal(first.out.at(-1), 'stoa copy: 3 copied, 0 skipped, 0 failed');
      const second = capture(withStores);
      assert.equal(
        await runCopyCache(['--from', athens, '--from-layout', 'athens', '--to', to], second.io),
        0,
      );
      assert.equal(second.out.at(-1), 'stoa copy: 0 copied, 3 skipped, 0 failed');
    }
    const s3Store = withStores({
      type: 's3',
      bucket: s3.bucket,
      prefix: 'mirror',
      region: 'us-east-1',
      endpoint: s3.endpoint,
      forcePathStyle: true,
    });
    try {
      for (const v of versions) {
        assert.equal(await zipDigest(memory, v), v.zipSha256);
        assert.equal(await zipDigest(s3Store, v), v.zipSha256);
      }
    } finally {
      await s3Store.close();
    }
  });

  it('resumes an interrupted copy: complete versions are skipped, a half-written one is redone', async () => {
    const memory = createMemoryBlobStore();
    const createStore = (config: StorageConfig): BlobStore =>
      config.type === 'memory' ? memory : createBlobStore(config);
    const partial = capture(createStore);
    const args = ['--from', athens, '--from-layout', 'athens', '--to', 'memory:'];
    assert.equal(await runCopyCache([...args, '--module', 'example.com/small'], partial.io), 0);
    assert.deepEqual(partial.out, [
      'copied example.com/small@v0.1.0',
      'stoa copy: 1 copied, 0 skipped, 0 failed',
    ]);
    // A copy that died after the zip of v1.0.0, before its .info:
    const ms = createModuleStore(memory);
    await memory.put(ms.layout.zip('github.com/Azure/go-autorest', 'v1.0.0'), new Uint8Array(10));
    const rest = capture(createStore);
    assert.equal(await runCopyCache(args, rest.io), 0);
    assert.equal(rest.out.at(-1), 'stoa copy: 2 copied, 1 skipped, 0 failed');
    for (const v of versions) assert.equal(await zipDigest(memory, v), v.zipSha256);
  });

  it('reports a corrupt source version, copies the rest, and exits 1', async () => {
    const broken = path.join(dir, 'athens-broken');
    await athensTree(broken, VERSIONS);
    await writeFile(path.join(broken, 'example.com/small/v0.1.0/source.zip'), 'not a zip at all');
    const memory = createMemoryBlobStore();
    const { io, out, err } = capture((config) =>
      config.type === 'memory' ? memory : createBlobStore(config),
    );
    assert.equal(await runCopyCache(['--from', broken, '--from-layout', 'athens', '--to', 'memory:'], io), 1);
    assert.equal(out.at(-1), 'stoa copy: 2 copied, 0 skipped, 1 failed');
    assert.equal(err.length, 1);
    assert.match(err[0] ?? '', /^failed example\.com\/small@v0\.1\.0: zip: /);
    assert.equal(await createModuleStore(memory).hasVersion('example.com/small', 'v0.1.0'), false);
  });

  it('copies stoa to stoa and refuses a source zip that does not match its recorded h1', async () => {
    const first = path.join(dir, 'stoa-source');
    assert.equal(
      await runCopyCache(['--from', athens, '--from-layout', 'athens', '--to', first], capture().io),
      0,
    );
    const source = createModuleStore(createBlobStore({ type: 'disk', root: first }));
    const record = await source.getZipRecord('example.com/small', 'v0.1.0');
    assert.ok(record);
    const forged = { ...record, h1: 'h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=' };
    await source.blobStore.put(
      source.layout.zipRecord('example.com/small', 'v0.1.0') ?? '',
      new TextEncoder().encode(JSON.stringify(forged)),
    );
    const memory = createMemoryBlobStore();
    const { io, out, err } = capture((config) =>
      config.type === 'memory' ? memory : createBlobStore(config),
    );
    assert.equal(
      await runCopyCache(['--from', `disk:${first}`, '--to', 'memory:', '--concurrency', '1'], io),
      1,
    );
    assert.equal(out.at(-1), 'stoa copy: 2 copied, 0 skipped, 1 failed');
    assert.match(
      err[0] ?? '',
      /example\.com\/small@v0\.1\.0 source zip hashes to h1:.*but the source recorded h1:AAAA/,
    );
    const target = createModuleStore(memory);
    for (const v of versions.filter((x) => x.module !== 'example.com/small')) {
      assert.equal(await zipDigest(memory, v), v.zipSha256);
      assert.equal(
        (await target.getZipRecord(v.module, v.version))?.h1,
        (await source.getZipRecord(v.module, v.version))?.h1,
      );
    }
  });

  it('answers usage errors with exit code 2', async () => {
    const { io, err } = capture();
    assert.equal(await runCopyCache(['--from', athens], io), 2);
    assert.match(err[0] ?? '', /--from and --to are required/);
    assert.equal(await runCopyCache(['--from', athens, '--to', 'ftp://x'], capture().io), 2);
    assert.equal(
      await runCopyCache(['--from', athens, '--to', 'memory:', '--from-layout', 'x'], capture().io),
      2,
    );
  });
});
