/**
 * .gitattributes parsing, pattern matching and precedence (spec §5.1), and git's wildmatch.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  attributeDirs,
  attributesFor,
  createAttributeResolver,
  parseGitattributes,
} from '../../../src/module/gitattributes.js';
import type { AttrStackLevel, AttrValue } from '../../../src/module/gitattributes.js';
import { wildmatch } from '../../../src/module/wildmatch.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

function attrs(path: string, files: Record<string, string>): Record<string, AttrValue> {
  const levels: AttrStackLevel[] = [];
  for (const dir of attributeDirs(path)) {
    const text = files[dir];
    if (text !== undefined)
      levels.push({ dir, file: parseGitattributes(enc(text), { macrosAllowed: dir === '' }) });
  }
  return Object.fromEntries(attributesFor(path, levels));
}

const wm = (p: string, t: string, pathname = true): boolean => wildmatch(enc(p), enc(t), pathname);

describe('wildmatch', () => {
  it('basic globs', () => {
    assert.ok(wm('*.go', 'a.go'));
    assert.ok(!wm('*.go', 'a/b.go'));
    assert.ok(wm('*.go', 'a/b.go', false));
    assert.ok(wm('a?c', 'abc'));
    assert.ok(!wm('a?c', 'a/c'));
    assert.ok(wm('\\*x', '*x'));
    assert.ok(!wm('\\*x', 'ax'));
    assert.ok(wm('foo', 'foo'));
    assert.ok(!wm('foo', 'foobar'));
  });

  it('** as a whole path component', () => {
    assert.ok(wm('**/x', 'x'));
    assert.ok(wm('**/x', 'a/b/x'));
    assert.ok(wm('a/**/x', 'a/x'));
    assert.ok(wm('a/**/x', 'a/b/c/x'));
    assert.ok(wm('a/**', 'a/b/c'));
    assert.ok(!wm('a/**', 'b/c'));
    assert.ok(!wm('a**/x', 'ab/c/x'), '** not alone in its component acts as *');
    assert.ok(wm('a**/x', 'ab/x'));
  });

  it('bracket expressions', () => {
    assert.ok(wm('[a-c].go', 'b.go'));
    assert.ok(!wm('[!a-c].go', 'b.go'));
    assert.ok(wm('[^a-c].go', 'd.go'));
    assert.ok(wm('[]a].go', '].go'));
    assert.ok(wm('[[:digit:]]x', '7x'));
    assert.ok(!wm('[[:digit:]]x', 'ax'));
    assert.ok(wm('[[:upper:][:punct:]]', '!'));
    assert.ok(!wm('[a/]', '/'));
    assert.ok(!wm('[[:nope:]]', 'a'), 'unknown class aborts');
    assert.ok(!wm('[abc', 'a'), 'unterminated set aborts');
  });
});

describe('gitattributes', () => {
  it('parses set, unset, unspecified and values; comments and blank lines', () => {
    const f = parseGitattributes(enc('# c\n\n  *.go text -diff !merge eol=crlf\r\n'), {
      macrosAllowed: true,
    });
    assert.equal(f.rules.length, 1);
    assert.deepEqual(f.rules[0]?.states, [
      ['text', true],
      ['diff', false],
      ['merge', null],
      ['eol', 'crlf'],
    ]);
  });

  it('drops lines with an invalid attribute name, negative patterns, and over-long lines; stops at NUL', () => {
    const long = `x${'a'.repeat(2100)} text\n`;
    const f = parseGitattributes(enc(`a b@d\n!neg text\n${long}ok text\nz text\0after text\n`), {
      macrosAllowed: true,
    });
    assert.deepEqual(
      f.rules.map((r) => Buffer.from(r.pattern.bytes).toString()),
      ['ok', 'z'],
    );
  });

  it('quoted patterns with C escapes', () => {
    assert.deepEqual(attrs('a b.txt', { '': '"a b.txt" eol=crlf\n' }), { eol: 'crlf' });
    assert.deepEqual(attrs('a\tb', { '': '"a\\tb" text\n' }), { text: true });
    assert.deepEqual(attrs('é', { '': '"\\303\\251" text\n' }), { text: true });
  });

  it('slash-less patterns match the basename at any depth; others are anchored to their directory', () => {
    const root = '*.txt eol=crlf\n/top.go text\nsub/*.go ident\n';
    assert.deepEqual(attrs('a/b/c.txt', { '': root }), { eol: 'crlf' });
    assert.deepEqual(attrs('top.go', { '': root }), { text: true });
    assert.deepEqual(attrs('x/top.go', { '': root }), {});
    assert.deepEqual(attrs('sub/a.go', { '': root }), { ident: true });
    assert.deepEqual(attrs('sub/deep/a.go', { '': root }), {});
    assert.deepEqual(attrs('x/sub/a.go', { '': root }), {});
  });

  it('a pattern in a subdirectory file is relative to that directory', () => {
    const files = { a: 'b/*.go text\n/c.go ident\n' };
    assert.deepEqual(attrs('a/b/x.go', files), { text: true });
    assert.deepEqual(attrs('a/c.go', files), { ident: true });
    assert.deepEqual(attrs('b/x.go', files), {});
  });

  it('dir/ patterns never match a file, nor the files inside', () => {
    assert.deepEqual(attrs('only-dir/f.txt', { '': 'only-dir/ eol=crlf\n' }), {});
    assert.deepEqual(attrs('only-dir', { '': 'only-dir/ eol=crlf\n' }), {});
    assert.deepEqual(attrs('d/x.txt', { '': 'd/** eol=crlf\n' }), { eol: 'crlf' });
  });

  it('a literal prefix is matched first, so a following ** acts as a leading **/ (checked with git check-attr)', () => {
    assert.deepEqual(attrs('ab/c/x', { '': 'a**/x ident\n' }), { ident: true });
    assert.deepEqual(attrs('ab/x', { '': 'a**/x ident\n' }), { ident: true });
  });

  it('matching is case-sensitive', () => {
    assert.deepEqual(attrs('A.TXT', { '': '*.txt text\n' }), {});
  });

  it('later lines override earlier ones; deeper files override shallower ones (§7.71)', () => {
    assert.deepEqual(attrs('a.txt', { '': '*.txt text\n*.txt -text\n' }), { text: false });
    assert.deepEqual(attrs('sub/deep.go', { '': 'sub/*.go eol=crlf\n', sub: 'deep.go -text\n' }), {
      eol: 'crlf',
      text: false,
    });
    // `!text` in a deeper file makes text unspecified even though the root sets it.
    assert.deepEqual(attrs('s/a.go', { '': '*.go text\n', s: '*.go !text\n' }), {});
  });

  it('later attributes on a line win', () => {
    assert.deepEqual(attrs('a', { '': 'a text -text\n' }), { text: false });
  });

  it('builtin binary macro and [attr] macros from the root only', () => {
    assert.deepEqual(attrs('a.bin', { '': '*.bin binary\n' }), {
      binary: true,
      diff: false,
      merge: false,
      text: false,
    });
    assert.deepEqual(attrs('a.bin', { '': '*.bin binary text\n' }).text, true);
    assert.deepEqual(attrs('a.bin', { '': '*.bin text binary\n' }).text, false);
    assert.deepEqual(attrs('a.m', { '': '[attr]crlftext text eol=crlf\n*.m crlftext\n' }), {
      crlftext: true,
      text: true,
      eol: 'crlf',
    });
    assert.deepEqual(attrs('a.m', { '': '*.m -crlftext\n[attr]crlftext text eol=crlf\n' }), {
      crlftext: false,
    });
    assert.deepEqual(attrs('s/a.m', { '': '', s: '[attr]crlftext text\n*.m crlftext\n' }), {
      crlftext: true,
    });
  });

  it('resolver loads and caches the .gitattributes along the path', async () => {
    const loads: string[] = [];
    const blobs: Record<string, string> = { '': '*.go text\n', 'a/b': '*.go -text\n' };
    const r = createAttributeResolver((dir) => {
      loads.push(dir);
      const b = blobs[dir];
      return Promise.resolve(b === undefined ? null : enc(b));
    });
    assert.deepEqual(Object.fromEntries(await r.attributes('a/b/c.go')), { text: false });
    assert.deepEqual(Object.fromEntries(await r.attributes('a/x.go')), { text: true });
    assert.deepEqual(loads, ['', 'a', 'a/b']);
  });
});
