/**
 * h1 (dirhash Hash1) against the worked examples of spec §6 and the byte-wise UTF-8 name order.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  compareUtf8,
  EMPTY_H1,
  hash1,
  hashGoMod,
  hashStreamedFiles,
  sha256Hex,
  sha256Tap,
} from '../../../src/module/h1.js';
import { asyncChunks } from './streams.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

function h1Of(prefix: string, files: Record<string, string>): string {
  return hash1(Object.entries(files).map(([p, c]) => ({ name: prefix + p, sha256: sha256Hex(enc(c)) })));
}

const chunks = asyncChunks;

describe('h1', () => {
  it('§6 example B: summary lines and zip/go.mod hashes', () => {
    assert.equal(
      sha256Hex(enc('module github.com/acme/hello\n')),
      '15472463538cb4fc940b7e911e6d45d911f71ffc1564a04ff594cfe7fbe21bef',
    );
    assert.equal(
      sha256Hex(enc('package hello\n')),
      '8d481894447128fb141938f9643534b20020aa888173be12e6aa421badb2e9e7',
    );
    const p = 'github.com/acme/hello@v1.0.0/';
    assert.equal(
      h1Of(p, { 'go.mod': 'module github.com/acme/hello\n', 'hello.go': 'package hello\n' }),
      'h1:XZtow1FymNHEydb2cs9rAWzVbXC7bjhXEPvCvkTC2Tk=',
    );
    assert.equal(
      hashGoMod(enc('module github.com/acme/hello\n')),
      'h1:su5e2N9FiPF2A4dMFf7o5+aNAuruWNWwrNYTCFpLPYQ=',
    );
    assert.equal(
      h1Of(p, { 'hello.go': 'package hello\n' }),
      'h1:bvGtxbtbLX9HMVhKNphGE/bOFmuI9wHhY/ew5OgFstQ=',
    );
  });

  it('§6 example A (x/mod vector simple)', () => {
    const files = {
      'go.mod': 'module example.com/m\n\ngo 1.13\n',
      'm.go': 'package m\n\nfunc Foo() int { return 42 }\n',
      'cmd/hello/hello.go':
        'package main\n\nimport (\n  "fmt"\n  "example.com/m"\n)\n\nfunc main() {\n  fmt.Println(m.Foo())\n}\n',
    };
    assert.equal(h1Of('example.com/m@v1.0.0/', files), 'h1:tpqYOOmuilagXzyqoJ3roUjp8gneQeTv5YVpL6BG7/k=');
    assert.equal(hashGoMod(enc(files['go.mod'])), 'h1:UWkIka9t4wTRf5TZ+sRdwnADRAp+U7R9A2lAeNEx1cA=');
  });

  it('§6 example C: names sorted by UTF-8 bytes, not UTF-16 code units', () => {
    const files = { '\u{ff41}.go': 'package u\n', '\u{20000}.go': 'package u\n' };
    assert.ok(compareUtf8('\u{ff41}.go', '\u{20000}.go') < 0);
    assert.ok('\u{ff41}.go' > '\u{20000}.go', 'JavaScript order differs');
    assert.equal(h1Of('example.com/u@v1.0.0/', files), 'h1:YsD5o18VvEvmdBKBT2NXhoxIXGXCVE5H+1igxmwz1Gc=');
  });

  it('§6 example E: the +incompatible version is part of the names', () => {
    assert.equal(
      h1Of('github.com/acme/old@v2.0.0+incompatible/', { 'old.go': 'package old\n' }),
      'h1:Fe0NZxOk1JQ4JibYtKC4WNoWb1uNpBShrqt3gtlwHd0=',
    );
  });

  it('empty file set and newline names', () => {
    assert.equal(hash1([]), EMPTY_H1);
    assert.throws(() => hash1([{ name: 'a\nb', sha256: sha256Hex(enc('')) }]), /newline/);
  });

  it('streams: sha256Tap and hashStreamedFiles match the in-memory hash', async () => {
    let seen = '';
    let size = 0;
    const out: Uint8Array[] = [];
    for await (const c of sha256Tap(chunks('package ', 'hello\n'), (h, n) => ((seen = h), (size = n))))
      out.push(c);
    assert.equal(seen, '8d481894447128fb141938f9643534b20020aa888173be12e6aa421badb2e9e7');
    assert.equal(size, 14);
    assert.equal(Buffer.concat(out).toString(), 'package hello\n');
    const h = await hashStreamedFiles([
      { name: 'github.com/acme/hello@v1.0.0/hello.go', open: () => chunks('package', ' hello\n') },
      { name: 'github.com/acme/hello@v1.0.0/go.mod', open: () => chunks('module github.com/acme/hello\n') },
    ]);
    assert.equal(h, 'h1:XZtow1FymNHEydb2cs9rAWzVbXC7bjhXEPvCvkTC2Tk=');
  });
});
