/**
 * Validation shared by every backend, run before any I/O: keys that could name a path outside a
 * store's root, prefixes, and metadata that would not survive a round trip through S3 headers.
 */
import { StorageError } from './blob-store.js';

// Control characters (incl. NUL) and the backslash.
// eslint-disable-next-line no-control-regex
const FORBIDDEN = /[\u0000-\u001f\u007f\\]/;

function unsafeReason(value: string, isPrefix: boolean): string | null {
  if (!isPrefix && value === '') return 'empty key';
  if (value.startsWith('/')) return 'absolute key';
  if (FORBIDDEN.test(value)) return 'control character or backslash in key';
  if (value.includes('//')) return 'empty path element';
  const elements = value.split('/');
  // In a prefix the last element is only a string filter, never a path: check the complete ones.
  const complete = isPrefix ? elements.slice(0, -1) : elements;
  for (const element of complete) {
    if (element === '') return 'empty path element';
    if (element === '.' || element === '..') return `"${element}" path element`;
  }
  return null;
}

export function assertSafeKey(key: string, backend: string): void {
  const reason = unsafeReason(key, false);
  if (reason !== null) {
    throw new StorageError(`${backend}: unsafe key ${JSON.stringify(key)}: ${reason}`, { backend });
  }
}

export function assertSafePrefix(prefix: string, backend: string): void {
  const reason = unsafeReason(prefix, true);
  if (reason !== null) {
    throw new StorageError(`${backend}: unsafe prefix ${JSON.stringify(prefix)}: ${reason}`, { backend });
  }
}

const META_KEY = /^[a-z0-9][a-z0-9-]*$/;
const META_VALUE = /^[\u0020-\u007e]*$/;
const META_MAX_BYTES = 2048;

export function assertValidMetadata(metadata: Record<string, string> | undefined, backend: string): void {
  if (metadata === undefined) return;
  let total = 0;
  for (const [name, value] of Object.entries(metadata)) {
    if (!META_KEY.test(name)) {
      throw new StorageError(`${backend}: metadata name ${JSON.stringify(name)} must match [a-z0-9-]+`, {
        backend,
      });
    }
    if (typeof value !== 'string' || !META_VALUE.test(value)) {
      throw new StorageError(`${backend}: metadata ${name} must be printable ASCII`, { backend });
    }
    total += name.length + value.length;
  }
  if (total > META_MAX_BYTES) {
    throw new StorageError(`${backend}: metadata is larger than ${META_MAX_BYTES} bytes`, { backend });
  }
}

/** Compares keys in UTF-8 byte order (S3's listing order). */
export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}
