/**
 * Reading zips in tests (yauzl is a dev dependency): the entries of a zip, and dirhash.HashZip —
 * the `h1:` of an existing zip file, computed over every entry (directory entries included, as
 * the go command does), streaming each entry's bytes.
 */
import { createHash } from 'node:crypto';
import yauzl from 'yauzl';
import type { Entry } from 'yauzl';
import { hash1 } from '../../../src/module/h1.js';
import type { HashedFile } from '../../../src/module/h1.js';

/** Calls `visit` for every entry, in zip order, with a stream of its uncompressed bytes. */
export async function eachZipEntry(
  path: string,
  visit: (entry: Entry, data: AsyncIterable<Uint8Array>) => Promise<void>,
): Promise<{ entryCount: number; fileSize: number }> {
  const zip = await yauzl.openPromise(path, { lazyEntries: true, strictFileNames: true });
  try {
    for await (const entry of zip.eachEntry()) {
      const stream = await zip.openReadStreamPromise(entry);
      await visit(entry, stream as AsyncIterable<Uint8Array>);
    }
    return { entryCount: zip.entryCount, fileSize: zip.fileSize };
  } finally {
    zip.close();
  }
}

/** dirhash.HashZip of a zip file on disk. */
export async function hashZipFile(path: string): Promise<string> {
  const files: HashedFile[] = [];
  await eachZipEntry(path, async (entry, data) => {
    const h = createHash('sha256');
    for await (const c of data) h.update(c);
    files.push({ name: entry.fileName, sha256: h.digest('hex') });
  });
  return hash1(files);
}

/** All entries of a (small) zip: name → bytes. */
export async function readZip(path: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  await eachZipEntry(path, async (entry, data) => {
    const parts: Buffer[] = [];
    for await (const c of data) parts.push(Buffer.from(c));
    out.set(entry.fileName, Buffer.concat(parts));
  });
  return out;
}
