/**
 * Sorted recursive directory walk for the disk store's `list`: yields the keys of regular files in
 * UTF-8 byte order. A directory `b` sorts as `b/`, so its keys come after a sibling `b-c`, exactly
 * where a flat sort of full keys would put them.
 */
import type { Dirent } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { compareKeys } from './safe-key.js';

export async function* walkSorted(
  dir: string,
  keyDir: string,
  namePrefix: string,
  skip: ReadonlySet<string>,
): AsyncGenerator<string, void, undefined> {
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    const code = err instanceof Error && 'code' in err ? err.code : undefined;
    if (code === 'ENOENT' || code === 'ENOTDIR') return;
    throw err;
  }
  const items = entries
    .filter((e) => e.name.startsWith(namePrefix) && !skip.has(e.name) && (e.isFile() || e.isDirectory()))
    .map((e) => ({ name: e.name, isDir: e.isDirectory(), sortKey: e.isDirectory() ? `${e.name}/` : e.name }))
    .sort((a, b) => compareKeys(a.sortKey, b.sortKey));
  const none = new Set<string>();
  for (const item of items) {
    if (item.isDir) yield* walkSorted(path.join(dir, item.name), `${keyDir}${item.name}/`, '', none);
    else yield `${keyDir}${item.name}`;
  }
}
