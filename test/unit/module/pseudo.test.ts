/**
 * Pseudo-versions (spec §2.4): construction, recogniser, and parsing of time, revision and base.
 * The shape parts of checklist items §7.26–§7.34 are covered here; resolving tags and commits
 * lives in the upstream layer.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidRequestError } from '../../../src/errors.js';
import { VersionError } from '../../../src/module/check-path.js';
import { isValidModuleVersion } from '../../../src/module/check.js';
import {
  formatPseudoTimestamp,
  isPseudoVersion,
  isZeroPseudoVersion,
  pseudoVersion,
  pseudoVersionBase,
  pseudoVersionRev,
  pseudoVersionTime,
  shortenSHA1,
  zeroPseudoVersion,
} from '../../../src/module/pseudo.js';
import { compare, isCanonicalVersion } from '../../../src/module/semver.js';

/** The spec's commit: f6fa15577550… with committer time 2020-01-02T05:04:05+02:00. */
const SHA = 'f6fa155775507ee5bf0e5e2e0b2b6b3c1e2c0a9d';
const TIME = new Date('2020-01-02T05:04:05+02:00');
const TS = '20200102030405';
const REV = 'f6fa15577550';

describe('pseudoVersion (§2.4 verified outputs)', () => {
  it('formats the committer time in UTC, shortens the SHA-1 to 12 hex', () => {
    assert.equal(formatPseudoTimestamp(TIME), TS);
    assert.equal(formatPseudoTimestamp(new Date('2020-01-02T03:04:05.999Z')), TS);
    assert.equal(formatPseudoTimestamp(new Date('0001-01-01T00:00:00Z')), '00010101000000');
    assert.equal(shortenSHA1(SHA), REV);
    assert.equal(shortenSHA1(REV), REV);
    assert.equal(shortenSHA1(SHA.toUpperCase()), SHA.toUpperCase()); // Go: AllHex is lower case only
    assert.equal(shortenSHA1(SHA + '0'), SHA + '0');
  });

  it('§7.29 no base: unversioned path → v0.0.0-<ts>-<12hex>, path /v3 → v3.0.0-…', () => {
    assert.equal(pseudoVersion('', '', TIME, SHA), `v0.0.0-${TS}-${REV}`);
    assert.equal(pseudoVersion('v0', '', TIME, REV), `v0.0.0-${TS}-${REV}`);
    assert.equal(pseudoVersion('v2', '', TIME, SHA), `v2.0.0-${TS}-${REV}`);
    assert.equal(pseudoVersion('v3', '', TIME, SHA), `v3.0.0-${TS}-${REV}`);
    assert.equal(pseudoVersion('v1', 'not-a-version', TIME, SHA), `v1.0.0-${TS}-${REV}`);
  });

  it('§7.26 §7.27 release base vX.Y.Z → vX.Y.(Z+1)-0.<ts>-<12hex>, patch incremented as decimal', () => {
    assert.equal(pseudoVersion('', 'v1.2.3', TIME, SHA), `v1.2.4-0.${TS}-${REV}`);
    assert.equal(pseudoVersion('', 'v1.10.0', TIME, SHA), `v1.10.1-0.${TS}-${REV}`);
    assert.equal(pseudoVersion('', 'v1.9.9', TIME, SHA), `v1.9.10-0.${TS}-${REV}`);
    assert.equal(pseudoVersion('', 'v1.2.99', TIME, SHA), `v1.2.100-0.${TS}-${REV}`);
    assert.equal(pseudoVersion('v2', 'v2.1.0', TIME, SHA), `v2.1.1-0.${TS}-${REV}`);
    assert.equal(
      pseudoVersion('', 'v1.2.99999999999999999999', TIME, SHA),
      `v1.2.100000000000000000000-0.${TS}-${REV}`,
    );
  });

  it('§7.28 prerelease base vX.Y.Z-pre → vX.Y.Z-pre.0.<ts>-<12hex>', () => {
    assert.equal(pseudoVersion('', 'v1.2.3-pre', TIME, SHA), `v1.2.3-pre.0.${TS}-${REV}`);
    assert.equal(pseudoVersion('', 'v1.3.0-rc.1', TIME, SHA), `v1.3.0-rc.1.0.${TS}-${REV}`);
  });

  it('§7.30 +incompatible base keeps the suffix: v2.0.9+incompatible → v2.0.10-0.<ts>-<hash>+incompatible', () => {
    assert.equal(pseudoVersion('', 'v2.0.9+incompatible', TIME, SHA), `v2.0.10-0.${TS}-${REV}+incompatible`);
    assert.equal(
      pseudoVersion('', 'v2.1.0-pre+incompatible', TIME, SHA),
      `v2.1.0-pre.0.${TS}-${REV}+incompatible`,
    );
  });

  it('§7.31 a non-canonical base tag v1.2.3+meta gives v1.2.4-0.<ts>-<hash> (build dropped by canonical)', () => {
    // Go's PseudoVersion keeps semver.Build(older), so the caller passes the canonical base.
    assert.equal(pseudoVersion('', 'v1.2.3', TIME, SHA), `v1.2.4-0.${TS}-${REV}`);
    assert.equal(pseudoVersion('', 'v1.2', TIME, SHA), `v1.2.1-0.${TS}-${REV}`);
  });

  it('every output is a canonical pseudo-version that round-trips time, rev and base', () => {
    const bases = ['', 'v1.2.3', 'v1.2.3-pre', 'v2.0.9+incompatible', 'v1.9.9', 'v0.0.0', 'v1.3.0-rc.1'];
    for (const base of bases) {
      const v = pseudoVersion('', base, TIME, SHA);
      assert.equal(isPseudoVersion(v), true, v);
      assert.equal(isCanonicalVersion(v), true, v);
      assert.equal(pseudoVersionTime(v).toISOString(), '2020-01-02T03:04:05.000Z', v);
      assert.equal(pseudoVersionRev(v), REV, v);
      assert.equal(pseudoVersionBase(v), base, v);
      if (base !== '') assert.equal(compare(base, v), -1, `${base} < ${v}`);
    }
  });
});

describe('isPseudoVersion (recogniser)', () => {
  it('accepts the three forms, with or without +incompatible', () => {
    for (const v of [
      `v0.0.0-${TS}-${REV}`,
      `v2.0.0-${TS}-${REV}`,
      `v1.2.4-0.${TS}-${REV}`,
      `v1.2.3-pre.0.${TS}-${REV}`,
      `v1.2.3-rc.1.0.${TS}-${REV}`,
      `v2.0.10-0.${TS}-${REV}+incompatible`,
      `v0.0.0-0.${TS}-${REV}`, // matches the shape; its base is invalid (see below)
      `v1.2.3-pre.0.${TS}-ABCdef`, // rev chars are [A-Za-z0-9]+, length unchecked here
    ]) {
      assert.equal(isPseudoVersion(v), true, v);
    }
  });

  it('rejects the counter-examples', () => {
    for (const v of [
      `v1.2.3-${TS}-${REV}`, // prerelease does not start with 0.
      `v1.2.3`,
      `v1.2.3-pre`,
      `v0.0.0-${TS}`, // only one dash
      `v0.0.0-2020010203040-${REV}`, // 13-digit time
      `v0.0.0-202001020304055-${REV}`, // 15-digit time
      `v0.0-${TS}-${REV}`, // shorthand
      `v0.0.0-${TS}-${REV}+`, // invalid semver
      `v0.0.0-${TS}-${REV}+incompatible.`,
      `v1.2.4-1.${TS}-${REV}`, // not ".0." before the time
      `v1.2.4-0.${TS}-${REV}-x`, // trailing element
      `v1.2.4-0.${TS}-f6fa_15577550`,
      `1.2.4-0.${TS}-${REV}`,
      `v1.2.4-0.${TS}-`,
      `v01.2.4-0.${TS}-${REV}`,
      '',
    ]) {
      assert.equal(isPseudoVersion(v), false, v);
    }
  });

  it('zero pseudo-versions', () => {
    assert.equal(zeroPseudoVersion(''), 'v0.0.0-00010101000000-000000000000');
    assert.equal(zeroPseudoVersion('v2'), 'v2.0.0-00010101000000-000000000000');
    assert.equal(isZeroPseudoVersion('v0.0.0-00010101000000-000000000000'), true);
    assert.equal(isZeroPseudoVersion('v3.0.0-00010101000000-000000000000'), true);
    assert.equal(isZeroPseudoVersion(`v0.0.0-${TS}-${REV}`), false);
    assert.equal(isZeroPseudoVersion('v0.0.0'), false);
    assert.equal(pseudoVersionTime(zeroPseudoVersion('')).toISOString(), '0001-01-01T00:00:00.000Z');
  });
});

describe('pseudoVersionTime / Rev / Base', () => {
  it('§7.33 exposes the 12-hex rev and the UTC time a request must match (lengths are checked by the caller)', () => {
    assert.equal(pseudoVersionRev(`v1.2.4-0.${TS}-${REV}0`), REV + '0'); // 13 hex: "longer than canonical"
    assert.equal(pseudoVersionRev(`v1.2.4-0.${TS}-${REV.slice(0, 11)}`), REV.slice(0, 11));
    assert.equal(pseudoVersionTime(`v1.2.4-0.${TS}-${REV}`).getTime(), TIME.getTime());
    assert.notEqual(pseudoVersionTime(`v1.2.4-0.20200102050405-${REV}`).getTime(), TIME.getTime()); // local time ≠ UTC
  });

  it('§7.34 form 1 with major v1 parses as "no base" (the caller rejects it on unversioned paths)', () => {
    const v = `v1.0.0-${TS}-${REV}`;
    assert.equal(isPseudoVersion(v), true);
    assert.equal(pseudoVersionBase(v), '');
    assert.equal(isValidModuleVersion('github.com/o/r', v), true); // CheckPathMajor alone allows v1
  });

  it('bases: form 2 decrements the patch, form 3 drops ".0", +incompatible kept', () => {
    const table: [string, string][] = [
      [`v1.2.4-0.${TS}-${REV}`, 'v1.2.3'],
      [`v1.9.10-0.${TS}-${REV}`, 'v1.9.9'],
      [`v1.2.100-0.${TS}-${REV}`, 'v1.2.99'],
      [`v1.2.1-0.${TS}-${REV}`, 'v1.2.0'],
      [`v1.2.3-pre.0.${TS}-${REV}`, 'v1.2.3-pre'],
      [`v1.2.3-pre.1.0.${TS}-${REV}`, 'v1.2.3-pre.1'],
      [`v1.2.3-0.0.${TS}-${REV}`, 'v1.2.3-0'],
      [`v2.0.10-0.${TS}-${REV}+incompatible`, 'v2.0.9+incompatible'],
      [`v2.1.0-pre.0.${TS}-${REV}+incompatible`, 'v2.1.0-pre+incompatible'],
      [`v0.0.0-${TS}-${REV}`, ''],
    ];
    for (const [v, base] of table) assert.equal(pseudoVersionBase(v), base, v);
  });

  it('throws VersionError (an InvalidRequestError) for invalid pseudo-versions', () => {
    const bad: [string, RegExp][] = [
      ['v1.2.3', /syntax error/],
      [`v1.2.3-${TS}-${REV}`, /syntax error/],
      [`v0.0.0-0.${TS}-${REV}`, /would have negative patch number/],
      [`v1.2.0-0.${TS}-${REV}`, /would have negative patch number/],
      [`v0.0.0-${TS}-${REV}+incompatible`, /lacks base version, but has build metadata "\+incompatible"/],
    ];
    for (const [v, re] of bad) {
      assert.throws(
        () => pseudoVersionBase(v),
        (err: unknown) => {
          assert.ok(err instanceof VersionError && err instanceof InvalidRequestError);
          assert.equal(err.pseudo, true);
          assert.match(err.message, re);
          assert.match(err.message, /^pseudo-version ".*" invalid: /);
          return true;
        },
        v,
      );
    }
    assert.throws(() => pseudoVersionTime('v1.2.3'), VersionError);
    assert.throws(() => pseudoVersionRev('master'), VersionError);
  });

  it('§7.33 a timestamp out of range is malformed', () => {
    for (const ts of [
      '20201302030405',
      '20200100030405',
      '20200230030405',
      '20190229000000',
      '20200102240000',
      '20200102036000',
      '20200102030460',
    ]) {
      assert.throws(
        () => pseudoVersionTime(`v0.0.0-${ts}-${REV}`),
        { message: new RegExp(`malformed time "${ts}"`) },
        ts,
      );
    }
    assert.equal(pseudoVersionTime(`v0.0.0-20200229235959-${REV}`).toISOString(), '2020-02-29T23:59:59.000Z');
    assert.equal(pseudoVersionTime(`v0.0.0-20000229000000-${REV}`).toISOString(), '2000-02-29T00:00:00.000Z');
    assert.throws(() => pseudoVersionTime(`v0.0.0-19000229000000-${REV}`), VersionError);
  });
});
