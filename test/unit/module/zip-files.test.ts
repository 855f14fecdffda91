/**
 * The zip rules (spec §5.2, §5.3, §7.48–§7.72) through the module-zip pipeline on in-memory trees,
 * the worked examples D and F of §6, and the x/mod vendor vectors.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidModuleError } from '../../../src/errors.js';
import { prepareModuleZip, MODE_FILE, treeFileReader } from '../../../src/module/module-zip.js';
import { findModuleDir, modFileFor } from '../../../src/module/gomod.js';
import type { ModuleZip, TreeEntry } from '../../../src/module/module-zip.js';
import {
  createCollisionChecker,
  foldKey,
  isVendored,
  MAX_GO_MOD,
  MAX_ZIP_FILE,
  selectFiles,
  usesNewVendorRule,
} from '../../../src/module/zip-files.js';
import { memTree } from './trees.js';
import type { MemFile } from './trees.js';
import { collect } from './streams.js';

async function zipOf(files: Record<string, MemFile>, opts: { dir?: string; mod?: string; v?: string } = {}) {
  return prepareModuleZip({
    entries: memTree(files),
    moduleDir: opts.dir ?? '',
    modulePath: opts.mod ?? 'example.com/m',
    version: opts.v ?? 'v1.0.0',
  });
}

function paths(z: ModuleZip): string[] {
  return z.entries.map((e) => e.path).sort();
}

async function contents(z: ModuleZip): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const e of z.entries) out[e.path] = (await collect(e.open())).toString('latin1');
  return out;
}

async function rejectsWith(p: Promise<unknown>, re: RegExp): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof InvalidModuleError, String(err));
    assert.match(err.message, re);
    return true;
  });
}

/** A file of `size` zero bytes produced lazily (never held in memory). */
function bigEntry(path: string, size: number): TreeEntry {
  return {
    path,
    mode: MODE_FILE,
    oid: '0'.repeat(40),
    size,
    async *open() {
      const chunk = new Uint8Array(1 << 20);
      for (let left = size; left > 0; left -= chunk.length) {
        yield left >= chunk.length ? chunk : chunk.subarray(0, left);
        await Promise.resolve();
      }
    },
  };
}

const VENDOR_FILES = {
  'vendor/modules.txt': 'included\nsee comment in isVendoredPackage and golang.org/issue/31562.\n',
  'vendor/example.com/x/x.go': 'excluded\n',
  'sub/vendor/sub.txt': 'sub\n',
  'pkg/vendor/vendor.go': 'package vendor\n',
};

describe('zip rules', () => {
  it('§6 example D: eol=crlf converts the zip content', async () => {
    const z = await zipOf(
      { '.gitattributes': '*.txt eol=crlf\n', 'a.txt': 'a\nb\n' },
      { mod: 'example.com/crlf' },
    );
    assert.equal((await contents(z))['a.txt'], 'a\r\nb\r\n');
    assert.equal(await z.hash(), 'h1:PW38eK/4OsLePtnXHZlDuYhLKEi8sn6N8LUFd/DDSOM=');
  });

  it('§6 example F and §7.61: kept oddities, .hg_archival.txt, .svn', async () => {
    const z1 = await zipOf({ '-x.go': 'x', '.hidden/a b.go': 'x', 'x~1.go': 'x' });
    assert.equal(await z1.hash(), 'h1:CXUZgrNeSqbynQKpFN76b0e1EGvB8Zgn9RzBQ5KGmCU=');
    const z2 = await zipOf({ '.hg_archival.txt': 'x', 'sub/.hg_archival.txt': 'y' });
    assert.deepEqual(paths(z2), ['sub/.hg_archival.txt']);
    assert.equal(await z2.hash(), 'h1:BbUIwCqoNgmi3PV2Z/vCmFX+Rjz5IfvojwiFbINhwbA=');
    const z3 = await zipOf({ '.svn/entries': 'x' });
    assert.equal(await z3.hash(), 'h1:uEukSGLHDkUtp4LT34QzRFJ/7kaiIX98eXogtlFhqGE=');
    const z4 = await zipOf({ 'ä.go': 'x', '(a).go': 'x' });
    assert.deepEqual(paths(z4), ['(a).go', 'ä.go']);
  });

  it('§7.47 go.mod eol=crlf: the zip go.mod is CRLF while the .mod stays raw', async () => {
    const files = { '.gitattributes': 'go.mod eol=crlf\n', 'go.mod': 'module example.com/m\n' };
    const loc = await findModuleDir({
      codeRoot: 'example.com/m',
      modPath: 'example.com/m',
      codeDir: '',
      pathMajor: '',
      version: 'v1.0.0',
      rev: 'v1.0.0',
      readFile: treeFileReader(memTree(files)),
    });
    assert.equal(Buffer.from(modFileFor('example.com/m', loc.goMod)).toString(), 'module example.com/m\n');
    assert.equal((await contents(await zipOf(files)))['go.mod'], 'module example.com/m\r\n');
  });

  it('§6 example E and §7.48: names carry <path>@<version>/, upper case kept, no directory entries', async () => {
    const z = await zipOf(
      { 'old.go': 'package old\n' },
      { mod: 'github.com/acme/old', v: 'v2.0.0+incompatible' },
    );
    assert.deepEqual(
      z.entries.map((e) => e.name),
      ['github.com/acme/old@v2.0.0+incompatible/old.go'],
    );
    assert.equal(await z.hash(), 'h1:Fe0NZxOk1JQ4JibYtKC4WNoWb1uNpBShrqt3gtlwHd0=');
    const up = await zipOf({ 'd/e/f.go': 'x' }, { mod: 'github.com/Azure/x' });
    assert.deepEqual(
      up.entries.map((e) => e.name),
      ['github.com/Azure/x@v1.0.0/d/e/f.go'],
    );
  });

  it('x/mod vector exclude_vendor (go 1.13): keeps go.mod and vendor/modules.txt, exact h1', async () => {
    const z = await zipOf({ 'go.mod': 'module example.com/m\n\ngo 1.13\n', ...VENDOR_FILES });
    assert.deepEqual(paths(z), ['go.mod', 'vendor/modules.txt']);
    assert.equal(await z.hash(), 'h1:5u93LDLN0Me+NGfZtRpA5mHxY8svfykHpq4CMSaBZyc=');
  });

  it('x/mod vector exclude_vendor_go124 (go 1.24): kept file set (exact bytes of the vector unknown)', async () => {
    const z = await zipOf({ 'go.mod': 'module example.com/m\n\ngo 1.24\n', ...VENDOR_FILES });
    assert.deepEqual(paths(z), ['go.mod', 'pkg/vendor/vendor.go', 'sub/vendor/sub.txt']);
  });

  it('§7.53 vendor, go 1.13: vendor/modules.txt kept, pkg/vendor/vendor.go omitted (the quirk)', () => {
    assert.equal(isVendored('vendor/modules.txt', false), false);
    assert.equal(isVendored('vendor/README', false), false);
    assert.equal(isVendored('vendor/a/b.go', false), true);
    assert.equal(isVendored('pkg/vendor/vendor.go', false), true);
    assert.equal(isVendored('sub/vendor/sub.txt', false), true);
    assert.equal(isVendored('vendor', false), false);
    assert.equal(isVendored('xvendor/a/b.go', false), false);
    assert.equal(usesNewVendorRule('1.13'), false);
    assert.equal(usesNewVendorRule(null), false);
  });

  it('§7.54 vendor, go 1.24: vendor/modules.txt omitted, pkg/vendor/vendor.go kept, pkg/vendor/a/b.go omitted', async () => {
    assert.equal(isVendored('vendor/modules.txt', true), true);
    assert.equal(isVendored('pkg/vendor/vendor.go', true), false);
    assert.equal(isVendored('pkg/vendor/a/b.go', true), true);
    for (const v of ['1.24', '1.24.0', '1.24rc1', '1.25.3']) assert.equal(usesNewVendorRule(v), true, v);
    assert.equal(usesNewVendorRule('1.23.9'), false);
    const z = await zipOf({
      'go.mod': 'module example.com/m\n\ngo 1.24.3\n',
      'pkg/vendor/vendor.go': 'x',
      'pkg/vendor/a/b.go': 'x',
    });
    assert.deepEqual(paths(z), ['go.mod', 'pkg/vendor/vendor.go']);
    const rc = await zipOf({ 'go.mod': 'module example.com/m\n\ngo 1.24rc1\n', 'vendor/modules.txt': 'x' });
    assert.deepEqual(paths(rc), ['go.mod']);
  });

  it('§7.55 go 1.24 in a go.mod that fails lax parsing → old vendor rules', async () => {
    const bad = 'module example.com/m\n\ngo 1.24\n\nrequire example.com/x\n';
    const z = await zipOf({ 'go.mod': bad, 'vendor/modules.txt': 'x', 'pkg/vendor/vendor.go': 'x' });
    assert.deepEqual(paths(z), ['go.mod', 'vendor/modules.txt']);
    // The version is read from the archived (converted) bytes: CRLF still parses.
    const crlf = await zipOf({
      '.gitattributes': 'go.mod eol=crlf\n',
      'go.mod': 'module example.com/m\n\ngo 1.24\n',
      'vendor/modules.txt': 'x',
    });
    assert.deepEqual(paths(crlf), ['.gitattributes', 'go.mod']);
  });

  it('§7.49 nested go.mod omits sub/**; b/GO.MOD omits b/**', async () => {
    const z = await zipOf({
      'go.mod': 'module example.com/m\n',
      'sub/go.mod': 'module example.com/m/sub\n',
      'sub/a.go': 'x',
      'sub/deep/b.go': 'x',
      'b/GO.MOD': 'x',
      'b/b.go': 'x',
      'subx/a.go': 'x',
    });
    assert.deepEqual(paths(z), ['go.mod', 'subx/a.go']);
  });

  it('§7.50 sub/go.mod as a symlink keeps sub/, omits the link', async () => {
    const z = await zipOf({ 'sub/go.mod': { symlink: '../go.mod' }, 'sub/a.go': 'x' });
    assert.deepEqual(paths(z), ['sub/a.go']);
  });

  it('§7.51 root GO.MOD is an error', async () => {
    await rejectsWith(
      zipOf({ 'GO.MOD': 'module example.com/m\n' }),
      /GO\.MOD: go\.mod files must have lowercase names/,
    );
    await rejectsWith(zipOf({ 'Go.mod': 'module example.com/m\n' }), /lowercase/);
  });

  it('§7.52 a go.mod/ directory is kept', async () => {
    assert.deepEqual(paths(await zipOf({ 'go.mod/a.go': 'x' })), ['go.mod/a.go']);
  });

  it('§7.56 root .hg_archival.txt omitted; sub/.hg_archival.txt, .svn/ and .hg/ kept', async () => {
    const z = await zipOf({
      '.hg_archival.txt': 'x',
      'sub/.hg_archival.txt': 'y',
      '.svn/e': 'x',
      '.hg/s': 'x',
    });
    assert.deepEqual(paths(z), ['.hg/s', '.svn/e', 'sub/.hg_archival.txt']);
  });

  it('§7.57 symlinks omitted; an invalid or colliding symlink is an error', async () => {
    assert.deepEqual(paths(await zipOf({ 'a.go': 'x', 'l.go': { symlink: 'a.go' } })), ['a.go']);
    await rejectsWith(
      zipOf({ 'a.go': 'x', 'A.go': { symlink: 'a.go' } }),
      /case-insensitive file name collision/,
    );
    await rejectsWith(zipOf({ 'a.go': 'x', 'a:b': { symlink: 'a.go' } }), /malformed file path "a:b"/);
  });

  it('§7.58 a gitlink contributes nothing', async () => {
    const z = await zipOf({ 'a.go': 'x', 'third_party/sub': { gitlink: 'ab'.repeat(20) } });
    assert.deepEqual(paths(z), ['a.go']);
  });

  it('§7.59 README/readme and A/x.go + a/y.go collide', async () => {
    await rejectsWith(
      zipOf({ README: 'a', readme: 'b' }),
      /readme: case-insensitive file name collision: "README" and "readme"/,
    );
    await rejectsWith(zipOf({ 'A/x.go': 'a', 'a/y.go': 'b' }), /collision: "A" and "a"/);
    assert.equal(foldKey('K'), foldKey('\u212a'));
    assert.equal(foldKey('ſ'), foldKey('S'));
    assert.notEqual(foldKey('ı'), foldKey('i'));
    // Orbits whose smallest member only maps into the orbit (compared with go1.19 over all runes).
    assert.equal(foldKey('\u039c'), '\u00b5');
    assert.equal(foldKey('\u03bc'), '\u00b5');
    assert.equal(foldKey('\u1fbe'), '\u0345');
    assert.equal(foldKey('\ua64b'), '\u1c88');
    const check = createCollisionChecker();
    assert.equal(check('LICENSE', false), null);
    assert.match(check('LICENSE/x', false) ?? '', /both a file and a directory/);
  });

  it('§7.60 aux.go, x€.go, a:b.go, foo. are errors for the whole version', async () => {
    await rejectsWith(zipOf({ 'aux.go': 'x', 'ok.go': 'x' }), /aux\.go: malformed file path "aux\.go"/);
    await rejectsWith(zipOf({ 'x€.go': 'x' }), /malformed file path/);
    await rejectsWith(
      zipOf({ 'a:b.go': 'x' }),
      /^create zip: a:b\.go: malformed file path "a:b\.go": invalid char ':'$/,
    );
    await rejectsWith(zipOf({ 'foo.': 'x' }), /malformed file path "foo\."/);
  });

  it('§7.62 subdir module: root LICENSE added raw unless the module has one', async () => {
    const tree = {
      '.gitattributes': 'LICENSE eol=crlf\n',
      LICENSE: 'root\n',
      'sub/go.mod': 'module example.com/m/sub\n',
      'own/go.mod': 'module example.com/m/own\n',
      'own/LICENSE': 'own\n',
    };
    const sub = await zipOf(tree, { dir: 'sub', mod: 'example.com/m/sub' });
    assert.deepEqual(await contents(sub), { 'go.mod': 'module example.com/m/sub\n', LICENSE: 'root\n' });
    assert.equal(sub.entries.at(-1)?.path, 'LICENSE', 'inherited LICENSE comes last');
    const own = await zipOf(tree, { dir: 'own', mod: 'example.com/m/own' });
    assert.equal((await contents(own)).LICENSE, 'own\r\n');
    const root = await zipOf({ LICENSE: 'root\n', 'a.go': 'x' });
    assert.deepEqual(paths(root), ['LICENSE', 'a.go']);
  });

  it('§7.63 LICENSE symlink → no LICENSE; lower-case license → collision after inheritance', async () => {
    const link = await zipOf(
      { LICENSE: 'root\n', 'sub/go.mod': 'x', 'sub/LICENSE': { symlink: '../LICENSE' } },
      { dir: 'sub', mod: 'example.com/m/sub' },
    );
    assert.deepEqual(paths(link), ['go.mod']);
    await rejectsWith(
      zipOf(
        { LICENSE: 'root\n', 'sub/go.mod': 'x', 'sub/license': 'x' },
        { dir: 'sub', mod: 'example.com/m/sub' },
      ),
      /LICENSE: case-insensitive file name collision: "license" and "LICENSE"/,
    );
    const rootLink = await zipOf(
      { LICENSE: { symlink: 'COPYING' }, 'sub/go.mod': 'x' },
      { dir: 'sub', mod: 'example.com/m/sub' },
    );
    assert.equal((await contents(rootLink)).LICENSE, 'COPYING', 'a root LICENSE symlink gives its link text');
  });

  it('§7.64 subdir module with a LICENSE/ directory → both file and directory', async () => {
    await rejectsWith(
      zipOf(
        { LICENSE: 'root\n', 'sub/go.mod': 'x', 'sub/LICENSE/a.txt': 'x' },
        { dir: 'sub', mod: 'example.com/m/sub' },
      ),
      /both a file and a directory/,
    );
  });

  it('§7.65 a v2/ major-subdirectory module inherits the root LICENSE', async () => {
    const z = await zipOf(
      { LICENSE: 'root\n', 'go.mod': 'module example.com/m\n', 'v2/go.mod': 'module example.com/m/v2\n' },
      { dir: 'v2', mod: 'example.com/m/v2', v: 'v2.0.0' },
    );
    assert.deepEqual(paths(z), ['LICENSE', 'go.mod']);
  });

  it('§7.66 export-ignore included; export-subst left literal', async () => {
    const z = await zipOf({
      '.gitattributes': 'ign.txt export-ignore\nsub.txt export-subst\n',
      'ign.txt': 'i\n',
      'sub.txt': '$Format:%H$\n',
    });
    assert.deepEqual(await contents(z), {
      '.gitattributes': 'ign.txt export-ignore\nsub.txt export-subst\n',
      'ign.txt': 'i\n',
      'sub.txt': '$Format:%H$\n',
    });
  });

  it('§7.72 total size exactly 524288000 is fine, one byte more is an error', async () => {
    const ok = await prepareModuleZip({
      entries: [bigEntry('a.bin', MAX_ZIP_FILE - 10), bigEntry('b.bin', 10)],
      moduleDir: '',
      modulePath: 'example.com/m',
      version: 'v1.0.0',
    });
    assert.equal(
      ok.entries.reduce((n, e) => n + e.size, 0),
      MAX_ZIP_FILE,
    );
    await rejectsWith(
      prepareModuleZip({
        entries: [bigEntry('a.bin', MAX_ZIP_FILE - 10), bigEntry('b.bin', 11)],
        moduleDir: '',
        modulePath: 'example.com/m',
        version: 'v1.0.0',
      }),
      /^create zip: module source tree too large \(max size is 524288000 bytes\)$/,
    );
  });

  it('§7.72 go.mod or LICENSE of 16777217 bytes is an error, 16777216 is fine', async () => {
    const mk = (p: string, size: number) =>
      prepareModuleZip({
        entries: [bigEntry(p, size)],
        moduleDir: '',
        modulePath: 'example.com/m',
        version: 'v1.0.0',
      });
    await mk('go.mod', MAX_GO_MOD);
    await mk('LICENSE', MAX_GO_MOD);
    await rejectsWith(
      mk('go.mod', MAX_GO_MOD + 1),
      /go\.mod: go\.mod file too large \(max size is 16777216 bytes\)/,
    );
    await rejectsWith(mk('LICENSE', MAX_GO_MOD + 1), /LICENSE: LICENSE file too large/);
  });

  it('size limits count the converted (CRLF) size', async () => {
    const z = await zipOf({ '.gitattributes': '*.txt eol=crlf\n', 'a.txt': 'a\nb\n' });
    assert.equal(z.entries.find((e) => e.path === 'a.txt')?.size, 6);
  });

  it('Create refuses non-canonical versions and versions that do not fit the path', async () => {
    await rejectsWith(zipOf({ 'a.go': 'x' }, { v: 'v1.0' }), /not canonical/);
    await rejectsWith(zipOf({ 'a.go': 'x' }, { v: 'v2.0.0' }), /create zip: .*should be v0 or v1/);
  });

  it('selectFiles: unclean paths are errors; the first error per path wins', () => {
    const sel = selectFiles(
      [
        { path: 'a//b', kind: 'file' },
        { path: './a', kind: 'file' },
        { path: 'x/../y', kind: 'file' },
        { path: 'ok', kind: 'file' },
        { path: 'ok', kind: 'file' },
      ],
      null,
    );
    assert.deepEqual(
      sel.invalid.map((e) => `${e.path}: ${e.reason}`),
      [
        'a//b: file path is not clean',
        './a: file path is not clean',
        'x/../y: file path is not clean',
        'ok: multiple entries for file "ok"',
      ],
    );
  });
});
