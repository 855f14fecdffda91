/**
 * Go semver (spec §2.3), module.CanonicalVersion, and Go language version order (gover).
 * Expected values follow x/mod semver.go's documented behaviour and its test table.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  build,
  canonical,
  canonicalVersion,
  compare,
  compareGoVersions,
  goVersionAtLeast,
  isCanonicalVersion,
  isValid,
  major,
  majorMinor,
  max,
  prerelease,
  sortVersions,
} from '../../../src/module/semver.js';

// [input, canonical ("" = invalid)]
const PARSE_TABLE: [string, string][] = [
  ['bad', ''],
  ['', ''],
  ['v', ''],
  ['1.2.3', ''],
  ['V1.2.3', ''],
  ['v1-alpha.beta.gamma', ''],
  ['v1-pre', ''],
  ['v1+meta', ''],
  ['v1-pre+meta', ''],
  ['v1.2-pre', ''],
  ['v1.2+meta', ''],
  ['v1.2-pre+meta', ''],
  ['v1.0.0-alpha', 'v1.0.0-alpha'],
  ['v1.0.0-alpha.1', 'v1.0.0-alpha.1'],
  ['v1.0.0-alpha.beta', 'v1.0.0-alpha.beta'],
  ['v1.0.0-beta', 'v1.0.0-beta'],
  ['v1.0.0-beta.2', 'v1.0.0-beta.2'],
  ['v1.0.0-beta.11', 'v1.0.0-beta.11'],
  ['v1.0.0-rc.1', 'v1.0.0-rc.1'],
  ['v1', 'v1.0.0'],
  ['v1.0', 'v1.0.0'],
  ['v1.0.0', 'v1.0.0'],
  ['v1.2', 'v1.2.0'],
  ['v1.2.0', 'v1.2.0'],
  ['v1.2.3-456', 'v1.2.3-456'],
  ['v1.2.3-456.789', 'v1.2.3-456.789'],
  ['v1.2.3-456-789', 'v1.2.3-456-789'],
  ['v1.2.3-456a', 'v1.2.3-456a'],
  ['v1.2.3-pre', 'v1.2.3-pre'],
  ['v1.2.3-pre+meta', 'v1.2.3-pre'],
  ['v1.2.3-pre.1', 'v1.2.3-pre.1'],
  ['v1.2.3-zzz', 'v1.2.3-zzz'],
  ['v1.2.3', 'v1.2.3'],
  ['v1.2.3+meta', 'v1.2.3'],
  ['v1.2.3+meta-pre', 'v1.2.3'],
  ['v1.2.3+meta-pre.sha.256a', 'v1.2.3'],
  ['v1.2.3+incompatible', 'v1.2.3'],
  ['v01.2.3', ''],
  ['v1.02.3', ''],
  ['v1.2.03', ''],
  ['v1.2.3-01', ''],
  ['v1.2.3-1.01', ''],
  ['v1.2.3-0', 'v1.2.3-0'],
  ['v1.2.3-0a', 'v1.2.3-0a'],
  ['v1.2.3-01a', 'v1.2.3-01a'], // alphanumeric identifiers may start with 0
  ['v1.2.3-', ''],
  ['v1.2.3-a..b', ''],
  ['v1.2.3-a.', ''],
  ['v1.2.3+', ''],
  ['v1.2.3+a..b', ''],
  ['v1.2.3+a.', ''],
  ['v1.2.3+01', 'v1.2.3'], // build identifiers may have leading zeros
  ['v1.2.3-a_b', ''],
  ['v1.2.3+a_b', ''],
  ['v1.2.3-ä', ''],
  ['v1.2.3.4', ''],
  ['v1.2.3 ', ''],
  [' v1.2.3', ''],
  ['v1..3', ''],
  ['v-1.2.3', ''],
  ['v99999999999999999999.0.0', 'v99999999999999999999.0.0'],
];

describe('Go semver parsing (§2.3)', () => {
  it('isValid / canonical match the table (shorthands, leading zeros, build metadata)', () => {
    for (const [v, want] of PARSE_TABLE) {
      assert.equal(canonical(v), want, `canonical(${JSON.stringify(v)})`);
      assert.equal(isValid(v), want !== '', `isValid(${JSON.stringify(v)})`);
    }
  });

  it('major, majorMinor, prerelease, build', () => {
    const table: [string, string, string, string, string][] = [
      // v, major, majorMinor, prerelease, build
      ['v1.2.3', 'v1', 'v1.2', '', ''],
      ['v1', 'v1', 'v1.0', '', ''],
      ['v1.2', 'v1', 'v1.2', '', ''],
      ['v10.20.30-pre.1+meta.2', 'v10', 'v10.20', '-pre.1', '+meta.2'],
      ['v2.0.0+incompatible', 'v2', 'v2.0', '', '+incompatible'],
      ['v0.0.0-20200102030405-f6fa15577550', 'v0', 'v0.0', '-20200102030405-f6fa15577550', ''],
      ['bad', '', '', '', ''],
      ['v1.2-pre', '', '', '', ''],
    ];
    for (const [v, mj, mm, pre, b] of table) {
      assert.equal(major(v), mj, `major(${v})`);
      assert.equal(majorMinor(v), mm, `majorMinor(${v})`);
      assert.equal(prerelease(v), pre, `prerelease(${v})`);
      assert.equal(build(v), b, `build(${v})`);
    }
  });
});

describe('Go semver compare (§2.3)', () => {
  // Strictly increasing (groups of equal versions share a row).
  const ORDER: string[][] = [
    ['bad', '', 'v1.2-pre', '1.2.3'], // invalid: all equal, below everything
    ['v0.0.0-00010101000000-000000000000'],
    ['v0.0.0'],
    ['v0.1.0'],
    ['v1.0.0-0'],
    ['v1.0.0-1'],
    ['v1.0.0-2'],
    ['v1.0.0-10'],
    ['v1.0.0-99999999999999999999'],
    ['v1.0.0-A'],
    ['v1.0.0-Z'],
    ['v1.0.0-alpha'],
    ['v1.0.0-alpha.1'],
    ['v1.0.0-alpha.beta'],
    ['v1.0.0-beta'],
    ['v1.0.0-beta.2'],
    ['v1.0.0-beta.11'],
    ['v1.0.0-rc.1'],
    ['v1', 'v1.0', 'v1.0.0', 'v1.0.0+meta', 'v1.0.0+incompatible'],
    ['v1.2.3-pre.0.20200102030405-f6fa15577550'],
    ['v1.2.3'],
    ['v1.2.4-0.20200102030405-f6fa15577550'],
    ['v1.2.4'],
    ['v1.9.9'],
    ['v1.10.0'],
    ['v2.0.0+incompatible'],
    ['v10.0.0'],
    ['v99999999999999999999.0.0'],
  ];

  it('orders prereleases, releases and numbers as semver.Compare', () => {
    for (let i = 0; i < ORDER.length; i++) {
      const row = ORDER[i] ?? [];
      for (const a of row) {
        for (const b of row) assert.equal(compare(a, b), 0, `${a} == ${b}`);
        for (let j = i + 1; j < ORDER.length; j++) {
          for (const b of ORDER[j] ?? []) {
            assert.equal(compare(a, b), -1, `${a} < ${b}`);
            assert.equal(compare(b, a), 1, `${b} > ${a}`);
          }
        }
      }
    }
  });

  it('max returns the larger canonical version', () => {
    assert.equal(max('v1.2', 'v1.1.9'), 'v1.2.0');
    assert.equal(max('v1.2.3+meta', 'v1.2.3'), 'v1.2.3');
    assert.equal(max('bad', 'v0.0.1'), 'v0.0.1');
    assert.equal(max('v0.0.1', 'bad'), 'v0.0.1');
    assert.equal(max('bad', 'worse'), '');
  });

  it('sortVersions sorts like semver.Sort, ties broken by string order', () => {
    const input = [
      'v1.10.0',
      'v1.2.3',
      'bad',
      'v1.0.0+b',
      'v1.0.0',
      'v1.0.0+a',
      'v1',
      'v1.0.0-rc.1',
      'abc',
      'v1.9.9',
    ];
    assert.deepEqual(sortVersions(input), [
      'abc',
      'bad',
      'v1.0.0-rc.1',
      'v1',
      'v1.0.0',
      'v1.0.0+a',
      'v1.0.0+b',
      'v1.2.3',
      'v1.9.9',
      'v1.10.0',
    ]);
    assert.equal(input[0], 'v1.10.0', 'input is not mutated');
  });
});

describe('module.CanonicalVersion', () => {
  it('keeps +incompatible, strips other build metadata, fills shorthands', () => {
    const table: [string, string][] = [
      ['v2.0.0+incompatible', 'v2.0.0+incompatible'],
      ['v2.0+incompatible', ''],
      ['v2.0.0+incompatible.1', 'v2.0.0'],
      ['v1.2.3+meta', 'v1.2.3'],
      ['v1.2', 'v1.2.0'],
      ['v1.2.3-pre', 'v1.2.3-pre'],
      ['v1.2.3-pre+incompatible', 'v1.2.3-pre+incompatible'],
      ['bad', ''],
      ['', ''],
    ];
    for (const [v, want] of table) assert.equal(canonicalVersion(v), want, v);
    assert.equal(isCanonicalVersion('v2.0.0+incompatible'), true);
    assert.equal(isCanonicalVersion('v1.2.3'), true);
    assert.equal(isCanonicalVersion('v1.2'), false);
    assert.equal(isCanonicalVersion('v1.2.3+meta'), false);
    assert.equal(isCanonicalVersion(''), false);
    assert.equal(isCanonicalVersion('master'), false);
  });
});

describe('Go language versions (gover)', () => {
  it('orders go versions: 1.21 < 1.21rc1 < 1.21.0, 1.20 == 1.20.0, alpha < beta < rc', () => {
    const ORDER: string[][] = [
      ['', 'bad', '1.x', '01.2', '1.21.0rc1', 'go1.21'],
      ['1'],
      ['1.9'],
      ['1.13', '1.13.0'],
      ['1.20rc1'],
      ['1.20', '1.20.0'],
      ['1.20.1'],
      ['1.21'],
      ['1.21alpha1'],
      ['1.21beta1'],
      ['1.21rc1'],
      ['1.21rc2'],
      ['1.21rc10'],
      ['1.21.0'],
      ['1.21.10'],
      ['1.24'],
      ['1.24rc1'],
      ['1.24.0'],
      ['1.24.3'],
      ['1.100'],
      ['2'],
    ];
    for (let i = 0; i < ORDER.length; i++) {
      for (const a of ORDER[i] ?? []) {
        for (const b of ORDER[i] ?? []) assert.equal(compareGoVersions(a, b), 0, `${a} == ${b}`);
        for (let j = i + 1; j < ORDER.length; j++) {
          for (const b of ORDER[j] ?? []) {
            assert.equal(compareGoVersions(a, b), -1, `${a} < ${b}`);
            assert.equal(compareGoVersions(b, a), 1, `${b} > ${a}`);
          }
        }
      }
    }
  });

  it('goVersionAtLeast for the vendor rule (§5.3): 1.24, 1.24.0, 1.24rc1 count; 1.23.9, 1.13, "" do not', () => {
    for (const v of ['1.24', '1.24.0', '1.24rc1', '1.24.3', '1.25', '2'])
      assert.equal(goVersionAtLeast(v, '1.24'), true, v);
    for (const v of ['1.23.9', '1.23', '1.13', '', 'none', '1.24.x'])
      assert.equal(goVersionAtLeast(v, '1.24'), false, v);
  });
});
