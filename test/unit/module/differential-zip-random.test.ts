/**
 * Randomized differential test of the zip rules against go 1.19 in direct mode: random trees drawn
 * from a pool of troublesome names (case collisions, reserved names, bad characters, vendor dirs,
 * nested go.mod files in any case, symlinks, .hg_archival.txt, unicode letters, gitattributes). For
 * each, the go command succeeds ⇔ stoa's pipeline succeeds, and then the file sets and `h1:` agree.
 * The seed is printed in every test name; set STOA_ZIP_SEED to replay one.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { startGitServer } from '../../fixtures/git-server.js';
import type { GitServer } from '../../fixtures/git-server.js';
import { GoSandbox } from '../../fixtures/go.js';
import type { GoDownloadJson } from '../../fixtures/go.js';
import { RepoBuilder } from '../../fixtures/repo.js';
import type { FileSpec } from '../../fixtures/repo.js';
import { findModuleDir } from '../../../src/module/gomod.js';
import { prepareModuleZip, treeFileReader } from '../../../src/module/module-zip.js';
import { gitTree } from './trees.js';

/** Names that are fine alone (some collide with each other). */
const POOL: Record<string, FileSpec> = {
  'a.go': 'package a\n',
  'A.go': 'package a\n',
  README: 'r\n',
  readme: 'r\n',
  'sub/go.mod': 'module github.com/acme/x/sub\n',
  'sub/x.go': 'package sub\n',
  'SUB/y.go': 'package sub\n',
  'vendor/modules.txt': '# m\n',
  'vendor/a/b.go': 'package b\n',
  'p/vendor/v.go': 'package vendor\n',
  LICENSE: 'l\n',
  license: 'l\n',
  '.hg_archival.txt': 'h\n',
  'x/.hg_archival.txt': 'h\n',
  'ä.go': 'package a\n',
  'Ä.go': 'package a\n',
  'd/e.go': 'package d\n',
  'D/f.go': 'package d\n',
  '.gitattributes': '*.txt eol=crlf\n',
  'n.txt': 'a\nb\n',
  sym: { symlink: 'a.go' },
  'Sym.go': { symlink: 'a.go' },
  'b/GO.MOD': 'module b\n',
  'b/c.go': 'package b\n',
  'ok~1.go': 'x\n',
  'k/Kelvin': 'x\n',
  'k/\u212aelvin': 'x\n',
  'vendor/x/vendor/y.go': 'x\n',
  'sub/vendor/z.txt': 'x\n',
};
/** Names the zip rules refuse (unless omitted first, e.g. under a nested module). */
const BAD: Record<string, FileSpec> = {
  'aux.go': 'package a\n',
  'con/x.go': 'package con\n',
  'a:b': 'x\n',
  'x€.go': 'x\n',
  'end.': 'x\n',
  'q"q.go': 'x\n',
  'sub/aux.go': 'x\n',
  'vendor/a/con.go': 'x\n',
};
const GO_MODS = ['', 'go 1.13\n', 'go 1.16\n'];

interface Tree {
  names: string[];
  bad: string[];
  goMod: number;
}

const treeArb: fc.Arbitrary<Tree> = fc.record({
  names: fc.uniqueArray(fc.constantFrom(...Object.keys(POOL)), { minLength: 1, maxLength: 8 }),
  bad: fc.oneof(
    { weight: 3, arbitrary: fc.constant<string[]>([]) },
    {
      weight: 1,
      arbitrary: fc.uniqueArray(fc.constantFrom(...Object.keys(BAD)), { minLength: 1, maxLength: 2 }),
    },
  ),
  goMod: fc.integer({ min: -1, max: GO_MODS.length - 1 }),
});

const COUNT = 10;

describe('differential: random trees vs go 1.19 direct mode', () => {
  const seed = Number(process.env.STOA_ZIP_SEED ?? Math.floor(Math.random() * 2 ** 31));
  const trees = fc.sample(treeArb, { numRuns: COUNT, seed });
  let root: string;
  let server: GitServer;
  let go: GoSandbox;
  const results = new Map<string, GoDownloadJson>();
  const bares: string[] = [];

  before(async () => {
    root = mkdtempSync(path.join(tmpdir(), 'stoa-ziprand-'));
    server = await startGitServer({ root });
    trees.forEach((t, i) => {
      const repo = new RepoBuilder();
      try {
        writeFileSync(path.join(repo.dir, '.git/info/attributes'), '* -text -crlf -ident -filter\n');
        const files: Record<string, FileSpec> = {};
        for (const n of t.names) files[n] = POOL[n] ?? '';
        for (const n of t.bad) files[n] = BAD[n] ?? '';
        const goMod = GO_MODS[t.goMod];
        if (goMod !== undefined) files['go.mod'] = `module github.com/acme/r${i}\n\n${goMod}`;
        repo.write(files);
        repo.commit('random tree');
        repo.tag('v1.0.0');
        bares.push(repo.publish(root, `acme/r${i}`));
      } finally {
        repo.dispose();
      }
    });
    go = new GoSandbox({ goproxy: 'direct', gitServerUrl: server.url });
    const r = await go.run(
      ['mod', 'download', '-json', ...trees.map((_, i) => `github.com/acme/r${i}@v1.0.0`)],
      {
        timeoutMs: 300_000,
      },
    );
    for (const part of r.stdout.trim().split(/\n(?=\{)/)) {
      if (part.trim() === '') continue;
      const j = JSON.parse(part) as GoDownloadJson;
      results.set(j.Path, j);
    }
  });

  after(async () => {
    const ok = [...results.values()].filter((r) => r.Error === undefined).length;
    console.log(`seed ${seed}: ${ok} of ${COUNT} random modules were valid for go 1.19`);
    go?.dispose();
    await server?.close();
    rmSync(root, { recursive: true, force: true });
  });

  for (let i = 0; i < COUNT; i++) {
    it(`seed ${seed} tree ${i}: go succeeds ⇔ stoa succeeds, same files and h1`, async () => {
      const t = trees[i];
      const bare = bares[i];
      assert.ok(t && bare);
      const modPath = `github.com/acme/r${i}`;
      const res = results.get(modPath);
      assert.ok(res, `go reported ${modPath}`);
      const label = `tree ${JSON.stringify([...t.names, ...t.bad])} go.mod ${t.goMod}: go says ${res.Error ?? 'ok'}`;
      let ours: { h1: string; names: string[] } | Error;
      try {
        const entries = gitTree(bare, 'v1.0.0');
        const loc = await findModuleDir({
          codeRoot: modPath,
          modPath,
          codeDir: '',
          pathMajor: '',
          version: 'v1.0.0',
          rev: 'v1.0.0',
          readFile: treeFileReader(entries),
        });
        const zip = await prepareModuleZip({
          entries,
          moduleDir: loc.moduleDir,
          modulePath: modPath,
          version: 'v1.0.0',
        });
        ours = { h1: await zip.hash(), names: zip.entries.map((e) => e.path).sort() };
      } catch (err) {
        ours = err as Error;
      }
      if (res.Error !== undefined) {
        assert.ok(ours instanceof Error, `${label}; stoa succeeded`);
        return;
      }
      assert.ok(
        !(ours instanceof Error),
        `${label}; stoa failed: ${ours instanceof Error ? ours.message : ''}`,
      );
      assert.equal(ours.h1, res.Sum, `${label}; stoa kept ${JSON.stringify(ours.names)}`);
    });
  }
});
