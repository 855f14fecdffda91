/**
 * Case escaping and URL percent-decoding (spec §1.2; checklist §7.1–§7.6 as far as they concern
 * decoding a request path into a module path and version).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidRequestError } from '../../../src/errors.js';
import { PathError, VersionError } from '../../../src/module/check-path.js';
import {
  escapePath,
  escapeVersion,
  percentDecodePath,
  unescapePath,
  unescapeVersion,
} from '../../../src/module/escape.js';

/** What the http layer does with one path segment: percent-decode, then unescape. */
function decodeModule(raw: string): string {
  return unescapePath(percentDecodePath(raw));
}
function decodeVersion(raw: string): string {
  return unescapeVersion(percentDecodePath(raw));
}

describe('escapePath / escapeVersion (§1.2)', () => {
  it('escapes each ASCII upper-case letter as !lower and nothing else', () => {
    assert.equal(escapePath('github.com/Azure/go-autorest'), 'github.com/!azure/go-autorest');
    assert.equal(escapePath('github.com/BurntSushi/TOML'), 'github.com/!burnt!sushi/!t!o!m!l');
    assert.equal(escapePath('github.com/o/r'), 'github.com/o/r');
    assert.equal(escapePath('gopkg.in/yaml.v2'), 'gopkg.in/yaml.v2');
    assert.equal(escapeVersion('HEAD'), '!h!e!a!d');
    assert.equal(escapeVersion('v1.0.0-RC1'), 'v1.0.0-!r!c1');
    assert.equal(escapeVersion('v2.0.0+incompatible'), 'v2.0.0+incompatible');
    assert.equal(escapeVersion('master'), 'master');
  });

  it('escapePath requires a valid module path', () => {
    assert.throws(() => escapePath('Github.com/x'), PathError);
    assert.throws(() => escapePath('github.com/o/r/v1'), PathError);
    assert.throws(() => escapePath('github.com/o/r+x'), PathError);
    assert.throws(() => escapePath(''), PathError);
  });

  it('escapeVersion requires a file-path element without "!" (so feature/x is unreachable)', () => {
    for (const v of ['feature/x', 'a:b', 'a*b', '', '..', 'x.', 'v1!', 'con', 'NUL.x']) {
      assert.throws(() => escapeVersion(v), VersionError, JSON.stringify(v));
    }
    assert.throws(() => escapeVersion('feature/x'), {
      message: 'version "feature/x" invalid: disallowed version string',
    });
    // A non-ASCII letter passes the element check but cannot be escaped (Go: internal error).
    assert.throws(() => escapeVersion('vä'), InvalidRequestError);
    assert.equal(escapeVersion('-x'), '-x'); // element check has no leading-dash rule
    assert.equal(escapeVersion('r~1'), 'r~1'); // nor the tilde rule
  });
});

describe('unescapePath / unescapeVersion (§1.2)', () => {
  it('§7.1 %21azure and !azure decode to the same module path github.com/Azure/go-autorest', () => {
    assert.equal(decodeModule('github.com/%21azure/go-autorest'), 'github.com/Azure/go-autorest');
    assert.equal(decodeModule('github.com/!azure/go-autorest'), 'github.com/Azure/go-autorest');
    assert.equal(decodeModule('github.com%2F%21azure%2fgo-autorest'), 'github.com/Azure/go-autorest');
  });

  it('§7.2 upper case in the escaped path is refused (never the module)', () => {
    assert.throws(() => decodeModule('github.com/Azure/go-autorest'), {
      name: 'InvalidRequestError',
      message: 'invalid escaped module path "github.com/Azure/go-autorest"',
    });
    assert.throws(() => decodeModule('github.com/%41zure/go-autorest'), InvalidRequestError); // %41 = 'A'
  });

  it('§7.3 v2.0.0+incompatible and v2.0.0%2Bincompatible decode alike; + is never a space', () => {
    assert.equal(decodeVersion('v2.0.0+incompatible'), 'v2.0.0+incompatible');
    assert.equal(decodeVersion('v2.0.0%2Bincompatible'), 'v2.0.0+incompatible');
    assert.equal(decodeVersion('v2.0.0%2bincompatible'), 'v2.0.0+incompatible');
    assert.equal(percentDecodePath('a+b'), 'a+b');
    assert.equal(percentDecodePath('a%20b'), 'a b');
  });

  it('§7.4 !h!e!a!d and %21h%21e%21a%21d decode to HEAD', () => {
    assert.equal(decodeVersion('!h!e!a!d'), 'HEAD');
    assert.equal(decodeVersion('%21h%21e%21a%21d'), 'HEAD');
  });

  it('§7.5 v1.0.0-!r!c1 decodes to v1.0.0-RC1', () => {
    assert.equal(decodeVersion('v1.0.0-!r!c1'), 'v1.0.0-RC1');
    assert.equal(decodeVersion('v1.0.0-%21r%21c1'), 'v1.0.0-RC1');
  });

  it('§7.6 a ! not followed by a–z, or a trailing !, is refused', () => {
    for (const bad of [
      'github.com/!Azure/x',
      'github.com/!!azure/x',
      'github.com/!1/x',
      'github.com/!-x/x',
      'github.com/o/r!',
      'github.com/o/r%21',
      '!',
      'github.com/!/x',
      'github.com/o/%21%21r',
    ]) {
      assert.throws(() => decodeModule(bad), InvalidRequestError, bad);
    }
    for (const bad of ['v1!', '!H', '!', 'v1.0.0-!R!C1', '!!a']) {
      assert.throws(() => decodeVersion(bad), { message: `invalid escaped version ${JSON.stringify(bad)}` });
    }
  });

  it('refuses non-ASCII in escaped strings, then applies CheckPath / the element check', () => {
    assert.throws(() => unescapePath('github.com/ä/x'), InvalidRequestError);
    assert.throws(() => unescapeVersion('vä'), InvalidRequestError);
    assert.throws(() => decodeModule('github.com/%C3%A4/x'), InvalidRequestError);
    assert.throws(() => unescapePath('localhost/x'), {
      message:
        'invalid escaped module path "localhost/x": malformed module path "localhost/x": missing dot in first path element',
    });
    assert.throws(() => unescapePath('github.com/o/r/v1'), InvalidRequestError);
    assert.throws(() => unescapePath('!github.com/x'), InvalidRequestError); // → "Github.com/x"
    assert.throws(() => unescapeVersion('feature/x'), {
      message: `invalid escaped version "feature/x": invalid char '/'`,
    });
    assert.throws(() => unescapeVersion(''), InvalidRequestError);
    assert.throws(() => unescapeVersion('..'), InvalidRequestError);
    assert.throws(() => unescapeVersion('!c!o!n'), InvalidRequestError); // → "CON"
    assert.equal(unescapeVersion('master'), 'master');
    assert.equal(unescapeVersion('abc1234'), 'abc1234');
    assert.equal(unescapeVersion('v1.2.3+meta'), 'v1.2.3+meta');
  });
});

describe('percentDecodePath', () => {
  it('decodes %XX in either case, including %2F and %25', () => {
    assert.equal(percentDecodePath('%21%2a%2A%25%2F'), '!**%/');
    assert.equal(percentDecodePath('plain/path'), 'plain/path');
    assert.equal(percentDecodePath('%C3%A4'), 'ä');
    assert.equal(percentDecodePath('%E2%82%AC'), '€');
    assert.equal(percentDecodePath('%F0%9F%98%80'), '😀');
    assert.equal(percentDecodePath('%2525'), '%25'); // decoded once only
  });

  it('refuses malformed escapes, NUL and invalid UTF-8 with InvalidRequestError', () => {
    for (const bad of [
      '%',
      '%2',
      'a%zz',
      '%2g',
      '%%21',
      '%00',
      'a\u0000b',
      '%C3',
      '%C3%28',
      '%FF',
      '%ED%A0%80',
      '%C0%AF',
      'x\ud800',
    ]) {
      assert.throws(() => percentDecodePath(bad), InvalidRequestError, JSON.stringify(bad));
    }
    assert.throws(() => percentDecodePath('a%zz'), { message: 'invalid URL escape "%zz" in request path' });
  });

  it('leaves dot segments as data: %2e%2e decodes to ".." which unescapePath then refuses', () => {
    assert.equal(percentDecodePath('%2e%2e'), '..');
    assert.throws(() => decodeModule('github.com/o/%2e%2e'), InvalidRequestError);
    assert.throws(() => decodeModule('%2e%2e/%2e%2e/etc/passwd'), InvalidRequestError);
    assert.throws(() => decodeVersion('%2e%2e'), InvalidRequestError);
  });
});
