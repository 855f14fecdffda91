/**
 * Property-based differential test of the attribute machinery against the real `git archive`, run
 * the way the go command runs it (`-c core.autocrlf=input -c core.eol=lf archive --format=zip`, with
 * `* -export-subst -export-ignore` in info/attributes): random .gitattributes files (root and
 * subdirectories, macros, globs, quoting, overrides) over random paths and contents (LF, CRLF, lone
 * CR, NUL, control bytes, `$Id$`). Every archived file must equal what stoa's attribute resolver +
 * conversion produce from the raw blob.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { convertBlob, planConversion } from '../../../src/module/convert.js';
import { createAttributeResolver } from '../../../src/module/gitattributes.js';
import { gitTree } from './trees.js';
import { collect } from './streams.js';
import { readZip } from './zip-read.js';

const PATTERNS = [
  '*',
  '*.txt',
  '*.go',
  '*.[ch]',
  '?.md',
  '[a-c]*',
  '[!a]*.txt',
  '**/x.txt',
  'a/**/b.txt',
  'a/**',
  '/top.txt',
  'sub/*.go',
  'sub/',
  'd*/*.txt',
  'a**/b.txt',
  '"q q.txt"',
  '\\*.lit',
  'x',
];
const ATTRS = [
  'text',
  '-text',
  '!text',
  'text=auto',
  'eol=crlf',
  'eol=lf',
  'crlf',
  '-crlf',
  'crlf=input',
  'ident',
  '-ident',
  'binary',
  'm1',
  '-m1',
  'text=bogus',
];
const PATHS = [
  'x',
  'top.txt',
  'a.txt',
  'b.c',
  'q q.txt',
  '*.lit',
  'r.md',
  'sub/x.go',
  'sub/top.txt',
  'sub/deep/y.go',
  'a/b.txt',
  'a/m/n/b.txt',
  'ab/b.txt',
  'ab/c/b.txt',
  'dir/x.txt',
  'd2/x.txt',
  'c.go',
];
const CONTENTS = [
  'a\nb\n',
  'a\r\nb\n',
  'a\rb\n',
  'no newline',
  '',
  'a\n\0b\n',
  'a\n\x01\x02\n',
  `${'t'.repeat(200)}\x01\n`,
  'x $Id$ y\n',
  '$Id: old $\n$Id: a b $\n',
  'end\n\x1a',
  '\n\n\n',
];

interface Case {
  root: string[];
  sub: string[];
  files: Record<string, string>;
}

const line = fc
  .tuple(
    fc.constantFrom(...PATTERNS),
    fc.uniqueArray(fc.constantFrom(...ATTRS), { minLength: 1, maxLength: 3 }),
  )
  .map(([p, a]) => `${p} ${a.join(' ')}`);

const caseArb: fc.Arbitrary<Case> = fc.record({
  root: fc.array(fc.oneof(line, fc.constant('[attr]m1 text eol=crlf')), { minLength: 1, maxLength: 6 }),
  sub: fc.array(line, { maxLength: 3 }),
  files: fc.dictionary(fc.constantFrom(...PATHS), fc.constantFrom(...CONTENTS), { minKeys: 3, maxKeys: 10 }),
});

function git(cwd: string, args: string[]): Buffer {
  return execFileSync('git', args, {
    cwd,
    env: {
      PATH: process.env.PATH,
      HOME: cwd,
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_CONFIG_GLOBAL: '/dev/null',
      GIT_AUTHOR_NAME: 'a',
      GIT_AUTHOR_EMAIL: 'a@example.com',
      GIT_COMMITTER_NAME: 'a',
      GIT_COMMITTER_EMAIL: 'a@example.com',
    },
    maxBuffer: 1 << 28,
  });
}

describe('differential: attributes and conversions vs git archive', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'stoa-archive-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('§5.1 random .gitattributes: every archived file equals stoa’s conversion', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(caseArb, async (c) => {
        const repo = path.join(dir, `r${run++}`);
        mkdirSync(repo);
        git(repo, ['init', '-q']);
        // Commit raw bytes: no conversion on the way in.
        writeFileSync(path.join(repo, '.git/info/attributes'), '* -text -crlf -ident -filter\n');
        const files: Record<string, string> = {
          ...c.files,
          '.gitattributes': `${c.root.join('\n')}\n`,
          'sub/.gitattributes': `${c.sub.join('\n')}\n`,
        };
        for (const [p, content] of Object.entries(files)) {
          mkdirSync(path.dirname(path.join(repo, p)), { recursive: true });
          writeFileSync(path.join(repo, p), Buffer.from(content, 'latin1'));
        }
        git(repo, ['add', '-A']);
        git(repo, ['commit', '-q', '-m', 'x']);
        // Archive as the go command does.
        writeFileSync(path.join(repo, '.git/info/attributes'), '* -export-subst -export-ignore\n');
        const zipFile = path.join(repo, 'out.zip');
        const archive = git(repo, [
          '-c',
          'core.autocrlf=input',
          '-c',
          'core.eol=lf',
          'archive',
          '--format=zip',
          '--prefix=prefix/',
          'HEAD',
        ]);
        writeFileSync(zipFile, archive);
        const theirs = await readZip(zipFile);

        const entries = gitTree(repo, 'HEAD');
        const byPath = new Map(entries.map((e) => [e.path, e]));
        const resolver = createAttributeResolver(async (d) => {
          const e = byPath.get(d === '' ? '.gitattributes' : `${d}/.gitattributes`);
          return e ? collect(e.open()) : null;
        });
        for (const e of entries) {
          const plan = planConversion(e.path, await resolver.attributes(e.path));
          const out = await convertBlob(plan, e);
          const ours = await collect(out.open());
          assert.equal(ours.length, out.size);
          const want = theirs.get(`prefix/${e.path}`);
          assert.ok(want, `git archived ${e.path}`);
          assert.deepEqual(
            ours.toString('latin1'),
            want.toString('latin1'),
            `${e.path}\n--- .gitattributes\n${files['.gitattributes']}--- sub/.gitattributes\n${files['sub/.gitattributes']}`,
          );
        }
        rmSync(repo, { recursive: true, force: true });
      }),
      { numRuns: Number(process.env.STOA_FC_RUNS ?? 30) },
    );
  });
});
