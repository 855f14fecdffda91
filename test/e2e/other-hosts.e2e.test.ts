/**
 * Modules outside github.com: go-import discovery (`https://<path>?go-get=1`) redirected by
 * STOA_HOST_MAP to a local page server, then git from the local git server, as golang.org/x/* and
 * go.uber.org/* resolve in production. Non-git VCS answers 404 with a clear message.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { hash1, sha256Hex } from '../../src/module/h1.js';
import { RepoBuilder } from '../fixtures/repo.js';
import { startHarness, type Harness } from './harness.js';

const PAGES: Record<string, string> = {
  '/x': 'example.org/x git https://git.example.org/acme/x',
  '/x/sub': 'example.org/x git https://git.example.org/acme/x',
  '/hg': 'example.org/hg hg https://hg.example.org/hg',
  '/liar/sub': 'example.org/liar git https://git.example.org/acme/x',
  '/liar': 'example.org/liar git https://git.example.org/acme/other',
};

describe('other hosts through go-import discovery', () => {
  let pages: http.Server;
  let pagesUrl: string;
  let discoveries = 0;
  let h: Harness;
  const files: Record<string, string> = {
    'go.mod': 'module example.org/x\n\ngo 1.18\n',
    'x.go': 'package x\n',
    'sub/sub.go': 'package sub\n',
  };

  before(async () => {
    pages = http.createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const content = PAGES[url.pathname];
      if (url.searchParams.get('go-get') !== '1' || content === undefined) {
        res.writeHead(404).end('not found');
        return;
      }
      discoveries++;
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(
        `<!DOCTYPE html><html><head><META NAME="go-import" content="${content}">` +
          `<meta name="go-source" content="x"></head><body><meta name="go-import" content="example.org/x git https://evil.example/x"></body></html>`,
      );
    });
    await new Promise<void>((resolve) => pages.listen(0, '127.0.0.1', resolve));
    pagesUrl = `http://127.0.0.1:${(pages.address() as AddressInfo).port}`;
    // The harness's git server doubles as git.example.org.
    h = await startHarness({
      env: (gitUrl) => ({ STOA_HOST_MAP: `example.org=${pagesUrl},git.example.org=${gitUrl}` }),
    });
    const r = new RepoBuilder();
    r.write(files).commit('v1');
    r.tag('v1.0.0');
    r.publish(h.gitRoot, 'acme/x');
    r.dispose();
  });

  after(async () => {
    await h.close();
    await new Promise<void>((resolve) => pages.close(() => resolve()));
  });

  it('go mod download example.org/x@v1.0.0 through stoa; h1 matches the repository contents', async () => {
    const go = h.viaStoa();
    const res = await go.download('example.org/x@v1.0.0');
    assert.equal(res.Error, undefined, res.Error);
    const expected = hash1(
      Object.entries(files).map(([name, content]) => ({
        name: `example.org/x@v1.0.0/${name}`,
        sha256: sha256Hex(new TextEncoder().encode(content)),
      })),
    );
    assert.equal(res.Sum, expected);
    assert.ok(discoveries > 0, 'the go-get page was consulted');
  });

  it('a package path inside the module resolves through the prefix page (go get example.org/x/sub)', async () => {
    const go = h.viaStoa();
    const r = await go.run(['get', 'example.org/x/sub@v1.0.0']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(go.goSum(), /^example\.org\/x v1\.0\.0 h1:/m);
  });

  it('a non-git VCS answers 404 with a clear message', async () => {
    const res = await fetch(`${h.stoa.url}/example.org/hg/@v/list`);
    assert.equal(res.status, 404);
    assert.match(await res.text(), /uses hg; stoa fetches git repositories only/);
  });

  it('a prefix page that disagrees with the sub-path page → 404', async () => {
    const res = await fetch(`${h.stoa.url}/example.org/liar/sub/@v/list`);
    assert.equal(res.status, 404);
    await res.text();
  });

  it('an unknown host path → 404', async () => {
    const res = await fetch(`${h.stoa.url}/example.org/nothing/@v/list`);
    assert.equal(res.status, 404);
    await res.text();
  });
});
