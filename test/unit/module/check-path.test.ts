/**
 * Path checks (spec §2.1) and the major-version suffix (spec §2.2).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidRequestError } from '../../../src/errors.js';
import {
  checkFilePath,
  checkImportPath,
  checkPath,
  checkPathMajor,
  goQuote,
  goQuoteRune,
  isGopkgIn,
  matchPathMajor,
  PathError,
  pathMajorPrefix,
  splitPathVersion,
  VersionError,
} from '../../../src/module/check-path.js';
import { checkModuleVersion, isValidModuleVersion, ModuleVersionError } from '../../../src/module/check.js';

type Check = (p: string) => void;

function reasonOf(check: Check, p: string): string | null {
  try {
    check(p);
    return null;
  } catch (err) {
    assert.ok(err instanceof PathError, `expected PathError for ${JSON.stringify(p)}, got ${String(err)}`);
    assert.ok(err instanceof InvalidRequestError);
    assert.equal(err.path, p);
    return err.reason;
  }
}

function assertOK(check: Check, paths: readonly string[]): void {
  for (const p of paths) assert.equal(reasonOf(check, p), null, `${check.name}(${JSON.stringify(p)})`);
}

function assertBad(check: Check, paths: readonly string[]): void {
  for (const p of paths)
    assert.notEqual(reasonOf(check, p), null, `${check.name}(${JSON.stringify(p)}) should fail`);
}

/** path → reason, checked exactly (Go's wording). */
function assertReasons(check: Check, table: Record<string, string>): void {
  for (const [p, reason] of Object.entries(table)) {
    assert.equal(reasonOf(check, p), reason, `${check.name}(${JSON.stringify(p)})`);
  }
}

describe('checkPath (module paths)', () => {
  it('accepts ordinary module paths', () => {
    assertOK(checkPath, [
      'github.com/o/r',
      'github.com/Azure/go-autorest',
      'github.com/o/r/v2',
      'github.com/o/r/v10',
      'example.com/v2',
      'gopkg.in/yaml.v2',
      'gopkg.in/check.v1',
      'gopkg.in/x.v0',
      'gopkg.in/yaml.v3-unstable',
      'x.y/a_b/c~d/e-f/g.h',
      'github.com/o/r~x',
      'example.com/v', // "/v" without digits is just an element
    ]);
  });

  it('§7.20 invalid module paths /v1 /v0 /v02 /v2.1 gopkg.in/yaml gopkg.in/x.v01', () => {
    assertReasons(checkPath, {
      'github.com/o/r/v1': 'invalid version',
      'github.com/o/r/v0': 'invalid version',
      'github.com/o/r/v02': 'invalid version',
      'github.com/o/r/v2.1': 'invalid version',
      'gopkg.in/yaml': 'invalid version',
      'gopkg.in/x.v01': 'invalid version',
    });
  });

  it('§7.22 github.com/o/con, r~1, .r, r. are invalid module paths', () => {
    assertReasons(checkPath, {
      'github.com/o/con': '"con" disallowed as path element component on Windows',
      'github.com/o/r~1': 'trailing tilde and digits in path element',
      'github.com/o/.r': 'leading dot in path element',
      'github.com/o/r.': 'trailing dot in path element',
    });
  });

  it('§7.23 github.com/o/r~x is a valid module path (the github.com pattern lives elsewhere)', () => {
    assertOK(checkPath, ['github.com/o/r~x', 'github.com/o/r~1x', 'github.com/o/r~']);
  });

  it('applies the first-element rules', () => {
    assertReasons(checkPath, {
      'Github.com/x': "invalid char 'G' in first path element",
      'localhost/x': 'missing dot in first path element',
      localhost: 'missing dot in first path element',
      'x_y.com/a': "invalid char '_' in first path element",
      'x~y.com/a': "invalid char '~' in first path element",
      '/x.com': 'empty path element', // the common check runs first, as in Go
      '-x.com/a': 'leading dash',
    });
    assertOK(checkPath, ['x.com', 'a-b.c-d/e', '1.2.3.4/x', 'x.com/A_B']);
  });

  it('applies the common element rules with Go reasons', () => {
    assertReasons(checkPath, {
      '': 'empty string',
      'x.com//a': 'double slash',
      'x.com/a/': 'trailing slash',
      'x.com/..': 'invalid path element ".."',
      'x.com/.': 'invalid path element "."',
      'x.com/...': 'invalid path element "..."',
      'x.com/a+b': "invalid char '+'",
      'x.com/a b': "invalid char ' '",
      'x.com/ä': "invalid char 'ä'",
      'x.com/a@v1': "invalid char '@'",
      'x.com/a\u0000': "invalid char '\\x00'",
      'x.com/a\ud800': 'invalid UTF-8',
      'x.com/A~12.b': 'trailing tilde and digits in path element',
    });
  });

  it('rejects every Windows reserved name, case-insensitively, before the first dot', () => {
    const names = ['CON', 'PRN', 'AUX', 'NUL'];
    for (let n = 1; n <= 9; n++) names.push(`COM${n}`, `LPT${n}`);
    for (const name of names) {
      for (const spelled of [name, name.toLowerCase(), name[0] + name.slice(1).toLowerCase()]) {
        for (const elem of [spelled, `${spelled}.go`, `${spelled}.x.y`]) {
          assert.match(
            reasonOf(checkPath, `x.com/${elem}`) ?? '',
            /disallowed as path element component on Windows/,
          );
          assert.match(reasonOf(checkImportPath, `x.com/${elem}`) ?? '', /on Windows/);
          assert.match(reasonOf(checkFilePath, elem) ?? '', /on Windows/);
        }
      }
    }
    // Not reserved: COM0, LPT10, longer names, reserved name not before the first dot.
    assertOK(checkPath, [
      'x.com/com0',
      'x.com/lpt10',
      'x.com/conx',
      'x.com/x.con',
      'x.com/nul-',
      'x.com/a-aux',
    ]);
    assertOK(checkFilePath, ['a.con', 'CONSOLE.go', 'nul_.txt']);
  });

  it('rejects a path that is one Windows name as the host', () => {
    assertBad(checkPath, ['con.com/x', 'aux.io']);
  });
});

describe('checkImportPath', () => {
  it('allows + and leading dots in elements, unlike module paths', () => {
    assertOK(checkImportPath, [
      'github.com/o/r+x',
      'x/.hidden/y',
      'localhost/x',
      'Github.com/x',
      'a',
      'a/v1',
      'x/v0',
    ]);
    assert.notEqual(reasonOf(checkPath, 'github.com/o/r+x'), null);
  });

  it('rejects leading dash, tilde-digits, bad chars, dot elements', () => {
    assertReasons(checkImportPath, {
      '-x/y': 'leading dash',
      'x/r~1': 'trailing tilde and digits in path element',
      'x/r~1.go': 'trailing tilde and digits in path element',
      'x/a b': "invalid char ' '",
      'x/a!b': "invalid char '!'",
      'x/..': 'invalid path element ".."',
      'x/a.': 'trailing dot in path element',
      'x//y': 'double slash',
      'x/': 'trailing slash',
      '': 'empty string',
    });
  });
});

describe('checkFilePath (zip entry names)', () => {
  it('accepts the spec file-name examples (§7.61)', () => {
    assertOK(checkFilePath, [
      'ä.go',
      '-x.go',
      '.hidden/a b.go',
      'x~1.go',
      '(a).go',
      '!#$%&()+,-.=@[]^_{}~ .txt',
      'a/b/c.go',
      'é/日本語.go',
      'Ω.txt',
    ]);
  });

  it('§7.60 aux.go, x€.go, a:b.go, foo. are invalid files', () => {
    assertReasons(checkFilePath, {
      'aux.go': '"aux" disallowed as path element component on Windows',
      'x€.go': "invalid char '€'",
      'a:b.go': "invalid char ':'",
      'foo.': 'trailing dot in path element',
    });
  });

  it('rejects shell-special and separator characters', () => {
    for (const c of ['"', "'", '*', '<', '>', '?', '`', '|', ':', '\\', '\t', '\n', '\x7f']) {
      assert.notEqual(reasonOf(checkFilePath, `a${c}b.go`), null, JSON.stringify(c));
    }
    // Non-letters outside ASCII: symbols, digits of other scripts, combining marks, spaces.
    assertBad(checkFilePath, ['x€.go', '١.go', 'e\u0301.go', 'a\u00a0b', '😀.go', '\u200b.go']);
  });

  it('§8.2 accepts letters added in Unicode 14/15 (U+0870, U+2C2F, U+A7C0) — current Go rule', () => {
    assertOK(checkFilePath, ['\u0870.go', '\u2c2f.go', '\ua7c0.go', 'dir\u0870/x.go']);
  });

  it('applies the common element rules to files', () => {
    assertReasons(checkFilePath, {
      '': 'empty string',
      'a//b': 'double slash',
      'a/': 'trailing slash',
      '/a': 'empty path element',
      'a/../b': 'invalid path element ".."',
      './a': 'invalid path element "."',
      'a\ud800.go': 'invalid UTF-8',
    });
  });
});

describe('splitPathVersion (§2.2)', () => {
  it('splits /vN and gopkg.in .vN suffixes', () => {
    const table: Record<string, { prefix: string; pathMajor: string } | null> = {
      'github.com/o/r': { prefix: 'github.com/o/r', pathMajor: '' },
      'github.com/o/r/v2': { prefix: 'github.com/o/r', pathMajor: '/v2' },
      'github.com/o/r/v10': { prefix: 'github.com/o/r', pathMajor: '/v10' },
      'example.com/v2': { prefix: 'example.com', pathMajor: '/v2' },
      'example.com/v': { prefix: 'example.com/v', pathMajor: '' },
      'example.com/xv2': { prefix: 'example.com/xv2', pathMajor: '' },
      'example.com/v2x': { prefix: 'example.com/v2x', pathMajor: '' },
      'github.com/o/r/v1': null,
      'github.com/o/r/v0': null,
      'github.com/o/r/v02': null,
      'github.com/o/r/v2.1': null,
      'github.com/o/r/v2.': null,
      'gopkg.in/yaml.v2': { prefix: 'gopkg.in/yaml', pathMajor: '.v2' },
      'gopkg.in/check.v1': { prefix: 'gopkg.in/check', pathMajor: '.v1' },
      'gopkg.in/x.v0': { prefix: 'gopkg.in/x', pathMajor: '.v0' },
      'gopkg.in/yaml.v3-unstable': { prefix: 'gopkg.in/yaml', pathMajor: '.v3-unstable' },
      'gopkg.in/o/r.v2': { prefix: 'gopkg.in/o/r', pathMajor: '.v2' },
      'gopkg.in/yaml': null,
      'gopkg.in/x.v01': null,
      'gopkg.in/x.v0-unstable': null, // Go quirk: only exactly ".v0" may start with 0
      'gopkg.in/x.v': null,
      'gopkg.in/x/v2': null,
    };
    for (const [p, want] of Object.entries(table)) assert.deepEqual(splitPathVersion(p), want, p);
  });

  it('isGopkgIn', () => {
    assert.equal(isGopkgIn('gopkg.in/yaml.v2'), true);
    assert.equal(isGopkgIn('gopkg.in'), false);
    assert.equal(isGopkgIn('github.com/gopkg.in/x'), false);
  });
});

describe('checkPathMajor / matchPathMajor (§2.2)', () => {
  const cases: [version: string, pathMajor: string, ok: boolean][] = [
    ['v0.1.0', '', true],
    ['v1.2.3', '', true],
    ['v1.2.3-pre', '', true],
    ['v2.0.0', '', false],
    ['v2.0.0+incompatible', '', true],
    ['v2.0.0+meta', '', false],
    ['v1.0.0+incompatible', '', true], // CheckPathMajor allows it; rejection happens in the source
    ['v2.0.0', '/v2', true],
    ['v2.5.1-pre', '/v2', true],
    ['v3.0.0', '/v2', false],
    ['v1.0.0', '/v2', false],
    ['v2.0.0+incompatible', '/v2', true],
    ['v2.0.0', '.v2', true],
    ['v1.0.0', '.v2', false],
    ['v3.1.0', '.v3-unstable', true],
    ['v2.1.0', '.v3-unstable', false],
    ['v0.0.0-20161208181325-20d25e280405', '.v1', true], // gopkg.in quirk
    ['v0.0.0-20161208181325-20d25e280405', '.v1-unstable', true],
    ['v0.0.0-20161208181325-20d25e280405', '/v1', false],
    ['v0.0.0-20161208181325-20d25e280405', '.v2', false],
    ['v0.1.0', '.v1', false],
    ['v1.9.0', '.v1', true],
    ['v0.3.0', '.v0', true],
    ['bogus', '', false],
  ];

  it('§7.21 gopkg.in/yaml.v2 has pathMajor .v2; gopkg.in/check.v1 accepts v0.0.0-… pseudo-versions', () => {
    assert.deepEqual(splitPathVersion('gopkg.in/yaml.v2'), { prefix: 'gopkg.in/yaml', pathMajor: '.v2' });
    assert.equal(matchPathMajor('v0.0.0-20161208181325-20d25e280405', '.v1'), true);
    checkModuleVersion('gopkg.in/check.v1', 'v0.0.0-20161208181325-20d25e280405');
    assert.equal(isValidModuleVersion('gopkg.in/check.v1', 'v1.0.0-20161208181325-20d25e280405'), true);
    assert.equal(isValidModuleVersion('gopkg.in/yaml.v2', 'v0.0.0-20161208181325-20d25e280405'), false);
  });

  it('matches the table', () => {
    for (const [v, pm, ok] of cases) {
      assert.equal(matchPathMajor(v, pm), ok, `${v} ${pm}`);
      if (ok) checkPathMajor(v, pm);
      else assert.throws(() => checkPathMajor(v, pm), VersionError, `${v} ${pm}`);
    }
  });

  it('uses Go messages', () => {
    assert.throws(() => checkPathMajor('v2.0.0', ''), {
      message: 'version "v2.0.0" invalid: should be v0 or v1, not v2',
    });
    assert.throws(() => checkPathMajor('v1.0.0', '/v2'), {
      message: 'version "v1.0.0" invalid: should be v2, not v1',
    });
    assert.throws(() => checkPathMajor('v1.0.0', '.v3-unstable'), {
      message: 'version "v1.0.0" invalid: should be v3, not v1',
    });
    const err = (() => {
      try {
        checkPathMajor('v2.0.0', '');
      } catch (e) {
        return e;
      }
      return null;
    })();
    assert.ok(err instanceof InvalidRequestError);
  });

  it('pathMajorPrefix', () => {
    assert.equal(pathMajorPrefix(''), '');
    assert.equal(pathMajorPrefix('/v2'), 'v2');
    assert.equal(pathMajorPrefix('.v1'), 'v1');
    assert.equal(pathMajorPrefix('.v1-unstable'), 'v1');
    assert.equal(pathMajorPrefix('/v10'), 'v10');
    assert.throws(() => pathMajorPrefix('v2'), InvalidRequestError);
    assert.throws(() => pathMajorPrefix('/v2.1'), InvalidRequestError);
    assert.throws(() => pathMajorPrefix('/x'), InvalidRequestError);
  });
});

describe('checkModuleVersion (module.Check)', () => {
  it('checks path, semver validity and the major', () => {
    checkModuleVersion('github.com/o/r', 'v1.2.3');
    checkModuleVersion('github.com/o/r', 'v1.2'); // Check does not require canonical
    checkModuleVersion('github.com/o/r', 'v2.0.0+incompatible');
    checkModuleVersion('github.com/o/r/v2', 'v2.0.0');
    assert.throws(() => checkModuleVersion('github.com/o/r', 'v2.0.0'), {
      message: 'github.com/o/r@v2.0.0: invalid version: should be v0 or v1, not v2',
    });
    assert.throws(() => checkModuleVersion('github.com/o/r', 'master'), {
      message: 'github.com/o/r@master: invalid version: not a semantic version',
    });
    assert.throws(() => checkModuleVersion('github.com/o/r/v1', 'v1.0.0'), PathError);
    assert.throws(() => checkModuleVersion('github.com/o/r/v3', 'v2.0.0'), ModuleVersionError);
    assert.equal(isValidModuleVersion('localhost/x', 'v1.0.0'), false);
    assert.equal(isValidModuleVersion('github.com/o/r/v2', 'v2.1.0-pre'), true);
  });
});

describe('Go-style quoting and messages', () => {
  it('quotes like strconv.Quote / QuoteRune', () => {
    assert.equal(goQuote('a"b\\c'), '"a\\"b\\\\c"');
    assert.equal(goQuote('ä€\n\t\x00\x7f\u200b'), '"ä€\\n\\t\\x00\\x7f\\u200b"');
    assert.equal(goQuoteRune("'"), "'\\''");
    assert.equal(goQuoteRune('"'), `'"'`);
  });

  it('formats PathError like module.InvalidPathError', () => {
    assert.throws(() => checkPath('localhost/x'), {
      name: 'PathError',
      message: 'malformed module path "localhost/x": missing dot in first path element',
    });
    assert.throws(() => checkImportPath('x/a b'), {
      message: `malformed import path "x/a b": invalid char ' '`,
    });
    assert.throws(() => checkFilePath('x€.go'), { message: `malformed file path "x€.go": invalid char '€'` });
    const err = new PathError('module', 'p', 'r');
    assert.equal(err.kind, 'module');
    assert.equal(err.status, 400);
    assert.equal(err.code, 'InvalidRequest');
  });
});
