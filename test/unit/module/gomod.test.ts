/**
 * go.mod rules (spec §2.6, §3.3, §3.4, §7.38–§7.46): ModulePath, isMajor, findDir, the `.mod`
 * bytes, canUseIncompatible, and the lax go directive that picks the vendor rule.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NotFoundError } from '../../../src/errors.js';
import { autoQuote, goTrimSpace, goUnquote, mustQuote } from '../../../src/module/go-strings.js';
import {
  canUseIncompatible,
  findModuleDir,
  isMajor,
  legacyGoMod,
  modFileFor,
  modulePath,
} from '../../../src/module/gomod.js';
import type { ModuleLocation } from '../../../src/module/gomod.js';
import { GoModSyntaxError, laxGoVersion, parseGoModLax } from '../../../src/module/gomod-lax.js';
import { hashGoMod } from '../../../src/module/h1.js';
import { treeFileReader } from '../../../src/module/module-zip.js';
import { memTree } from './trees.js';
import type { MemFile } from './trees.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array | null): string | null => (b === null ? null : new TextDecoder().decode(b));

function find(
  files: Record<string, MemFile>,
  modPath: string,
  opts: { codeRoot?: string; version?: string } = {},
): Promise<ModuleLocation> {
  const codeRoot = opts.codeRoot ?? 'github.com/o/r';
  const m = /^(.*?)((?:\/v[0-9]+)|(?:\.v[0-9]+(?:-unstable)?))?$/.exec(modPath);
  const prefix = m?.[1] ?? modPath;
  const pathMajor = m?.[2] ?? '';
  return findModuleDir({
    codeRoot,
    modPath,
    codeDir: prefix.slice(codeRoot.length).replace(/^\//, ''),
    pathMajor,
    version:
      opts.version ??
      (pathMajor ? `${pathMajor.replace(/^[/.]/, '').replace('-unstable', '')}.0.0` : 'v1.0.0'),
    rev: 'v9.9.9',
    readFile: treeFileReader(memTree(files)),
  });
}

async function notFound(p: Promise<unknown>, re: RegExp): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof NotFoundError, String(err));
    assert.match(err.message, re);
    return true;
  });
}

describe('modfile.ModulePath', () => {
  it('finds the first module line, strips comments, unquotes', () => {
    assert.equal(modulePath(enc('// c\nmodule github.com/o/r // x\n')), 'github.com/o/r');
    assert.equal(modulePath(enc('module "github.com/o/r"\n')), 'github.com/o/r');
    assert.equal(modulePath(enc('module `github.com/o/r`\n')), 'github.com/o/r');
    assert.equal(modulePath(enc('module\tgithub.com/o/r\r\n')), 'github.com/o/r');
    assert.equal(modulePath(enc('modulex y\nmodule a/b\nmodule c/d\n')), 'a/b');
    assert.equal(modulePath(enc('module\nmodule    \n')), '');
    assert.equal(modulePath(enc('module "unterminated\n')), '');
    assert.equal(modulePath(enc('\ufeffmodule x.com/y\n')), '', 'a BOM is not white space in Go');
    assert.equal(modulePath(enc('go 1.13\n')), '');
  });

  it('Go strings: TrimSpace, Unquote, AutoQuote', () => {
    assert.equal(goTrimSpace('\u0085 x \u00a0'), 'x');
    assert.equal(goTrimSpace('\ufeffx'), '\ufeffx');
    assert.equal(goUnquote('"a\\tb\\u00e9\\x41\\101"'), 'a\tbéAA');
    assert.equal(goUnquote('"a\\\'b"'), null);
    assert.equal(goUnquote('"a"b"'), null);
    assert.equal(goUnquote('`a\rb`'), 'ab');
    assert.equal(mustQuote('github.com/o/r'), false);
    for (const s of ['a b', 'a"b', 'a//b', 'a/*b', '(a)', '', 'a\u0007']) assert.equal(mustQuote(s), true, s);
    assert.equal(autoQuote('a b'), '"a b"');
  });
});

describe('isMajor', () => {
  it('compares only the major suffixes', () => {
    assert.equal(isMajor('github.com/o/r', ''), true);
    assert.equal(isMajor('github.com/fork/r', ''), true);
    assert.equal(isMajor('github.com/o/r/v2', ''), false);
    assert.equal(isMajor('gopkg.in/yaml.v1', ''), true);
    assert.equal(isMajor('gopkg.in/yaml.v2', ''), false);
    assert.equal(isMajor('github.com/o/r/v2', '/v2'), true);
    assert.equal(isMajor('gopkg.in/x.v2', '/v2'), true);
    assert.equal(isMajor('gopkg.in/x.v2-unstable', '/v2'), false, 'suffixes compared literally');
    assert.equal(isMajor('github.com/o/r', '/v2'), false);
    assert.equal(isMajor('github.com/o/r/v3', '/v2'), false);
    assert.equal(isMajor('', ''), false);
    assert.equal(isMajor('github.com/o/r/v1', ''), false, 'an invalid path fits nothing');
  });
});

describe('findDir (§3.3)', () => {
  it('§7.38 /v2 with a root go.mod declaring /v2 → major-branch layout at the root', async () => {
    const loc = await find({ 'go.mod': 'module github.com/o/r/v2\n' }, 'github.com/o/r/v2');
    assert.equal(loc.moduleDir, '');
    assert.equal(dec(loc.goMod), 'module github.com/o/r/v2\n');
  });

  it('§7.39 /v2 with v2/go.mod declaring /v2 and a v1 root go.mod → major subdirectory', async () => {
    const loc = await find(
      { 'go.mod': 'module github.com/o/r\n', 'v2/go.mod': 'module github.com/o/r/v2\n' },
      'github.com/o/r/v2',
    );
    assert.equal(loc.moduleDir, 'v2');
    assert.equal(dec(loc.goMod), 'module github.com/o/r/v2\n');
  });

  it('§7.40 both root go.mod and v2/go.mod declaring /v2 → ambiguous, 404', async () => {
    await notFound(
      find(
        { 'go.mod': 'module github.com/o/r/v2\n', 'v2/go.mod': 'module github.com/o/r/v2\n' },
        'github.com/o/r/v2',
      ),
      /both have \.\.\.\/v2 module paths/,
    );
  });

  it('§7.41 module in tools/ → the raw tools/go.mod', async () => {
    const raw = 'module github.com/o/r/tools\r\n\r\ngo 1.21.0\r\ntoolchain go1.22.1\r\n';
    const loc = await find(
      { 'go.mod': 'module github.com/o/r\n', 'tools/go.mod': raw },
      'github.com/o/r/tools',
    );
    assert.equal(loc.moduleDir, 'tools');
    assert.equal(dec(modFileFor('github.com/o/r/tools', loc.goMod)), raw);
  });

  it('§7.42 tools/ without a go.mod → 404 "missing …/go.mod"', async () => {
    await notFound(
      find({ 'go.mod': 'module github.com/o/r\n', 'tools/a.go': 'x' }, 'github.com/o/r/tools'),
      /^missing github\.com\/o\/r\/tools\/go\.mod at revision v9\.9\.9$/,
    );
    await notFound(
      find({ 'a.go': 'x' }, 'github.com/o/r/v2'),
      /^missing github\.com\/o\/r\/go\.mod and \.\.\.\/v2\/go\.mod/,
    );
  });

  it('§7.43 root without go.mod, unversioned path → synthesized module line in the request case', async () => {
    const loc = await find({ 'hello.go': 'package hello\n' }, 'github.com/Acme/Hello', {
      codeRoot: 'github.com/Acme/Hello',
    });
    assert.deepEqual(loc, { moduleDir: '', goMod: null });
    const mod = modFileFor('github.com/Acme/Hello', loc.goMod);
    assert.equal(dec(mod), 'module github.com/Acme/Hello\n');
    assert.equal(
      hashGoMod(legacyGoMod('github.com/acme/hello')),
      'h1:su5e2N9FiPF2A4dMFf7o5+aNAuruWNWwrNYTCFpLPYQ=',
    );
    const gopkg = await find({ 'a.go': 'x' }, 'gopkg.in/yaml.v2', { codeRoot: 'gopkg.in/yaml.v2' });
    assert.deepEqual(gopkg, { moduleDir: '', goMod: null });
  });

  it('§7.44 a go.mod declaring a fork path is served', async () => {
    const loc = await find({ 'go.mod': 'module github.com/orig/x\n' }, 'github.com/fork/x', {
      codeRoot: 'github.com/fork/x',
    });
    assert.equal(dec(loc.goMod), 'module github.com/orig/x\n');
  });

  it('§7.45 go.mod declaring …/v2 requested unversioned → 404 post-v1', async () => {
    await notFound(
      find({ 'go.mod': 'module github.com/o/r/v2\n' }, 'github.com/o/r'),
      /has post-v1 module path "github\.com\/o\/r\/v2"/,
    );
    await notFound(find({ 'go.mod': '// nothing\n' }, 'github.com/o/r'), /go\.mod is missing module path/);
    await notFound(
      find({ 'go.mod': 'module github.com/o/r/v1\n' }, 'github.com/o/r'),
      /has malformed module path/,
    );
    await notFound(
      find({ 'go.mod': 'module github.com/o/r\n' }, 'github.com/o/r/v2'),
      /go\.mod has non-\.\.\.\/v2 module path "github\.com\/o\/r" \(and \.\.\.\/v2\/go\.mod does not exist\)/,
    );
    await notFound(
      find({ 'v2/go.mod': 'module github.com/o/r/v3\n' }, 'github.com/o/r/v2'),
      /v2\/go\.mod has non-\.\.\.\/v2 module path/,
    );
    // The pre-1.11.1 gopkg.in bug: an unversioned request accepts a gopkg.in module path.
    const bug = await find({ 'go.mod': 'module gopkg.in/x.v3\n' }, 'github.com/o/r');
    assert.equal(bug.moduleDir, '');
  });

  it('§7.46 a CRLF go.mod is served byte for byte', async () => {
    const raw = 'module github.com/o/r\r\n\r\ngo 1.13\r\n';
    const loc = await find({ 'go.mod': raw }, 'github.com/o/r');
    assert.equal(dec(modFileFor('github.com/o/r', loc.goMod)), raw);
  });

  it('a go.mod symlink is read as its link text (git cat-file semantics); a gitlink does not exist', async () => {
    await notFound(find({ 'go.mod': { symlink: 'other.mod' } }, 'github.com/o/r'), /missing module path/);
    const gl = await find({ 'go.mod': { gitlink: 'ab'.repeat(20) } }, 'github.com/o/r');
    assert.deepEqual(gl, { moduleDir: '', goMod: null });
  });
});

describe('canUseIncompatible (§2.6)', () => {
  const read = (files: Record<string, MemFile>) => treeFileReader(memTree(files));
  it('needs an unversioned root module with no root go.mod, and no vN/go.mod unless asked for +incompatible', async () => {
    const base = { codeDir: '', pathMajor: '', version: 'v2.0.0', requested: 'v2.0.0' };
    assert.equal(await canUseIncompatible({ ...base, readFile: read({ 'a.go': 'x' }) }), true);
    assert.equal(
      await canUseIncompatible({ ...base, readFile: read({ 'go.mod': 'module x.com/y\n' }) }),
      false,
    );
    assert.equal(
      await canUseIncompatible({ ...base, readFile: read({ 'v2/go.mod': 'module x.com/y/v2\n' }) }),
      false,
    );
    assert.equal(
      await canUseIncompatible({
        ...base,
        requested: 'v2.0.0+incompatible',
        readFile: read({ 'v2/go.mod': 'module x.com/y/v2\n' }),
      }),
      true,
    );
    assert.equal(
      await canUseIncompatible({ ...base, version: '', readFile: read({ 'v2/go.mod': 'x' }) }),
      true,
    );
    assert.equal(await canUseIncompatible({ ...base, codeDir: 'sub', readFile: read({}) }), false);
    assert.equal(await canUseIncompatible({ ...base, pathMajor: '/v2', readFile: read({}) }), false);
  });
});

describe('lax go.mod parsing (vendor rule input)', () => {
  it('reads the go directive, with the lax fix-up', () => {
    assert.equal(laxGoVersion(enc('module m\n\ngo 1.24\n')), '1.24');
    assert.equal(laxGoVersion(enc('module m\ngo 1.24rc1 // c\n')), '1.24rc1');
    assert.equal(laxGoVersion(enc('module m\ngo 1.24-custom\n')), '1.24');
    assert.equal(laxGoVersion(enc('module m\ngo v1.24.x\n')), '1.24');
    assert.equal(laxGoVersion(enc('module m\r\n\r\ngo 1.24.3\r\n')), '1.24.3');
    assert.equal(laxGoVersion(enc('module m\n')), null);
  });

  it('skips main-module-only and unknown directives, and malformed retractions', () => {
    const text = [
      'module example.com/m',
      'go 1.24',
      'toolchain go1.24.1',
      'godebug default=go1.21',
      'tool example.com/t',
      'replace a => b v1',
      'exclude x v1',
      'retract [v1.0.0, junk',
      'retract v1.2',
      'unknown verb here',
      'require (',
      '\texample.com/a v1.0.0 // indirect',
      '\texample.com/b/v2 v2.0.0',
      '\texample.com/c v1.2',
      ')',
      'ignore ./x',
      '',
    ].join('\n');
    assert.deepEqual(parseGoModLax(enc(text)), { module: 'example.com/m', go: '1.24' });
  });

  it('fails where ParseLax fails', () => {
    const bad = [
      'module m\ngo 1.24\ngo 1.25\n',
      'module m\nmodule n\n',
      'module m\ngo 1.x\n',
      'module m\ngo "1.24"\n',
      'module m\nrequire example.com/x\n',
      'module m\nrequire example.com/x 1.0.0\n',
      'module m\nrequire example.com/x latest\n',
      'module m\nrequire example.com/x/v2 v1.0.0\n',
      'module m\nrequire (\n\texample.com/x v1.0.0\n',
      'module m\nrequire ( example.com/x v1.0.0 ) x\n',
      'module m\nignore a b\n',
      'module m\nignore ( a b )\n',
      'module m\n/* c */\n',
      'module "m\n',
      'module `m`\n',
      "module 'm'\n",
      'module m\ngo 1.24\n\u0007\n',
    ];
    for (const t of bad) {
      assert.throws(() => parseGoModLax(enc(t)), GoModSyntaxError, JSON.stringify(t));
      assert.equal(laxGoVersion(enc(t)), null, JSON.stringify(t));
    }
  });
});
