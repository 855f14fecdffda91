/**
 * The module zip of a commit, as `go mod download` builds it in direct mode (spec §5, §6): from the
 * flattened tree of the commit, take the files under the module directory, apply the attribute
 * conversions of `git archive`, add the inherited root LICENSE, run the zip rules, and expose the
 * ordered entries, the `h1:` hash and a streaming zip writer.
 *
 * Memory: tree metadata plus one file's chunks at a time. Blobs are read lazily through `open()`,
 * which may be called more than once (a converted file is read once to measure it and again to
 * write it).
 */
import { InvalidModuleError } from '../errors.js';
import { checkModuleVersion } from './check.js';
import { canonicalVersion } from './semver.js';
import { goQuote } from './check-path.js';
import { convertBlob, planConversion, RAW_PLAN } from './convert.js';
import type { ConversionPlan, ConvertedFile } from './convert.js';
import { ATTR_MAX_FILE_SIZE, createAttributeResolver } from './gitattributes.js';
import { laxGoVersion } from './gomod-lax.js';
import type { RevisionFileReader } from './gomod.js';
import { hash1, sha256AndCompressibility, sha256Tap } from './h1.js';
import type { HashedFile } from './h1.js';
import { checkSizes, MAX_ZIP_FILE, selectFiles, zipRulesError } from './zip-files.js';
import type { FileKind } from './zip-files.js';
import { writeZip } from './zip-writer.js';
import type { ZipSink, ZipWriteOptions } from './zip-writer.js';

/** Git tree entry modes. */
export const MODE_FILE = 0o100644;
export const MODE_EXECUTABLE = 0o100755;
export const MODE_SYMLINK = 0o120000;
export const MODE_GITLINK = 0o160000;
export const MODE_TREE = 0o040000;

/** One entry of a commit's flattened tree. */
export interface TreeEntry {
  /** Repository-relative path, `/`-separated. */
  readonly path: string;
  /** Git mode: 0o100644, 0o100755, 0o120000 (symlink), 0o160000 (gitlink); trees may be omitted. */
  readonly mode: number;
  /** Blob id (hex); for `ident`. */
  readonly oid: string;
  /** Raw blob size in bytes. */
  readonly size: number;
  /** The raw blob bytes (for a symlink: the link text). May be called more than once. */
  open(): AsyncIterable<Uint8Array>;
}

export interface ModuleZipInput {
  /** Every entry of the commit's tree (all directories, not just the module's), in tree order. */
  readonly entries: readonly TreeEntry[];
  /** Module directory from findModuleDir: "", codeDir or codeDir/vN. */
  readonly moduleDir: string;
  /** Exact module path (case kept), e.g. `github.com/Azure/x`. */
  readonly modulePath: string;
  /** Exact canonical version, with `+incompatible` where it applies. */
  readonly version: string;
}

/** One file of the module zip. */
export interface ModuleZipEntry {
  /** `<modulePath>@<version>/<path>`. */
  readonly name: string;
  /** Path relative to the module root. */
  readonly path: string;
  /** Exact size of the bytes written. */
  readonly size: number;
  open(): AsyncIterable<Uint8Array>;
}

export interface ModuleZip {
  /** The zip's files in archive order (the inherited LICENSE last). */
  readonly entries: readonly ModuleZipEntry[];
  /** Reads every file once and returns the zip's `h1:`. */
  hash(): Promise<string>;
  /** Streams the zip to `sink`, hashing the files as they pass; resolves with `h1:` and the zip size. */
  writeTo(sink: ZipSink, options?: ZipWriteOptions): Promise<{ h1: string; bytes: number }>;
}

function kindOf(mode: number): FileKind | null {
  if (mode === MODE_SYMLINK) return 'symlink';
  if ((mode & 0o170000) === 0o100000) return 'file';
  return null; // gitlinks and trees: git archive writes directories, which the go command skips
}

async function readAll(source: AsyncIterable<Uint8Array>, limit: number): Promise<Uint8Array | null> {
  const parts: Uint8Array[] = [];
  let n = 0;
  for await (const chunk of source) {
    n += chunk.length;
    if (n > limit) return null;
    parts.push(chunk);
  }
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** A reader of small files of the tree with `git cat-file blob` semantics (for findModuleDir). */
export function treeFileReader(entries: readonly TreeEntry[], maxSize = 64 << 20): RevisionFileReader {
  const byPath = new Map<string, TreeEntry>();
  for (const e of entries) byPath.set(e.path, e);
  return async (repoPath) => {
    const e = byPath.get(repoPath);
    if (!e || kindOf(e.mode) === null) return null;
    const bytes = await readAll(e.open(), maxSize);
    if (bytes === null) throw new InvalidModuleError(`${repoPath}: file too large to read`);
    return bytes;
  };
}

interface Candidate {
  readonly path: string;
  readonly kind: FileKind;
  readonly entry: TreeEntry;
  readonly plan: ConversionPlan;
}

function checkCreateArgs(modulePath: string, version: string): void {
  const canon = canonicalVersion(version);
  if (canon !== version) {
    throw new InvalidModuleError(
      `create zip: version ${goQuote(version)} is not canonical (should be ${goQuote(canon)})`,
    );
  }
  try {
    checkModuleVersion(modulePath, version);
  } catch (err) {
    throw new InvalidModuleError(`create zip: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * Selects, converts and checks the files of the module zip. Throws InvalidModuleError when the go
 * command would refuse to create the zip (bad paths, collisions, sizes, GO.MOD, ...).
 */
export async function prepareModuleZip(input: ModuleZipInput): Promise<ModuleZip> {
  const { entries, moduleDir, modulePath, version } = input;
  checkCreateArgs(modulePath, version);

  const byPath = new Map<string, TreeEntry>();
  let haveAttributes = false;
  for (const e of entries) {
    byPath.set(e.path, e);
    if (e.path === '.gitattributes' || e.path.endsWith('/.gitattributes')) haveAttributes = true;
  }
  const attributes = createAttributeResolver(async (dir) => {
    const e = byPath.get(dir === '' ? '.gitattributes' : `${dir}/.gitattributes`);
    if (!e || kindOf(e.mode) === null || e.size >= ATTR_MAX_FILE_SIZE) return null;
    return readAll(e.open(), ATTR_MAX_FILE_SIZE);
  });

  // The archive: every file under moduleDir, converted as git archive converts it.
  const prefix = moduleDir === '' ? '' : `${moduleDir}/`;
  const candidates: Candidate[] = [];
  for (const entry of entries) {
    const kind = kindOf(entry.mode);
    if (kind === null || !entry.path.startsWith(prefix) || entry.path.length === prefix.length) continue;
    const plan =
      kind === 'file' && haveAttributes
        ? planConversion(entry.path, await attributes.attributes(entry.path))
        : RAW_PLAN;
    candidates.push({ path: entry.path.slice(prefix.length), kind, entry, plan });
  }

  // LICENSE inheritance: a subdirectory module without its own LICENSE gets the root one, raw.
  if (moduleDir !== '' && !candidates.some((c) => c.path === 'LICENSE')) {
    const root = byPath.get('LICENSE');
    if (root && kindOf(root.mode) !== null) {
      candidates.push({ path: 'LICENSE', kind: 'file', entry: root, plan: RAW_PLAN });
    }
  }

  const converted = new Map<Candidate, ConvertedFile>();
  const convert = async (c: Candidate): Promise<ConvertedFile> => {
    let done = converted.get(c);
    if (!done) {
      done = await convertBlob(c.plan, c.entry);
      converted.set(c, done);
    }
    return done;
  };

  // The vendor rule depends on the root go.mod's go directive, read from the archived bytes.
  let goVersion: string | null = null;
  const rootGoMod = candidates.find((c) => c.path === 'go.mod' && c.kind === 'file');
  if (rootGoMod) {
    const file = await convert(rootGoMod);
    const bytes = await readAll(file.open(), 64 << 20);
    goVersion = bytes === null ? null : laxGoVersion(bytes);
  }

  const selection = selectFiles(candidates, goVersion);
  const sized: (Candidate & { size: number; file: ConvertedFile })[] = [];
  for (const c of selection.kept) {
    const file = await convert(c);
    sized.push({ ...c, size: file.size, file });
  }
  const sizes = checkSizes(sized);
  const failure = zipRulesError([...selection.invalid, ...sizes.invalid], sizes.sizeError);
  if (failure) throw failure;

  const namePrefix = `${modulePath}@${version}/`;
  const zipEntries: ModuleZipEntry[] = sizes.valid.map((c) => ({
    name: namePrefix + c.path,
    path: c.path,
    size: c.size,
    open: () => c.file.open(),
  }));
  /** Entries hash() found not to compress: writeTo stores them instead of deflating them. */
  const incompressible = new Set<string>();
  return {
    entries: zipEntries,
    async hash() {
      const hashed: HashedFile[] = [];
      for (const e of zipEntries) {
        const { sha256, incompressible: stored } = await sha256AndCompressibility(e.open());
        hashed.push({ name: e.name, sha256 });
        if (stored) incompressible.add(e.name);
      }
      return hash1(hashed);
    },
    async writeTo(sink, options) {
      const hashed: HashedFile[] = [];
      const tapped = zipEntries.map((e) => ({
        name: e.name,
        size: e.size,
        compress: !incompressible.has(e.name),
        open: () => sha256Tap(e.open(), (sha256) => hashed.push({ name: e.name, sha256 })),
      }));
      const { bytes } = await writeZip(tapped, sink, {
        maxBytes: MAX_ZIP_FILE,
        tooLarge: (n) =>
          new InvalidModuleError(
            `module zip file is too large (at least ${n} bytes; limit is ${MAX_ZIP_FILE} bytes)`,
          ),
        ...options,
      });
      if (hashed.length !== zipEntries.length)
        throw new Error('zip writer finished without reading every file');
      return { h1: hash1(hashed), bytes };
    },
  };
}
