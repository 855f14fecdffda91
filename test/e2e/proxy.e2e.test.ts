/**
 * The real go command (Debian's go 1.19) against a running stoa whose GitHub base URL points at a
 * local git http-backend serving fixture repositories. Differential: every answer must equal what
 * `GOPROXY=direct` computes from the same repositories.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { RepoBuilder } from '../fixtures/repo.js';
import { startHarness, type Harness } from './harness.js';

interface Published {
  head: string;
}

function publish(h: Harness, name: string, build: (r: RepoBuilder) => void): Published {
  const r = new RepoBuilder();
  try {
    build(r);
    const head = r.head();
    r.publish(h.gitRoot, name);
    return { head };
  } finally {
    r.dispose();
  }
}

function infoOf(zipJson: { Info?: string }): { Version: string; Time: string } {
  assert.ok(zipJson.Info, 'go reported an Info file');
  const info = JSON.parse(readFileSync(zipJson.Info, 'utf8')) as { Version: string; Time: string };
  // Compare parsed Version and Time only (spec §8: Origin differs by go version).
  return { Version: info.Version, Time: info.Time };
}

describe('proxy end to end with the go command', () => {
  let h: Harness;
  const heads: Record<string, string> = {};

  before(async () => {
    h = await startHarness();
    heads.hello = publish(h, 'acme/hello', (r) => {
      r.write({
        'go.mod': 'module github.com/acme/hello\n\ngo 1.18\n',
        'hello.go': 'package hello\n',
      }).commit('v1');
      r.tag('v1.0.0');
      r.write({ 'extra.go': 'package hello\n\nconst X = 1\n' }).commit('v1.1', { tz: '+0200' });
      r.tag('v1.1.0', { message: 'release 1.1.0' });
      r.write({ 'later.go': 'package hello\n\nconst Y = 2\n' }).commit('untagged');
      r.branch('feature');
    }).head;
    heads.nomod = publish(h, 'acme/nomod', (r) => {
      r.write({ 'a.go': 'package nomod\n' }).commit('v1');
      r.tag('v1.0.0');
      r.write({ 'b.go': 'package nomod\n' }).commit('v2');
      r.tag('v2.0.0');
    }).head;
    heads.mono = publish(h, 'acme/mono', (r) => {
      r.write({
        'go.mod': 'module github.com/acme/mono\n',
        LICENSE: 'root license\n',
        'root.go': 'package mono\n',
        'tools/go.mod': 'module github.com/acme/mono/tools\n',
        'tools/tool.go': 'package tools\n',
        'tools/cmd/x/main.go': 'package main\n\nfunc main() {}\n',
      }).commit('init');
      r.tag('v1.0.0').tag('tools/v1.2.0');
    }).head;
    heads.major = publish(h, 'acme/major', (r) => {
      r.write({ 'go.mod': 'module github.com/acme/major/v2\n', 'm.go': 'package major\n' }).commit('v2');
      r.tag('v2.0.0');
      r.write({ 'n.go': 'package major\n' }).commit('v2.1');
      r.tag('v2.1.0');
    }).head;
    heads.subdirmajor = publish(h, 'acme/subdirmajor', (r) => {
      r.write({
        'go.mod': 'module github.com/acme/subdirmajor\n',
        's.go': 'package subdirmajor\n',
        'v3/go.mod': 'module github.com/acme/subdirmajor/v3\n',
        'v3/s.go': 'package subdirmajor\n',
      }).commit('init');
      r.tag('v1.0.0').tag('v3.0.0');
    }).head;
    heads.symlinked = publish(h, 'acme/symlinked', (r) => {
      r.write({
        'real.mod': 'module github.com/acme/symlinked\n',
        'go.mod': { symlink: 'real.mod' },
        's.go': 'package symlinked\n',
      }).commit('init');
      r.tag('v1.0.0');
    }).head;
    heads.upper = publish(h, 'AcmeCorp/Widget', (r) => {
      r.write({ 'go.mod': 'module github.com/AcmeCorp/Widget\n', 'w.go': 'package widget\n' }).commit('init');
      r.tag('v1.0.0-RC1');
    }).head;
  });

  after(async () => {
    await h.close();
  });

  const downloads: [string, string][] = [
    ['github.com/acme/hello', 'v1.0.0'],
    ['github.com/acme/hello', 'v1.1.0'],
    ['github.com/acme/hello', 'feature'],
    ['github.com/acme/hello', 'HEAD'],
    ['github.com/acme/nomod', 'v1.0.0'],
    ['github.com/acme/nomod', 'v2.0.0'],
    ['github.com/acme/nomod', 'v2.0.0+incompatible'],
    ['github.com/acme/mono', 'v1.0.0'],
    ['github.com/acme/mono/tools', 'v1.2.0'],
    ['github.com/acme/major/v2', 'v2.1.0'],
    ['github.com/acme/subdirmajor/v3', 'v3.0.0'],
    ['github.com/AcmeCorp/Widget', 'v1.0.0-RC1'],
  ];

  for (const [mod, query] of downloads) {
    it(`go mod download ${mod}@${query} equals direct mode`, async () => {
      const viaStoa = h.viaStoa();
      const direct = h.direct();
      const [a, b] = await Promise.all([
        viaStoa.download(`${mod}@${query}`),
        direct.download(`${mod}@${query}`),
      ]);
      assert.equal(b.Error, undefined, `direct mode failed: ${b.Error}`);
      assert.equal(a.Error, undefined, `via stoa failed: ${a.Error}`);
      assert.equal(a.Version, b.Version);
      assert.equal(a.Sum, b.Sum);
      assert.equal(a.GoModSum, b.GoModSum);
      assert.deepEqual(infoOf(a), infoOf(b));
      assert.equal(readFileSync(a.GoMod ?? '', 'utf8'), readFileSync(b.GoMod ?? '', 'utf8'));
    });
  }

  it('a symlinked root go.mod is read as its link text, as git cat-file does: both refuse the version', async () => {
    const [a, b] = await Promise.all([
      h.viaStoa().download('github.com/acme/symlinked@v1.0.0'),
      h.direct().download('github.com/acme/symlinked@v1.0.0'),
    ]);
    assert.ok(b.Error, 'direct mode refuses it');
    assert.ok(a.Error, 'stoa refuses it');
    const res = await fetch(`${h.stoa.url}/github.com/acme/symlinked/@v/v1.0.0.info`);
    assert.equal(res.status, 404);
    assert.match(await res.text(), /missing module path/);
  });

  it('a 12-hex commit query resolves to the same pseudo-version as direct mode', async () => {
    const q = (heads.hello ?? '').slice(0, 12);
    const [a, b] = await Promise.all([
      h.viaStoa().download(`github.com/acme/hello@${q}`),
      h.direct().download(`github.com/acme/hello@${q}`),
    ]);
    assert.equal(a.Error, undefined, a.Error);
    assert.match(a.Version, /^v1\.1\.1-0\.\d{14}-[0-9a-f]{12}$/);
    assert.equal(a.Version, b.Version);
    assert.equal(a.Sum, b.Sum);
  });

  for (const mod of ['github.com/acme/hello', 'github.com/acme/nomod', 'github.com/acme/mono/tools']) {
    it(`go list -m -versions ${mod} equals direct mode`, async () => {
      const [a, b] = await Promise.all([
        h.viaStoa().run(['list', '-m', '-retracted', '-versions', mod]),
        h.direct().run(['list', '-m', '-retracted', '-versions', mod]),
      ]);
      assert.equal(b.code, 0, b.stderr);
      assert.equal(a.code, 0, a.stderr);
      assert.equal(a.stdout, b.stdout);
    });
  }

  it('go get of a package inside a subdirectory module writes the same go.sum as direct mode', async () => {
    const viaStoa = h.viaStoa();
    const direct = h.direct();
    const [a, b] = await Promise.all([
      viaStoa.run(['get', 'github.com/acme/mono/tools/cmd/x@latest']),
      direct.run(['get', 'github.com/acme/mono/tools/cmd/x@latest']),
    ]);
    assert.equal(b.code, 0, b.stderr);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(viaStoa.goSum(), direct.goSum());
    assert.match(viaStoa.goSum(), /github\.com\/acme\/mono\/tools v1\.2\.0 h1:/);
  });

  it('go get M@latest and M@HEAD write the same go.sum as direct mode', async () => {
    for (const q of ['latest', 'HEAD']) {
      const viaStoa = h.viaStoa();
      const direct = h.direct();
      const a = await viaStoa.run(['get', `github.com/acme/hello@${q}`]);
      const b = await direct.run(['get', `github.com/acme/hello@${q}`]);
      assert.equal(b.code, 0, b.stderr);
      assert.equal(a.code, 0, a.stderr);
      assert.equal(viaStoa.goSum(), direct.goSum());
    }
  });

  it('an unknown repository is a 404 with a text body, for go and for curl', async () => {
    const res = await fetch(`${h.stoa.url}/github.com/nobody/nothing/@v/list`);
    assert.equal(res.status, 404);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
    assert.match(await res.text(), /^not found: /);
    const r = await h.viaStoa().download('github.com/nobody/nothing@v1.0.0');
    assert.ok(r.Error, 'go reports an error');
  });

  it('a cold version costs four upstream requests: refs (2), its tree, then every file it reads in one pack', async () => {
    const cases: { repo: string; module: string; version: string; first: 'info' | 'mod' | 'zip' }[] = [
      { repo: 'acme/cost-root', module: 'github.com/acme/cost-root', version: 'v1.0.0', first: 'info' },
      { repo: 'acme/cost-sub', module: 'github.com/acme/cost-sub/tools', version: 'v1.2.0', first: 'zip' },
      { repo: 'acme/cost-major', module: 'github.com/acme/cost-major/v3', version: 'v3.0.0', first: 'mod' },
      {
        repo: 'acme/cost-nomod',
        module: 'github.com/acme/cost-nomod',
        version: 'v2.0.0+incompatible',
        first: 'info',
      },
    ];
    for (const c of cases) {
      publish(h, c.repo, (r) => {
        r.write({
          ...(c.repo === 'acme/cost-nomod' ? {} : { 'go.mod': `module github.com/${c.repo}\n` }),
          LICENSE: 'license\n',
          'a.go': 'package a\n',
          'tools/go.mod': `module github.com/${c.repo}/tools\n`,
          'tools/t.go': 'package tools\n',
          'v3/go.mod': `module github.com/${c.repo}/v3\n`,
          'v3/b.go': 'package b\n',
        }).commit('init');
        r.tag('v1.0.0').tag('tools/v1.2.0').tag('v2.0.0').tag('v3.0.0');
      });
    }
    for (const c of cases) {
      h.git.resetCounts();
      const order = [c.first, ...(['info', 'mod', 'zip'] as const).filter((k) => k !== c.first)];
      for (const kind of order) {
        const res = await fetch(`${h.stoa.url}/${c.module}/@v/${c.version}.${kind}`);
        assert.equal(res.status, 200, `${c.module}@${c.version}.${kind}: ${res.status}`);
        await res.arrayBuffer();
      }
      const mine = h.git.requests.filter((r) => r.path.startsWith(`/${c.repo}.git/`));
      const count = (command: string): number => mine.filter((r) => r.command === command).length;
      assert.deepEqual(
        { 'info-refs': count('info-refs'), 'ls-refs': count('ls-refs'), fetch: count('fetch') },
        { 'info-refs': 1, 'ls-refs': 1, fetch: 2 },
        `${c.module}@${c.version}, ${c.first} first`,
      );
    }
  });

  it('50 concurrent requests for one uncached zip cause the upstream fetches of a single fill', async () => {
    // One cold fill of v1.0.0 for reference, then 50 concurrent requests for the same-shaped v1.1.0.
    publish(h, 'acme/coalesce', (r) => {
      r.write({ 'go.mod': 'module github.com/acme/coalesce\n', 'a.go': 'package coalesce\n' }).commit('one');
      r.tag('v1.0.0');
      r.write({ 'a.go': 'package coalesce // two\n' }).commit('two');
      r.tag('v1.1.0');
    });
    const mod = 'github.com/acme/coalesce';
    h.git.resetCounts();
    const one = await fetch(`${h.stoa.url}/${mod}/@v/v1.0.0.zip`);
    assert.equal(one.status, 200);
    await one.arrayBuffer();
    const singleFill = h.git.fetchCount();
    assert.ok(singleFill >= 1);
    h.git.resetCounts();
    const answers = await Promise.all(
      Array.from({ length: 50 }, async () => {
        const res = await fetch(`${h.stoa.url}/${mod}/@v/v1.1.0.zip`);
        return { status: res.status, body: Buffer.from(await res.arrayBuffer()) };
      }),
    );
    for (const a of answers) assert.equal(a.status, 200);
    const first = answers[0]?.body;
    for (const a of answers) assert.ok(first && a.body.equals(first), 'every client got identical bytes');
    assert.equal(h.git.fetchCount(), singleFill, 'the 50 requests caused exactly one fill');
  });
});
