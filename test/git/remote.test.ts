/**
 * The git client against the real `git http-backend`: every ref, commit, tree and blob it reads
 * must equal what the git CLI says about the bare repository.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { git, gitBytes, RepoBuilder } from '../fixtures/repo.js';
import { CommitGraph } from '../../src/git/commit-graph.js';
import { createGitRemote, type GitRemote } from '../../src/git/remote.js';
import { lsRemote, startEnv, tempEntries, type Env } from './helpers.js';

async function collect(it: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of it) parts.push(Buffer.from(c));
  return Buffer.concat(parts);
}

function revListGraph(bare: string): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const line of git(bare, ['rev-list', '--parents', '--all']).trim().split('\n')) {
    const [oid = '', ...parents] = line.split(' ');
    m.set(oid, parents);
  }
  return m;
}

describe('git remote against git http-backend', () => {
  let env: Env;
  let bare: string;
  let remote: GitRemote;

  before(async () => {
    env = await startEnv();
    const repo = new RepoBuilder();
    repo
      .write({
        'go.mod': 'module github.com/acme/basic\n',
        'hello.go': 'package basic\n',
        'sub/dir/deep.txt': 'deep\n',
        'run.sh': { content: '#!/bin/sh\necho hi\n', executable: true },
        link: { symlink: 'hello.go' },
        'bin.dat': randomBytes(3000),
        'sp ace/ünï.txt': 'unicode name\n',
      })
      .commit('init', { tz: '+0200' });
    repo.tag('v1.0.0', { message: 'release 1.0.0' });
    repo.tag('nested', { message: 'tag of a tag', target: 'v1.0.0' });
    repo.checkout('dev', true);
    repo.write({ 'dev.go': 'package basic // dev\n' }).commit('dev work', { tz: '-0530' });
    repo.checkout('main');
    repo.write({ 'hello.go': 'package basic // v2\n', 'sub/dir/deep.txt': null }).commit('second');
    repo.run(['merge', '-q', '--no-ff', '-m', 'merge dev', 'dev']);
    repo.tag('v1.1.0');
    repo.write({ 'big.bin': randomBytes(1_500_000) }).commit('big file');
    // a submodule entry (gitlink, mode 160000) whose commit is not in this repository
    repo.run(['update-index', '--add', '--cacheinfo', `160000,${'5'.repeat(40)},vendor/sub`]);
    repo.run(['commit', '-q', '-m', 'gitlink']);
    bare = repo.publish(env.root, 'acme/basic');
    repo.dispose();
    remote = createGitRemote({ url: `${env.server.url}/acme/basic.git`, tempDir: env.tempDir });
  });
  after(() => env.close());

  it('lists refs exactly like git ls-remote (HEAD symref, branches, peeled tags)', async () => {
    const refs = await remote.listRefs();
    const ls = lsRemote(bare);
    assert.deepEqual(refs.head, { oid: ls.head, symref: ls.headSymref });
    const branches = new Map<string, string>();
    const tags = new Map<string, { oid: string; peeled: string }>();
    for (const [name, oid] of ls.refs) {
      if (name.startsWith('refs/heads/')) branches.set(name.slice(11), oid);
      if (name.startsWith('refs/tags/') && !name.endsWith('^{}')) {
        tags.set(name.slice(10), { oid, peeled: ls.refs.get(`${name}^{}`) ?? oid });
      }
    }
    assert.deepEqual(refs.branches, branches);
    assert.deepEqual(refs.tags, tags);
    assert.equal(tags.size, 3);
    // the nested tag peels all the way to the commit
    assert.equal(refs.tags.get('nested')?.peeled, git(bare, ['rev-parse', 'nested^{commit}']).trim());
  });

  it('readCommit after readTree of the same commit needs no request and agrees with a fresh read', async () => {
    const head = git(bare, ['rev-parse', 'HEAD']).trim();
    const fresh = await createGitRemote({
      url: `${env.server.url}/acme/basic.git`,
      tempDir: env.tempDir,
    }).readCommit(head);
    const r = createGitRemote({ url: `${env.server.url}/acme/basic.git`, tempDir: env.tempDir });
    await r.readTree(head);
    const before = r.stats.requests;
    assert.deepEqual(await r.readCommit(head), fresh);
    assert.equal(r.stats.requests, before);
  });

  it('reads every commit like git cat-file', async () => {
    for (const oid of git(bare, ['rev-list', '--all']).trim().split('\n')) {
      const c = await remote.readCommit(oid);
      const [tree = '', parents = '', ct = '', ci = ''] = git(bare, [
        'log',
        '-1',
        '--format=%T|%P|%ct|%ci',
        oid,
      ])
        .trim()
        .split('|');
      assert.deepEqual(c, {
        oid,
        tree,
        parents: parents ? parents.split(' ') : [],
        committerTime: Number(ct),
        committerTz: ci.split(' ')[2],
      });
    }
    // an annotated tag id is peeled to its commit
    const tagged = await remote.readCommit(git(bare, ['rev-parse', 'nested']).trim());
    assert.equal(tagged.oid, git(bare, ['rev-parse', 'v1.0.0^{commit}']).trim());
  });

  it('lists trees like git ls-tree -r and reads blobs like git cat-file', async () => {
    for (const rev of ['main', 'v1.0.0', 'dev']) {
      const commit = git(bare, ['rev-parse', `${rev}^{commit}`]).trim();
      const entries = await remote.readTree(commit);
      const expected = git(bare, ['ls-tree', '-r', '-z', '--full-tree', commit])
        .split('\0')
        .filter(Boolean)
        .map((l) => {
          const [meta = '', p = ''] = l.split('\t');
          const [mode = '', , oid = ''] = meta.split(' ');
          return { path: p, mode: Number.parseInt(mode, 8), oid };
        });
      assert.deepEqual(entries, expected);
      if (rev === 'main') assert.ok(entries.some((e) => e.mode === 0o160000 && e.path === 'vendor/sub'));
      const files = entries.filter((e) => e.mode !== 0o160000);
      const set = await remote.fetchBlobs(files.map((e) => e.oid));
      try {
        for (const e of files) {
          const want = gitBytes(bare, ['cat-file', 'blob', e.oid]);
          assert.ok(set.has(e.oid));
          assert.equal(await set.size(e.oid), want.length);
          assert.ok(Buffer.from(await set.read(e.oid)).equals(want), e.path);
          assert.ok((await collect(set.stream(e.oid))).equals(want), e.path);
          assert.ok((await collect(set.stream(e.oid))).equals(want), `${e.path} again`);
        }
        assert.equal(set.has('0'.repeat(40)), false);
        await assert.rejects(set.read('0'.repeat(40)), { name: 'NotFoundError' });
      } finally {
        await set.close();
      }
    }
    assert.deepEqual(tempEntries(env.tempDir), []);
  });

  it('builds the commit graph like git rev-list --parents, and extends it', async () => {
    const refs = await remote.listRefs();
    const tips = [...refs.branches.values(), ...[...refs.tags.values()].map((t) => t.peeled)];
    const graph = await remote.commitGraph(tips);
    const expected = revListGraph(bare);
    assert.equal(graph.size, expected.size);
    for (const [oid, parents] of expected) assert.deepEqual(graph.get(oid)?.parents, parents, oid);
    const first = git(bare, ['rev-list', '--max-parents=0', 'main']).trim();
    assert.equal(graph.isAncestor(first, refs.branches.get('main') ?? ''), true);
    assert.equal(graph.isAncestor(refs.branches.get('dev') ?? '', first), false);
    assert.equal(graph.get(first)?.time, Number(git(bare, ['log', '-1', '--format=%ct', first]).trim()));

    const round = CommitGraph.fromJSON(JSON.parse(JSON.stringify(graph)));
    assert.deepEqual(round.toJSON(), graph.toJSON());

    // extend: three new commits on a new branch, fetched with the old graph as `have`s
    const repo = new RepoBuilder(1_700_000_000);
    git(repo.dir, [
      'fetch',
      '-q',
      bare,
      '+refs/heads/*:refs/heads/*',
      '+refs/tags/*:refs/tags/*',
      '--update-head-ok',
    ]);
    repo.run(['reset', '-q', '--hard', 'main']);
    for (let i = 0; i < 3; i++) repo.write({ [`n${i}.txt`]: `${i}\n` }).commit(`n${i}`);
    repo.publish(env.root, 'acme/basic');
    repo.dispose();
    const fresh = createGitRemote({ url: `${env.server.url}/acme/basic.git`, tempDir: env.tempDir });
    const newTip = (await fresh.listRefs()).branches.get('main') ?? '';
    const before = fresh.stats.bytesReceived;
    const extended = await fresh.commitGraph([newTip], graph);
    assert.equal(extended, graph);
    const expected2 = revListGraph(bare); // publish replaced the bare repository in place
    assert.equal(extended.size, expected2.size);
    for (const [oid, parents] of expected2) assert.deepEqual(extended.get(oid)?.parents, parents, oid);
    assert.ok(extended.isAncestor(first, newTip));
    assert.ok(fresh.stats.bytesReceived - before < 4096, 'only the new commits were sent');
  });

  it('sends a git/ User-Agent, Git-Protocol v2 and the exact content types', () => {
    const posts = env.server.requests.filter((r) => r.method === 'POST');
    assert.ok(posts.length > 0);
    for (const r of env.server.requests) {
      assert.match(String(r.headers['user-agent']), /^git\//);
      assert.equal(r.headers['git-protocol'], 'version=2');
      assert.equal(r.headers.authorization, undefined);
    }
    for (const r of posts) {
      assert.equal(r.headers['content-type'], 'application/x-git-upload-pack-request');
      assert.equal(r.headers.accept, 'application/x-git-upload-pack-result');
    }
    assert.ok(env.server.requests.some((r) => r.command === 'ls-refs'));
  });

  it('reports a missing object as NotFoundError', async () => {
    await assert.rejects(remote.readCommit('1'.repeat(40)), { name: 'NotFoundError' });
    await assert.rejects(remote.fetchBlobs(['2'.repeat(40)]), { name: 'NotFoundError' });
    assert.deepEqual(tempEntries(env.tempDir), []);
  });

  it('counts requests and bytes in stats and onRequest', async () => {
    const events: Array<{ operation: string; bytes: number; ok: boolean; status: number }> = [];
    const r = createGitRemote({
      url: `${env.server.url}/acme/basic.git`,
      tempDir: env.tempDir,
      onRequest: (e) => events.push(e),
    });
    await r.listRefs();
    const head = (await r.listRefs()).head?.oid ?? '';
    await r.readCommit(head);
    assert.deepEqual(
      events.map((e) => e.operation),
      ['info-refs', 'ls-refs', 'ls-refs', 'fetch'],
    );
    assert.ok(events.every((e) => e.ok && e.status === 200 && e.bytes > 0));
    assert.equal(r.stats.requests, 4);
    assert.equal(
      r.stats.bytesReceived,
      events.reduce((n, e) => n + e.bytes, 0),
    );
  });
});
