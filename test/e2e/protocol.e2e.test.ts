/**
 * GOPROXY protocol details over real HTTP against a running stoa (spec §1 and the §7 checklist):
 * content types and lengths, HEAD, escaping, status codes for versions that are invalid for the path.
 * Each test is named after the checklist items it covers.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { git } from '../fixtures/repo.js';
import { RepoBuilder } from '../fixtures/repo.js';
import { startHarness, type Harness } from './harness.js';

async function get(
  h: Harness,
  p: string,
  method = 'GET',
): Promise<{ status: number; type: string; body: string; length: string | null }> {
  const res = await fetch(`${h.stoa.url}${p}`, { method });
  return {
    status: res.status,
    type: res.headers.get('content-type') ?? '',
    length: res.headers.get('content-length'),
    body: await res.text(),
  };
}

function info(body: string): { Version: string; Time: string } {
  return JSON.parse(body) as { Version: string; Time: string };
}

describe('GOPROXY protocol', () => {
  let h: Harness;
  const commits: Record<string, string> = {};

  before(async () => {
    h = await startHarness();

    // Azure/go-autorest stand-in: upper-case owner, a v2.0.0 tag without go.mod, an +meta tag.
    const az = new RepoBuilder();
    az.write({ 'a.go': 'package autorest\n' }).commit('one', { date: 1577934245, tz: '+0200' });
    az.tag('v1.0.0');
    az.write({ 'b.go': 'package autorest\n' }).commit('two');
    az.tag('v2.0.0');
    commits.azMeta = az.write({ 'c.go': 'package autorest\n' }).commit('three');
    az.tag('v2.1.0+meta');
    az.publish(h.gitRoot, 'Azure/go-autorest');
    az.dispose();

    // No tags at all.
    const nt = new RepoBuilder();
    commits.notags = nt
      .write({ 'go.mod': 'module github.com/acme/notags\n', 'x.go': 'package x\n' })
      .commit('only');
    nt.publish(h.gitRoot, 'acme/notags');
    nt.dispose();

    // A root module with a subdirectory that has no go.mod, a branch named like a version, a PR-only commit.
    const r = new RepoBuilder();
    r.write({ 'go.mod': 'module github.com/acme/repo\n', 'pkg/p.go': 'package pkg\n' }).commit('init');
    r.tag('v1.2.3');
    commits.tagged = r.head();
    r.branch('master');
    r.write({ 'more.go': 'package repo\n' }).commit('branch commit');
    r.branch('v1.9.0');
    r.checkout('pr', true);
    commits.pr = r.write({ 'pr.go': 'package repo\n' }).commit('pull request');
    r.checkout('main');
    const bare = r.publish(h.gitRoot, 'acme/repo');
    git(bare, ['update-ref', 'refs/pull/1/head', commits.pr]);
    git(bare, ['branch', '-D', 'pr']);
    r.dispose();

    // go.mod declaring /v2 requested without the suffix (§7.45); both root and v2/ declaring /v2 (§7.40).
    const v2 = new RepoBuilder();
    v2.write({ 'go.mod': 'module github.com/acme/onlyv2/v2\n', 'x.go': 'package x\n' }).commit('v2');
    v2.tag('v2.0.0').tag('v1.0.0');
    v2.publish(h.gitRoot, 'acme/onlyv2');
    v2.dispose();
    const amb = new RepoBuilder();
    amb
      .write({
        'go.mod': 'module github.com/acme/amb/v2\n',
        'v2/go.mod': 'module github.com/acme/amb/v2\n',
        'x.go': 'package x\n',
      })
      .commit('ambiguous');
    amb.tag('v2.0.0');
    amb.publish(h.gitRoot, 'acme/amb');
    amb.dispose();
  });

  after(async () => {
    await h.close();
  });

  it('§7.1 %21-escaped and !-escaped module paths give the same answer for Azure/go-autorest', async () => {
    const a = await get(h, '/github.com/%21azure/go-autorest/@v/list');
    const b = await get(h, '/github.com/!azure/go-autorest/@v/list');
    assert.equal(a.status, 200, a.body);
    assert.equal(a.body, b.body);
    assert.equal(a.body, 'v1.0.0\nv2.0.0+incompatible\n');
    assert.match(a.type, /^text\/plain; charset=utf-8/);
  });

  it('§7.2 upper case in the request path → 400, never the module', async () => {
    const res = await get(h, '/github.com/Azure/go-autorest/@v/list');
    assert.equal(res.status, 400);
    assert.match(res.type, /^text\/plain/);
  });

  it('§7.3 + and %2B in a version are the same; + is never a space', async () => {
    const a = await get(h, '/github.com/!azure/go-autorest/@v/v2.0.0+incompatible.info');
    const b = await get(h, '/github.com/!azure/go-autorest/@v/v2.0.0%2Bincompatible.info');
    assert.equal(a.status, 200, a.body);
    assert.deepEqual(info(a.body).Version, 'v2.0.0+incompatible');
    assert.deepEqual(info(a.body), info(b.body));
    assert.equal(a.type, 'application/json');
  });

  it('§7.4 !h!e!a!d resolves HEAD to a canonical version', async () => {
    const res = await get(h, '/github.com/acme/repo/@v/!h!e!a!d.info');
    assert.equal(res.status, 200, res.body);
    assert.match(info(res.body).Version, /^v1\.2\.4-0\.\d{14}-[0-9a-f]{12}$/);
  });

  it('§7.7 §7.8 a canonical .info request returns exactly that Version and the committer time in UTC', async () => {
    const res = await get(h, '/github.com/!azure/go-autorest/@v/v1.0.0.info');
    assert.equal(res.status, 200, res.body);
    // committed at @1577934245 +0200 → 2020-01-02T03:04:05Z
    assert.deepEqual(info(res.body), { ...info(res.body), Version: 'v1.0.0', Time: '2020-01-02T03:04:05Z' });
  });

  it('§7.10 a repository without tags lists nothing (200, empty) and @latest is the HEAD pseudo-version', async () => {
    const list = await get(h, '/github.com/acme/notags/@v/list');
    assert.equal(list.status, 200);
    assert.equal(list.body, '');
    const latest = await get(h, '/github.com/acme/notags/@latest');
    assert.equal(latest.status, 200, latest.body);
    assert.equal(info(latest.body).Version.slice(-12), (commits.notags ?? '').slice(0, 12));
    assert.match(info(latest.body).Version, /^v0\.0\.0-\d{14}-[0-9a-f]{12}$/);
  });

  it('§7.15 v1.x+incompatible → 404', async () => {
    const res = await get(h, '/github.com/!azure/go-autorest/@v/v1.0.0+incompatible.info');
    assert.equal(res.status, 404, res.body);
    assert.match(res.body, /^not found: .*compatible/);
  });

  it('§7.16 v2.0.0 on an unversioned path without go.mod → Version v2.0.0+incompatible', async () => {
    const res = await get(h, '/github.com/!azure/go-autorest/@v/v2.0.0.info');
    assert.equal(res.status, 200, res.body);
    assert.equal(info(res.body).Version, 'v2.0.0+incompatible');
  });

  it('§7.17 @latest of a subdirectory without go.mod → 404', async () => {
    const res = await get(h, '/github.com/acme/repo/pkg/@latest');
    assert.equal(res.status, 404, res.body);
  });

  it('§7.18 the sumdb supported endpoint → 404, so the client goes direct', async () => {
    const res = await get(h, '/sumdb/sum.golang.org/supported');
    assert.equal(res.status, 404);
  });

  it('§7.25 a branch whose commit carries a tag resolves to the tag', async () => {
    const res = await get(h, '/github.com/acme/repo/@v/master.info');
    assert.equal(res.status, 200, res.body);
    assert.equal(info(res.body).Version, 'v1.2.3');
  });

  it('§7.31 an +meta tag on the commit gives a pseudo-version based on it', async () => {
    const res = await get(h, '/github.com/!azure/go-autorest/@v/v2.1.0+meta.info');
    assert.equal(res.status, 200, res.body);
    assert.match(info(res.body).Version, /^v2\.1\.1-0\.\d{14}-[0-9a-f]{12}\+incompatible$/);
    assert.equal(info(res.body).Version.slice(-25, -13), (commits.azMeta ?? '').slice(0, 12));
  });

  it('§7.32 a canonical version that is only a branch name → 404', async () => {
    const res = await get(h, '/github.com/acme/repo/@v/v1.9.0.info');
    assert.equal(res.status, 404, res.body);
    assert.match(res.body, /not a tag/);
  });

  it('§7.33 malformed pseudo-versions → 404 (11/13 hex, wrong time, base on the same commit)', async () => {
    const head = commits.tagged ?? '';
    for (const v of [
      `v1.2.4-0.20200102030405-${head.slice(0, 11)}`,
      `v1.2.4-0.20200102030405-${head.slice(0, 13)}`,
      `v1.2.4-0.20990102030405-${head.slice(0, 12)}`,
      `v1.2.4-0.20200102030405-${head.slice(0, 12)}`,
    ]) {
      const res = await get(h, `/github.com/acme/repo/@v/${v}.info`);
      assert.equal(res.status, 404, `${v}: ${res.body}`);
    }
  });

  it('§7.35 a commit reachable only from a PR ref → 404', async () => {
    const res = await get(h, `/github.com/acme/repo/@v/${(commits.pr ?? '').slice(0, 12)}.info`);
    assert.equal(res.status, 404, res.body);
  });

  it('§7.36 a tag force-moved after stoa cached the version: stoa keeps serving the bytes it recorded', async () => {
    const publishMoved = (content: string): void => {
      const r = new RepoBuilder();
      try {
        r.write({ 'go.mod': 'module github.com/acme/moved\n', 'm.go': content }).commit('c');
        r.tag('v1.0.0');
        r.publish(h.gitRoot, 'acme/moved'); // replaces the repository: v1.0.0 now names another commit
      } finally {
        r.dispose();
      }
    };
    const fetchAll = async (): Promise<string[]> =>
      Promise.all(
        ['info', 'mod', 'zip'].map(async (ext) => {
          const res = await fetch(`${h.stoa.url}/github.com/acme/moved/@v/v1.0.0.${ext}`);
          assert.equal(res.status, 200);
          return Buffer.from(await res.arrayBuffer()).toString('base64');
        }),
      );
    publishMoved('package moved // first\n');
    const before = await fetchAll();
    const directBefore = await h.direct().download('github.com/acme/moved@v1.0.0');
    publishMoved('package moved // moved tag\n');
    const directAfter = await h.direct().download('github.com/acme/moved@v1.0.0');
    assert.ok(directBefore.Sum && directAfter.Sum);
    assert.notEqual(directAfter.Sum, directBefore.Sum, 'the moved tag names different content upstream');
    assert.deepEqual(
      await fetchAll(),
      before,
      'stoa serves what it recorded (what sum.golang.org would hold)',
    );
    const viaStoa = await h.viaStoa().download('github.com/acme/moved@v1.0.0');
    assert.equal(viaStoa.Sum, directBefore.Sum);
  });

  it('§7.40 root and v2/ both declaring /v2 → 404; §7.45 /v2 module requested unversioned → 404', async () => {
    const amb = await get(h, '/github.com/acme/amb/v2/@v/v2.0.0.info');
    assert.equal(amb.status, 404, amb.body);
    const post = await get(h, '/github.com/acme/onlyv2/@v/v1.0.0.info');
    assert.equal(post.status, 404, post.body);
    assert.match(post.body, /post-v1 module path/);
  });

  it('§7.42 a subdirectory without go.mod: every version → 404', async () => {
    const res = await get(h, '/github.com/acme/repo/pkg/@v/v1.2.3.info');
    assert.equal(res.status, 404, res.body);
  });

  it('.mod and .zip carry Content-Type and Content-Length; HEAD answers the same headers without a body', async () => {
    const mod = await get(h, '/github.com/acme/repo/@v/v1.2.3.mod');
    assert.equal(mod.status, 200, mod.body);
    assert.equal(mod.body, 'module github.com/acme/repo\n');
    assert.equal(mod.length, String(Buffer.byteLength(mod.body)));
    assert.match(mod.type, /^text\/plain/);
    const zip = await get(h, '/github.com/acme/repo/@v/v1.2.3.zip');
    assert.equal(zip.status, 200);
    assert.equal(zip.type, 'application/zip');
    assert.ok(Number(zip.length) > 0);
    const head = await get(h, '/github.com/acme/repo/@v/v1.2.3.zip', 'HEAD');
    assert.equal(head.status, 200);
    assert.equal(head.length, zip.length);
    assert.equal(head.body, '');
  });

  it('/healthz, /readyz and /version answer', async () => {
    assert.equal((await get(h, '/healthz')).status, 200);
    assert.equal((await get(h, '/readyz')).status, 200);
    const v = await get(h, '/version');
    assert.equal(v.status, 200);
    assert.equal((JSON.parse(v.body) as { name: string }).name, 'stoa');
  });

  it('one JSON log line per request with method, path, status, duration, cache result and bytes', async () => {
    await get(h, '/github.com/acme/repo/@v/v1.2.3.mod');
    const lines = h.logs
      .flatMap((chunk) => chunk.split('\n'))
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const line = lines.find((l) => l.msg === 'request' && l.path === '/github.com/acme/repo/@v/v1.2.3.mod');
    assert.ok(line, 'a request line for the .mod');
    assert.equal(line.method, 'GET');
    assert.equal(line.status, 200);
    assert.equal(line.cache, 'hit');
    assert.equal(typeof line.durationMs, 'number');
    assert.equal(line.bytes, Buffer.byteLength('module github.com/acme/repo\n'));
  });
});
