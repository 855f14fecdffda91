/**
 * Key layouts: where a module version's files live in a blob store. Every function takes the real
 * (unescaped) module path and version, e.g. `github.com/Azure/go-autorest`, `v1.0.0`.
 *
 * - stoa (default): `<escaped-module>/@v/<escaped-version>.info|.mod|.zip`, `<escaped-module>/@v/list`,
 *   plus stoa's own `<escaped-module>/@v/<escaped-version>.ziprecord` (zip size and hashes) and
 *   `<escaped-module>/@latest`. Escaped paths are safe on case-insensitive file systems.
 * - athens-disk (Athens' disk and minio storage): `<module>/<version>/go.mod`,
 *   `<module>/<version>/source.zip`, `<module>/<version>/<version>.info`, module path unescaped.
 * - athens-object (Athens' s3 and gcp storage): `<module>/@v/<version>.info|.mod|.zip`, unescaped.
 * - athens: athens-disk on disk and memory stores, athens-object on s3 and gcs stores.
 *
 * Athens has no list/latest cache and no zip record: the Athens layouts keep list and latest under
 * `<module>/@v/list` and `<module>/@v/@latest`, and have no record (`zipRecord` is null).
 */
import type { BackendName } from './blob-store.js';
import { StorageError } from './blob-store.js';

export type LayoutName = 'stoa' | 'athens' | 'athens-disk' | 'athens-object';

export interface KeyLayout {
  readonly name: Exclude<LayoutName, 'athens'>;
  info(module: string, version: string): string;
  mod(module: string, version: string): string;
  zip(module: string, version: string): string;
  /** Key of the small JSON record of the zip's size and hashes, or null when the layout has none. */
  zipRecord(module: string, version: string): string | null;
  list(module: string): string;
  latest(module: string): string;
  /** A list prefix that covers every version's `.info` key of `module`. */
  versionsPrefix(module: string): string;
  /** The version whose `.info` key this is (for `module`), or null for any other key. */
  versionOfInfoKey(module: string, key: string): string | null;
  /** Module and version of any version's `.info` key (for walking a whole store), or null. */
  parseInfoKey(key: string): { module: string; version: string } | null;
}

/** Go's case escaping: each upper-case letter becomes `!` + its lower case. */
export function escapeCase(value: string): string {
  if (value.includes('!')) {
    throw new StorageError(`cannot escape ${JSON.stringify(value)}: it contains "!"`);
  }
  return value.replace(/[A-Z]/g, (c) => `!${c.toLowerCase()}`);
}

/** The inverse of escapeCase; null when `value` is not a valid escaped string. */
export function unescapeCase(value: string): string | null {
  if (/[A-Z]/.test(value) || /!(?![a-z])/.test(value)) return null;
  return value.replace(/!([a-z])/g, (_, c: string) => c.toUpperCase());
}

const INFO_SUFFIX = '.info';

export function stoaLayout(): KeyLayout {
  const base = (module: string, version: string): string => `${escapeCase(module)}/@v/${escapeCase(version)}`;
  return {
    name: 'stoa',
    info: (m, v) => `${base(m, v)}.info`,
    mod: (m, v) => `${base(m, v)}.mod`,
    zip: (m, v) => `${base(m, v)}.zip`,
    zipRecord: (m, v) => `${base(m, v)}.ziprecord`,
    list: (m) => `${escapeCase(m)}/@v/list`,
    latest: (m) => `${escapeCase(m)}/@latest`,
    versionsPrefix: (m) => `${escapeCase(m)}/@v/`,
    versionOfInfoKey(m, key) {
      const prefix = `${escapeCase(m)}/@v/`;
      if (!key.startsWith(prefix) || !key.endsWith(INFO_SUFFIX)) return null;
      const escaped = key.slice(prefix.length, -INFO_SUFFIX.length);
      return escaped === '' || escaped.includes('/') ? null : unescapeCase(escaped);
    },
    parseInfoKey(key) {
      const m = /^(.+)\/@v\/([^/]+)\.info$/.exec(key);
      const module = m?.[1] === undefined ? null : unescapeCase(m[1]);
      const version = m?.[2] === undefined ? null : unescapeCase(m[2]);
      return module === null || version === null ? null : { module, version };
    },
  };
}

export function athensDiskLayout(): KeyLayout {
  return {
    name: 'athens-disk',
    info: (m, v) => `${m}/${v}/${v}.info`,
    mod: (m, v) => `${m}/${v}/go.mod`,
    zip: (m, v) => `${m}/${v}/source.zip`,
    zipRecord: () => null,
    list: (m) => `${m}/@v/list`,
    latest: (m) => `${m}/@v/@latest`,
    versionsPrefix: (m) => `${m}/`,
    versionOfInfoKey(m, key) {
      if (!key.startsWith(`${m}/`) || !key.endsWith(INFO_SUFFIX)) return null;
      const parts = key.slice(m.length + 1).split('/');
      if (parts.length !== 2) return null;
      const [version = '', file = ''] = parts;
      return version !== '' && file === `${version}${INFO_SUFFIX}` ? version : null;
    },
    parseInfoKey(key) {
      const m = /^(.+)\/([^/]+)\/([^/]+)\.info$/.exec(key);
      if (m === null || m[2] !== m[3] || m[1] === undefined || m[2] === undefined) return null;
      return { module: m[1], version: m[2] };
    },
  };
}

export function athensObjectLayout(): KeyLayout {
  return {
    name: 'athens-object',
    info: (m, v) => `${m}/@v/${v}.info`,
    mod: (m, v) => `${m}/@v/${v}.mod`,
    zip: (m, v) => `${m}/@v/${v}.zip`,
    zipRecord: () => null,
    list: (m) => `${m}/@v/list`,
    latest: (m) => `${m}/@v/@latest`,
    versionsPrefix: (m) => `${m}/@v/`,
    versionOfInfoKey(m, key) {
      const prefix = `${m}/@v/`;
      if (!key.startsWith(prefix) || !key.endsWith(INFO_SUFFIX)) return null;
      const version = key.slice(prefix.length, -INFO_SUFFIX.length);
      return version === '' || version.includes('/') ? null : version;
    },
    parseInfoKey(key) {
      const m = /^(.+)\/@v\/([^/]+)\.info$/.exec(key);
      if (m === null || m[1] === undefined || m[2] === undefined) return null;
      return { module: m[1], version: m[2] };
    },
  };
}

export function layoutFor(name: LayoutName, backend: BackendName): KeyLayout {
  switch (name) {
    case 'stoa':
      return stoaLayout();
    case 'athens-disk':
      return athensDiskLayout();
    case 'athens-object':
      return athensObjectLayout();
    case 'athens':
      return backend === 'disk' || backend === 'memory' ? athensDiskLayout() : athensObjectLayout();
  }
}
