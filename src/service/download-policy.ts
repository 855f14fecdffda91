/**
 * Download modes, as Athens has them, globally and per module pattern (issue 7 item 4):
 *
 * - `sync` (default): a miss is filled from the upstream while the client waits;
 * - `async`: a miss answers 404 at once and the fill runs in the background;
 * - `redirect`: a miss is redirected (302) to another GOPROXY (e.g. https://proxy.golang.org);
 * - `none`: only what the store holds is served; misses are 404 and nothing is fetched.
 *
 * plus an exclusion list: matching modules are refused with 403 (a hard error for the go command,
 * so it does not fall through to the next GOPROXY entry). Patterns use the go command's
 * GOPRIVATE/GONOSUMDB syntax: comma-separated globs matched against leading path elements.
 *
 * The policy file is JSON:
 *   { "mode": "sync", "redirectUrl": "https://proxy.golang.org",
 *     "rules": [ { "pattern": "github.com/corp/*", "mode": "none" } ],
 *     "exclude": [ "github.com/evil/*" ] }
 * Rules are tried in order; the first match wins.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';

export const DOWNLOAD_MODES = ['sync', 'async', 'redirect', 'none'] as const;
export type DownloadMode = (typeof DOWNLOAD_MODES)[number];

export type PolicyDecision =
  | { kind: 'excluded' }
  | { kind: 'mode'; mode: Exclude<DownloadMode, 'redirect'> }
  | { kind: 'mode'; mode: 'redirect'; redirectUrl: string };

export interface DownloadPolicy {
  decide(module: string): PolicyDecision;
}

const fileSchema = z
  .object({
    mode: z.enum(DOWNLOAD_MODES).default('sync'),
    redirectUrl: z.url().optional(),
    rules: z
      .array(z.object({ pattern: z.string().min(1), mode: z.enum(DOWNLOAD_MODES) }).strict())
      .default([]),
    exclude: z.array(z.string().min(1)).default([]),
  })
  .strict();

export type PolicyFile = z.input<typeof fileSchema>;

/** path.Match for one element: `*` (not across `/`), `?`, and `[...]` classes. */
function elementMatches(pattern: string, name: string): boolean {
  let re = '^';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] ?? '';
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end < 0) return false;
      let cls = pattern.slice(i + 1, end);
      if (cls.startsWith('^')) cls = `^${cls.slice(1)}`;
      re += `[${cls.replace(/\\/g, '\\\\')}]`;
      i = end;
    } else if (c === '\\') {
      i++;
      re += (pattern[i] ?? '').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    } else re += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  try {
    return new RegExp(`${re}$`).test(name);
  } catch {
    return false;
  }
}

/** module.MatchPrefixPatterns: does any comma-separated glob match a leading prefix of `path`? */
export function matchPrefixPatterns(globs: string, path: string): boolean {
  for (const raw of globs.split(',')) {
    const glob = raw.trim().replace(/\/+$/, '');
    if (glob === '') continue;
    const globElems = glob.split('/');
    const pathElems = path.split('/');
    if (pathElems.length < globElems.length) continue;
    if (globElems.every((g, i) => elementMatches(g, pathElems[i] ?? ''))) return true;
  }
  return false;
}

export interface PolicyOptions {
  /** Global mode (STOA_DOWNLOAD_MODE). */
  mode: DownloadMode;
  /** Where `redirect` sends clients (STOA_DOWNLOAD_REDIRECT_URL). */
  redirectUrl?: string;
  /** Path of a JSON policy file (STOA_DOWNLOAD_FILE); its settings override the two above. */
  file?: string;
  /** Extra exclusions (STOA_EXCLUDE), GOPRIVATE-style patterns. */
  exclude?: string;
}

export function loadPolicyFile(path: string): z.output<typeof fileSchema> {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`download policy ${path}: ${err instanceof Error ? err.message : String(err)}`, {
      cause: err,
    });
  }
  const parsed = fileSchema.safeParse(value);
  if (!parsed.success) {
    throw new Error(
      `download policy ${path}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  return parsed.data;
}

export function createDownloadPolicy(options: PolicyOptions): DownloadPolicy {
  const file = options.file === undefined ? undefined : loadPolicyFile(options.file);
  const mode = file?.mode ?? options.mode;
  const redirectUrl = (file?.redirectUrl ?? options.redirectUrl)?.replace(/\/+$/, '');
  const rules = file?.rules ?? [];
  const exclude = [...(file?.exclude ?? []), options.exclude ?? ''].filter((p) => p !== '').join(',');
  const usesRedirect = mode === 'redirect' || rules.some((r) => r.mode === 'redirect');
  if (usesRedirect && redirectUrl === undefined) {
    throw new Error(
      'download mode "redirect" needs a redirect URL (STOA_DOWNLOAD_REDIRECT_URL or redirectUrl in the file)',
    );
  }
  const decision = (m: DownloadMode): PolicyDecision =>
    m === 'redirect'
      ? { kind: 'mode', mode: 'redirect', redirectUrl: redirectUrl ?? '' }
      : { kind: 'mode', mode: m };
  return {
    decide(module) {
      if (exclude !== '' && matchPrefixPatterns(exclude, module)) return { kind: 'excluded' };
      for (const r of rules) if (matchPrefixPatterns(r.pattern, module)) return decision(r.mode);
      return decision(mode);
    },
  };
}
