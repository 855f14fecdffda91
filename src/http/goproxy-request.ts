/**
 * Parses a GOPROXY request path (spec §1.1, §1.2): percent-decoding first (`%21` and `!` both
 * accepted, `+` never a space), then `/@v/` or `/@latest` splitting, then case unescaping and path
 * checks. Malformed input throws InvalidRequestError (400); a path that is not a GOPROXY endpoint
 * throws NotFoundError (404).
 */
import { InvalidRequestError, NotFoundError } from '../errors.js';
import { percentDecodePath, unescapePath, unescapeVersion } from '../module/escape.js';

export type ArtifactKind = 'info' | 'mod' | 'zip';

export type GoproxyRequest =
  | { kind: 'list'; module: string }
  | { kind: 'latest'; module: string }
  | { kind: ArtifactKind; module: string; version: string }
  | { kind: 'sumdb'; rest: string };

/** Longest request path accepted; far above any real module path. */
const MAX_PATH_LENGTH = 4096;

/** @param rawPath the URL path as sent (still percent-encoded), starting with `/`. */
export function parseGoproxyPath(rawPath: string): GoproxyRequest {
  if (rawPath.length > MAX_PATH_LENGTH) throw new InvalidRequestError('request path too long');
  const path = percentDecodePath(rawPath).replace(/^\/+/, '');
  if (path.startsWith('sumdb/')) return { kind: 'sumdb', rest: path.slice('sumdb/'.length) };

  if (path.endsWith('/@latest')) {
    return { kind: 'latest', module: unescapePath(path.slice(0, -'/@latest'.length)) };
  }
  const at = path.indexOf('/@v/');
  if (at < 0) throw new NotFoundError(`not a module proxy path: /${truncate(path)}`);
  const escapedModule = path.slice(0, at);
  const file = path.slice(at + '/@v/'.length);
  if (file === 'list') return { kind: 'list', module: unescapePath(escapedModule) };
  const dot = file.lastIndexOf('.');
  const ext = dot < 0 ? '' : file.slice(dot + 1);
  if (ext !== 'info' && ext !== 'mod' && ext !== 'zip') {
    throw new NotFoundError(`not a module proxy path: /${truncate(path)}`);
  }
  const escapedVersion = file.slice(0, dot);
  if (escapedVersion === '') throw new InvalidRequestError('empty version');
  const module = unescapePath(escapedModule);
  const version = unescapeVersion(escapedVersion);
  return { kind: ext, module, version };
}

function truncate(s: string): string {
  return s.length > 200 ? `${s.slice(0, 200)}...` : s;
}
