/**
 * go.mod `retract` directives (spec §2.5 "Retractions", §8 item 3): parsing as modfile.ParseLax
 * with no version fixer, interval containment, and the choice of the go.mod that holds them.
 *
 * Besides hand-written cases, a differential part builds a small Go program over the x/mod that
 * go 1.19.8 vendors (86c51ed, offline) and compares `modfile.ParseLax(…, nil)` (success, and the
 * Low/High/Rationale of every retraction) with ours on hand-picked and generated go.mod files.
 * go 1.19 does not know the `ignore` verb, so files with `ignore` are asserted by the current rule
 * only (spec §8 item 3), never against that oracle.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import {
  isRetracted,
  parseRetractions,
  retractionSource,
  type Retraction,
} from '../../../src/module/retract.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const parse = (s: string): Retraction[] | null => parseRetractions(enc(s));
const bounds = (s: string): [string, string][] | null =>
  parse(s)?.map((r): [string, string] => [r.low, r.high]) ?? null;
const r = (low: string, high = low, rationale = ''): Retraction => ({ low, high, rationale });

describe('parseRetractions: directive forms', () => {
  it('single versions, intervals, blocks and quoted versions', () => {
    const gomod = [
      'module example.com/m',
      '',
      'go 1.21.0',
      '',
      'retract v1.0.0',
      'retract [v1.1.0, v1.2.0]',
      'retract [ v1.3.0 , v1.3.5 ]',
      'retract [v1.4.0,v1.4.9]',
      'retract "v1.5.0"',
      'retract (',
      '\tv1.6.0',
      '\t[v1.7.0, v1.8.0]',
      ')',
      'retract ()',
      '',
    ].join('\n');
    assert.deepEqual(bounds(gomod), [
      ['v1.0.0', 'v1.0.0'],
      ['v1.1.0', 'v1.2.0'],
      ['v1.3.0', 'v1.3.5'],
      ['v1.4.0', 'v1.4.9'],
      ['v1.5.0', 'v1.5.0'],
      ['v1.6.0', 'v1.6.0'],
      ['v1.7.0', 'v1.8.0'],
    ]);
  });

  it('a go.mod without retract directives, and an empty file, retract nothing', () => {
    assert.deepEqual(parse('module example.com/m\n\ngo 1.19\n'), []);
    assert.deepEqual(parse(''), []);
  });

  it('versions are kept as written: no fixer runs in ParseLax (v1.1 and master are accepted)', () => {
    assert.deepEqual(
      bounds('retract v1.1\nretract master\nretract [x, v1.2.0]\nretract v2.0.0+incompatible\n'),
      [
        ['v1.1', 'v1.1'],
        ['master', 'master'],
        ['x', 'v1.2.0'],
        ['v2.0.0+incompatible', 'v2.0.0+incompatible'],
      ],
    );
  });

  it('lax mode skips intervals that do not parse and ignores tokens after the interval', () => {
    const gomod = [
      'module example.com/m',
      'retract [v1.0.0 v1.2.0]',
      'retract [v1.0.0, v1.2.0',
      'retract ( v1.0.0 )',
      'retract',
      "retract 'v1.0.0'",
      'retract "v1.0.0',
      'retract v1.3.0 extra tokens',
      'retract [v1.4.0, v1.5.0] ]',
      '',
    ].join('\n');
    // `"v1.0.0` would be an unterminated string: keep it out of this file.
    assert.equal(parse(gomod), null);
    assert.deepEqual(bounds(gomod.replace('retract "v1.0.0\n', '')), [
      ['v1.3.0', 'v1.3.0'],
      ['v1.4.0', 'v1.5.0'],
    ]);
  });

  it('unknown and main-module-only directives are skipped, in lines and in blocks', () => {
    const gomod = [
      'module example.com/m',
      'go 1.22',
      'toolchain go1.22.1',
      'godebug default=go1.21',
      'tool example.com/t',
      'replace a => b v1.0.0',
      'exclude x v0.0.1',
      'frobnicate all the things',
      'frob (',
      '  a b c',
      ')',
      'retract v1.0.0 v1.1.0',
      'retract v1.2.0 (',
      '  v1.3.0',
      ')',
      '',
    ].join('\n');
    // `retract v1.2.0 (` is a block with two tokens: an unknown block type, skipped in lax mode.
    assert.deepEqual(bounds(gomod), [['v1.0.0', 'v1.0.0']]);
  });

  it('comments: full-line, suffix, inside blocks, after the parens, CRLF line ends', () => {
    const gomod = [
      '// leading comment',
      'module example.com/m // the module',
      '',
      'retract ( // why these',
      '  // a comment line',
      '',
      '  v1.0.0 // suffix',
      ') // done',
      'retract v1.1.0// no space',
      '',
    ].join('\r\n');
    assert.deepEqual(bounds(gomod), [
      ['v1.0.0', 'v1.0.0'],
      ['v1.1.0', 'v1.1.0'],
    ]);
  });

  it('rationale: comments above, suffix comments, the block comment as a fallback', () => {
    const gomod = [
      'module example.com/m',
      '',
      '// Published by mistake.',
      '// Do not use.',
      'retract v1.0.0',
      '',
      '// detached by a blank line',
      '',
      'retract v1.1.0 // broken build',
      '',
      '// block rationale',
      'retract (',
      '  v1.2.0',
      '  // own rationale',
      '  v1.3.0',
      '  v1.4.0 // suffix one',
      ')',
      '',
    ].join('\n');
    assert.deepEqual(parse(gomod), [
      r('v1.0.0', 'v1.0.0', 'Published by mistake.\nDo not use.'),
      r('v1.1.0', 'v1.1.0', 'broken build'),
      r('v1.2.0', 'v1.2.0', 'block rationale'),
      r('v1.3.0', 'v1.3.0', 'own rationale'),
      r('v1.4.0', 'v1.4.0', 'suffix one'),
    ]);
  });
});

describe('parseRetractions: files that fail ParseLax retract nothing (null)', () => {
  const failing: [string, string][] = [
    ['unterminated block', 'module m\nretract (\n  v1.0.0\n'],
    ['text after the closing paren', 'module m\nretract (\n  v1.0.0\n) v1\n'],
    ['/* */ comment', 'module m\n/* no */\nretract v1.0.0\n'],
    ['unterminated string', 'module m\nretract v1.0.0\nrequire "x v1.0.0\n'],
    ['newline in a string', 'module m\nretract v1.0.0\nreplace "a\n" => b\n'],
    ['control character', 'module m\nretract v1.0.0\x07\n'],
    ['byte order mark', '\ufeffmodule m\nretract v1.0.0\n'],
    ['repeated module', 'module m\nmodule n\nretract v1.0.0\n'],
    ['module without a path', 'module\nretract v1.0.0\n'],
    ['repeated go', 'module m\ngo 1.19\ngo 1.20\nretract v1.0.0\n'],
    ['bad go version', 'module m\ngo one\nretract v1.0.0\n'],
    ['require with one argument', 'module m\nrequire x\nretract v1.0.0\n'],
    ['require with a branch name', 'module m\nrequire x master\nretract v1.0.0\n'],
    ['require of the wrong major', 'module m\nrequire x/v2 v1.0.0\nretract v1.0.0\n'],
  ];
  for (const [name, gomod] of failing) {
    it(name, () => assert.equal(parse(gomod), null));
  }
});

describe('§8 item 3: the current rule for a malformed ignore directive', () => {
  const base = 'module example.com/m\n\ngo 1.25\n\nretract v1.1.0\n';
  it('ignore with two arguments makes ParseLax fail: no retractions', () => {
    assert.equal(parse(base + 'ignore a b\n'), null);
  });
  it('ignore ( a b ) on one line is a line with four arguments: no retractions', () => {
    assert.equal(parse(base + 'ignore ( a b )\n'), null);
  });
  it('a block line with two arguments: no retractions', () => {
    assert.equal(parse(base + 'ignore (\n  a b\n)\n'), null);
  });
  it('well-formed ignore directives keep the retractions', () => {
    assert.deepEqual(bounds(base + 'ignore ./node_modules\nignore (\n  "a b"\n  c\n)\n'), [
      ['v1.1.0', 'v1.1.0'],
    ]);
  });
});

describe('isRetracted', () => {
  it('a single version is the interval [v, v]; intervals are inclusive', () => {
    const rs = [r('v1.1.0'), r('v1.3.0', 'v1.4.0')];
    assert.equal(isRetracted('v1.0.0', rs), false);
    assert.equal(isRetracted('v1.1.0', rs), true);
    assert.equal(isRetracted('v1.1.1', rs), false);
    assert.equal(isRetracted('v1.3.0', rs), true);
    assert.equal(isRetracted('v1.3.9-rc.1', rs), true);
    assert.equal(isRetracted('v1.4.0', rs), true);
    assert.equal(isRetracted('v1.4.1-pre', rs), false);
    assert.equal(isRetracted('v1.4.1', rs), false);
    assert.equal(isRetracted('v1.3.0-rc.1', rs), false, 'a prerelease sorts below its release');
  });

  it('compares with Go semver: shorthand bounds, build metadata, invalid bounds', () => {
    assert.equal(isRetracted('v1.1.0', [r('v1.1')]), true);
    assert.equal(isRetracted('v1.1.0', [r('v1.1.0+meta')]), true);
    assert.equal(isRetracted('v2.0.0+incompatible', [r('v2.0.0')]), true);
    assert.equal(isRetracted('v1.0.0', [r('master')]), false);
    // An invalid bound sorts below every valid version, so [x, v1.2.0] reaches down to v0.0.1.
    assert.equal(isRetracted('v0.0.1', [r('x', 'v1.2.0')]), true);
    assert.equal(isRetracted('v1.2.1', [r('x', 'v1.2.0')]), false);
    // A reversed interval contains nothing.
    assert.equal(isRetracted('v1.1.0', [r('v1.2.0', 'v1.0.0')]), false);
    assert.equal(isRetracted('v1.1.0', []), false);
  });
});

describe('retractionSource', () => {
  it('the highest release, even when prereleases sort above it', () => {
    assert.equal(retractionSource(['v1.0.0', 'v1.1.0', 'v1.2.0-rc.1']), 'v1.1.0');
  });
  it('the highest prerelease when there is no release', () => {
    assert.equal(retractionSource(['v1.0.0-rc.1', 'v1.0.0-rc.2', 'v0.9.0-beta']), 'v1.0.0-rc.2');
  });
  it('+incompatible entries are removed first', () => {
    assert.equal(
      retractionSource(['v1.0.0', 'v1.1.0', 'v2.0.0+incompatible', 'v3.0.0+incompatible']),
      'v1.1.0',
    );
    assert.equal(retractionSource(['v2.0.0+incompatible']), null);
    assert.equal(retractionSource(['v0.1.0-pre', 'v2.0.0+incompatible']), 'v0.1.0-pre');
  });
  it('the list order does not matter; an empty list has no source', () => {
    assert.equal(retractionSource(['v1.10.0', 'v1.9.0', 'v1.2.0']), 'v1.10.0');
    assert.equal(retractionSource([]), null);
  });
  it('a /vN module lists only its own major', () => {
    assert.equal(retractionSource(['v2.0.0', 'v2.1.0', 'v2.2.0-rc.1']), 'v2.1.0');
  });
});

// ------------------------------------------------------------------------------------------------
// Differential: modfile.ParseLax of go 1.19's vendored x/mod.

const ORACLE_SOURCE = `// ParseLax oracle for stoa's retract tests.
package main

import (
	"encoding/json"
	"fmt"
	"os"

	"golang.org/x/mod/modfile"
)

type retraction struct {
	Low       string \`json:"low"\`
	High      string \`json:"high"\`
	Rationale string \`json:"rationale"\`
}

func run(data string) (out []retraction, ok bool) {
	defer func() {
		if p := recover(); p != nil {
			out, ok = nil, false
		}
	}()
	f, err := modfile.ParseLax("go.mod", []byte(data), nil)
	if err != nil {
		return nil, false
	}
	out = []retraction{}
	for _, r := range f.Retract {
		out = append(out, retraction{r.Low, r.High, r.Rationale})
	}
	return out, true
}

func main() {
	var files []string
	if err := json.NewDecoder(os.Stdin).Decode(&files); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	out := make([]*[]retraction, len(files))
	for i, f := range files {
		if rs, ok := run(f); ok {
			out[i] = &rs
		}
	}
	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
}
`;
import { buildXmodOracle, GO_VENDORED_XMOD } from '../../fixtures/xmod-oracle.js';

function buildOracle(dir: string): string {
  return buildXmodOracle(dir, 'stoa.test/retractoracle', ORACLE_SOURCE, [
    'internal/lazyregexp',
    'modfile',
    'module',
    'semver',
  ]);
}

function askGo(bin: string, files: readonly string[]): Promise<(Retraction[] | null)[]> {
  return new Promise((resolve, reject) => {
    const child = execFile(bin, [], { maxBuffer: 64 << 20 }, (err, stdout) => {
      if (err) reject(new Error(`ParseLax oracle failed: ${err.message}`, { cause: err }));
      else resolve(JSON.parse(stdout) as (Retraction[] | null)[]);
    });
    child.stdin?.end(JSON.stringify(files));
  });
}

/** Line fragments for generated go.mod files: valid, malformed, comments, blocks. */
const FRAGMENTS = [
  'module example.com/m',
  'module "example.com/q"',
  'module',
  'go 1.19',
  'go 1.21.0',
  'go 1.22rc1',
  'go one',
  'retract v1.0.0',
  'retract [v1.0.0, v1.2.0]',
  'retract [ v1.3.0 ,v1.4.0 ]',
  'retract "v1.5.0"',
  'retract `v1.6.0`',
  'retract v1.1',
  'retract master',
  'retract v1.7.0 extra',
  'retract [v1.0.0 v1.2.0]',
  'retract ( v1.8.0 )',
  'retract ()',
  'retract',
  'retract (',
  'retract ( // block comment',
  'retract v2.0.0 (',
  '  v1.9.0',
  '  [v0.1.0, v0.2.0]',
  '  v0.3.0 // suffix',
  ')',
  ') // closing',
  ') x',
  '// a comment',
  '  // indented comment',
  '// rationale: broken',
  '',
  '   ',
  'require example.com/x v1.2.3',
  'require example.com/x master',
  'require (',
  '  example.com/y v0.1.0 // indirect',
  'replace a => b v1.0.0',
  'exclude example.com/x v1.0.0',
  'toolchain go1.21.0',
  'godebug default=go1.21',
  'unknown verb here',
  '/* c */',
  '"unterminated',
  'x // y /* z',
  'retract v1.0.0/* no */',
  '{ }',
  '(',
];

/** Fragments that, alone or repeated, make ParseLax fail (syntax errors, bad directives, blocks). */
const FAILING_ALONE = new Set([
  'module',
  'module "example.com/q"',
  'module example.com/m',
  'go 1.19',
  'go 1.21.0',
  'go 1.22rc1',
  'go one',
  'retract (',
  'retract ( // block comment',
  'retract v2.0.0 (',
  'require (',
  ')',
  ') // closing',
  ') x',
  '/* c */',
  '"unterminated',
  'x // y /* z',
  'retract v1.0.0/* no */',
  'require example.com/x master',
]);

describe('differential with go 1.19 modfile.ParseLax (no ignore directives)', () => {
  const available = existsSync(GO_VENDORED_XMOD);
  let dir = '';
  let bin = '';

  before(() => {
    if (!available) return;
    dir = mkdtempSync(path.join(tmpdir(), 'stoa-retract-oracle-'));
    bin = buildOracle(dir);
  });
  after(() => {
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  it(
    'hand-picked files and 3000 generated files parse the same',
    { skip: !available && 'go 1.19 x/mod not installed' },
    async (t) => {
      // Half of the files draw from every fragment (most of them fail), half only from fragments
      // that keep ParseLax happy on their own.
      const safe = FRAGMENTS.filter((f) => !FAILING_ALONE.has(f));
      const lines = fc.oneof(
        fc.array(fc.constantFrom(...FRAGMENTS), { minLength: 0, maxLength: 14 }),
        fc.array(fc.constantFrom(...safe), { minLength: 0, maxLength: 14 }),
      );
      const generated = fc.sample(
        fc
          .tuple(lines, fc.constantFrom('\n', '\r\n'), fc.boolean())
          .map(([lines, eol, trailing]) => lines.join(eol) + (trailing ? eol : '')),
        { numRuns: 3000, seed: 0x3737 },
      );
      const handPicked = [
        'retract (\n) // c\nretract v1\n',
        '(\n)\n',
        'retract [x, v1.2.0] y\n',
        'module m\n\n// a\n// b\nretract v1.0.0\n\n// c\n\nretract v1.1.0 // d\n',
        '// block\nretract ( // lparen\n  // before\n\n  v1.0.0\n  v1.1.0 // s\n  // dangling\n) // r\n',
        'retract v1.0.0\x00\n',
        '\ufeffretract v1.0.0\n',
        'retract v1.0.0\u00a0\n',
        'retract "v1\\"x"\n',
        'retract "\\q"\n',
      ];
      const files = [...handPicked, ...generated];
      const want = await askGo(bin, files);
      let retractions = 0;
      let failures = 0;
      files.forEach((f, i) => {
        const got = parse(f);
        assert.deepEqual(got, want[i], `go.mod ${JSON.stringify(f)}`);
        if (got === null) failures++;
        else retractions += got.length;
      });
      t.diagnostic(`${files.length} files: ${failures} fail ParseLax, ${retractions} retractions compared`);
      // The generator must exercise both outcomes, or the comparison proves little.
      assert.ok(failures > 300, `${failures} files fail ParseLax`);
      assert.ok(retractions > 1000, `${retractions} retractions parsed`);
    },
  );
});
