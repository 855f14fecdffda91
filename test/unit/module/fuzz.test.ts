/**
 * Property tests (fast-check, bounded runs) for escaping, path checks, semver and pseudo-versions:
 * every function either returns a well-formed result or throws an InvalidRequestError (never
 * another error type), round trips hold, and semver agrees with two independent oracles (a regex
 * of Go's grammar, and npm semver's ordering on the strict subset where the two agree).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import npmSemver from 'semver';
import { InvalidRequestError } from '../../../src/errors.js';
import {
  checkFilePath,
  checkImportPath,
  checkPath,
  checkPathMajor,
  matchPathMajor,
  pathMajorPrefix,
  splitPathVersion,
} from '../../../src/module/check-path.js';
import { checkModuleVersion } from '../../../src/module/check.js';
import {
  escapePath,
  escapeVersion,
  percentDecodePath,
  unescapePath,
  unescapeVersion,
} from '../../../src/module/escape.js';
import {
  formatPseudoTimestamp,
  isPseudoVersion,
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
  compareGoVersions,
  isValid,
  major,
  majorMinor,
  max,
  prerelease,
  sortVersions,
} from '../../../src/module/semver.js';

const RUNS = { numRuns: 2000 };

/** Runs fn; any throw other than an InvalidRequestError fails the property. */
function settle<T>(fn: () => T): { ok: true; value: T } | { ok: false } {
  try {
    return { ok: true, value: fn() };
  } catch (err) {
    if (err instanceof InvalidRequestError) return { ok: false };
    throw err;
  }
}

const WELL_FORMED = /^[^\p{Surrogate}]*$/u;

const HOSTILE_CHARS = [
  ...'!%21AZazv09./~+-_@: cone\n',
  '\0',
  '%2e',
  '%21',
  '%2F',
  '%00',
  '%C3',
  '%ZZ',
  'ä',
  '€',
  '\u0870',
  '\ud800',
  '\udfff',
  '😀',
  '\u200b',
];

const HAND_PICKED = [
  '',
  '.',
  '..',
  '...',
  '/',
  '//',
  '%2e%2e',
  '%2e%2e/%2e%2e/etc/passwd',
  '../../etc/passwd',
  'github.com/o/..',
  'github.com/o/%2e%2e',
  '\0',
  'github.com/o/r\0',
  '%00',
  '%',
  '%%',
  '!',
  '!!',
  '!A',
  'github.com/!',
  'ä',
  'github.com/o/ä',
  '\ud800',
  '\udc00\ud800',
  'github.com/o/\udfff',
  '😀',
  'con',
  'CON.go',
  'gopkg.in/',
  'gopkg.in/.v1',
  'gopkg.in/x.v1-unstable',
  '/v2',
  'x.com/v2',
  'v',
  'v0',
  'v1.2.3-',
  'v1.2.3+',
  `v0.0.0-00000000000000-0`,
  `v0.0.0-99999999999999-z`,
  'x.com/' + 'a'.repeat(10_000),
  'x.com/' + 'a/'.repeat(5_000) + 'a',
  'x.com/' + '!a'.repeat(5_000),
  '%21'.repeat(4_000),
  '%'.repeat(10_000),
  '.'.repeat(10_000),
  '/'.repeat(10_000),
  'ä'.repeat(10_000),
  '\ud800'.repeat(10_000),
  'v1.2.3-' + '0.'.repeat(5_000) + '20200102030405-abc',
  'v1.2.3-' + 'a.'.repeat(5_000) + '0.20200102030405-abc',
  'v' + '9'.repeat(10_000) + '.0.0',
  'v1.2.3+' + 'x.'.repeat(5_000) + 'y',
  '1.' + '2'.repeat(10_000),
];

const hostileString = fc.oneof(
  fc.string({ unit: fc.constantFrom(...HOSTILE_CHARS), maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme-ascii', maxLength: 40 }),
  fc.constantFrom(...HAND_PICKED),
);

const label = fc.string({ unit: fc.constantFrom(...'abcz09-'), minLength: 1, maxLength: 6 });
const elemChar = fc.constantFrom(...'abcxyzABCXYZ0129-._~');
const moduleElem = fc.string({ unit: elemChar, minLength: 1, maxLength: 8 });

/** Valid module paths: a dotted host of [a-z0-9-], then elements, filtered by checkPath. */
const validModulePath = fc
  .tuple(
    fc.array(label, { minLength: 2, maxLength: 3 }),
    fc.array(moduleElem, { maxLength: 4 }),
    fc.option(fc.integer({ min: 2, max: 30 })),
  )
  .map(([host, elems, vn]) => [host.join('.'), ...elems, ...(vn === null ? [] : [`v${vn}`])].join('/'))
  .filter((p) => settle(() => checkPath(p)).ok);

/** Strings that look like versions or branch names, filtered to what escapeVersion accepts. */
const validVersionElem = fc
  .string({ unit: fc.constantFrom(...'vV0129.-+abcRCHEAD_~@()'), minLength: 1, maxLength: 20 })
  .filter((v) => settle(() => escapeVersion(v)).ok);

/** Independent oracle: Go's semver grammar as a regular expression. */
const NUM = '(?:0|[1-9][0-9]*)';
const PRE_ID = `(?:${NUM}|[0-9]*[A-Za-z-][0-9A-Za-z-]*)`;
const BUILD_ID = '[0-9A-Za-z-]+';
const GO_SEMVER = new RegExp(
  `^v${NUM}(?:\\.${NUM}(?:\\.${NUM}(?:-${PRE_ID}(?:\\.${PRE_ID})*)?(?:\\+${BUILD_ID}(?:\\.${BUILD_ID})*)?)?)?$`,
);

const semverish = fc.oneof(
  fc.string({ unit: fc.constantFrom(...'v0129.-+aZx'), maxLength: 16 }).map((s) => 'v' + s),
  fc.string({ unit: fc.constantFrom(...'v0129.-+aZx'), maxLength: 16 }),
  fc.stringMatching(
    /^v(0|[1-9][0-9]?)\.(0|[1-9][0-9]?)\.(0|[1-9][0-9]?)(-[0-9a-zA-Z-]{1,3}(\.[0-9a-zA-Z-]{1,3}){0,2})?(\+[0-9a-z]{1,3})?$/,
  ),
);

describe('fuzz: escaping and path checks', () => {
  it('hostile input: every function returns or throws InvalidRequestError, never anything else', () => {
    fc.assert(
      fc.property(hostileString, (s) => {
        for (const check of [checkPath, checkImportPath, checkFilePath]) settle(() => check(s));
        const ep = settle(() => escapePath(s));
        if (ep.ok) assert.doesNotMatch(ep.value, /[A-Z]/);
        const up = settle(() => unescapePath(s));
        if (up.ok) checkPath(up.value);
        const ev = settle(() => escapeVersion(s));
        if (ev.ok) assert.match(ev.value, /^[\x20-\x7e]+$/); // Go allows a space in a version
        const uv = settle(() => unescapeVersion(s));
        if (uv.ok) assert.equal(escapeVersion(uv.value), s);
        const pd = settle(() => percentDecodePath(s));
        if (pd.ok) {
          assert.match(pd.value, WELL_FORMED);
          assert.doesNotMatch(pd.value, /\0/);
        }
        const sv = splitPathVersion(s);
        if (sv !== null) assert.equal(sv.prefix + sv.pathMajor, s);
        settle(() => pathMajorPrefix(s));
        settle(() => checkPathMajor(s, ''));
        settle(() => checkModuleVersion(s, s));
        settle(() => checkModuleVersion('github.com/o/r', s));
        assert.equal(typeof matchPathMajor(s, '/v2'), 'boolean');
      }),
      RUNS,
    );
  });

  it('hand-picked hostile strings (.., %2e%2e, NUL, lone surrogates, 10 kB) settle the same way', () => {
    for (const s of HAND_PICKED) {
      for (const fn of [
        checkPath,
        checkImportPath,
        checkFilePath,
        escapePath,
        unescapePath,
        escapeVersion,
        unescapeVersion,
        percentDecodePath,
      ]) {
        settle(() => fn(s));
      }
    }
    // The dangerous ones are all refused as module paths and versions, whatever the encoding.
    for (const s of [
      '..',
      '%2e%2e',
      'github.com/o/%2e%2e',
      '\0',
      '%00',
      '\ud800',
      '/',
      'x.com/' + 'a/'.repeat(5_000),
    ]) {
      assert.equal(
        settle(() => unescapePath(percentDecodePath(s))).ok,
        false,
        JSON.stringify(s.slice(0, 20)),
      );
    }
    for (const s of ['..', '%2e%2e', '.', '\0', '%00', '\ud800', 'a/b', 'a%2Fb']) {
      assert.equal(settle(() => unescapeVersion(percentDecodePath(s))).ok, false, JSON.stringify(s));
    }
    // A long valid path is fine.
    const long = 'x.com/' + 'Ab/'.repeat(3_000) + 'c';
    assert.equal(unescapePath(escapePath(long)), long);
  });

  it('round trip: unescapePath(escapePath(p)) === p for valid module paths, and via %21 on the wire', () => {
    fc.assert(
      fc.property(validModulePath, (p) => {
        const e = escapePath(p);
        assert.doesNotMatch(e, /[A-Z]/);
        assert.equal(unescapePath(e), p);
        const wire = e.replaceAll('!', '%21');
        assert.equal(unescapePath(percentDecodePath(wire)), p);
        assert.equal(unescapePath(percentDecodePath(encodeURIComponent(e))), p);
        checkImportPath(p); // every module path is an import path
        checkFilePath(p); // …and a file path
      }),
      RUNS,
    );
  });

  it('round trip: unescapeVersion(escapeVersion(v)) === v, and + survives percent-decoding', () => {
    fc.assert(
      fc.property(validVersionElem, (v) => {
        const e = escapeVersion(v);
        assert.equal(unescapeVersion(e), v);
        assert.equal(unescapeVersion(percentDecodePath(encodeURIComponent(e))), v);
        assert.equal(unescapeVersion(percentDecodePath(e.replaceAll('!', '%21'))), v);
      }),
      RUNS,
    );
  });

  it('escaping is a bijection: if unescape(s) succeeds, escape gives back s', () => {
    const escapedish = fc.string({ unit: fc.constantFrom(...'!abzAZ09.-/_~'), maxLength: 24 });
    fc.assert(
      fc.property(escapedish, (s) => {
        const p = settle(() => unescapePath('x.com/' + s));
        if (p.ok) assert.equal(escapePath(p.value), 'x.com/' + s);
        const v = settle(() => unescapeVersion(s));
        if (v.ok) assert.equal(escapeVersion(v.value), s);
      }),
      RUNS,
    );
  });

  it('percentDecodePath inverts encodeURIComponent for well-formed strings without NUL', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (s) => {
        fc.pre(!s.includes('\0'));
        assert.equal(percentDecodePath(encodeURIComponent(s)), s);
      }),
      RUNS,
    );
  });
});

describe('fuzz: semver', () => {
  it('isValid agrees with a regex of Go grammar; canonical is idempotent and valid', () => {
    fc.assert(
      fc.property(semverish, (v) => {
        assert.equal(isValid(v), GO_SEMVER.test(v), v);
        const c = canonical(v);
        if (isValid(v)) {
          assert.equal(canonical(c), c);
          assert.equal(compare(v, c), 0);
          assert.equal(build(c), '');
          assert.equal(major(c), major(v));
          assert.equal(majorMinor(c), majorMinor(v));
          assert.equal(prerelease(c), prerelease(v));
          assert.equal(canonicalVersion(canonicalVersion(v)), canonicalVersion(v));
        } else {
          assert.equal(c, '');
          assert.equal(major(v), '');
        }
      }),
      RUNS,
    );
  });

  it('compare is a total preorder and agrees with npm semver on full x.y.z versions', () => {
    fc.assert(
      fc.property(semverish, semverish, semverish, (a, b, c) => {
        assert.equal(compare(a, b), -compare(b, a) || 0);
        if (compare(a, b) <= 0 && compare(b, c) <= 0) assert.ok(compare(a, c) <= 0);
        // npm semver needs the full x.y.z form and numbers below 2^53.
        const full = (v: string): boolean => isValid(v) && /^v\d+\.\d+\.\d+/.test(v) && !/\d{16}/.test(v);
        if (full(a) && full(b)) {
          assert.equal(compare(a, b), npmSemver.compare(a.slice(1), b.slice(1)), `${a} vs ${b}`);
        }
        assert.equal(max(a, b), compare(canonical(a), canonical(b)) > 0 ? canonical(a) : canonical(b));
      }),
      RUNS,
    );
  });

  it('sortVersions yields a non-decreasing permutation', () => {
    fc.assert(
      fc.property(fc.array(semverish, { maxLength: 12 }), (vs) => {
        const sorted = sortVersions(vs);
        assert.deepEqual([...sorted].sort(), [...vs].sort());
        for (let i = 1; i < sorted.length; i++) assert.ok(compare(sorted[i - 1] ?? '', sorted[i] ?? '') <= 0);
      }),
      { numRuns: 500 },
    );
  });

  it('Go language version compare is antisymmetric and never throws', () => {
    const gov = fc.string({ unit: fc.constantFrom(...'0129.rcbetalph'), maxLength: 10 });
    fc.assert(
      fc.property(gov, gov, (a, b) => {
        assert.equal(compareGoVersions(a, b), -compareGoVersions(b, a) || 0);
      }),
      RUNS,
    );
  });
});

describe('fuzz: pseudo-versions', () => {
  const time = fc.date({
    min: new Date('1970-01-01T00:00:00Z'),
    max: new Date('9999-12-31T23:59:59Z'),
    noInvalidDate: true,
  });
  const rev = fc.stringMatching(/^[0-9a-f]{40}$/);
  const base = fc
    .oneof(
      fc.constant(''),
      fc.stringMatching(
        /^v(0|[1-9][0-9]?)\.(0|[1-9][0-9]?)\.(0|[1-9][0-9]?|9|99|999)(-[0-9a-z]{1,3}(\.[0-9a-z]{1,3}){0,2})?(\+incompatible)?$/,
      ),
    )
    .filter((b) => b === '' || isValid(b));

  it('pseudoVersion output is recognised and round-trips time, rev and base', () => {
    fc.assert(
      fc.property(fc.constantFrom('', 'v0', 'v1', 'v2', 'v17'), base, time, rev, (mj, b, t, r) => {
        const v = pseudoVersion(mj, b, t, r);
        assert.ok(isPseudoVersion(v), v);
        assert.equal(pseudoVersionRev(v), r.slice(0, 12));
        assert.equal(formatPseudoTimestamp(pseudoVersionTime(v)), formatPseudoTimestamp(t));
        assert.equal(pseudoVersionBase(v), b);
        if (b !== '') assert.equal(compare(b, v), -1);
      }),
      RUNS,
    );
  });

  it('parsing arbitrary pseudo-shaped strings: recognised ones rebuild exactly, others throw VersionError', () => {
    const shaped = fc
      .tuple(
        fc.stringMatching(/^v(0|1|2|10)\.(0|1|9)\.(0|1|10|00)-((0|1|a|pre|rc\.1)\.){0,2}(0\.)?$/),
        fc.oneof(time.map(formatPseudoTimestamp), fc.stringMatching(/^[0-9]{14}$/)),
        fc.stringMatching(/^-[A-Za-z0-9]{1,13}(\+incompatible|\+x)?$/),
      )
      .map(([head, ts, tail]) => head + ts + tail);
    fc.assert(
      fc.property(shaped, (v) => {
        const rv = settle(() => pseudoVersionRev(v));
        assert.equal(rv.ok, isPseudoVersion(v));
        if (!isPseudoVersion(v)) return;
        const b = settle(() => pseudoVersionBase(v));
        const t = settle(() => pseudoVersionTime(v));
        if (b.ok && t.ok && rv.ok) {
          assert.equal(pseudoVersion(major(v), b.value, t.value, rv.value), v);
        }
      }),
      RUNS,
    );
  });
});
