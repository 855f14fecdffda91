/**
 * go-import discovery (cmd/go vcs/discovery.go, spec §3.1): GET `https://<path>?go-get=1`, read the
 * `<meta name="go-import" content="prefix vcs repoRoot [subdir]">` tags in the `<head>` (stop at
 * `<body>`), keep those whose prefix is a path-prefix of the import path, prefer `mod` entries, and
 * if the prefix is not the whole path, confirm it by fetching the prefix's own page.
 */
import { NotFoundError, UpstreamError } from '../errors.js';

export interface GoImport {
  prefix: string;
  vcs: string;
  repoRoot: string;
  subdir: string;
}

/** GET a URL and return its status and (bounded) body text. */
export type FetchText = (url: string, signal: AbortSignal) => Promise<{ status: number; body: string }>;

export interface DiscoverOptions {
  fetchText: FetchText;
  /** Rewrites `https://<host>/...` for mapped hosts. */
  mapUrl: (url: string) => string;
  signal: AbortSignal;
}

function attr(tag: string, name: string): string | undefined {
  const re = new RegExp(`\\b${name}\\s*=\\s*("([^"]*)"|'([^']*)'|([^\\s"'>]+))`, 'i');
  const m = re.exec(tag);
  if (!m) return undefined;
  return decodeEntities(m[2] ?? m[3] ?? m[4] ?? '');
}

function decodeEntities(s: string): string {
  return s
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

/** Parses every go-import meta tag before `<body>`. */
export function parseGoImports(html: string): GoImport[] {
  const bodyAt = html.search(/<body[\s>]/i);
  const head = bodyAt < 0 ? html : html.slice(0, bodyAt);
  const out: GoImport[] = [];
  for (const m of head.matchAll(/<meta\b[^>]*>/gi)) {
    const tag = m[0];
    if ((attr(tag, 'name') ?? '').toLowerCase() !== 'go-import') continue;
    const fields = (attr(tag, 'content') ?? '').trim().split(/\s+/);
    if (fields.length < 3 || fields.length > 4) continue;
    const [prefix = '', vcs = '', repoRoot = '', subdir = ''] = fields;
    out.push({ prefix, vcs, repoRoot, subdir });
  }
  return out;
}

function isPathPrefix(prefix: string, path: string): boolean {
  return path === prefix || path.startsWith(prefix + '/');
}

/** Picks the import for `importPath` among parsed tags, as cmd/go matchGoImport does. */
export function matchGoImport(imports: readonly GoImport[], importPath: string): GoImport | null {
  const matching = imports.filter((i) => isPathPrefix(i.prefix, importPath));
  if (matching.length === 0) return null;
  // `mod` entries take precedence; otherwise exactly one entry must match.
  const mod = matching.filter((i) => i.vcs === 'mod');
  const pick = mod.length > 0 ? mod : matching;
  if (pick.length > 1) {
    throw new NotFoundError(`multiple meta tags match import path "${importPath}"`);
  }
  return pick[0] ?? null;
}

async function fetchImports(path: string, options: DiscoverOptions): Promise<GoImport[]> {
  const url = options.mapUrl(`https://${path}?go-get=1`);
  const res = await options.fetchText(url, options.signal);
  if (res.status === 404 || res.status === 410) {
    throw new NotFoundError(`unrecognized import path "${path}": ${res.status} from go-get discovery`);
  }
  if (res.status >= 500) throw new UpstreamError(`go-get discovery for ${path}: HTTP ${res.status}`);
  if (res.status !== 200) {
    throw new NotFoundError(`unrecognized import path "${path}": HTTP ${res.status} from go-get discovery`);
  }
  return parseGoImports(res.body);
}

export async function discoverGoImport(importPath: string, options: DiscoverOptions): Promise<GoImport> {
  const first = matchGoImport(await fetchImports(importPath, options), importPath);
  if (!first) throw new NotFoundError(`unrecognized import path "${importPath}": no go-import meta tag`);
  if (first.prefix !== importPath) {
    // Confirm the root: the prefix's own page must declare the same import.
    const again = matchGoImport(await fetchImports(first.prefix, options), first.prefix);
    if (
      !again ||
      again.prefix !== first.prefix ||
      again.vcs !== first.vcs ||
      again.repoRoot !== first.repoRoot
    ) {
      throw new NotFoundError(`meta tags for ${first.prefix} do not agree with those for ${importPath}`);
    }
  }
  if (!/^https?:\/\//.test(first.repoRoot)) {
    throw new NotFoundError(`${importPath}: repository URL ${first.repoRoot} is not http(s)`);
  }
  return first;
}
