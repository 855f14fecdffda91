/**
 * Download modes per module pattern and exclusions (issue 7 item 4), against a running stoa:
 * `none` serves only the store, `async` answers 404 and fills in the background, `redirect` sends
 * the go command to another GOPROXY (here: a second stoa), excluded modules get 403.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { startServer, type RunningServer } from '../../src/main.js';
import { GoSandbox } from '../fixtures/go.js';
import { RepoBuilder } from '../fixtures/repo.js';
import { startHarness, type Harness } from './harness.js';

describe('download modes and exclusions', () => {
  let upstreamProxy: Harness; // a plain stoa that redirected clients are sent to
  let stoa: RunningServer;
  let dir: string;

  before(async () => {
    upstreamProxy = await startHarness();
    for (const name of ['none', 'later', 'elsewhere', 'plain']) {
      const r = new RepoBuilder();
      r.write({ 'go.mod': `module github.com/acme/${name}\n`, 'x.go': 'package x\n' }).commit('one');
      r.tag('v1.0.0');
      r.publish(upstreamProxy.gitRoot, `acme/${name}`);
      r.dispose();
    }
    dir = mkdtempSync(path.join(tmpdir(), 'stoa-modes-'));
    const policyFile = path.join(dir, 'download.json');
    writeFileSync(
      policyFile,
      JSON.stringify({
        mode: 'sync',
        redirectUrl: upstreamProxy.stoa.url,
        rules: [
          { pattern: 'github.com/acme/none', mode: 'none' },
          { pattern: 'github.com/acme/later', mode: 'async' },
          { pattern: 'github.com/acme/elsewhere', mode: 'redirect' },
          { pattern: 'github.com', mode: 'sync' },
          { pattern: '*', mode: 'none' },
        ],
        exclude: ['github.com/evil'],
      }),
    );
    const config = loadConfig({
      STOA_HOST: '127.0.0.1',
      STOA_STORAGE_ROOT: path.join(dir, 'store'),
      STOA_GITHUB_URL: upstreamProxy.git.url,
      STOA_SUMDBS: 'off', // never a checksum database on the internet
      STOA_DOWNLOAD_FILE: policyFile,
      STOA_EXCLUDE: 'github.com/acme/banned',
    });
    stoa = await startServer({ ...config, port: 0 }, createLogger({ level: 'silent' }));
  });

  after(async () => {
    await stoa.close();
    await upstreamProxy.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('excluded modules (policy file and STOA_EXCLUDE) answer 403, even for @v/list', async () => {
    for (const p of ['/github.com/evil/x/@v/list', '/github.com/acme/banned/@v/v1.0.0.info']) {
      const res = await fetch(`${stoa.url}${p}`);
      assert.equal(res.status, 403, p);
      assert.match(await res.text(), /^forbidden: .*excluded/);
    }
  });

  it('`none`: a miss is 404 and nothing is fetched', async () => {
    const before = upstreamProxy.git.requests.length;
    const res = await fetch(`${stoa.url}/github.com/acme/none/@v/v1.0.0.zip`);
    assert.equal(res.status, 404);
    assert.match(await res.text(), /does not download/);
    const list = await fetch(`${stoa.url}/github.com/acme/none/@v/list`);
    assert.equal(list.status, 404);
    await list.text();
    assert.equal(upstreamProxy.git.requests.length, before);
  });

  it('`async`: the first request is 404 and starts the fill; the version appears shortly after', async () => {
    const first = await fetch(`${stoa.url}/github.com/acme/later/@v/v1.0.0.info`);
    assert.equal(first.status, 404);
    assert.match(await first.text(), /fetching it now/);
    let status = 0;
    for (let i = 0; i < 100 && status !== 200; i++) {
      await sleep(100);
      const res = await fetch(`${stoa.url}/github.com/acme/later/@v/v1.0.0.zip`);
      status = res.status;
      await res.arrayBuffer();
    }
    assert.equal(status, 200, 'the background fill stored the version');
  });

  it('`redirect`: 302 to the other proxy with the same path, and go follows it', async () => {
    const res = await fetch(`${stoa.url}/github.com/acme/elsewhere/@v/v1.0.0.info`, { redirect: 'manual' });
    assert.equal(res.status, 302);
    assert.equal(
      res.headers.get('location'),
      `${upstreamProxy.stoa.url}/github.com/acme/elsewhere/@v/v1.0.0.info`,
    );
    await res.text();
    const go = new GoSandbox({ goproxy: stoa.url });
    try {
      const d = await go.download('github.com/acme/elsewhere@v1.0.0');
      assert.equal(d.Error, undefined, d.Error);
      assert.match(d.Sum ?? '', /^h1:/);
    } finally {
      go.dispose();
    }
  });

  it('`sync` (the rest of github.com) fills while the client waits', async () => {
    const res = await fetch(`${stoa.url}/github.com/acme/plain/@v/v1.0.0.info`);
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as { Version: string }).Version, 'v1.0.0');
  });

  it('a policy file that does not parse stops start-up with a clear message', () => {
    const bad = path.join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ mode: 'sometimes' }));
    const config = loadConfig({ STOA_STORAGE_ROOT: path.join(dir, 'store2'), STOA_DOWNLOAD_FILE: bad });
    return assert.rejects(
      startServer({ ...config, port: 0 }, createLogger({ level: 'silent' })),
      /download policy/,
    );
  });
});
