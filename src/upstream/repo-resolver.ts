/**
 * Module path → repository (spec §3.1). github.com paths map statically (vcs.go's pattern, no
 * network); other hosts are discovered with the go-import `<meta>` tag of `https://<path>?go-get=1`.
 * STOA_HOST_MAP redirects a host (both the discovery request and git URLs on that host) to another
 * base URL, for private mirrors and tests.
 */
import { NotFoundError } from '../errors.js';
import { discoverGoImport, type FetchText } from './go-import.js';

export interface RepoLocation {
  /** Import path of the repository root, e.g. `github.com/Owner/repo`. */
  codeRoot: string;
  /** URL git fetches from (after host mapping), e.g. `https://github.com/Owner/repo.git`. */
  fetchUrl: string;
  /** Public URL for `.info` Origin, e.g. `https://github.com/Owner/repo`. */
  publicUrl: string;
  /** Upstream kind, a closed set for metrics. */
  source: 'github' | 'git';
}

export interface RepoResolver {
  resolve(modulePath: string, signal: AbortSignal): Promise<RepoLocation>;
}

export interface RepoResolverOptions {
  githubUrl: string;
  hostMap: Readonly<Record<string, string>>;
  fetchText: FetchText;
}

const GITHUB_RE = /^github\.com\/([A-Za-z0-9_.-]+)\/([A-Za-z0-9_.-]+)(\/[A-Za-z0-9_.-]+)*$/;
const VCS_SUFFIX_RE = /\.(git|hg|svn|bzr|fossil)$/;

/** Applies the host map to an http(s) URL. */
export function mapUrl(url: string, hostMap: Readonly<Record<string, string>>): string {
  const m = /^https?:\/\/([^/?#]+)(.*)$/.exec(url);
  if (!m) return url;
  const base = hostMap[(m[1] ?? '').toLowerCase()];
  return base === undefined ? url : `${base}${m[2] ?? ''}`;
}

export function githubLocation(modulePath: string, githubUrl: string): RepoLocation {
  const m = GITHUB_RE.exec(modulePath);
  if (!m) throw new NotFoundError(`${modulePath}: invalid github.com import path`);
  const owner = m[1] ?? '';
  const repo = m[2] ?? '';
  if (VCS_SUFFIX_RE.test(repo)) {
    throw new NotFoundError(`${modulePath}: invalid version control suffix in github.com/ path`);
  }
  return {
    codeRoot: `github.com/${owner}/${repo}`,
    fetchUrl: `${githubUrl}/${owner}/${repo}.git`,
    publicUrl: `https://github.com/${owner}/${repo}`,
    source: 'github',
  };
}

export function createRepoResolver(options: RepoResolverOptions): RepoResolver {
  return {
    async resolve(modulePath, signal) {
      if (modulePath === 'github.com' || modulePath.startsWith('github.com/')) {
        return githubLocation(modulePath, options.githubUrl);
      }
      const found = await discoverGoImport(modulePath, {
        fetchText: options.fetchText,
        mapUrl: (u) => mapUrl(u, options.hostMap),
        signal,
      });
      if (found.vcs !== 'git') {
        throw new NotFoundError(
          `${modulePath}: ${found.prefix} uses ${found.vcs === 'mod' ? 'a module proxy' : found.vcs}; stoa fetches git repositories only`,
        );
      }
      if (found.subdir !== '') {
        throw new NotFoundError(`${modulePath}: go-import subdirectories are not supported yet`);
      }
      return {
        codeRoot: found.prefix,
        fetchUrl: mapUrl(found.repoRoot, options.hostMap),
        publicUrl: found.repoRoot,
        source: 'git',
      };
    },
  };
}
