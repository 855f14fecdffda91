/**
 * The go-client end to end on every shared store (issue 5): stoa backed by S3 (s3rver) and by GCS
 * (the firebase storage emulator) serves what direct mode computes; and a cache laid out as Athens
 * lays it out on disk is served as it is (`STOA_STORAGE_LAYOUT=athens`).
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { startServer } from '../../src/main.js';
import { startGcsEmulator, type GcsEmulator } from '../fixtures/gcs-emulator.js';
import { GoSandbox } from '../fixtures/go.js';
import { RepoBuilder } from '../fixtures/repo.js';
import { startS3rver, stoaS3Env, type S3rverServer } from '../fixtures/s3rver.js';
import { startHarness, type Harness } from './harness.js';

function publishFixtures(h: Harness): void {
  const r = new RepoBuilder();
  r.write({
    'go.mod': 'module github.com/acme/shared\n',
    LICENSE: 'license\n',
    's.go': 'package shared\n',
    'tools/go.mod': 'module github.com/acme/shared/tools\n',
    'tools/t.go': 'package tools\n',
  }).commit('init');
  r.tag('v1.0.0').tag('tools/v0.1.0');
  r.publish(h.gitRoot, 'acme/shared');
  r.dispose();
}

const QUERIES = [
  'github.com/acme/shared@v1.0.0',
  'github.com/acme/shared/tools@v0.1.0',
  'github.com/acme/shared@main',
];

async function assertMatchesDirect(h: Harness): Promise<void> {
  for (const q of QUERIES) {
    const [a, b] = await Promise.all([h.viaStoa().download(q), h.direct().download(q)]);
    assert.equal(b.Error, undefined, `direct ${q}: ${b.Error}`);
    assert.equal(a.Error, undefined, `stoa ${q}: ${a.Error}`);
    assert.equal(a.Version, b.Version, q);
    assert.equal(a.Sum, b.Sum, q);
    assert.equal(a.GoModSum, b.GoModSum, q);
  }
  // A second client, fresh module cache: everything from the store now.
  const before = h.git.requests.length;
  const again = await h.viaStoa().download('github.com/acme/shared@v1.0.0');
  assert.equal(again.Error, undefined, again.Error);
  assert.equal(h.git.requests.length, before, 'served from the store without upstream requests');
}

describe('stoa on S3 (s3rver)', () => {
  let s3: S3rverServer;
  let h: Harness;
  before(async () => {
    s3 = await startS3rver({ bucket: 'stoa-e2e' });
    h = await startHarness({
      env: {
        ...stoaS3Env(s3),
        STOA_S3_PREFIX: 'proxy',
      },
    });
    publishFixtures(h);
  });
  after(async () => {
    await h.close();
    await s3.close();
  });
  it('go mod download through stoa on S3 equals direct mode, and a second client is served from S3', async () => {
    await assertMatchesDirect(h);
  });
});

describe('stoa on GCS (firebase storage emulator)', () => {
  let gcs: GcsEmulator;
  let h: Harness;
  before(async () => {
    gcs = await startGcsEmulator();
    h = await startHarness({
      env: {
        STOA_STORAGE_TYPE: 'gcs',
        STOA_GCS_BUCKET: 'stoa-e2e',
        STOA_GCS_PROJECT: gcs.projectId,
        STOA_GCS_ENDPOINT: gcs.endpoint,
      },
    });
    publishFixtures(h);
  });
  after(async () => {
    await h.close();
    await gcs.close();
  });
  it('go mod download through stoa on GCS equals direct mode, and a second client is served from GCS', async () => {
    await assertMatchesDirect(h);
  });
});

describe('an Athens disk cache served as it is', () => {
  let h: Harness;
  let athensRoot: string;
  before(async () => {
    h = await startHarness();
    publishFixtures(h);
    athensRoot = mkdtempSync(path.join(tmpdir(), 'stoa-athens-'));
  });
  after(async () => {
    await h.close();
    rmSync(athensRoot, { recursive: true, force: true });
  });

  it('files at Athens paths (<module>/<version>/go.mod, source.zip, <version>.info) are served offline', async () => {
    // The go command's own download (direct mode) provides the files Athens would have stored.
    const direct = h.direct();
    const d = await direct.download('github.com/acme/shared@v1.0.0');
    assert.equal(d.Error, undefined, d.Error);
    const dir = path.join(athensRoot, 'github.com/acme/shared/v1.0.0');
    mkdirSync(dir, { recursive: true });
    copyFileSync(d.Zip ?? '', path.join(dir, 'source.zip'));
    copyFileSync(d.GoMod ?? '', path.join(dir, 'go.mod'));
    copyFileSync(d.Info ?? '', path.join(dir, 'v1.0.0.info'));

    const config = loadConfig({
      STOA_HOST: '127.0.0.1',
      STOA_STORAGE_ROOT: athensRoot,
      STOA_STORAGE_LAYOUT: 'athens',
      STOA_OFFLINE: 'true',
    });
    const stoa = await startServer({ ...config, port: 0 }, createLogger({ level: 'silent' }));
    const go = new GoSandbox({ goproxy: stoa.url });
    try {
      const viaStoa = await go.download('github.com/acme/shared@v1.0.0');
      assert.equal(viaStoa.Error, undefined, viaStoa.Error);
      assert.equal(viaStoa.Sum, d.Sum);
      assert.equal(viaStoa.GoModSum, d.GoModSum);
      const list = await fetch(`${stoa.url}/github.com/acme/shared/@v/list`);
      assert.equal(await list.text(), 'v1.0.0\n');
    } finally {
      go.dispose();
      await stoa.close();
    }
  });
});
