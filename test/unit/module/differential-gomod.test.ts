/**
 * Differential test of the lax go.mod parser: go 1.19 parses a dependency's go.mod with
 * modfile.ParseLax when it loads the module graph (`go list -m all`), and reports
 * "parsing go.mod" when that fails. stoa's parseGoModLax must fail exactly then. (The `ignore`
 * directive is newer than go 1.19 and is asserted by rule in gomod.test.ts.)
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startGitServer } from '../../fixtures/git-server.js';
import type { GitServer } from '../../fixtures/git-server.js';
import { GoSandbox } from '../../fixtures/go.js';
import { RepoBuilder } from '../../fixtures/repo.js';
import { GoModSyntaxError, parseGoModLax } from '../../../src/module/gomod-lax.js';

const CASES: string[] = [
  'require example.com/x v1.2\n',
  'require example.com/x/v2 v1.0.0\n',
  'require example.com/x 1.0.0\n',
  'require example.com/x v2.0.0\n',
  'require example.com/x v1.0.0 extra\n',
  'require ( example.com/x v1.0.0 ) x\n',
  'require (\n\texample.com/x v1.0.0\n) junk\n',
  'require `example.com/x` v1.0.0\n',
  'retract [v1.0.0, junk\n',
  'go 1.24-custom\n',
  'go 1.x\n',
  'module m2\n',
  'go (\n\t1.13\n)\n',
  'replace a b c d e\nexclude foo\ngodebug ( x y z )\nfoo (\n)\n',
];

describe('differential: lax go.mod parsing vs go 1.19', () => {
  let root: string;
  let server: GitServer;
  let go: GoSandbox;
  before(async () => {
    root = mkdtempSync(path.join(tmpdir(), 'stoa-lax-'));
    server = await startGitServer({ root });
    go = new GoSandbox({ goproxy: 'direct', gitServerUrl: server.url });
  });
  after(async () => {
    go?.dispose();
    await server?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('§7.55 parseGoModLax fails exactly where the go command reports "parsing go.mod"', async () => {
    for (let i = 0; i < CASES.length; i++) {
      const text = `module github.com/acme/lax${i}\n\n${CASES[i]}`;
      const repo = new RepoBuilder();
      try {
        repo.write({ 'go.mod': text, 'a.go': 'package a\n' });
        repo.commit('x');
        repo.tag('v1.0.0');
        repo.publish(root, `acme/lax${i}`);
      } finally {
        repo.dispose();
      }
      writeFileSync(
        path.join(go.workDir, 'go.mod'),
        `module example.com/stoatest\n\ngo 1.19\n\nrequire github.com/acme/lax${i} v1.0.0\n`,
      );
      const r = await go.run(['list', '-m', 'all']);
      const goFails = r.stderr.includes('parsing go.mod');
      let weFail = false;
      try {
        parseGoModLax(new TextEncoder().encode(text));
      } catch (err) {
        if (!(err instanceof GoModSyntaxError)) throw err;
        weFail = true;
      }
      assert.equal(weFail, goFails, `${JSON.stringify(CASES[i])}: go says ${r.stderr.trim() || 'ok'}`);
    }
  });
});
