/**
 * Mutable answers (issue 7 item 2): `@v/list` and `@latest` cached with a TTL and served stale when
 * the upstream fails; "not found" remembered briefly; offline mode serves only the store;
 * Cache-Control on every answer.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { startServer } from '../../src/main.js';
import { RepoBuilder } from '../fixtures/repo.js';
import { startHarness, type Harness } from './harness.js';

const TTL_MS = 400;

describe('freshness of mutable answers', () => {
  let h: Harness;
  let failing = false;
  let repo: RepoBuilder;

  before(async () => {
    h = await startHarness({
      env: { STOA_LIST_TTL: `${TTL_MS}ms`, STOA_NEGATIVE_TTL: '30s' },
      intercept: (_req, res) => {
        if (!failing) return false;
        res.writeHead(503, { 'content-type': 'text/plain' });
        res.end('upstream is having a bad minute\n');
        return true;
      },
    });
    repo = new RepoBuilder();
    repo.write({ 'go.mod': 'module github.com/acme/fresh\n', 'f.go': 'package fresh\n' }).commit('one');
    repo.tag('v1.0.0');
    repo.publish(h.gitRoot, 'acme/fresh');
  });

  after(async () => {
    repo.dispose();
    await h.close();
  });

  const list = async (): Promise<{ status: number; body: string; cc: string | null }> => {
    const res = await fetch(`${h.stoa.url}/github.com/acme/fresh/@v/list`);
    return { status: res.status, body: await res.text(), cc: res.headers.get('cache-control') };
  };

  it('a fresh list is served from the cache without upstream requests', async () => {
    const first = await list();
    assert.equal(first.status, 200);
    assert.equal(first.body, 'v1.0.0\n');
    assert.equal(first.cc, 'public, max-age=60');
    const before = h.git.requests.length;
    const second = await list();
    assert.equal(second.body, 'v1.0.0\n');
    assert.equal(h.git.requests.length, before, 'no upstream request within the TTL');
  });

  it('after the TTL a failing upstream gets the stale list served (200), then recovery shows new tags', async () => {
    await sleep(TTL_MS + 50);
    failing = true;
    const stale = await list();
    failing = false;
    assert.equal(stale.status, 200, stale.body);
    assert.equal(stale.body, 'v1.0.0\n');

    repo.write({ 'g.go': 'package fresh\n' }).commit('two');
    repo.tag('v1.1.0');
    repo.publish(h.gitRoot, 'acme/fresh');
    // The opened repository (refs) is reused for a few seconds; wait that out and the TTL.
    await sleep(10_500);
    const fresh = await list();
    assert.equal(fresh.status, 200);
    assert.equal(fresh.body, 'v1.0.0\nv1.1.0\n');
  });

  it('a missing module is remembered: the second 404 costs no upstream request', async () => {
    const a = await fetch(`${h.stoa.url}/github.com/acme/missing/@v/list`);
    assert.equal(a.status, 404);
    await a.text();
    const before = h.git.requests.length;
    const b = await fetch(`${h.stoa.url}/github.com/acme/missing/@v/list`);
    assert.equal(b.status, 404);
    assert.match(await b.text(), /^not found: /);
    assert.equal(h.git.requests.length, before);
  });

  it('immutable artifacts say so in Cache-Control; errors are not cached', async () => {
    const zip = await fetch(`${h.stoa.url}/github.com/acme/fresh/@v/v1.0.0.zip`);
    assert.equal(zip.status, 200);
    await zip.arrayBuffer();
    assert.equal(zip.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    const branch = await fetch(`${h.stoa.url}/github.com/acme/fresh/@v/main.info`);
    assert.equal(branch.status, 200);
    await branch.text();
    assert.equal(branch.headers.get('cache-control'), 'public, max-age=60');
    const bad = await fetch(`${h.stoa.url}/github.com/acme/fresh/@v/v9.9.9.info`);
    assert.equal(bad.status, 404);
    await bad.text();
    assert.equal(bad.headers.get('cache-control'), 'no-store');
  });

  it('offline mode serves what the store holds and nothing else, without upstream requests', async () => {
    // v1.2.0 exists upstream but was never fetched.
    repo.write({ 'h.go': 'package fresh\n' }).commit('three');
    repo.tag('v1.2.0');
    repo.publish(h.gitRoot, 'acme/fresh');
    const config = loadConfig({
      STOA_HOST: '127.0.0.1',
      STOA_STORAGE_ROOT: h.storageRoot,
      STOA_GITHUB_URL: h.git.url,
      STOA_SUMDBS: 'off', // never a checksum database on the internet
      STOA_OFFLINE: 'true',
    });
    const offline = await startServer({ ...config, port: 0 }, createLogger({ level: 'silent' }));
    try {
      const before = h.git.requests.length;
      const zip = await fetch(`${offline.url}/github.com/acme/fresh/@v/v1.0.0.zip`);
      assert.equal(zip.status, 200);
      await zip.arrayBuffer();
      const listRes = await fetch(`${offline.url}/github.com/acme/fresh/@v/list`);
      assert.equal(listRes.status, 200);
      assert.match(await listRes.text(), /^v1\.0\.0\n/);
      const missing = await fetch(`${offline.url}/github.com/acme/fresh/@v/v1.2.0.zip`);
      assert.equal(missing.status, 404);
      assert.match(await missing.text(), /offline/);
      assert.equal(h.git.requests.length, before, 'offline stoa made no upstream request');
    } finally {
      await offline.close();
    }
  });
});
