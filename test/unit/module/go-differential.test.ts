/**
 * Differential test against Go itself: a small Go program (written here) applies the
 * golang.org/x/mod functions that go 1.19.8 vendors (x/mod 86c51ed, used in place via a symlinked
 * vendor directory, built offline) to thousands of generated inputs, and our implementation must
 * give the same results and, where Go's wording is reproduced, the same error messages.
 *
 * Spec §8: go1.19 agrees with current Go on these functions except for letters added to Unicode
 * after version 13 (file paths): those inputs are kept out of the random set and asserted
 * separately as a known, intended divergence.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { InvalidRequestError } from '../../../src/errors.js';
import {
  checkFilePath,
  checkImportPath,
  checkPath,
  checkPathMajor,
  pathMajorPrefix,
  splitPathVersion,
} from '../../../src/module/check-path.js';
import { checkModuleVersion } from '../../../src/module/check.js';
import { escapePath, escapeVersion, unescapePath, unescapeVersion } from '../../../src/module/escape.js';
import {
  formatPseudoTimestamp,
  isPseudoVersion,
  isZeroPseudoVersion,
  pseudoVersion,
  pseudoVersionBase,
  pseudoVersionRev,
  pseudoVersionTime,
} from '../../../src/module/pseudo.js';
import {
  build,
  canonical,
  canonicalVersion,
  compare,
  isValid,
  major,
  majorMinor,
  max,
  prerelease,
  sortVersions,
} from '../../../src/module/semver.js';

const ORACLE_SOURCE = `// Oracle for stoa's differential tests: applies golang.org/x/mod functions to JSON requests.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"
)

type req struct {
	Op   string   \`json:"op"\`
	Args []string \`json:"args"\`
}

type resp struct {
	OK    bool   \`json:"ok"\`
	Value string \`json:"value"\`
}

func errResp(err error) resp {
	if err != nil {
		return resp{false, err.Error()}
	}
	return resp{true, ""}
}

func strResp(s string, err error) resp {
	if err != nil {
		return resp{false, err.Error()}
	}
	return resp{true, s}
}

func run(r req) (out resp) {
	defer func() {
		if p := recover(); p != nil {
			out = resp{false, fmt.Sprint("panic: ", p)}
		}
	}()
	a := r.Args
	switch r.Op {
	case "checkPath":
		return errResp(module.CheckPath(a[0]))
	case "checkImportPath":
		return errResp(module.CheckImportPath(a[0]))
	case "checkFilePath":
		return errResp(module.CheckFilePath(a[0]))
	case "escapePath":
		return strResp(module.EscapePath(a[0]))
	case "unescapePath":
		return strResp(module.UnescapePath(a[0]))
	case "escapeVersion":
		return strResp(module.EscapeVersion(a[0]))
	case "unescapeVersion":
		return strResp(module.UnescapeVersion(a[0]))
	case "splitPathVersion":
		p, m, ok := module.SplitPathVersion(a[0])
		return resp{ok, p + "|" + m}
	case "checkPathMajor":
		return errResp(module.CheckPathMajor(a[0], a[1]))
	case "pathMajorPrefix":
		return resp{true, module.PathMajorPrefix(a[0])}
	case "check":
		return errResp(module.Check(a[0], a[1]))
	case "canonicalVersion":
		return resp{true, module.CanonicalVersion(a[0])}
	case "semver":
		v := a[0]
		return resp{semver.IsValid(v), strings.Join([]string{semver.Canonical(v), semver.Major(v), semver.MajorMinor(v), semver.Prerelease(v), semver.Build(v)}, "|")}
	case "compare":
		return resp{true, fmt.Sprint(semver.Compare(a[0], a[1]), "|", semver.Max(a[0], a[1]))}
	case "sort":
		l := append([]string(nil), a...)
		semver.Sort(l)
		return resp{true, strings.Join(l, "\\n")}
	case "isPseudoVersion":
		return resp{module.IsPseudoVersion(a[0]), fmt.Sprint(module.IsZeroPseudoVersion(a[0]))}
	case "pseudoVersionBase":
		return strResp(module.PseudoVersionBase(a[0]))
	case "pseudoVersionRev":
		return strResp(module.PseudoVersionRev(a[0]))
	case "pseudoVersionTime":
		t, err := module.PseudoVersionTime(a[0])
		return strResp(t.UTC().Format("20060102150405"), err)
	case "pseudoVersion":
		var sec int64
		fmt.Sscan(a[2], &sec)
		return resp{true, module.PseudoVersion(a[0], a[1], time.Unix(sec, 0), a[3])}
	}
	return resp{false, "unknown op " + r.Op}
}

func main() {
	var reqs []req
	if err := json.NewDecoder(os.Stdin).Decode(&reqs); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	out := make([]resp, len(reqs))
	for i, r := range reqs {
		out[i] = run(r)
	}
	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
}
`;
import { buildXmodOracle, xmodOracleAvailable } from '../../fixtures/xmod-oracle.js';

interface Req {
  op: string;
  args: string[];
}
interface Resp {
  ok: boolean;
  value: string;
}

/** Builds the oracle in `dir` (offline, vendored x/mod) and returns the binary's path. */
function buildOracle(dir: string): string {
  return buildXmodOracle(dir, 'stoa.test/oracle', ORACLE_SOURCE, ['internal/lazyregexp', 'module', 'semver']);
}

function askGo(bin: string, reqs: readonly Req[]): Promise<Resp[]> {
  return new Promise((resolve, reject) => {
    const child = execFile(bin, [], { maxBuffer: 256 << 20 }, (err, stdout) => {
      if (err) reject(new Error(`x/mod oracle failed: ${err.message}`, { cause: err }));
      else resolve(JSON.parse(stdout) as Resp[]);
    });
    child.stdin?.end(JSON.stringify(reqs));
  });
}

/** Our answer in the oracle's format. Only InvalidRequestError counts as a Go error. */
function ours(r: Req): Resp {
  const [a = '', b = '', c = '', d = ''] = r.args;
  const err = (fn: () => void): Resp => str(() => (fn(), ''));
  const str = (fn: () => string): Resp => {
    try {
      return { ok: true, value: fn() };
    } catch (e) {
      if (e instanceof InvalidRequestError) return { ok: false, value: e.message };
      throw e;
    }
  };
  switch (r.op) {
    case 'checkPath':
      return err(() => checkPath(a));
    case 'checkImportPath':
      return err(() => checkImportPath(a));
    case 'checkFilePath':
      return err(() => checkFilePath(a));
    case 'escapePath':
      return str(() => escapePath(a));
    case 'unescapePath':
      return str(() => unescapePath(a));
    case 'escapeVersion':
      return str(() => escapeVersion(a));
    case 'unescapeVersion':
      return str(() => unescapeVersion(a));
    case 'splitPathVersion': {
      const s = splitPathVersion(a);
      return s === null ? { ok: false, value: `${a}|` } : { ok: true, value: `${s.prefix}|${s.pathMajor}` };
    }
    case 'checkPathMajor':
      return err(() => checkPathMajor(a, b));
    case 'pathMajorPrefix':
      return str(() => pathMajorPrefix(a));
    case 'check':
      return err(() => checkModuleVersion(a, b));
    case 'canonicalVersion':
      return { ok: true, value: canonicalVersion(a) };
    case 'semver':
      return {
        ok: isValid(a),
        value: [canonical(a), major(a), majorMinor(a), prerelease(a), build(a)].join('|'),
      };
    case 'compare':
      return { ok: true, value: `${compare(a, b)}|${max(a, b)}` };
    case 'sort':
      return { ok: true, value: sortVersions(r.args).join('\n') };
    case 'isPseudoVersion':
      return { ok: isPseudoVersion(a), value: String(isZeroPseudoVersion(a)) };
    case 'pseudoVersionBase':
      return str(() => pseudoVersionBase(a));
    case 'pseudoVersionRev':
      return str(() => pseudoVersionRev(a));
    case 'pseudoVersionTime':
      return str(() => formatPseudoTimestamp(pseudoVersionTime(a)));
    case 'pseudoVersion':
      return { ok: true, value: pseudoVersion(a, b, new Date(Number(c) * 1000), d) };
  }
  throw new Error(`unknown op ${r.op}`);
}

/** Non-ASCII characters whose Unicode properties did not change between Unicode 13 and 15. */
const STABLE_NON_ASCII = [
  'ä',
  'é',
  'ß',
  'ſ',
  '\u212a',
  'Ω',
  '日',
  '€',
  '١',
  '\u0301',
  '\u00a0',
  '😀',
  '\u200b',
  'Ⅻ',
];
const PATH_CHARS = [
  ...'!%AZaz09v./~+-_@: ,()[]#&=^{}$\'"*<>?|\\`\t',
  '\0',
  'con',
  'aux.',
  'lpt1',
  '~1',
  '/v2',
  '.v1',
];
const PATH_CHARS_ALL = [...PATH_CHARS, ...STABLE_NON_ASCII];

const PLAUSIBLE_SUFFIXES = [
  '',
  '',
  '',
  '/v2',
  '/v1',
  '/v0',
  '/v02',
  '/v2.1',
  '.v1',
  '.v0',
  '.v2-unstable',
  '.v01',
  '/v10',
];

/** Mostly valid module paths (a host, a few elements of module-path characters, a major suffix). */
function plausibleModulePath(suffix: string): fc.Arbitrary<string> {
  return fc
    .tuple(
      fc.constantFrom('github.com', 'gopkg.in', 'x.com', 'a-b.c0', 'golang.org'),
      fc.array(fc.string({ unit: fc.constantFrom(...'abcXYZ019-._~+'), minLength: 1, maxLength: 6 }), {
        minLength: 1,
        maxLength: 3,
      }),
    )
    .map(([host, elems]) => [host, ...elems].join('/') + suffix);
}

const pathish = fc.oneof(
  fc.string({ unit: fc.constantFrom(...PATH_CHARS_ALL), maxLength: 24 }),
  fc
    .tuple(
      fc.constantFrom(
        'github.com/',
        'gopkg.in/',
        'x.com/',
        'Github.com/',
        'localhost/',
        '',
        '-x.io/',
        'x_y.com/',
      ),
      fc.string({ unit: fc.constantFrom(...PATH_CHARS_ALL), maxLength: 16 }),
      fc.constantFrom('', '/v2', '/v1', '/v0', '/v02', '/v2.1', '.v1', '.v0', '.v2-unstable', '.v01', '/v10'),
    )
    .map(([a, b, c]) => a + b + c),
  fc.string({ unit: 'grapheme-ascii', maxLength: 20 }),
  {
    weight: 4,
    arbitrary: fc.constantFrom(...PLAUSIBLE_SUFFIXES).chain((suffix) =>
      plausibleModulePath(suffix).chain((p) =>
        fc.constantFrom(
          p,
          p.replace(/[A-Z]/g, (c) => '!' + c.toLowerCase()),
          p.replaceAll('.', '!'),
        ),
      ),
    ),
  },
);

const VERSION_CHARS = [...'v0129.-+aZxR!h', 'incompatible', '20200102030405', 'f6fa15577550', '0.', '-0.'];
const versionish = fc.oneof(
  fc.string({ unit: fc.constantFrom(...VERSION_CHARS), maxLength: 10 }).map((s) => 'v' + s),
  fc.string({ unit: fc.constantFrom(...VERSION_CHARS), maxLength: 10 }),
  fc.stringMatching(/^v(0|1|2|10)\.(0|1|9|10)\.(0|1|9|10|01)(-[0-9a-zA-Z.-]{0,6})?(\+[0-9a-z.]{0,6})?$/),
  fc
    .tuple(
      fc.stringMatching(/^v(0|1|2|10)\.(0|1|9)\.(0|1|10|00)-((0|1|a|pre|rc\.1)\.){0,2}(0\.)?$/),
      fc.stringMatching(
        /^(19[0-9]{2}|20[0-9]{2}|0000|0001|9999)(0[0-9]|1[0-3])([0-3][0-9])([0-2][0-9])([0-6][0-9]){2}$/,
      ),
      fc.stringMatching(/^-[A-Za-z0-9]{1,13}(\+incompatible|\+x)?$/),
    )
    .map(([a, b, c]) => a + b + c),
  fc.constantFrom('v0.0.0-00010101000000-000000000000', 'v2.0.0-00010101000000-000000000000+incompatible'),
);

const SAMPLE = { numRuns: 3000, seed: 0x5704 };

function buildRequests(): Req[] {
  const paths = fc.sample(pathish, SAMPLE);
  const versions = fc.sample(versionish, SAMPLE);
  const majors = ['', '/v2', '/v1', '.v1', '.v2', '.v1-unstable', '.v3-unstable', '/v10', 'v2', '/x', '.v'];
  const reqs: Req[] = [];
  for (const p of paths) {
    for (const op of [
      'checkPath',
      'checkImportPath',
      'checkFilePath',
      'escapePath',
      'unescapePath',
      'escapeVersion',
      'unescapeVersion',
      'splitPathVersion',
      'pathMajorPrefix',
    ]) {
      reqs.push({ op, args: [p] });
    }
  }
  versions.forEach((v, i) => {
    const w = versions[(i * 7 + 3) % versions.length] ?? '';
    const p = paths[i] ?? '';
    reqs.push({ op: 'semver', args: [v] });
    reqs.push({ op: 'canonicalVersion', args: [v] });
    reqs.push({ op: 'compare', args: [v, w] });
    reqs.push({ op: 'isPseudoVersion', args: [v] });
    reqs.push({ op: 'pseudoVersionBase', args: [v] });
    reqs.push({ op: 'pseudoVersionRev', args: [v] });
    reqs.push({ op: 'pseudoVersionTime', args: [v] });
    reqs.push({ op: 'escapeVersion', args: [v] });
    reqs.push({ op: 'unescapeVersion', args: [v] });
    reqs.push({ op: 'checkPathMajor', args: [v, majors[i % majors.length] ?? ''] });
    reqs.push({ op: 'check', args: [p, v] });
    reqs.push({
      op: 'check',
      args: [['github.com/o/r', 'github.com/o/r/v2', 'gopkg.in/x.v1', 'gopkg.in/x.v0'][i % 4] ?? '', v],
    });
    if (i % 10 === 0) reqs.push({ op: 'sort', args: versions.slice(i, i + 12) });
    const sec = String(Math.floor((i * 104_729_000 + 17) % 253_402_300_799));
    const rev = ['f6fa15577550', 'abc', '000000000000'][i % 3] ?? '';
    reqs.push({ op: 'pseudoVersion', args: [['', 'v0', 'v1', 'v2'][i % 4] ?? '', v, sec, rev] });
  });
  return reqs;
}

/**
 * Where our message intentionally differs from Go's: EscapeVersion of non-ASCII letters fails in Go
 * with "internal error: inconsistency in EscapePath"; there only the outcome is compared.
 */
function sameOutcome(r: Req, go: Resp, mine: Resp): boolean {
  if (go.ok !== mine.ok) return false;
  if (!go.ok && go.value.startsWith('internal error')) return true;
  if (!go.ok && go.value.startsWith('panic: ')) return true; // Go panics, we throw InvalidRequestError
  return go.value === mine.value;
}

describe(
  'differential: golang.org/x/mod (go 1.19.8 vendored copy) vs ours',
  { skip: xmodOracleAvailable() ? false : 'go 1.19 or its vendored x/mod not installed' },
  () => {
    let dir: string;
    let bin: string;
    before(() => {
      dir = mkdtempSync(path.join(tmpdir(), 'stoa-xmod-oracle-'));
      bin = buildOracle(dir);
    });
    after(() => {
      rmSync(dir, { recursive: true, force: true });
    });

    it('agrees on paths, escaping, semver, module.Check and pseudo-versions for generated inputs', async () => {
      const reqs = buildRequests();
      const answers = await askGo(bin, reqs);
      assert.equal(answers.length, reqs.length);
      const mismatches: string[] = [];
      const counts = { ok: 0, err: 0 };
      const perOp = new Map<string, { ok: number; err: number }>();
      reqs.forEach((r, i) => {
        const go = answers[i] ?? { ok: false, value: 'missing' };
        const mine = ours(r);
        const op = perOp.get(r.op) ?? { ok: 0, err: 0 };
        perOp.set(r.op, op);
        counts[go.ok ? 'ok' : 'err']++;
        op[go.ok ? 'ok' : 'err']++;
        if (!sameOutcome(r, go, mine)) {
          mismatches.push(
            `${r.op}(${JSON.stringify(r.args)}): go=${JSON.stringify(go)} ours=${JSON.stringify(mine)}`,
          );
        }
      });
      const ops = [...perOp].map(([name, c]) => `${name} ${c.ok}/${c.err}`).join(', ');
      console.log(
        `differential: ${reqs.length} requests; ok/err per op: ${ops}; mismatches=${mismatches.length}`,
      );
      // Every partial function must see both outcomes in quantity.
      for (const [name, c] of perOp) {
        if (['canonicalVersion', 'compare', 'sort', 'pseudoVersion'].includes(name)) continue;
        assert.ok(c.ok >= 20 && c.err >= 20, `${name}: ${JSON.stringify(c)}`);
      }
      assert.deepEqual(mismatches.slice(0, 20), []);
      // The sample must exercise both outcomes in quantity.
      assert.ok(counts.ok > 10_000 && counts.err > 10_000, JSON.stringify(counts));
    });

    it('§8.2 letters new in Unicode 14/15 (U+0870, U+2C2F, U+A7C0): go1.19 rejects them, current Go and we accept', async () => {
      const files = ['\u0870.go', '\u2c2f.go', '\ua7c0.go'];
      const answers = await askGo(
        bin,
        files.map((f) => ({ op: 'checkFilePath', args: [f] })),
      );
      for (const [i, f] of files.entries()) {
        assert.equal(answers[i]?.ok, false, `go1.19 rejects ${f}`);
        checkFilePath(f);
      }
    });
  },
);
