/**
 * Protocol v0 fallback (a shim drops the Git-Protocol header, so http-backend answers v0 as
 * gopkg.in does) and the cheap subdirectory fetch of a monorepo.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { RepoBuilder } from '../fixtures/repo.js';
import { createGitRemote } from '../../src/git/remote.js';
import { catFileBatch, lsRemote, startEnv, tempEntries, type Env } from './helpers.js';

describe('protocol v0 fallback', () => {
  let env: Env;
  let bare: string;
  before(async () => {
    env = await startEnv({
      intercept: (req) => {
        delete req.headers['git-protocol'];
        return false;
      },
    });
    const repo = new RepoBuilder();
    repo
      .write({ 'go.mod': 'module gopkg.in/acme/v0.v1\n', 'a/b.go': 'package a\n' })
      .commit('one', { tz: '+0100' });
    repo.tag('v1.0.0', { message: 'annotated' });
    repo.write({ 'a/c.go': 'package a // c\n' }).commit('two');
    repo.tag('v1.0.1');
    repo.branch('v1');
    bare = repo.publish(env.root, 'acme/v0');
    repo.dispose();
  });
  after(() => env.close());

  it('lists refs, reads commits, trees and blobs, and builds the graph over v0', async () => {
    const r = createGitRemote({ url: `${env.server.url}/acme/v0.git`, tempDir: env.tempDir });
    const refs = await r.listRefs();
    const ls = lsRemote(bare);
    assert.deepEqual(refs.head, { oid: ls.head, symref: ls.headSymref });
    assert.equal(refs.branches.get('v1'), ls.refs.get('refs/heads/v1'));
    assert.deepEqual(refs.tags.get('v1.0.0'), {
      oid: ls.refs.get('refs/tags/v1.0.0'),
      peeled: ls.refs.get('refs/tags/v1.0.0^{}'),
    });
    assert.deepEqual(refs.tags.get('v1.0.1'), { oid: ls.head, peeled: ls.head });

    const first = ls.refs.get('refs/tags/v1.0.0^{}') ?? '';
    const c = await r.readCommit(first);
    assert.deepEqual(c.parents, []);
    assert.equal(c.committerTz, '+0100');
    const tree = await r.readTree(ls.head);
    assert.deepEqual(
      tree.map((e) => e.path),
      ['a/b.go', 'a/c.go', 'go.mod'],
    );
    const set = await r.fetchBlobs(tree.map((e) => e.oid));
    const oracle = catFileBatch(
      bare,
      tree.map((e) => e.oid),
    );
    for (const e of tree)
      assert.ok(Buffer.from(await set.read(e.oid)).equals(oracle.get(e.oid)?.data ?? Buffer.alloc(0)));
    await set.close();
    const partial = await r.commitGraph([first]);
    assert.equal(partial.size, 1);
    const graph = await r.commitGraph([ls.head], partial); // sends `have first`, gets ACK + the rest
    assert.equal(graph.size, 2);
    assert.deepEqual(graph.get(ls.head)?.parents, [first]);
    assert.ok(graph.isAncestor(first, ls.head));
    // the v0 path really was taken
    assert.equal(env.server.requests.filter((x) => x.command === 'ls-refs').length, 0);
    assert.ok(env.server.fetchCount() >= 4);
    assert.deepEqual(tempEntries(env.tempDir), []);
  });
});

describe('subdirectory fetch of a monorepo', () => {
  let env: Env;
  before(async () => {
    env = await startEnv();
    const repo = new RepoBuilder();
    const files: Record<string, Uint8Array | string> = {};
    for (let i = 0; i < 20; i++) files[`huge/data${i}.bin`] = randomBytes(1 << 20);
    files['mod/go.mod'] = 'module github.com/acme/mono/mod\n';
    files['mod/mod.go'] = `package mod\n\n// ${'x'.repeat(1800)}\n`;
    files.LICENSE = 'MIT License\n';
    repo.write(files).commit('monorepo');
    repo.publish(env.root, 'acme/mono');
    repo.dispose();
  });
  after(() => env.close());

  it('costs less than 10% of a full depth-1 fetch', async () => {
    const r = createGitRemote({ url: `${env.server.url}/acme/mono.git`, tempDir: env.tempDir });
    const head = (await r.listRefs()).head?.oid ?? '';
    const start = r.stats.bytesReceived;
    const tree = await r.readTree(head);
    const picked = tree.filter((e) => e.path.startsWith('mod/') || e.path === 'LICENSE');
    assert.equal(picked.length, 3);
    const set = await r.fetchBlobs(picked.map((e) => e.oid));
    for (const e of picked) assert.ok(set.has(e.oid));
    assert.equal(tree.filter((e) => set.has(e.oid)).length, 3, 'no other blob was sent');
    await set.close();
    const subdirBytes = r.stats.bytesReceived - start;

    const before = r.stats.bytesReceived;
    const rootTree = (await r.readCommit(head)).tree;
    const full = await r.fetchBlobs([rootTree]);
    assert.equal(tree.filter((e) => full.has(e.oid)).length, tree.length);
    await full.close();
    const fullBytes = r.stats.bytesReceived - before;
    assert.ok(fullBytes > 20 << 20, `full fetch ${fullBytes}`);
    assert.ok(subdirBytes < fullBytes / 10, `subdir ${subdirBytes} vs full ${fullBytes}`);
    console.log(`# subdirectory fetch: ${subdirBytes} bytes; full depth-1: ${fullBytes} bytes`);
    assert.deepEqual(tempEntries(env.tempDir), []);
  });
});
