/**
 * The `h1:` hash of sumdb/dirhash (Hash1), spec §6.
 *
 * Each file contributes the line `lowerhex(sha256(content)) + "  " + name + "\n"`; the lines are
 * sorted by the byte-wise UTF-8 order of the names (Go string order, not JavaScript's UTF-16 order)
 * and `h1:` + base64(sha256(lines)) is the result. File contents are hashed as their bytes pass,
 * so nothing but one chunk at a time is held in memory.
 */
import { createHash } from 'node:crypto';
import { deflateRawSync } from 'node:zlib';

/** One file's contribution to an `h1:` hash. */
export interface HashedFile {
  /** Full name as hashed (for a module zip: `<modPath>@<version>/<p>`). */
  readonly name: string;
  /** Lower-case hex sha256 of the file's bytes. */
  readonly sha256: string;
}

/** A file whose bytes can be read as a stream (possibly more than once). */
export interface StreamedFile {
  readonly name: string;
  open(): AsyncIterable<Uint8Array>;
}

/** `h1:` of an empty file set: base64 of sha256(""). */
export const EMPTY_H1 = 'h1:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=';

/** Compares two strings by the bytes of their UTF-8 encoding (Go's string order). */
export function compareUtf8(a: string, b: string): number {
  if (a === b) return 0;
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** Computes `h1:` from names and per-file sha256 digests. Throws on a name containing a newline. */
export function hash1(files: Iterable<HashedFile>): string {
  const list = [...files].sort((x, y) => compareUtf8(x.name, y.name));
  const summary = createHash('sha256');
  for (const f of list) {
    if (f.name.includes('\n'))
      throw new Error(`dirhash: filenames with newlines are not supported: ${f.name}`);
    summary.update(`${f.sha256}  ${f.name}\n`, 'utf8');
  }
  return `h1:${summary.digest('base64')}`;
}

/** Lower-case hex sha256 of a byte array. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** The go.mod hash (`<M> <V>/go.mod h1:…`): one entry named literally `go.mod`. */
export function hashGoMod(bytes: Uint8Array): string {
  return hash1([{ name: 'go.mod', sha256: sha256Hex(bytes) }]);
}

/**
 * Passes `source` through unchanged while hashing it; `onDone` receives the hex digest and the byte
 * count once the source is exhausted (not if the consumer stops early or the source fails).
 */
export async function* sha256Tap(
  source: AsyncIterable<Uint8Array>,
  onDone: (sha256: string, size: number) => void,
): AsyncGenerator<Uint8Array, void, undefined> {
  const h = createHash('sha256');
  let size = 0;
  for await (const chunk of source) {
    h.update(chunk);
    size += chunk.length;
    yield chunk;
  }
  onDone(h.digest('hex'), size);
}

/** Bytes of a file's start that decide whether it compresses. */
const SAMPLE_BYTES = 64 * 1024;

/**
 * Streams a file once and returns its hex sha256, and whether its first 64 KiB shrink by less than
 * 5% under deflate level 1 (random or already-compressed data: not worth deflating again). Files
 * shorter than the sample are never called incompressible.
 */
export async function sha256AndCompressibility(
  source: AsyncIterable<Uint8Array>,
): Promise<{ sha256: string; incompressible: boolean }> {
  const h = createHash('sha256');
  const sample: Uint8Array[] = [];
  let sampled = 0;
  for await (const chunk of source) {
    h.update(chunk);
    if (sampled < SAMPLE_BYTES) {
      const part = chunk.subarray(0, SAMPLE_BYTES - sampled);
      sample.push(part);
      sampled += part.byteLength;
    }
  }
  const incompressible =
    sampled >= SAMPLE_BYTES &&
    deflateRawSync(Buffer.concat(sample, sampled), { level: 1 }).byteLength > sampled * 0.95;
  return { sha256: h.digest('hex'), incompressible };
}

/** Streams a file once and returns its hex sha256. */
export async function sha256OfStream(source: AsyncIterable<Uint8Array>): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of source) h.update(chunk);
  return h.digest('hex');
}

/** `h1:` of streamed files, reading them one at a time. */
export async function hashStreamedFiles(files: Iterable<StreamedFile>): Promise<string> {
  const hashed: HashedFile[] = [];
  for (const f of files) hashed.push({ name: f.name, sha256: await sha256OfStream(f.open()) });
  return hash1(hashed);
}
