/**
 * Differential test: the real go 1.19 in direct mode (GOPROXY=direct through a local git
 * http-backend) against stoa's module-zip pipeline run on the SAME commit tree, read from the bare
 * repository with the git CLI. Compared: the zip's file set and bytes, `Sum` (h1 of the zip), the
 * `.mod` bytes and `GoModSum`; error cases by class only (go fails ⇔ stoa throws).
 *
 * Only inputs that go1.19 and current Go treat alike are used (spec §8): the vendor fixture says
 * `go 1.13`; the go 1.24 vendor rule is asserted in zip-files.test.ts.
 */
import assert from 'node:assert/strict';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startGitServer } from '../../fixtures/git-server.js';
import type { GitServer } from '../../fixtures/git-server.js';
import { GoSandbox } from '../../fixtures/go.js';
import type { GoDownloadJson } from '../../fixtures/go.js';
import { RepoBuilder } from '../../fixtures/repo.js';
import type { FileSpec } from '../../fixtures/repo.js';
import { splitPathVersion } from '../../../src/module/check-path.js';
import { findModuleDir, modFileFor } from '../../../src/module/gomod.js';
import { hashGoMod } from '../../../src/module/h1.js';
import { prepareModuleZip, treeFileReader } from '../../../src/module/module-zip.js';
import { gitTree } from './trees.js';
import { readZip } from './zip-read.js';

interface Download {
  modPath: string;
  version: string;
  /** The tag naming the version's commit. */
  tag: string;
  /** The go command is expected to fail (and stoa to throw). */
  fails?: boolean;
  /** Checklist items (spec §7) this download covers, for the test name. */
  items?: string;
  /** Extra expectations on the zip: module-relative path → exact content, or null for "absent". */
  expect?: Record<string, string | null>;
}

interface Scenario {
  repo: string;
  files: Record<string, FileSpec>;
  /** Index entries added with update-index (gitlinks): path → commit id. */
  gitlinks?: Record<string, string>;
  tags: string[];
  downloads: Download[];
}

const GO_MOD = (p: string, extra = ''): string => `module github.com/acme/${p}\n${extra}`;

const SCENARIOS: Scenario[] = [
  {
    // §7.53 (go 1.13 line), §7.49, §7.50, §7.52, §7.56, §7.57, §7.58, §7.61
    repo: 'layout',
    files: {
      'go.mod': GO_MOD('layout', '\ngo 1.13\n'),
      'a.go': 'package a\n',
      'vendor/modules.txt': '# example.com/x v1.0.0\n',
      'vendor/example.com/x/x.go': 'package x\n',
      'sub/vendor/sub.txt': 'sub\n',
      'pkg/vendor/vendor.go': 'package vendor\n',
      'xvendor/v.go': 'package xvendor\n',
      vendor2: 'plain file\n',
      'nested/go.mod': 'module github.com/acme/layout/nested\n',
      'nested/n.go': 'package nested\n',
      'nested/deep/d.go': 'package deep\n',
      'b/GO.MOD': 'module github.com/acme/layout/b\n',
      'b/b.go': 'package b\n',
      'c/go.mod': { symlink: '../go.mod' },
      'c/c.go': 'package c\n',
      '.hg_archival.txt': 'repo: x\n',
      'sub2/.hg_archival.txt': 'kept\n',
      '.svn/entries': 'x',
      '.hg/store': 'x',
      'link.go': { symlink: 'a.go' },
      'ä.go': 'package a\n',
      'é/ü.txt': 'unicode dir\n',
      '日本.go': 'package a\n',
      '-x.go': 'x',
      '.hidden/a b.go': 'x',
      'x~1.go': 'x',
      '(a).go': 'x',
      'Foo.go': 'package a\n',
      'bar.GO': 'x',
      'empty.txt': '',
      'run.sh': { content: '#!/bin/sh\n', executable: true },
      '.github/workflows/ci.yml': 'on: push\n',
      '.gitignore': '*.o\n',
    },
    gitlinks: { 'third_party/sub': '0123456789abcdef0123456789abcdef01234567' },
    tags: ['v1.0.0'],
    downloads: [
      {
        modPath: 'github.com/acme/layout',
        version: 'v1.0.0',
        tag: 'v1.0.0',
        items: '§7.48 §7.49 §7.50 §7.53 §7.56 §7.57 §7.58 §7.61',
        expect: {
          'vendor/modules.txt': '# example.com/x v1.0.0\n',
          'vendor/example.com/x/x.go': null,
          'sub/vendor/sub.txt': null,
          'pkg/vendor/vendor.go': null,
          'xvendor/v.go': 'package xvendor\n',
          'nested/n.go': null,
          'nested/deep/d.go': null,
          'b/b.go': null,
          'c/c.go': 'package c\n',
          'c/go.mod': null,
          '.hg_archival.txt': null,
          'sub2/.hg_archival.txt': 'kept\n',
          '.svn/entries': 'x',
          '.hg/store': 'x',
          'link.go': null,
          'ä.go': 'package a\n',
          '-x.go': 'x',
          '.hidden/a b.go': 'x',
          'x~1.go': 'x',
          '(a).go': 'x',
          'third_party/sub': null,
        },
      },
    ],
  },
  {
    // §7.47, §7.66–§7.71 and macros, patterns, binary heuristics
    repo: 'attrs',
    files: {
      '.gitattributes': [
        '[attr]crlftext text eol=crlf',
        '*.crlf eol=crlf',
        '*.auto text=auto eol=crlf',
        '*.id ident',
        'ignored.txt export-ignore',
        'subst.txt export-subst',
        '*.bin eol=crlf',
        '*.notext -text eol=crlf',
        '*.t text',
        '*.ta text=auto',
        '*.legacy crlf',
        '*.lf eol=lf',
        '*.mac crlftext',
        '*.bb binary eol=crlf',
        '*.bb2 eol=crlf binary',
        'sub/*.go eol=crlf',
        '/anchored.txt eol=crlf',
        'dir/**/deep.txt eol=crlf',
        '"quoted name.txt" eol=crlf',
        'go.mod eol=crlf',
        'only-dir/ eol=crlf',
        '!negated.txt eol=crlf',
        'badattr.txt eol=crlf b@d',
        '*.legacycrlf -text crlf eol=crlf',
        '*.unspec text eol=crlf',
        '*.unspec !text',
        '',
      ].join('\n'),
      'go.mod': GO_MOD('attrs', '\ngo 1.16\n'),
      'a.crlf': 'a\nb\n',
      'mixed.crlf': 'a\r\nb\nc\rd\n',
      'p.auto': 'p\nq\n',
      'x.auto': 'x\r\ny\n',
      'zero.auto': new Uint8Array([0x61, 0x0a, 0x00, 0x62, 0x0a]),
      'ctl.auto': new Uint8Array([0x61, 0x0a, 0x01, 0x02, 0x62, 0x0a]),
      'empty.auto': '',
      'noeol.auto': 'no newline',
      'k.id': 'a $Id$ b\n$Id: old value $\n$Id: a b $\n$Id:x\ny$\n$Id',
      'ignored.txt': 'still here\n',
      'subst.txt': 'commit $Format:%H$\n',
      'data.bin': new Uint8Array([0x00, 0x0a, 0xff, 0x0a]),
      'n.notext': 'a\nb\n',
      'n.t': 'a\nb\n',
      'n.ta': 'a\nb\n',
      'n.legacy': 'a\nb\n',
      'n.lf': 'a\nb\n',
      'n.mac': 'm\nn\n',
      'n.bb': 'a\nb\n',
      'n.bb2': 'a\nb\n',
      'sub/.gitattributes': 'deep.go -text\n',
      'sub/deep.go': 'package sub\n\n',
      'sub/other.go': 'package sub\n\n',
      'anchored.txt': 'top\n',
      'lower/anchored.txt': 'not anchored\n',
      'dir/deep.txt': 'zero dirs\n',
      'dir/x/y/deep.txt': 'two dirs\n',
      'quoted name.txt': 'q\n',
      'negated.txt': 'n\n',
      'badattr.txt': 'b\n',
      'only-dir/f.txt': 'f\n',
      'n.legacycrlf': 'a\nb\n',
      'n.unspec': 'a\nb\n',
    },
    tags: ['v1.0.0'],
    downloads: [
      {
        modPath: 'github.com/acme/attrs',
        version: 'v1.0.0',
        tag: 'v1.0.0',
        items: '§7.47 §7.66 §7.67 §7.68 §7.69 §7.70 §7.71',
        expect: {
          'go.mod': 'module github.com/acme/attrs\r\n\r\ngo 1.16\r\n',
          'a.crlf': 'a\r\nb\r\n',
          'p.auto': 'p\r\nq\r\n',
          'x.auto': 'x\r\ny\n',
          'zero.auto': 'a\n\0b\n',
          'k.id':
            'a $Id: 7cfef95e09202f0ac1dc08cd9d5bdd17727cad95 $ b\n$Id: old value $\n$Id: a b $\n$Id:x\ny$\n$Id',
          'ignored.txt': 'still here\n',
          'subst.txt': 'commit $Format:%H$\n',
          'data.bin': '\0\r\n\xff\r\n',
          'n.notext': 'a\nb\n',
          'n.t': 'a\nb\n',
          'n.ta': 'a\nb\n',
          'n.legacy': 'a\nb\n',
          'n.lf': 'a\nb\n',
          'n.mac': 'm\r\nn\r\n',
          'n.bb': 'a\nb\n',
          'sub/deep.go': 'package sub\n\n',
          'sub/other.go': 'package sub\r\n\r\n',
        },
      },
    ],
  },
  {
    // §7.41, §7.62, §7.63, §7.64, §7.65, §7.38/39 (major subdirectory)
    repo: 'multi',
    files: {
      LICENSE: 'root license\n',
      'go.mod': GO_MOD('multi'),
      'root.go': 'package multi\n',
      '.gitattributes': 'LICENSE eol=crlf\n',
      'tools/go.mod': 'module github.com/acme/multi/tools\n',
      'tools/t.go': 'package tools\n',
      'own/go.mod': 'module github.com/acme/multi/own\n',
      'own/LICENSE': 'own license\n',
      'v2/go.mod': 'module github.com/acme/multi/v2\n',
      'v2/v.go': 'package multi\n',
      'lic/go.mod': 'module github.com/acme/multi/lic\n',
      'lic/license': 'lower case\n',
      'licdir/go.mod': 'module github.com/acme/multi/licdir\n',
      'licdir/LICENSE/x.txt': 'a directory\n',
      'licsym/go.mod': 'module github.com/acme/multi/licsym\n',
      'licsym/LICENSE': { symlink: '../LICENSE' },
      'nomod/n.go': 'package nomod\n',
    },
    tags: [
      'v1.0.0',
      'v2.0.0',
      'tools/v1.0.0',
      'own/v1.0.0',
      'lic/v1.0.0',
      'licdir/v1.0.0',
      'licsym/v1.0.0',
      'nomod/v1.0.0',
    ],
    downloads: [
      { modPath: 'github.com/acme/multi', version: 'v1.0.0', tag: 'v1.0.0' },
      {
        modPath: 'github.com/acme/multi/tools',
        version: 'v1.0.0',
        tag: 'tools/v1.0.0',
        items: '§7.41 §7.62',
        expect: { LICENSE: 'root license\n' },
      },
      {
        modPath: 'github.com/acme/multi/own',
        version: 'v1.0.0',
        tag: 'own/v1.0.0',
        items: '§7.62',
        expect: { LICENSE: 'own license\r\n' },
      },
      {
        modPath: 'github.com/acme/multi/v2',
        version: 'v2.0.0',
        tag: 'v2.0.0',
        items: '§7.39 §7.65',
        expect: { LICENSE: 'root license\n', 'v.go': 'package multi\n' },
      },
      {
        modPath: 'github.com/acme/multi/lic',
        version: 'v1.0.0',
        tag: 'lic/v1.0.0',
        fails: true,
        items: '§7.63',
      },
      {
        modPath: 'github.com/acme/multi/licdir',
        version: 'v1.0.0',
        tag: 'licdir/v1.0.0',
        fails: true,
        items: '§7.64',
      },
      {
        modPath: 'github.com/acme/multi/licsym',
        version: 'v1.0.0',
        tag: 'licsym/v1.0.0',
        items: '§7.63',
        expect: { LICENSE: null },
      },
      {
        modPath: 'github.com/acme/multi/nomod',
        version: 'v1.0.0',
        tag: 'nomod/v1.0.0',
        fails: true,
        items: '§7.42',
      },
    ],
  },
  {
    // §7.52: a directory named go.mod is an ordinary directory
    repo: 'gomoddir',
    files: { 'go.mod/a.go': 'package gomod\n', 'x.go': 'package x\n' },
    tags: ['v1.0.0'],
    downloads: [
      {
        modPath: 'github.com/acme/gomoddir',
        version: 'v1.0.0',
        tag: 'v1.0.0',
        items: '§7.52',
        expect: { 'go.mod/a.go': 'package gomod\n' },
      },
    ],
  },
  {
    // §7.43: no go.mod, synthesized .mod with the request's case
    repo: 'NoMod',
    files: { 'hello.go': 'package hello\n' },
    tags: ['v1.0.0'],
    downloads: [{ modPath: 'github.com/acme/NoMod', version: 'v1.0.0', tag: 'v1.0.0', items: '§7.43 §7.48' }],
  },
  {
    // §7.46: CRLF go.mod served byte for byte
    repo: 'crlfmod',
    files: { 'go.mod': 'module github.com/acme/crlfmod\r\n\r\ngo 1.13\r\n', 'x.go': 'package x\r\n' },
    tags: ['v1.0.0'],
    downloads: [{ modPath: 'github.com/acme/crlfmod', version: 'v1.0.0', tag: 'v1.0.0', items: '§7.46' }],
  },
  {
    // §6 example E through go: +incompatible is part of every entry name
    repo: 'old',
    files: { 'old.go': 'package old\n' },
    tags: ['v2.0.0'],
    downloads: [
      {
        modPath: 'github.com/acme/old',
        version: 'v2.0.0+incompatible',
        tag: 'v2.0.0',
        items: '§7.48',
        expect: { 'old.go': 'package old\n' },
      },
    ],
  },
  {
    // A subdirectory module: its own go.mod picks the vendor rule; root attributes still apply.
    repo: 'subvendor',
    files: {
      LICENSE: 'root\n',
      '.gitattributes': '*.txt eol=crlf\n',
      'go.mod': 'module github.com/acme/subvendor\n',
      'm/go.mod': 'module github.com/acme/subvendor/m\n\ngo 1.13\n',
      'm/vendor/modules.txt': '# x\n',
      'm/vendor/x/y.go': 'package y\n',
      'm/p/vendor/v.go': 'package vendor\n',
      'm/notes.txt': 'a\nb\n',
      'm/.gitattributes': 'notes.txt -text\n',
      'm/doc.txt': 'c\nd\n',
    },
    tags: ['m/v1.0.0'],
    downloads: [
      {
        modPath: 'github.com/acme/subvendor/m',
        version: 'v1.0.0',
        tag: 'm/v1.0.0',
        items: '§7.53 §7.62 §7.71',
        expect: {
          'vendor/modules.txt': '# x\r\n',
          'vendor/x/y.go': null,
          'p/vendor/v.go': null,
          'notes.txt': 'a\nb\n',
          'doc.txt': 'c\r\nd\r\n',
          LICENSE: 'root\n',
        },
      },
    ],
  },
  {
    // §7.59 case collision
    repo: 'collide',
    files: { 'go.mod': GO_MOD('collide'), README: 'a\n', readme: 'b\n' },
    tags: ['v1.0.0'],
    downloads: [
      { modPath: 'github.com/acme/collide', version: 'v1.0.0', tag: 'v1.0.0', fails: true, items: '§7.59' },
    ],
  },
  {
    // §7.59 directory collision
    repo: 'dircollide',
    files: { 'go.mod': GO_MOD('dircollide'), 'A/x.go': 'package a\n', 'a/y.go': 'package a\n' },
    tags: ['v1.0.0'],
    downloads: [
      {
        modPath: 'github.com/acme/dircollide',
        version: 'v1.0.0',
        tag: 'v1.0.0',
        fails: true,
        items: '§7.59',
      },
    ],
  },
  {
    // §7.60 reserved name
    repo: 'auxname',
    files: { 'go.mod': GO_MOD('auxname'), 'aux.go': 'package aux\n' },
    tags: ['v1.0.0'],
    downloads: [
      { modPath: 'github.com/acme/auxname', version: 'v1.0.0', tag: 'v1.0.0', fails: true, items: '§7.60' },
    ],
  },
  {
    // §7.60 invalid character
    repo: 'colon',
    files: { 'go.mod': GO_MOD('colon'), 'a:b.go': 'package a\n' },
    tags: ['v1.0.0'],
    downloads: [
      { modPath: 'github.com/acme/colon', version: 'v1.0.0', tag: 'v1.0.0', fails: true, items: '§7.60' },
    ],
  },
  {
    // §7.51 root GO.MOD
    repo: 'upper',
    files: { 'GO.MOD': GO_MOD('upper'), 'a.go': 'package a\n' },
    tags: ['v1.0.0'],
    downloads: [
      { modPath: 'github.com/acme/upper', version: 'v1.0.0', tag: 'v1.0.0', fails: true, items: '§7.51' },
    ],
  },
  {
    // §7.57 a symlink that collides with a file is an error
    repo: 'symcollide',
    files: { 'go.mod': GO_MOD('symcollide'), 'a.go': 'package a\n', 'A.go': { symlink: 'a.go' } },
    tags: ['v1.0.0'],
    downloads: [
      {
        modPath: 'github.com/acme/symcollide',
        version: 'v1.0.0',
        tag: 'v1.0.0',
        fails: true,
        items: '§7.57',
      },
    ],
  },
];

function buildRepo(root: string, s: Scenario): string {
  const repo = new RepoBuilder();
  try {
    // Keep the blobs exactly as written: no attribute conversion when committing.
    writeFileSync(
      path.join(repo.dir, '.git/info/attributes'),
      '* -text -crlf -ident -filter -working-tree-encoding\n',
    );
    repo.write(s.files);
    repo.run(['add', '-A']);
    for (const [p, id] of Object.entries(s.gitlinks ?? {})) {
      repo.run(['update-index', '--add', '--cacheinfo', `160000,${id},${p}`]);
    }
    repo.commit('fixture', { allowEmpty: true });
    for (const t of s.tags) repo.tag(t);
    return repo.publish(root, `acme/${s.repo}`);
  } finally {
    repo.dispose();
  }
}

interface Ours {
  files: Map<string, Buffer>;
  h1: string;
  mod: Uint8Array;
}

async function runOurs(bare: string, d: Download, tmp: string): Promise<Ours> {
  const commit = readFileSync(path.join(bare, 'packed-refs'), 'utf8')
    .split('\n')
    .find((l) => l.endsWith(` refs/tags/${d.tag}`))
    ?.split(' ')[0];
  assert.ok(commit, `tag ${d.tag}`);
  const entries = gitTree(bare, commit);
  const codeRoot = d.modPath.split('/').slice(0, 3).join('/');
  const split = splitPathVersion(d.modPath);
  assert.ok(split);
  const codeDir = split.prefix.slice(codeRoot.length).replace(/^\//, '');
  const loc = await findModuleDir({
    codeRoot,
    modPath: d.modPath,
    codeDir,
    pathMajor: split.pathMajor,
    version: d.version,
    rev: d.tag,
    readFile: treeFileReader(entries),
  });
  const zip = await prepareModuleZip({
    entries,
    moduleDir: loc.moduleDir,
    modulePath: d.modPath,
    version: d.version,
  });
  const file = path.join(tmp, `${d.modPath.replaceAll('/', '_')}@${d.version}.zip`);
  const { h1 } = await zip.writeTo(createWriteStream(file));
  assert.equal(await zip.hash(), h1, 'hash() and writeTo() agree');
  return { files: await readZip(file), h1, mod: modFileFor(d.modPath, loc.goMod) };
}

function parseDownloads(stdout: string): GoDownloadJson[] {
  const out: GoDownloadJson[] = [];
  for (const part of stdout.trim().split(/\n(?=\{)/))
    if (part.trim() !== '') out.push(JSON.parse(part) as GoDownloadJson);
  return out;
}

describe('differential: module zips vs go 1.19 direct mode', () => {
  let root: string;
  let tmp: string;
  let server: GitServer;
  let go: GoSandbox;
  const results = new Map<string, GoDownloadJson>();
  const bares = new Map<string, string>();

  before(async () => {
    root = mkdtempSync(path.join(tmpdir(), 'stoa-diffzip-root-'));
    tmp = mkdtempSync(path.join(tmpdir(), 'stoa-diffzip-out-'));
    server = await startGitServer({ root });
    for (const s of SCENARIOS) bares.set(s.repo, buildRepo(root, s));
    go = new GoSandbox({ goproxy: 'direct', gitServerUrl: server.url });
    const args = SCENARIOS.flatMap((s) => s.downloads.map((d) => `${d.modPath}@${d.version}`));
    const r = await go.run(['mod', 'download', '-json', ...args], { timeoutMs: 300_000 });
    for (const j of parseDownloads(r.stdout)) results.set(`${j.Path}@${j.Version}`, j);
  });

  after(async () => {
    go?.dispose();
    await server?.close();
    rmSync(root, { recursive: true, force: true });
    rmSync(tmp, { recursive: true, force: true });
  });

  for (const s of SCENARIOS) {
    for (const d of s.downloads) {
      it(`${d.items ?? ''} ${d.modPath}@${d.version}${d.fails ? ' (error case)' : ''}`.trim(), async () => {
        const res = results.get(`${d.modPath}@${d.version}`);
        assert.ok(res, `go reported ${d.modPath}@${d.version}`);
        const bare = bares.get(s.repo);
        assert.ok(bare);
        if (d.fails) {
          assert.ok(res.Error, 'the go command fails');
          await assert.rejects(runOurs(bare, d, tmp));
          return;
        }
        assert.equal(res.Error, undefined, res.Error);
        assert.ok(res.Zip && res.GoMod);
        const ours = await runOurs(bare, d, tmp);
        const theirs = await readZip(res.Zip);
        assert.deepEqual([...ours.files.keys()].sort(), [...theirs.keys()].sort(), 'file set');
        for (const [name, bytes] of theirs)
          assert.deepEqual(ours.files.get(name), bytes, `content of ${name}`);
        assert.equal(ours.h1, res.Sum);
        assert.deepEqual(Buffer.from(ours.mod), readFileSync(res.GoMod), '.mod bytes');
        assert.equal(hashGoMod(ours.mod), res.GoModSum);
        const prefix = `${d.modPath}@${d.version}/`;
        for (const [p, want] of Object.entries(d.expect ?? {})) {
          const got = theirs.get(prefix + p);
          if (want === null) assert.equal(got, undefined, `${p} is absent`);
          else assert.deepEqual(got, Buffer.from(want, 'latin1'), `${p} content`);
        }
        if (process.env.STOA_DUMP_ZIP) {
          for (const [n, b] of theirs) console.log(JSON.stringify(n), JSON.stringify(b.toString('latin1')));
        }
      });
    }
  }
});
