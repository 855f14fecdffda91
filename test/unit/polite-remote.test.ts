/**
 * politeRemote over a real git client and the fixture `git http-backend`: every GitRemote method
 * goes through the host gate (a 502 on the pack fetch is retried, a 429 opens the circuit for all
 * methods), and the BlobSet from fetchBlobs is the client's own, readable and closable as usual.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { RateLimitedError } from '../../src/errors.js';
import { createGitRemote } from '../../src/git/remote.js';
import { CircuitOpenError, createHostGate, hostOf, politeRemote } from '../../src/upstream/politeness.js';
import { startGitServer, type GitServer } from '../fixtures/git-server.js';
import { RepoBuilder, git } from '../fixtures/repo.js';

describe('politeRemote', () => {
  let root: string;
  let tempDir: string;
  let server: GitServer;
  let head = '';
  let blob = '';
  let fault: 'none' | 'fetch-502-once' | '429' = 'none';

  before(async () => {
    root = mkdtempSync(path.join(tmpdir(), 'stoa-polite-root-'));
    tempDir = mkdtempSync(path.join(tmpdir(), 'stoa-polite-tmp-'));
    const r = new RepoBuilder();
    r.write({ 'a.txt': 'hello polite world\n' });
    head = r.commit('one');
    const bare = r.publish(root, 'acme/r');
    r.dispose();
    blob = git(bare, ['rev-parse', `${head}:a.txt`]).trim();
    server = await startGitServer({
      root,
      intercept: (req, res, body) => {
        if (fault === '429') {
          res.writeHead(429, { 'retry-after': '30' }).end('slow down\n');
          return true;
        }
        if (fault === 'fetch-502-once' && body.includes('command=fetch')) {
          fault = 'none';
          res.writeHead(502).end('bad gateway\n');
          return true;
        }
        return false;
      },
    });
  });

  after(async () => {
    await server.close();
    rmSync(root, { recursive: true, force: true });
    rmSync(tempDir, { recursive: true, force: true });
  });

  function open(): ReturnType<typeof politeRemote> {
    const url = `${server.url}/acme/r.git`;
    const gate = createHostGate({ concurrency: 2, retries: 2, retryBaseMs: 5 });
    return politeRemote(createGitRemote({ url, tempDir }), gate, hostOf(url));
  }

  it('retries a 502 on the pack fetch; the BlobSet reads and closes as the client made it', async () => {
    const remote = open();
    const refs = await remote.listRefs();
    assert.equal(refs.head?.oid, head);
    server.resetCounts();
    fault = 'fetch-502-once';
    const blobs = await remote.fetchBlobs([blob]);
    try {
      assert.equal(server.fetchCount(), 2, 'the failed fetch and its retry');
      assert.equal(server.requests[0]?.status, 502);
      assert.ok(blobs.has(blob));
      assert.equal(await blobs.size(blob), 19);
      assert.equal(new TextDecoder().decode(await blobs.read(blob)), 'hello polite world\n');
    } finally {
      await blobs.close();
    }
    assert.equal(remote.stats.requests, server.requests.length + 2, 'stats are the client\u2019s own');
  });

  it('a 429 opens the circuit for every method: no further request reaches the server', async () => {
    const remote = open();
    server.resetCounts();
    fault = '429';
    try {
      await assert.rejects(
        remote.listRefs(),
        (e) => e instanceof RateLimitedError && e.retryAfterSeconds === 30,
      );
      const calls = [
        remote.listRefs(),
        remote.readCommit(head),
        remote.commitGraph([head]),
        remote.readTree(head),
        remote.fetchBlobs([blob]),
      ];
      for (const c of calls) await assert.rejects(c, CircuitOpenError);
      assert.equal(server.requests.length, 1);
    } finally {
      fault = 'none';
    }
  });
});
